"""The runs list, Qt-free: every run in the studio's runs folder (and any added folder), with
what a browser shows, and the actions on it. The Runs view and `studio runs list` use it.

    runs = RunsList([default_runs_dir()])
    runs.changed.connect(refill)             # after refresh, rename, delete, undo
    for r in runs.refresh(): r.model, r.dataset, r.config_name, r.steps, r.best, r.date, r.thumbnail
    runs.rename(path, "my-gan"); runs.delete(path); runs.undo_delete()   # RunActionError if refused
    curves = compare_curves([a, b], "loss")  # {run name: (steps, values)}

A run another process is training now (`studio train` holds its writer lock) is listed with
``writer`` set ("PID 1234") and is healthy even before its first checkpoint: it is opened to be
followed live. A broken run (config.json unreadable, an unknown model) is listed with ``problem`` set, and
the others are listed as usual; a damaged line in a run's metrics.jsonl is skipped (and named).
Deleting renames the folder into ``.trash`` inside its runs folder, so it can be undone, by
this list or by `studio runs undo` later.
"""

from __future__ import annotations

import errno
import math
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from psygnal import Signal

from studio.errors import RunActionError, RunError
from studio.session.display import printable
from studio.train.run import MAX_RUN_NAME, RunDir, check_run_name, default_runs_dir, writer_of
from studio.train.trained import run_config

__all__ = ["MAX_RUN_NAME", "RunSummary", "RunsList", "compare_curves", "default_runs_dir", "existing_folders", "run_folders", "run_writer",
           "run_model", "shared_metrics", "summarize"]

#: Held-out scores a run may log, lower is better; the first one it has is its "best score".
SCORE_KEYS = ("bits_per_pixel", "elbo_bits_per_pixel", "recon_bits_per_pixel", "mmd")


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
    writer: str | None = None  # "PID 1234" of the process training it now; None when nobody is

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def live(self) -> bool:
        """Another process is training this run now: open it to follow it live."""
        return self.writer is not None

    def state_text(self) -> str:
        """What the run is doing, in a browser's words: "training (live)", "finished", "stopped"."""
        if self.live:
            return "training (live)"
        if self.problem:
            return "broken"
        return "finished" if self.total and self.steps >= self.total else "stopped"

    def best_text(self) -> str:
        return f"{self.best[1]:.3f} {self.best[0].replace('_', ' ')}" if self.best else "—"

    def as_row(self) -> dict:
        """The summary as one flat row (the CLI's table, JSON)."""
        return {"run": str(self.path), "model": self.model, "dataset": self.dataset,
                "config": self.config_name, "steps": self.steps, "total": self.total,
                "best": self.best_text(), "date": self.date.strftime("%Y-%m-%d %H:%M") if self.date else "—",
                "state": self.state_text(), "problem": self.problem or ""}


def summarize(path: str | Path) -> RunSummary:
    """What the browser shows of one run folder; never raises (a broken run gets ``problem``)."""
    run = RunDir(path)
    summary = RunSummary(run.path, writer=writer_of(run.path))
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
    if run.latest_checkpoint() is None and not run.best_checkpoint.is_file() and not summary.live:
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


def run_writer(path: str | Path) -> str | None:
    """"PID 1234" of the process training the run at ``path`` now (a `studio train`, another
    window), or None; reads only."""
    return writer_of(path)


def run_folders(folder: str | Path) -> list[Path]:
    """Folders directly under ``folder`` (or ``folder`` itself) that hold a config.json."""
    folder = Path(folder)
    if (folder / "config.json").is_file():
        return [folder]
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.is_dir() and (p / "config.json").is_file()]


def existing_folders(folders) -> tuple[list[Path], list[Path]]:
    """(the folders that are still there, the ones that are gone), each once, in their order:
    the runs folders a browser remembered from last time, sorted into those it lists again and
    those it forgets (and says so)."""
    kept, gone = [], []
    for folder in dict.fromkeys(Path(f) for f in folders if str(f)):
        (kept if folder.is_dir() else gone).append(folder)
    return kept, gone


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


#: The trash of a runs folder: a folder inside it, so a deleted run is renamed, never copied.
TRASH = ".trash"


