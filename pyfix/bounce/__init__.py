"""Per-message delivery logs (bounce, defer, trace) and DSN notices."""
