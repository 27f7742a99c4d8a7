"""The queue manager: active queue, scheduling, retries and expiry."""
