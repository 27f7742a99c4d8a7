"""The flush(8) fast-flush service: per-destination logs of deferred mail."""
