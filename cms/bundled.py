"""Where the bundled themes and plugins are: beside ``cms/`` in a checkout, or where a wheel put them.

A checkout (``pip install -e .``, ``make run``) keeps ``themes/`` and ``plugins/`` next to the
package; a wheel installs them as data files under ``<prefix>/share/folio/`` (see setup.cfg).
"""

import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def bundled_folder(name, checkout=CHECKOUT, prefix=sys.prefix):
    """Return the folder of the bundled ``name`` ("themes" or "plugins")."""
    if (checkout / "setup.cfg").is_file() and (checkout / name).is_dir():
        return checkout / name
    return Path(prefix) / "share" / "folio" / name
