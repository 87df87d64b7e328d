#!/usr/bin/env python
"""The quality table (docs/yardstick.md): every run scored by one yardstick, with the reference rows.

    OMP_NUM_THREADS=1 python -m benchmarks.quality_table runs/gan-quick runs/vae-default ... \
        --grids resources/quality --json /tmp/quality.json

For each run folder (any model): the yardstick of ``-n`` samples of its best checkpoint
(studio/models/scores.py: c2st with its 95 % interval, precision, recall, copy rate, MMD²), held-out bits/px where
the model has a likelihood, the CPU minutes its training used (the last record's ``cpu``)
and the `studio train` command that matches its config.json. Above them, the reference rows
of each data set: held-out real sprites (the floor a perfect model reaches) and pixel-
shuffled ones (the ceiling). A sample grid PNG per row goes into ``--grids``. Prints a
Markdown table to paste into docs/yardstick.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.common import add_arguments

COLUMNS = ("c2st", "c2st_low", "c2st_high", "precision", "recall", "copy_rate", "mmd2")
GRID_SPRITES = 64


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", help="run folders")
    p.add_argument("-n", type=int, default=512, help="samples scored per row (default 512)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--grids", default="/tmp/quality_grids", help="folder for one sample grid PNG per row")
    add_arguments(p, data=False, device=False)
    args = p.parse_args(argv)
    rows = quality_rows(args.runs, args.n, args.seed, Path(args.grids))
    print(markdown(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def quality_rows(runs, n: int, seed: int, grids: Path) -> list[dict]:
    from studio.data import grid_image
    from studio.models import scores
    from studio.train.evaluate import score_run
    from studio.train.trained import TrainedRun

    import numpy as np

    grids.mkdir(parents=True, exist_ok=True)
    rows, referenced = [], set()
    for run in map(Path, runs):
        opened = TrainedRun.open(run)
        saved, sprites = opened.config, opened.dataset()
        train_idx, held_idx = opened.split(sprites)
        source = saved["data"]["source"]
        if source not in referenced:  # the floor and the ceiling, once per data set
            referenced.add(source)
            train, held = sprites.indices[train_idx], sprites.indices[held_idx]
            reference = scores.reference_rows(train, held, sprites.palette, n=n, seed=seed)
            shuffled = scores.shuffle_pixels(train[:GRID_SPRITES], np.random.default_rng(seed))
            for name, shown in (("real", held[:GRID_SPRITES]), ("shuffled", shuffled)):
                grid = grids / f"reference-{name}-{Path(source).name}.png"
                grid_image(shown, sprites.palette, columns=8, scale=2).save(grid)
                rows.append({"model": f"reference: {name}", "preset": "", "data": source,
                             **reference[name], "bits_per_pixel": None, "cpu_minutes": None,
                             "grid": str(grid), "command": ""})
        result = score_run(run, n=n, seed=seed, reference=False)
        grid = grids / f"{opened.model}-{run.name}.png"  # runs of two models may share a folder name
        grid_image(opened.task.draw(GRID_SPRITES, seed=seed), opened.palette, columns=8, scale=2).save(grid)
        records = opened.run.metrics()
        cpu = max((r.get("cpu", 0.0) for r in records), default=0.0)
        rows.append({"model": saved["model"], "preset": preset_name(saved), "data": source,
                     **{k: result[k] for k in COLUMNS}, "bits_per_pixel": result.get("bits_per_pixel"),
                     "cpu_minutes": cpu / 60, "grid": str(grid), "command": train_command(saved),
                     "run": str(run)})
    return rows


def preset_name(saved: dict) -> str:
    """The named config (CONFIGS) the run's model_config equals, else "custom"."""
    from studio.models import model_module
    from studio.train.config import config_to_dict

    configs = model_module(saved["model"]).CONFIGS
    # Through JSON as config.json was: its lists are the dataclass's tuples.
    return next((name for name, config in configs.items()
                 if json.loads(json.dumps(config_to_dict(config))) == saved["model_config"]), "custom")


def train_command(saved: dict) -> str:
    """The `studio train` line that makes a run like this one (from its config.json)."""
    from studio.train.settings import default_settings

    model, train = saved["model"], saved["train"]
    preset = preset_name(saved)
    defaults = default_settings(model, preset if preset != "custom" else None)
    parts = ["studio train", model, "--data", saved["data"]["source"]]
    if preset != "custom":
        parts += ["--config", preset]
    if train["epochs"] != defaults.epochs:
        parts += ["--epochs", str(train["epochs"])]
    if train.get("cpu_budget") is not None and train["cpu_budget"] != defaults.cpu_budget:
        parts += ["--cpu-minutes", f"{train['cpu_budget'] / 60:g}"]
    if train["batch_size"] != defaults.batch_size:
        parts += ["--batch-size", str(train["batch_size"])]
    if train["seed"] != defaults.seed:
        parts += ["--seed", str(train["seed"])]
    return " ".join(parts)


def markdown(rows: list[dict]) -> str:
    def cell(value, fmt):
        return "—" if value is None else format(value, fmt)

    lines = ["| model | preset | c2st [95 %] | precision | recall | copy rate | MMD² | bits/px | CPU min | samples | command |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['preset']} | {r['c2st']:.3f} [{r['c2st_low']:.2f}, {r['c2st_high']:.2f}] | "
                     f"{r['precision']:.3f} | "
                     f"{r['recall']:.3f} | {r['copy_rate']:.3f} | {r['mmd2']:.4f} | "
                     f"{cell(r['bits_per_pixel'], '.3f')} | {cell(r['cpu_minutes'], '.1f')} | "
                     f"![]({r['grid']}) | {'`' + r['command'] + '`' if r['command'] else ''} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
