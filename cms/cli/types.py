"""`folio types` (being written)."""

import click


@click.group("types")
def group():
    """Placeholder."""
