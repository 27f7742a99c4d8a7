"""pyfix.log package."""
