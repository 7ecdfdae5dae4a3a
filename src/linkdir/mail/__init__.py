"""Mail: the SMTP client, the outbox the scheduler drains, curators' digests."""
