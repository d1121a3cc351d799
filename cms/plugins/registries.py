"""Registries plugins fill at startup that have no other home (field types, storage backends and
themes live with their areas)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class AdminPanel:
    name: str
    title: str
    endpoint: str
    permission: str | None = None  # a system action such as "settings.read"; None: any signed-in user


class AdminPanels:
    """Admin pages plugins add (``folio_register_admin_panels``), linked in the admin's navigation."""

    def __init__(self):
        self._panels = {}

    def add(self, name, title, endpoint, permission=None):
        if not name or name in self._panels:
            raise ValueError(f"admin panel {name!r} is added twice (or has no name)")
        if permission is not None:
            from cms.core.policy import SYSTEM_ACTIONS, SYSTEM_SUBJECTS

            subject, _, action = permission.partition(".")
            if subject not in SYSTEM_SUBJECTS or action not in SYSTEM_ACTIONS:
                raise ValueError(f"admin panel {name!r}: {permission!r} is not a system permission such as settings.read")
        self._panels[name] = AdminPanel(name, title, endpoint, permission)

    def names(self):
        return sorted(self._panels)

    def all(self):
        return [self._panels[name] for name in self.names()]
