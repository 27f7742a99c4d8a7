"""pyfix.address: RFC 822 address forms and Postfix address conventions."""
