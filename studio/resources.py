"""Find the studio's files (icons, stylesheet) wherever it runs from; no Qt here.

The same file lives in a different place depending on how the studio was installed:

- an installed wheel: ``studio/resources/`` inside the package (pyproject.toml copies the
  repository's ``resources/`` there),
- a frozen PyInstaller app: ``<sys._MEIPASS>/studio/resources/`` (packaging/studio.spec puts
  it at the same place relative to the package),
- a source checkout (``pip install -e .`` or running from the tree): ``<repo>/resources/``.

``resource_path(name)`` looks in that order and returns the first match, so code never
builds such paths itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent

#: The PNG sizes packaging/make_icons.py writes (resources/icons/studio-<size>.png).
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
STYLESHEET = "studio.qss"


def search_dirs() -> list[Path]:
    """The folders ``resource_path`` looks in, first match wins."""
    dirs = [_PACKAGE_DIR / "resources"]  # installed wheel (and PyInstaller, which mirrors it)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        dirs.append(Path(frozen_root) / "studio" / "resources")
    dirs.append(_PACKAGE_DIR.parent / "resources")  # source checkout
    return dirs


def resource_path(name: str) -> Path:
    """The file ``name`` (a path relative to resources/, e.g. ``"icons/studio.svg"``).

    Raises FileNotFoundError naming every folder looked in, which points straight at a
    packaging mistake (a wheel or frozen app built without its resources).
    """
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"resource names are relative to resources/, got {name!r}")
    dirs = search_dirs()
    for folder in dirs:
        candidate = folder / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"studio resource {name!r} not found; looked in: "
                            + ", ".join(str(d) for d in dirs))


def icon_path(size: int | None = None) -> Path:
    """The app icon: the SVG for ``None``, else the PNG of the smallest drawn size ≥ ``size``
    (the largest one for anything bigger), e.g. ``icon_path(48)`` → ``icons/studio-48.png``."""
    if size is None:
        return resource_path("icons/studio.svg")
    if size <= 0:
        raise ValueError(f"icon size must be positive, got {size}")
    fitting = [s for s in ICON_SIZES if s >= size]
    return resource_path(f"icons/studio-{min(fitting) if fitting else max(ICON_SIZES)}.png")


def stylesheet() -> str:
    """The default Qt stylesheet's text."""
    return resource_path(STYLESHEET).read_text(encoding="utf-8")
