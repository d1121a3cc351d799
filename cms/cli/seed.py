"""`folio seed` (being written)."""

import click


@click.group("seed")
def group():
    """Placeholder."""
