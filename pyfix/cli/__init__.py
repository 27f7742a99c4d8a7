"""pyfix.cli package."""