class RunsList:
    """The runs in ``folders`` and the actions on them. Rename, delete and undo act only on a
    run folder directly inside one of ``folders`` (paths resolved, links included), never on
    a runs folder itself or anything above one, and never copy or remove a file: a deleted run
    is renamed into the runs folder's ``.trash`` (on the same file system), and undo renames
    it back. Every refusal is a :class:`~studio.errors.RunActionError` (a ValueError) naming
    the folder; nothing has moved then."""

    #: the list changed (refresh, rename, delete, undo)
    changed = Signal()

    def __init__(self, folders=None):
        self.folders = [Path(f) for f in (folders or [default_runs_dir()])]
        self.runs: list[RunSummary] = []

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

    # --- which folders the actions may touch ------------------------------------------------------
    def run_folder(self, path: str | Path) -> tuple[Path, Path]:
        """(the runs folder as given, the run's resolved path) for a run folder directly inside
        one of the runs folders; otherwise a RunActionError saying what ``path`` is."""
        given = Path(path)
        try:
            resolved = given.resolve(strict=True)
        except (OSError, RuntimeError):
            raise RunActionError("no such run folder", given) from None
        roots = [(folder, folder.resolve()) for folder in self.folders if folder.is_dir()]
        for folder, root in roots:
            if resolved == root or resolved in root.parents:
                raise RunActionError(f"is {'the' if resolved == root else 'above the'} runs folder "
                                     f"{folder}, not a run in it", given, hint="name a run inside it")
        folder = next((folder for folder, root in roots if resolved.parent == root), None)
        if folder is None:
            link = f" (a link to {resolved})" if resolved != given.absolute() else ""
            raise RunActionError(f"is not a run in {' or '.join(str(f) for f in self.folders)}{link}", given,
                                 hint="only runs inside a runs folder the list reads are renamed or deleted")
        if not resolved.is_dir() or not (resolved / "config.json").is_file():
            raise RunActionError("is not a run folder (no config.json)", given)
        holder = writer_of(resolved)
        if holder:
            raise RunActionError(f"another process ({holder}) is writing this run", given,
                                 hint="stop its training first")
        return folder, resolved

    # --- actions ------------------------------------------------------------------------------------
    def rename(self, path: str | Path, new_name: str) -> Path:
        """Rename the run folder in place; RunActionError if the name is unusable or taken."""
        folder, source = self.run_folder(path)
        name = check_run_name(new_name)
        target = source.with_name(name)
        if target.exists() or target.is_symlink():
            raise RunActionError(f"{printable(name)!r} already exists in {folder}", target,
                                 hint="choose another name")
        _rename(source, target, "rename it")
        self.refresh()
        return folder / name

    def delete(self, path: str | Path) -> Path:
        """Move the run into its runs folder's trash; :meth:`undo_delete` brings it back.
        Returns where it is now."""
        folder, source = self.run_folder(path)
        bin_ = source.parent / TRASH
        stamp = time.strftime("%Y%m%d-%H%M%S") + f".{time.time_ns() // 1000 % 1_000_000:06d}"
        entry, n = bin_ / stamp, 1
        while entry.exists():
            n += 1
            entry = bin_ / f"{stamp}-{n}"
        try:
            entry.mkdir(parents=True)
        except OSError as err:
            raise RunActionError(f"cannot make the trash folder ({err.strerror or err})", entry) from None
        try:
            _rename(source, entry / source.name, "move it to the trash")
        except RunActionError:
            try:
                entry.rmdir()
            except OSError:
                pass
            raise
        self.refresh()
        return folder / TRASH / entry.name / source.name

    def trashed(self) -> list[tuple[Path, Path]]:
        """(where a deleted run is, where it was), newest first, over every runs folder's trash."""
        found = []
        for folder in self.folders:
            try:
                entries = [e for e in (folder / TRASH).iterdir() if e.is_dir() and not e.is_symlink()]
            except OSError:
                continue
            for entry in entries:
                runs = [r for r in entry.iterdir() if r.is_dir() and not r.is_symlink()]
                if len(runs) == 1:
                    found.append((entry.name, runs[0], folder / runs[0].name))
        return [(run, original) for _, run, original in sorted(found, key=lambda f: f[0], reverse=True)]

    @property
    def can_undo(self) -> bool:
        return bool(self.trashed())

    def undo_delete(self) -> Path | None:
        """Bring the last deleted run back where it was; None if there is nothing to undo."""
        trashed = self.trashed()
        if not trashed:
            return None
        run, original = trashed[0]
        if original.exists() or original.is_symlink():
            raise RunActionError("a folder of that name exists again", original,
                                 hint=f"rename or move it; the run stays in {run}")
        _rename(run, original, "bring it back")
        try:
            run.parent.rmdir()
        except OSError:
            pass
        self.refresh()
        return original


def _rename(source: Path, target: Path, what: str) -> None:
    """``os.rename``, only: on another file system it fails rather than copy and delete."""
    try:
        os.rename(source, target)
    except OSError as err:
        why = "the trash is on another file system" if err.errno == errno.EXDEV else (err.strerror or str(err))
        raise RunActionError(f"cannot {what} ({why}); nothing was moved", source) from None
