"""A trained run, opened: the one way the CLI, the GUI, the explorers and the benchmarks
load a run folder (or a shipped pretrained model, which has the same layout).

    run = TrainedRun.open("runs/vae-20261201-101500")      # best.pt, else the latest
    run.model, run.task, run.palette, run.config            # 'vae', its Task, Palette, config.json
    sprites = run.dataset()                                  # the data it was trained on, reopened
    train_idx, held_idx = run.split(sprites)                 # the same held-out split as training

Whatever cannot be opened raises :class:`RunError`, one line that names the file and what is
wrong with it (no config.json, an unknown model, a checkpoint that does not fit ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.errors import RunError, StudioError
from studio.data.palette import Palette
from studio.models import MODEL_NAMES, model_module
from studio.train.checkpoint import load_checkpoint
from studio.train.config import config_from_dict
from studio.train.run import RunDir



@dataclass
class TrainedRun:
    path: Path
    model: str
    task: object  # the model module's Task (studio.train.task.Task), modules in eval mode
    palette: Palette
    config: dict  # config.json: model, model_config, train, data, ...
    checkpoint: Path
    _sprites: object = field(default=None, repr=False)

    @classmethod
    def open(cls, path: str | Path, which: str = "best", device: str | None = "cpu",
             model: str | tuple[str, ...] | None = None) -> "TrainedRun":
        """Load ``which`` checkpoint (best, last or a file name) of the run at ``path``.

        ``model``: the model name(s) the caller can use; another model is a RunError saying so.
        """
        run = RunDir(path)
        saved = run_config(run.path, model)
        name = saved["model"]
        try:
            module = model_module(name)
            config = config_from_dict(module.Config, saved["model_config"], source=str(run.config_path))
            palette = Palette(np.array(saved["data"]["palette"], dtype=np.uint8))
            size = tuple(saved["data"]["size"])
        except (KeyError, TypeError, ValueError) as err:
            raise RunError(f"{run.config_path}: incomplete or damaged ({err}); "
                           f"retrain, or restore the file") from None
        checkpoint = run.checkpoint(which)  # a StudioError naming what exists when there is none
        state = load_checkpoint(checkpoint, map_location="cpu")  # CheckpointError names the file
        from studio.train.devices import pick_device

        try:
            task = module.Task(config, palette.colors, size, pick_device(device))
        except (ValueError, TypeError) as err:
            raise RunError(f"{run.config_path}: the {name} config cannot build a model: "
                           f"{str(err).splitlines()[0]}") from None
        if state.get("model") != name:
            raise RunError(f"{checkpoint}: a {state.get('model')} checkpoint in a {name} run")
        try:
            for key, net in task.modules().items():
                net.load_state_dict(state["modules"][key])
                net.eval()
        except (KeyError, RuntimeError, TypeError, AttributeError, ValueError) as err:
            detail = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
            raise RunError(f"{checkpoint}: does not fit the run's {name} model: {detail}") from None
        return cls(run.path, name, task, palette, saved, checkpoint)

    # --- what the run was trained on ----------------------------------------------------------
    @property
    def run(self) -> RunDir:
        return RunDir(self.path)

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.config["data"]["size"])

    @property
    def data_source(self) -> str:
        return self.config["data"]["source"]

    def dataset(self):
        """The run's SpriteSet, reopened from its source once (DatasetError if it moved)."""
        if self._sprites is None:
            from studio.data import open_dataset

            self._sprites = open_dataset(self.data_source, **self.config["data"].get("options", {}))
        return self._sprites

    def split(self, sprites=None) -> tuple[np.ndarray, np.ndarray]:
        """(train, held-out) sprite indices: the split the engine trained with."""
        sprites = sprites if sprites is not None else self.dataset()
        return sprites.split(self.config.get("train", {}).get("held_out", 0.1))

    def fits(self, sprites) -> bool:
        """Whether ``sprites`` has this run's palette and size (so the model can draw on it)."""
        return sprites.palette == self.palette and (sprites.height, sprites.width) == self.size

    def best_score(self) -> tuple[str, float] | None:
        """(metric, lowest held-out value) of the metric best.pt is kept for, if it logged one."""
        key = getattr(self.task, "selection_metric", None)
        return best_held_out(self.run, key) if key else None

    def describe(self, title: str | None = None) -> str:
        """One line for a "model in use" label: title (the folder's name) · checkpoint · best score."""
        score = self.best_score()
        parts = [title or self.path.name, self.checkpoint.name]
        if score:
            parts.append(f"held-out {score[1]:.2f} {score[0].replace('_', ' ')}")
        return " · ".join(parts)


def run_config(path: str | Path, model: str | tuple[str, ...] | None = None) -> dict:
    """A run folder's config.json, checked: the folder is a run of a model this studio knows
    (of ``model``, when given). Cheap: no weights are read. RunError otherwise."""
    run = RunDir(path)
    if not run.path.is_dir():
        raise RunError(f"{run.path}: no such folder")
    if not run.config_path.is_file():
        raise RunError(f"{run.path}: not a run folder (no config.json); choose a run folder")
    try:
        saved = run.config()  # checked field by field: a ConfigError naming the file and line
    except StudioError as err:
        raise RunError(str(err)) from None
    name = saved.get("model") if isinstance(saved, dict) else None
    if name not in MODEL_NAMES:
        raise RunError(f"{run.config_path}: model {name!r} is not one this studio knows "
                       f"({', '.join(MODEL_NAMES)})")
    wanted = (model,) if isinstance(model, str) else model
    if wanted and name not in wanted:
        raise RunError(f"{run.path}: a {name} run; open a {' or '.join(wanted)} run here")
    return saved


def best_held_out(run: RunDir, key: str) -> tuple[str, float] | None:
    """(key, the lowest finite "val/<key>" the run logged), or None."""
    values = [r[f"val/{key}"] for r in run.metrics()
              if isinstance(r.get(f"val/{key}"), (int, float)) and math.isfinite(r[f"val/{key}"])]
    return (key, min(values)) if values else None
