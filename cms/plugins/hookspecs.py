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


@hookspec
def folio_register_routes(app):
    """Add routes: ``app.register_blueprint(bp)``. Prefix API routes with ``/api/<plugin>/``.

    Routes are plain Flask views: they see ``flask_login.current_user`` as the caller and should
    check it with ``cms.core.policy.authorize`` like core views do; errors raised as
    ``cms.core.errors.ApiError`` subclasses get the one JSON error shape.
    """


@hookspec
def folio_register_commands(cli):
    """Add ``folio`` sub-commands: ``cli.add_command(click_group_or_command)``."""


@hookspec
def folio_register_admin_panels(registry):
    """Add admin pages: ``registry.add(name, title, endpoint, permission=None)``.

    ``endpoint`` is a Flask endpoint the plugin registered (``folio_register_routes``); the admin
    links it in its navigation for users holding ``permission`` (a system action such as
    ``"settings.read"``; None: every signed-in user).
    """


@hookspec
def folio_register_themes(registry):
    """Add themes: ``registry.add(path)`` where ``path`` is a folder holding ``theme.toml``,
    ``templates/`` and ``static/`` (the layout of ``themes/default``)."""


@hookspec
def folio_before_entry_change(change):
    """Inspect, change or refuse an entry change before it is stored.

    ``change`` is a ``cms.plugins.Change``: ``action`` (create, update, publish, unpublish,
    delete), ``type`` (the content type's name), ``entry`` (the Entry, None on create), ``data``
    (the field values by name; on create and update a dict the hook may change, e.g. to fill a
    computed field), ``actor`` and ``content_type`` (the compiled type: ``.definition`` lists its
    field definitions as the API shows them). Raise ``cms.plugins.Veto(message, details)`` to refuse the
    change: the caller gets a 422 ``vetoed`` error with your message and nothing is saved.
    Runs in the request's transaction.
    """


@hookspec
def folio_after_entry_change(change):
    """React to an entry change after it is written, in the same transaction (``change`` as above,
    ``entry`` is the stored Entry). A Veto here still refuses the whole change. For slow work
    (calling other services), implement ``folio_handle_event`` instead: the worker runs it after
    the commit."""


@hookspec
def folio_before_media_change(change):
    """Like ``folio_before_entry_change`` for the media library: ``action`` is create, update or
    delete, ``entry`` is None, ``media`` the MediaItem (None on create) and ``data`` its metadata
    (on create and update: the keys sent among ``alt``, ``caption``, ``folder``, ``tags``,
    ``focal_x``, ``focal_y``, ``filename``, plus the detected ``mime`` on create, which is for
    reading). The hook may change the metadata (it is validated again) or Veto; a veto on create
    stores nothing."""


@hookspec
def folio_after_media_change(change):
    """React to a media change after it is written, in the same transaction."""


@hookspec
def folio_handle_event(event):
    """Handle one committed domain event in ``folio worker`` (async hook).

    ``event`` is the dict webhooks receive (``id``, ``type``, ``timestamp``, ``data``). Runs
    outside any request, after the change was committed; an exception makes the worker retry the
    event later with backoff (so make the hook idempotent: dedupe by ``event["id"]``).
    """
