"""The runs list, Qt-free: every run in the studio's runs folder (and any added folder), with
what a browser shows, and the actions on it. The Runs view and `studio runs list` use it.

    runs = RunsList([default_runs_dir()])
    runs.changed.connect(refill)             # after refresh, rename, delete, undo
    for r in runs.refresh(): r.model, r.dataset, r.config_name, r.steps, r.best, r.date, r.thumbnail
    runs.rename(path, "my-gan"); runs.delete(path); runs.undo_delete()
    curves = compare_curves([a, b], "loss")  # {run name: (steps, values)}

A broken run (config.json unreadable, an unknown model) is listed with ``problem`` set, and
the others are listed as usual. Deleting moves the folder to a trash folder beside the runs
folder, so it can be undone.
"""

from __future__ import annotations

import math
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from psygnal import Signal

from studio.train.run import RunDir, default_runs_dir

__all__ = ["RunSummary", "RunsList", "compare_curves", "default_runs_dir", "run_folders", "run_model",
           "shared_metrics", "summarize"]
from studio.errors import RunError
from studio.train.trained import run_config

#: Held-out scores a run may log, lower is better; the first one it has is its "best score".
SCORE_KEYS = ("bits_per_pixel", "elbo_bits_per_pixel", "recon_bits_per_pixel", "mmd")
_NAME = re.compile(r"^[\w.@+-][\w .@+-]*$")


@dataclass
class RunSummary:
    path: Path
    model: str = "?"
    dataset: str = "?"
    config_name: str = "?"  # the named preset its model config matches, else "custom"
    steps: int = 0  # the last logged step
    total: int = 0  # the steps it was set to train
    best: tuple[str, float] | None = None  # (metric, lowest held-out value)
    date: datetime | None = None  # when it was created
    thumbnail: Path | None = None  # its newest sample grid
    problem: str | None = None  # why it cannot be opened; None for a healthy run

    @property
    def name(self) -> str:
        return self.path.name

    def best_text(self) -> str:
        return f"{self.best[1]:.3f} {self.best[0].replace('_', ' ')}" if self.best else "—"

    def as_row(self) -> dict:
        """The summary as one flat row (the CLI's table, JSON)."""
        return {"run": str(self.path), "model": self.model, "dataset": self.dataset,
                "config": self.config_name, "steps": self.steps, "total": self.total,
                "best": self.best_text(), "date": self.date.strftime("%Y-%m-%d %H:%M") if self.date else "—",
                "problem": self.problem or ""}


def summarize(path: str | Path) -> RunSummary:
    """What the browser shows of one run folder; never raises (a broken run gets ``problem``)."""
    run = RunDir(path)
    summary = RunSummary(run.path)
    try:
        summary.date = datetime.fromtimestamp(run.config_path.stat().st_mtime)
        saved = run_config(run.path)
    except (RunError, OSError) as err:
        summary.problem = str(err)
        return summary
    summary.model = saved["model"]
    data, train = saved.get("data", {}), saved.get("train", {})
    summary.dataset = data.get("name") or data.get("source", "?")
    summary.config_name = _config_name(saved)
    steps_per_epoch = max(1, data.get("train", 1) // max(1, train.get("batch_size", 1)))
    summary.total = min(train.get("epochs", 0) * steps_per_epoch, train.get("max_steps") or math.inf)
    records = run.metrics()
    summary.steps = max((r.get("step", 0) for r in records), default=0)
    summary.best = _best(records)
    grids = run.sample_grids()
    summary.thumbnail = grids[-1] if grids else None
    if run.latest_checkpoint() is None and not run.best_checkpoint.is_file():
        summary.problem = f"{run.path}: no checkpoint yet"
    return summary


def _config_name(saved: dict) -> str:
    from studio.models import model_module
    from studio.train.config import config_from_dict

    try:
        module = model_module(saved["model"])
        config = config_from_dict(module.Config, saved["model_config"])
    except (KeyError, TypeError, ValueError):
        return "?"
    return next((name for name, preset in module.CONFIGS.items() if preset == config), "custom")


def _best(records: list[dict]) -> tuple[str, float] | None:
    for key in SCORE_KEYS:
        values = [r[f"val/{key}"] for r in records
                  if isinstance(r.get(f"val/{key}"), (int, float)) and math.isfinite(r[f"val/{key}"])]
        if values:
            return key, float(min(values))
    return None


def run_model(path: str | Path) -> str:
    """The model of a run folder ("gan", "vae", ...), from its config.json alone (cheap);
    RunError naming the file when it is not a run."""
    return run_config(path)["model"]


def run_folders(folder: str | Path) -> list[Path]:
    """Folders directly under ``folder`` (or ``folder`` itself) that hold a config.json."""
    folder = Path(folder)
    if (folder / "config.json").is_file():
        return [folder]
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.is_dir() and (p / "config.json").is_file()]


