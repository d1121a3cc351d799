"""The change stream's fixtures live in tests/events/streaming.py beside its helpers."""

from tests.events.streaming import admin_api, live_server, pool_peak, stream_app, streams  # noqa: F401
