"""One pluggy PluginManager per application (never a module global), and the plugins' status.

A plugin that fails to import, declares bad metadata, does not support this Folio version or
raises in a hook is logged and reported at ``/api/plugins``; the rest go on, unless
``FOLIO_PLUGINS_STRICT`` is on, when the failure is raised instead.
"""

import logging
import threading
import traceback
from dataclasses import dataclass, field

import pluggy
from flask import current_app

from cms.core.db import isoformat, utcnow
from cms.core.errors import ApiError
from cms.plugins import PluginFailed, discovery, hookspecs

log = logging.getLogger("cms.plugins")
CORE = "core.field_types"


class CoreFieldTypes:
    """Core registers its built-in field types through the same hook plugins use."""

    @hookspecs.hookimpl(tryfirst=True)
    def folio_register_field_types(self, registry):
        from cms.content.fields import builtin_field_types

        for field_type in builtin_field_types():
            registry.register(field_type)


@dataclass
class PluginStatus:
    """What ``/api/plugins`` says of one plugin in this process."""

    name: str
    source: str
    origin: str
    state: str = "active"  # active | disabled | failed | incompatible
    version: str | None = None
    description: str | None = None
    folio: str | None = None
    error: str | None = None
    hooks: list = field(default_factory=list)
    failures: int = 0
    last_failure: dict | None = None
    contributes: dict = field(default_factory=dict)  # {"field_types": [...], "themes": [...], ...}