def compare_curves(paths, key: str, x: str = "step") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{run name: (x, values)} of metric ``key`` in each run, to draw on one plot; ``x`` is a
    record field: "step", or "time" / "cpu" (seconds of wall / CPU time since the run began)."""
    curves = {}
    for path in paths:
        records = [r for r in RunDir(path).metrics()
                   if isinstance(r.get(key), (int, float)) and isinstance(r.get(x, 0), (int, float))]
        curves[Path(path).name] = (np.array([r.get(x, 0) for r in records], float),
                                   np.array([r[key] for r in records], float))
    return curves


def shared_metrics(paths) -> list[str]:
    """The metric keys every one of ``paths`` logged, in the first run's order."""
    from studio.train.run import RECORD_FIELDS

    keys = None
    for path in paths:
        logged = []
        for record in RunDir(path).metrics():
            logged += [k for k in record if k not in RECORD_FIELDS and k not in logged]
        keys = logged if keys is None else [k for k in keys if k in logged]
    return keys or []


class RunsList:
    #: the list changed (refresh, rename, delete, undo)
    changed = Signal()

    def __init__(self, folders=None, trash: str | Path | None = None):
        self.folders = [Path(f) for f in (folders or [default_runs_dir()])]
        self.trash = Path(trash) if trash else self.folders[0].parent / "trash"
        self.runs: list[RunSummary] = []
        self._deleted: list[tuple[Path, Path]] = []  # (trashed path, where it was), newest last

    def add_folder(self, folder: str | Path) -> None:
        folder = Path(folder)
        if folder not in self.folders:
            self.folders.append(folder)
        self.refresh()

    def refresh(self) -> list[RunSummary]:
        """Re-read every folder: the runs, newest first."""
        seen = {p.resolve(): p for folder in self.folders for p in run_folders(folder)}
        self.runs = sorted((summarize(p) for p in seen.values()),
                           key=lambda r: r.date or datetime.min, reverse=True)
        self.changed.emit()
        return self.runs

    def rename(self, path: str | Path, new_name: str) -> Path:
        """Rename the run folder (in place); ValueError if the name is unusable or taken."""
        path, new_name = Path(path), new_name.strip()
        if not _NAME.match(new_name) or new_name in (".", ".."):
            raise ValueError(f"{new_name!r}: use letters, digits, spaces and . _ - + @ for a run name")
        target = path.with_name(new_name)
        if target.exists():
            raise ValueError(f"{target}: already exists; choose another name")
        path.rename(target)
        self.refresh()
        return target

    def delete(self, path: str | Path) -> Path:
        """Move the run to the trash folder; :meth:`undo_delete` brings it back."""
        path = Path(path)
        self.trash.mkdir(parents=True, exist_ok=True)
        target = self.trash / f"{path.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        n = 1
        while target.exists():
            n += 1
            target = self.trash / f"{path.name}-{time.strftime('%Y%m%d-%H%M%S')}-{n}"
        shutil.move(str(path), str(target))
        self._deleted.append((target, path))
        self.refresh()
        return target

    @property
    def can_undo(self) -> bool:
        return bool(self._deleted)

    def undo_delete(self) -> Path | None:
        """Bring the last deleted run back where it was; None if there is nothing to undo."""
        if not self._deleted:
            return None
        trashed, original = self._deleted.pop()
        if original.exists():
            raise ValueError(f"{original}: a folder of that name exists again; the run stays in {trashed}")
        shutil.move(str(trashed), str(original))
        self.refresh()
        return original
