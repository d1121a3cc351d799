"""`folio content` (being written)."""

import click


@click.group("content")
def group():
    """Placeholder."""
