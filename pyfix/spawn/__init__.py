"""The spawn(8) service: an external command per connection (policy servers)."""
