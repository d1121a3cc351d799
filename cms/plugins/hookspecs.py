"""Every hook a plugin may implement. These docstrings are the plugin contract."""

import pluggy

hookspec = pluggy.HookspecMarker("folio")
hookimpl = pluggy.HookimplMarker("folio")


@hookspec
def folio_register_field_types(registry):
    """Add field types to ``registry`` (a FieldTypeRegistry) with ``registry.register(FieldType())``."""


@hookspec
def folio_cache_purge(keys):
    """Purge ``keys`` (surrogate keys: ``entry:<id>``, ``type:<name>``, ``types``) from a CDN.

    Called after a commit that changed published content or a content type, never for a
    rolled-back change. The same keys name cached answers in their ``Surrogate-Key`` header,
    so purging them evicts exactly the answers that changed. Runs in the request: keep it short
    (queue the purge, or call the CDN with a timeout); an exception is logged and swallowed.
    """


@hookspec(firstresult=True)
def folio_send_mail(to, subject, body):
    """Send a plain-text email (password reset links, invitations).

    The first plugin that returns a value is the mailer; without one, Folio logs the message
    (fine in development, where the reset link is read from the log). Runs in the request.
    """


@hookspec
def folio_register_media_storage(registry):
    """Add media storage backends: ``registry.register("name", factory)``.

    ``factory(config)`` returns an object with the methods of ``cms.media.storage.LocalStorage``
    (``save``, ``open``, ``exists``, ``size``, ``delete``, ``keys``, ``url``); ``FOLIO_MEDIA_STORAGE=name``
    selects it.
    """
