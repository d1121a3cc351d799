"""Webhooks: subscriptions, signed deliveries, the delivery log."""
