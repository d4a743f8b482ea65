"""Where the app's files are: inside the installed wheel, or at the top of a checkout.

The wheel carries templates/, static/, migrations/, exports/ and the front-end libraries of
package.json under walkapp/ (the force-include of pyproject.toml); a checkout has them beside the
package, and the libraries in node_modules/.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """templates/, static/, migrations/, exports/: inside the wheel, or at the repository top."""
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / name


def npm_dist(vendor: str, package_path: str) -> Path:
    """A front-end library of package.json: walkapp/vendor/<vendor> inside the wheel (see the
    force-include of pyproject.toml), node_modules/<package_path> in a checkout."""
    packaged = PACKAGE_DIR / "vendor" / vendor
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "node_modules" / package_path
