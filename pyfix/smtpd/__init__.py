"""pyfix.smtpd: the SMTP server service (asyncio shell, relay control, queueing)."""
