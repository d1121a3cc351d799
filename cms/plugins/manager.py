"""One pluggy PluginManager per application (never a module global)."""

import pluggy

from cms.plugins import hookspecs


class CoreFieldTypes:
    """Core registers its built-in field types through the same hook plugins use."""

    @hookspecs.hookimpl(tryfirst=True)
    def folio_register_field_types(self, registry):
        from cms.content.fields import builtin_field_types

        for field_type in builtin_field_types():
            registry.register(field_type)


def build_plugin_manager(app):
    manager = pluggy.PluginManager("folio")
    manager.add_hookspecs(hookspecs)
    manager.register(CoreFieldTypes(), name="core.field_types")
    for plugin in app.config.get("PLUGINS_OBJECTS", ()):
        manager.register(plugin)
    manager.check_pending()
    return manager
