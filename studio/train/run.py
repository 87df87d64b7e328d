"""A run is a folder that outlives the process (as in TensorBoard / Lightning):

    RUN/config.json        everything needed to rebuild the model and continue
    RUN/metrics.jsonl      one JSON object per logged step, append-only; any viewer can follow it
    RUN/samples/*.png      sample grids at intervals
    RUN/checkpoints/*.pt   step_XXXXXXX.pt (the last few kept), best.pt
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path

from studio.train.checkpoint import CheckpointError

_STEP_CHECKPOINT = re.compile(r"step_(\d+)\.pt$")
RUNS_DIR_ENV = "STUDIO_RUNS_DIR"


def default_runs_dir() -> Path:
    """Where the app puts new runs: $STUDIO_RUNS_DIR, else the user's data folder (…/pokemon-studio/runs)."""
    if os.environ.get(RUNS_DIR_ENV):
        return Path(os.environ[RUNS_DIR_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("pokemon-studio")) / "runs"


def new_run_path(model: str, root: str | Path | None = None) -> Path:
    """A fresh ``ROOT/MODEL-YYYYmmdd-HHMMSS`` folder name (suffixed -2, -3 … if taken)."""
    base = Path(root) if root is not None else default_runs_dir()
    stem = f"{model}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base / stem, 1
    while path.exists():
        n += 1
        path = base / f"{stem}-{n}"
    return path


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    # --- layout ----------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def best_checkpoint(self) -> Path:
        return self.checkpoints_dir / "best.pt"

    def exists(self) -> bool:
        return self.config_path.is_file()

    # --- writing -----------------------------------------------------------------------
    def create(self, config: dict) -> "RunDir":
        self.samples_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoints_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.config_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(config, indent=2) + "\n")
        tmp.replace(self.config_path)
        return self

    def append_metrics(self, record: dict) -> None:
        # One line per write, flushed at once, so a follower never reads half an object
        # for long and a crash loses at most the line being written.
        with self.metrics_path.open("a") as f:
            f.write(json.dumps(record, allow_nan=True) + "\n")

    def step_checkpoint(self, step: int) -> Path:
        return self.checkpoints_dir / f"step_{step:07d}.pt"

    def prune_checkpoints(self, keep: int) -> None:
        for old in self.step_checkpoints()[:-keep] if keep > 0 else []:
            old.unlink(missing_ok=True)

    # --- reading -----------------------------------------------------------------------
    def config(self) -> dict:
        try:
            return json.loads(self.config_path.read_text())
        except FileNotFoundError:
            raise FileNotFoundError(f"{self.path}: not a run folder (no config.json)") from None
        except json.JSONDecodeError as err:
            raise CheckpointError(f"{self.config_path}, line {err.lineno}: malformed JSON: {err.msg}") from None

    def metrics(self) -> list[dict]:
        return MetricsFollower(self.metrics_path).poll()

    def step_checkpoints(self) -> list[Path]:
        found = [p for p in self.checkpoints_dir.glob("step_*.pt") if _STEP_CHECKPOINT.search(p.name)]
        return sorted(found, key=lambda p: int(_STEP_CHECKPOINT.search(p.name).group(1)))

    def latest_checkpoint(self) -> Path | None:
        found = self.step_checkpoints()
        return found[-1] if found else None

    def checkpoint(self, which: str = "best") -> Path:
        """``best`` (falls back to the latest), ``last``, or a file name in checkpoints/."""
        if which == "best" and self.best_checkpoint.is_file():
            return self.best_checkpoint
        if which in ("best", "last"):
            latest = self.latest_checkpoint()
            if latest is None:
                raise FileNotFoundError(f"{self.path}: the run has no checkpoint yet")
            return latest
        return self.checkpoints_dir / which

    def sample_grids(self) -> list[Path]:
        return sorted(self.samples_dir.glob("step_*.png"))


class MetricsFollower:
    """Reads new records from a metrics.jsonl being written by another process.

    Remembers its byte offset; a trailing line without its newline is left for the next poll.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.offset = 0

    def poll(self) -> list[dict]:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        records = []
        for raw in chunk[:end].splitlines():
            if raw.strip():
                try:
                    records.append(json.loads(raw, parse_constant=_nan_constant))
                except json.JSONDecodeError:
                    continue  # a torn line from a crash: skip it, keep following
        return records


def _nan_constant(name: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]


def list_runs(folder: str | Path) -> list[RunDir]:
    """Run folders directly under ``folder`` (or ``folder`` itself), newest first."""
    folder = Path(folder)
    candidates = [folder] if (folder / "config.json").is_file() else sorted(folder.glob("*/"))
    runs = [RunDir(p) for p in candidates if (p / "config.json").is_file()]
    return sorted(runs, key=lambda r: r.config_path.stat().st_mtime, reverse=True)
