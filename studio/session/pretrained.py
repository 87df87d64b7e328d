"""The small models the studio ships (resources/pretrained/MODEL/), so that every workspace
has a model on first launch. Each is a run folder like any other (config.json, metrics.jsonl,
the last sample grid, checkpoints/best.pt holding weights only), made by
packaging/make_pretrained.py and opened with the same ``TrainedRun.open``; the studio never
writes to it (no resume into the installed package).
"""

from __future__ import annotations

from pathlib import Path

from studio.resources import resource_path

PRETRAINED = "pretrained"


def pretrained_run(model: str) -> Path | None:
    """The shipped run of ``model``, or None if this install has none."""
    try:
        path = resource_path(f"{PRETRAINED}/{model}")
    except FileNotFoundError:
        return None
    return path if (path / "config.json").is_file() else None


def is_pretrained(path: str | Path) -> bool:
    """Whether ``path`` is one of the shipped runs (read-only: never resumed into)."""
    path = Path(path).resolve()
    return path.parent.name == PRETRAINED and pretrained_run(path.name) is not None \
        and pretrained_run(path.name).resolve() == path
