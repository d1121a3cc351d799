"""Every hook a plugin may implement. These docstrings are the plugin contract."""

import pluggy

hookspec = pluggy.HookspecMarker("folio")
hookimpl = pluggy.HookimplMarker("folio")


@hookspec
def folio_register_field_types(registry):
    """Add field types to ``registry`` (a FieldTypeRegistry) with ``registry.register(FieldType())``."""
