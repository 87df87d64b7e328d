"""What the benchmark scripts share: one argument set and one way to train a table's row.

Run a script from the checkout's root as a module, e.g. ``python -m benchmarks.gan_ablation``:
the checkout's ``studio`` is then the one imported, installed or not.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from studio.train.config import resolve_config
from studio.train.engine import Trainer, TrainSettings
from studio.train.settings import default_settings

ROOT = Path(__file__).resolve().parents[1]


def add_arguments(parser: argparse.ArgumentParser, *, data: str | None | bool = "builtin",
                  cpu_minutes: float | None = None, json_file: bool = True, device: bool = True) -> None:
    """The options every benchmark spells the same way: ``--data`` (a course folder, image
    folder or 'builtin'), ``--cpu-minutes`` (a training budget of each row, in CPU-minutes of
    this process), ``--json FILE`` (also write the rows there) and ``--device``. A script asks
    for the ones it uses; ``data=None`` defaults to the course data, ``data=False`` leaves it out."""
    if data is not False:
        parser.add_argument("--data", default=data,
                            help=f"dataset: a course folder, image folder or 'builtin' (default: "
                                 f"{data or 'the course data'})")
    if cpu_minutes is not None:
        parser.add_argument("--cpu-minutes", type=float, default=cpu_minutes,
                            help=f"training budget of each row in CPU-minutes (default {cpu_minutes:g})")
    if json_file:
        parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE")
    if device:
        parser.add_argument("--device", help="cuda, mps or cpu (default: the best available)")


def write_json(path: str | Path | None, rows) -> None:
    """``--json FILE``: the rows as they were printed, indented, for a later table or a diff."""
    if path:
        Path(path).write_text(json.dumps(rows, indent=2, default=str) + "\n")


def one_thread() -> None:
    """A budget is one core's CPU-seconds: more threads only wait for each other on a shared machine."""
    torch.set_num_threads(1)


def train_row(model: str, config, sprites, out: str | Path, *, preset: str | None = None,
              cpu_minutes: float | None = None, steps: int | None = None, device: str | None = None,
              **settings) -> Path:
    """Train one row of a benchmark table into run folder ``out`` and return it.

    ``config`` is a preset's name or a model Config. The settings start from a preset's own
    (``preset``: as ``studio train --config PRESET`` trains it) or, without one, from a table's
    fixed recipe: batch 64, no epoch cap, no sample grids (drawing would spend the budget
    differently per row), a checkpoint only at the end, evaluation every 10th epoch.
    ``cpu_minutes`` or ``steps`` ends the run; ``settings`` overrides any field of TrainSettings."""
    if isinstance(config, str):
        config = resolve_config(model, config)
    fields = {} if preset is not None else dict(epochs=10 ** 6, batch_size=64, sample_every=0, log_every=50,
                                                checkpoint_every=0, eval_every=10)
    fields.update(settings)
    if cpu_minutes is not None:
        fields["cpu_budget"] = cpu_minutes * 60
    if steps is not None:
        fields["max_steps"] = steps
    if device is not None:
        fields["device"] = device
    if preset is not None:
        run_settings = default_settings(model, preset, **fields)
    else:
        run_settings = TrainSettings(**fields)
    Trainer(model, config, sprites, run_settings, Path(out)).run_training()
    return Path(out)
