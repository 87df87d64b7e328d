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
#: The shipped models, in the order the canvas's model chooser lists them.
SHIPPED = ("pixelrnn", "transformer", "diffusion", "vae", "gan")
MODEL_TITLES = {"gan": "GAN", "pixelrnn": "PixelRNN", "vae": "VAE", "transformer": "Transformer",
                "diffusion": "Diffusion"}


def pretrained_run(model: str) -> Path | None:
    """The shipped run of ``model``, or None if this install has none."""
    try:
        path = resource_path(f"{PRETRAINED}/{model}")
    except FileNotFoundError:
        return None
    return path if (path / "config.json").is_file() else None


def pretrained_runs(model: str) -> list[Path]:
    """Every shipped run of ``model`` this install has."""
    path = pretrained_run(model)
    return [path] if path is not None else []


def shipped_runs() -> list[Path]:
    """The shipped run folders this install has, in SHIPPED order."""
    return [path for path in map(pretrained_run, SHIPPED) if path is not None]


def is_pretrained(path: str | Path) -> bool:
    """Whether ``path`` is one of the shipped runs (read-only: never resumed into)."""
    path = Path(path).resolve()
    return path.parent.name == PRETRAINED and pretrained_run(path.name) is not None \
        and pretrained_run(path.name).resolve() == path


def startup_run(model: str | tuple[str, ...], last: str | Path | None = None,
                runs_dir: str | Path | None = None) -> Path | None:
    """The run a workspace opens on launch: the one it showed last (if it still opens), else
    the newest run of ``model`` in ``runs_dir``, else the shipped one; None if none exists."""
    from studio.errors import RunError
    from studio.train.trained import run_config

    models = (model,) if isinstance(model, str) else tuple(model)
    if last:
        try:
            run_config(last, models)
            return Path(last)
        except RunError:
            pass  # moved, deleted or damaged since: fall back
    if runs_dir is not None:
        newest = newest_run(runs_dir, models)
        if newest is not None:
            return newest
    return next((p for p in map(pretrained_run, models) if p is not None), None)


def newest_run(folder: str | Path, models: tuple[str, ...]) -> Path | None:
    """The newest run of one of ``models`` with a checkpoint under ``folder``, or None."""
    from studio.train.run import list_runs

    try:
        runs = list_runs(folder) if Path(folder).is_dir() else []
    except OSError:
        return None
    for run in runs:
        try:
            if run.config().get("model") in models and run.latest_checkpoint() is not None:
                return run.path
        except (OSError, ValueError, RuntimeError):
            continue  # a half-written or damaged run: skip it
    return None


def model_title(path: str | Path) -> str:
    """How a label names the model in use: the run folder's name, or "the shipped MODEL
    (built-in creatures)" for a pretrained one."""
    path = Path(path)
    return f"the shipped {MODEL_TITLES.get(path.name, path.name)} model (built-in creatures)" \
        if is_pretrained(path) else path.name
