"""pyfix.master: the master process and its service supervision."""
