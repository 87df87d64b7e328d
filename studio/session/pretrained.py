"""The models the studio ships, and the one decision of which model a view shows for a dataset.

Shipped models are grouped by the data they were trained on, one run folder per family:

    resources/pretrained/builtin/MODEL/    trained on the built-in creatures (39 colours)
    resources/pretrained/pokemon/MODEL/    trained on the course's Pokémon (167 colours)

Each is a run folder like any other (config.json with the palette it was trained with,
metrics.jsonl, the last sample grid, checkpoints/best.pt holding weights only), made by
packaging/make_pretrained.py and opened with the same ``TrainedRun.open``; the studio never
writes to it (no resume into the installed package).

A model can draw a dataset only in the palette it learned (the same colours in the same order)
and at its size. :func:`choose_model` decides, for every view and command alike, which run to
show for an open dataset:

    choice = choose_model("vae", dataset, last=remembered, runs_dir=runs)
    choice.path, choice.kind, choice.reason     # kind: "last", "yours", "shipped" or "none"

the run the view showed last, if it fits; else the user's newest run that fits; else the
shipped model that fits; else none (the view says so and offers quick models).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.models import MODEL_NAMES
from studio.resources import resource_path

PRETRAINED = "pretrained"
#: The data each shipped set was trained on, as a label names it; a set not listed is named by
#: its folder.
SET_TITLES = {"builtin": "built-in creatures", "pokemon": "Pokémon"}
BUILTIN_SET = "builtin"
#: The raster models first (they complete pixel by pixel, the canvas's first use), then the
#: codes-based ones; a family added later follows in MODEL_NAMES order.
_PREFERRED_ORDER = ("pixelrnn", "transformer", "diffusion", "vae", "gan")
#: Every family, in the order the canvas's model chooser lists them.
SHIPPED = tuple([m for m in _PREFERRED_ORDER if m in MODEL_NAMES]
                + [m for m in MODEL_NAMES if m not in _PREFERRED_ORDER])
MODEL_TITLES = {"gan": "GAN", "pixelrnn": "PixelRNN", "vae": "VAE", "transformer": "Transformer",
                "diffusion": "Diffusion"}


def family_title(model: str) -> str:
    """How the studio names a family: "PixelRNN", "VAE", ..."""
    return MODEL_TITLES.get(model, model.capitalize())


# --- the shipped sets ---------------------------------------------------------------------------
def _root() -> Path | None:
    try:
        return resource_path(PRETRAINED)
    except FileNotFoundError:
        return None


def shipped_sets() -> list[str]:
    """The shipped sets this install has (folders of resources/pretrained/ holding a model),
    the built-in creatures' first."""
    root = _root()
    if root is None:
        return []
    names = sorted(p.name for p in root.iterdir()
                   if p.is_dir() and any((p / m / "config.json").is_file() for m in SHIPPED))
    return sorted(names, key=lambda name: name != BUILTIN_SET)


def pretrained_run(model: str, data: str = BUILTIN_SET) -> Path | None:
    """The shipped run of ``model`` trained on the set ``data``, or None if this install has none."""
    root = _root()
    path = root / data / model if root is not None else None
    return path if path is not None and (path / "config.json").is_file() else None


def pretrained_runs(model: str) -> list[Path]:
    """Every shipped run of ``model`` this install has, set by set."""
    return [p for p in (pretrained_run(model, data) for data in shipped_sets()) if p is not None]


def shipped_runs(data: str | None = None) -> list[Path]:
    """The shipped run folders of the set ``data`` (None: of every set, set by set), in SHIPPED order."""
    sets = [data] if data is not None else shipped_sets()
    return [p for s in sets for p in (pretrained_run(m, s) for m in SHIPPED) if p is not None]


def shipped_set(path: str | Path) -> str | None:
    """The set a shipped run belongs to ("builtin", "pokemon"), None for any other folder."""
    path = Path(path)
    shipped = pretrained_run(path.name, path.parent.name)
    return path.parent.name if shipped is not None and shipped.resolve() == path.resolve() else None


def is_pretrained(path: str | Path) -> bool:
    """Whether ``path`` is one of the shipped runs (read-only: never resumed into)."""
    return shipped_set(path) is not None


def set_title(data: str) -> str:
    return SET_TITLES.get(data, data)


def model_title(path: str | Path) -> str:
    """How a label names the model in use: the run folder's name, or "the shipped MODEL model
    (built-in creatures)" for a shipped one."""
    path = Path(path)
    data = shipped_set(path)
    return f"the shipped {family_title(path.name)} model ({set_title(data)})" if data else path.name


# --- which model a view shows --------------------------------------------------------------------
def fits(saved: dict, dataset) -> bool:
    """Whether a run's config.json says its model draws ``dataset``: the same palette (colours
    and order) and the same sprite size."""
    return draws(saved, dataset.palette.colors, (dataset.height, dataset.width))


def draws(saved: dict, colours, shape: tuple[int, int]) -> bool:
    """Whether a run's config.json says its model draws sprites of palette ``colours`` [K, 3]
    (the same colours in the same order) and ``shape`` (H, W)."""
    data = saved.get("data", {}) if isinstance(saved, dict) else {}
    return data.get("palette") == [list(map(int, c)) for c in colours] and list(data.get("size", ())) == list(shape)


