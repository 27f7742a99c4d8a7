"""pyfix.rewrite: trivial-rewrite as a library (address rewriting and resolution)."""