class Plugins:
    """The app's plugins: the pluggy manager, each plugin's status, and hooks called one by one."""

    def __init__(self, app):
        self.strict = app.config["PLUGINS_STRICT"]
        self.manager = pluggy.PluginManager("folio")
        self.manager.add_hookspecs(hookspecs)
        self.manager.register(CoreFieldTypes(), name=CORE)
        self.status = {}
        self._lock = threading.Lock()
        enabled, disabled = set(app.config["PLUGINS"]), set(app.config["PLUGINS_DISABLED"])
        for candidate in discovery.find(app.config):
            if candidate.name in self.status:
                self._fail(PluginStatus(candidate.name, candidate.source, candidate.origin),
                           f"another plugin named {candidate.name!r} is already loaded "
                           f"(from {self.status[candidate.name].origin})", state="failed", record=False)
                continue
            status = PluginStatus(candidate.name, candidate.source, candidate.origin)
            self.status[candidate.name] = status
            if candidate.name in disabled or ("*" not in enabled and candidate.name not in enabled):
                status.state = "disabled"
                continue
            self._load(candidate, status)
        self.manager.check_pending()

    @property
    def hook(self):
        return self.manager.hook

    def register(self, plugin, name=None):
        """Add a plugin object at run time (tests; embedding apps prefer PLUGINS_OBJECTS)."""
        return self.manager.register(plugin, name=name)

    def unregister(self, plugin):
        return self.manager.unregister(plugin)

    def get_plugins(self):
        return self.manager.get_plugins()

    def implemented(self, hook_name):
        """Whether any plugin implements ``hook_name`` (callers skip building arguments otherwise)."""
        return bool(getattr(self.manager.hook, hook_name).get_hookimpls())

    def _load(self, candidate, status):
        try:
            plugin = candidate.load()
            meta = discovery.metadata_of(plugin, strict=candidate.source != "object")
            if meta is None:  # an object handed in by code (tests, an embedding app) may skip metadata
                meta = {"name": candidate.name, "version": "", "folio": "",
                        "description": (type(plugin).__doc__ or "").strip().split("\n")[0]}
        except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, not fatal
            return self._fail(status, _describe(exc))
        status.version, status.description, status.folio = meta["version"], meta["description"], meta["folio"]
        if meta["name"] != candidate.name and candidate.source != "object":
            return self._fail(status, f"FOLIO_PLUGIN names it {meta['name']!r}, but it was found as {candidate.name!r}")
        if not discovery.supports(meta):
            return self._fail(status, f"supports Folio {meta['folio']}, not this Folio", state="incompatible")
        try:
            self.manager.register(plugin, name=candidate.name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            return self._fail(status, _describe(exc))
        unknown = _unknown_hooks(self.manager, plugin)
        if unknown:  # left registered, check_pending() below would refuse to build the app
            self.manager.unregister(plugin)
            return self._fail(status, f"implements {', '.join(unknown)}, which this Folio does not define "
                                      "(misspelt, or a hook of another Folio version)")
        status.hooks = sorted(impl.name for impl in self.manager.get_hookcallers(plugin) or ())
        log.info("plugin %s %s loaded from %s", candidate.name, meta["version"], candidate.origin)

    def _fail(self, status, message, state="failed", record=True):
        status.state, status.error = state, message
        log.error("plugin %s (%s) is not loaded: %s", status.name, status.origin, message)
        if self.strict:
            raise RuntimeError(f"Plugin {status.name} ({status.origin}) is not loaded: {message} "
                               "(FOLIO_PLUGINS_STRICT is on).")
        if not record:
            self.status.setdefault(f"{status.name} ({status.origin})", status)

    def call(self, hook_name, before_each=None, firstresult=False, **kwargs):
        """Call each implementation of ``hook_name`` in pluggy's order, isolating failures.

        A Veto or another API error passes through (the change is refused). Any other exception
        is logged and counted on the plugin's status, then skipped (strict: PluginFailed).
        ``before_each(plugin_name)`` runs before each implementation (registries use it to
        credit contributions).
        """
        results = []
        for impl in reversed(getattr(self.manager.hook, hook_name).get_hookimpls()):
            if before_each is not None:
                before_each(impl.plugin_name)
            try:
                result = impl.function(*[kwargs[name] for name in impl.argnames])
            except ApiError as exc:
                exc.details.setdefault("plugin", impl.plugin_name)
                raise
            except Exception as exc:  # noqa: BLE001 - one plugin's bug must not take the request down
                self.hook_failed(impl.plugin_name, hook_name, exc)
                if self.strict:
                    raise PluginFailed(f"The plugin {impl.plugin_name} failed in {hook_name}: {exc}",
                                       {"plugin": impl.plugin_name, "hook": hook_name}) from exc
                continue
            if result is not None:
                if firstresult:
                    return result
                results.append(result)
        return None if firstresult else results

    def fill(self, hook_name, registry, kind):
        """Let every plugin add to ``registry`` through ``hook_name``; credit what each added.

        A plugin whose registration raises (a name registered twice, a bad definition) is reported
        like any failing hook; what it added before failing stays.
        """
        before = {"names": set(registry.names()), "plugin": None}

        def settle(next_plugin):
            names = set(registry.names())
            for name in sorted(names - before["names"]):
                self.credit(before["plugin"], kind, name)
            before.update(names=names, plugin=next_plugin)

        self.call(hook_name, before_each=settle, registry=registry)
        settle(None)
        return registry

    def hook_failed(self, plugin_name, hook_name, exc):
        log.error("plugin %s failed in %s", plugin_name, hook_name, exc_info=exc)
        status = self.status.get(plugin_name)
        if status is None:
            return
        with self._lock:
            status.failures += 1
            status.last_failure = {"hook": hook_name, "error": _describe(exc), "at": isoformat(utcnow())}

    def credit(self, plugin_name, kind, item):
        """Record that ``plugin_name`` contributed ``item`` (a field type, theme, panel …)."""
        status = self.status.get(plugin_name)
        if status is not None:
            status.contributes.setdefault(kind, []).append(item)


def _unknown_hooks(manager, plugin):
    """The names of the hooks ``plugin`` implements that have no spec (optional ones aside)."""
    return sorted(caller.name for caller in manager.get_hookcallers(plugin) or () if not caller.has_spec()
                  and any(impl.plugin is plugin and not impl.optionalhook for impl in caller.get_hookimpls()))


def _describe(exc):
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} ({exc.filename}, line {exc.lineno})"
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({last[0].filename}, line {last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def build_plugin_manager(app):
    return Plugins(app)


def plugins(app=None):
    """The app's Plugins."""
    return (app or current_app).extensions["folio.plugins"]


def call(hook_name, **kwargs):
    """Call a hook of the current app's plugins with failure isolation (see ``Plugins.call``)."""
    return plugins().call(hook_name, **kwargs)
