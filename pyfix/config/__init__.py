"""pyfix.config package."""
