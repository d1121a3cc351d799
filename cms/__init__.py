"""Folio, a headless CMS. Importing this package has no side effects."""

__version__ = "0.1.0"


def create_app(config=None):
    """Build a Folio application (see cms.app.create_app)."""
    from cms.app import create_app as _create_app

    return _create_app(config)