def shipped_for(colours, shape: tuple[int, int]) -> list[Path]:
    """The shipped runs that draw sprites of this palette and shape, in SHIPPED order."""
    from studio.errors import RunError
    from studio.train.trained import run_config

    found = []
    for path in shipped_runs():
        try:
            if draws(run_config(path), colours, shape):
                found.append(path)
        except RunError:
            continue
    return found


def describe_dataset(dataset) -> str:
    """``dataset`` as a line names it when no model fits: "name (167 colours, 20×20)"."""
    return f"{dataset.name} ({dataset.num_colors} colours, {dataset.height}×{dataset.width})"


@dataclass(frozen=True)
class ModelChoice:
    """Which run a view shows (or a command uses) for a dataset, and why, in words."""

    path: Path | None  # the run folder; None when no model fits
    kind: str  # "last" (the run shown last), "yours" (your newest run), "shipped" or "none"
    reason: str  # one line: "the shipped VAE model (Pokémon): …", "no VAE model fits …"

    def __bool__(self) -> bool:
        return self.path is not None


def choose_model(models: str | tuple[str, ...], dataset=None, last: str | Path | None = None,
                 runs_dir: str | Path | None = None) -> ModelChoice:
    """The run of one of ``models`` to show for ``dataset`` (None: any palette, as on launch
    before a dataset is open): ``last`` (the run the view showed last) when it fits; else the
    newest run in ``runs_dir`` (default: the runs folder) that fits and has a checkpoint; else
    a shipped one that fits; else none."""
    from studio.train.run import default_runs_dir

    models = (models,) if isinstance(models, str) else tuple(models)
    names = " or ".join(family_title(m) for m in models)

    if last and _usable(Path(last), models, dataset) is not None:
        return ModelChoice(Path(last), "last", f"the {names} run shown last: {last}")
    newest = _newest_fitting(models, dataset, Path(runs_dir) if runs_dir is not None else default_runs_dir())
    if newest is not None:
        return ModelChoice(newest[0], "yours", f"your newest {family_title(newest[1])} run for this data: {newest[0]}")
    for model in models:
        for path in pretrained_runs(model):
            if _usable(path, (model,), dataset) is not None:
                return ModelChoice(path, "shipped", f"{model_title(path)}: {path}")
    where = describe_dataset(dataset) if dataset is not None else "any dataset"
    return ModelChoice(None, "none", f"no {names} model fits {where}")


def run_fits(path: str | Path | None, dataset) -> bool:
    """Whether the run at ``path`` draws ``dataset`` (its palette and size; any dataset when
    None) and has a checkpoint to show."""
    from studio.models import MODEL_NAMES

    return path is not None and _usable(Path(path), tuple(MODEL_NAMES), dataset) is not None


def follow_dataset(model: str | tuple[str, ...], dataset, current: str | Path | None = None,
                   last: str | Path | None = None, runs_dir: str | Path | None = None) -> ModelChoice:
    """The run a view shows once ``dataset`` is open: ``current`` (the run it shows) while it
    fits, else :func:`choose_model`'s — so opening the course's Pokémon switches every view
    from the built-in creatures' models to the Pokémon ones, and back."""
    models = (model,) if isinstance(model, str) else tuple(model)
    if current and _usable(Path(current), models, dataset) is not None:
        return ModelChoice(Path(current), "last", f"the run shown: {current}")
    return choose_model(models, dataset, last, runs_dir)


def startup_run(model: str | tuple[str, ...], last: str | Path | None = None,
                runs_dir: str | Path | None = None, dataset=None) -> Path | None:
    """The run a view opens: :func:`choose_model`'s, None if none fits."""
    return choose_model(model, dataset, last, runs_dir).path


def _usable(path: Path, models: tuple[str, ...], dataset) -> dict | None:
    """The run's config.json if it is a run of ``models`` that fits ``dataset`` (None: any) and
    has a checkpoint to open; None otherwise (another model's, damaged, half-written)."""
    from studio.errors import RunError
    from studio.train.run import RunDir
    from studio.train.trained import run_config

    try:
        saved = run_config(path, models)
        run = RunDir(path)
        has_checkpoint = run.best_checkpoint.is_file() or run.latest_checkpoint() is not None
    except (RunError, OSError, ValueError):
        return None
    return saved if has_checkpoint and (dataset is None or fits(saved, dataset)) else None


def _newest_fitting(models: tuple[str, ...], dataset, folder: Path) -> tuple[Path, str] | None:
    """(the newest run under ``folder`` that :func:`_usable` takes, its model), or None."""
    from studio.train.run import list_runs

    try:
        runs = list_runs(folder) if folder.is_dir() else []
    except OSError:
        return None
    for run in runs:
        saved = _usable(run.path, models, dataset)
        if saved is not None:
            return run.path, saved["model"]
    return None


def newest_run(folder: str | Path, models: tuple[str, ...], dataset=None) -> Path | None:
    """The newest run of one of ``models`` with a checkpoint under ``folder`` (that fits
    ``dataset``, when given), or None."""
    newest = _newest_fitting(tuple(models), dataset, Path(folder))
    return newest[0] if newest is not None else None
