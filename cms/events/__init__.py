"""Domain events: what changed, recorded in an outbox in the transaction of the change."""
