"""Which PixelRNN config models the course sprites best? Held-out bits per pixel, per config.

Trains each named config (studio/models/pixelrnn.py CONFIGS, and the one-change-at-a-time
ABLATIONS below) with the real engine on the same
90/10 split, evaluating every epoch, and prints the best held-out bits/pixel, the epoch it was
reached at, the train bits/pixel there, and the training minutes. Each run is kept under
--runs (default runs/pixelrnn-configs/NAME) with its best.pt, for benchmarks/completion_*.py.

    nice -n 10 python -m benchmarks.pixelrnn_configs --configs lecture 2d-copy --epochs 30
    python -m benchmarks.pixelrnn_configs --report     # the table of runs already made
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path

import torch

from benchmarks.common import add_arguments, train_row, write_json
from studio.data import find_course_data, open_dataset
from studio.models import pixelrnn
from studio.train.run import RunDir

UNIFORM = "uniform over the palette"

# One change at a time at 128 cells (cheap on a CPU), to see what each addition is worth.
_SMALL = pixelrnn.Config(hidden=128, embed=32)
ABLATIONS = {
    "abl-128": _SMALL,
    "abl-128+pos": dataclasses.replace(_SMALL, position=True),
    "abl-128+2d": dataclasses.replace(_SMALL, context="2d"),
    "abl-128+2d+pos": dataclasses.replace(_SMALL, context="2d", position=True),
    "abl-128+2d+pos+mirror": dataclasses.replace(_SMALL, context="2d", position=True, mirror=True),
    "abl-128+2d+pos+mirror+drop": dataclasses.replace(_SMALL, context="2d", position=True, mirror=True,
                                                      dropout=0.1),
    "abl-128+copy": dataclasses.replace(_SMALL, copy=True),
    "abl-128+all": dataclasses.replace(_SMALL, context="2d", position=True, mirror=True, dropout=0.1, copy=True),
}
CHOICES = {**pixelrnn.CONFIGS, **ABLATIONS}


def summarise(run_dir: Path) -> dict:
    """Best held-out bits/pixel of a run, with the epoch, the train figure and time there."""
    records = RunDir(run_dir).metrics()
    held = [r for r in records if "val/bits_per_pixel" in r]
    if not held:
        return {}
    best = min(held, key=lambda r: r["val/bits_per_pixel"])
    # The train loss logged nearest before that evaluation (a running figure over the last steps).
    train = [r for r in records if "bits_per_pixel" in r and r["step"] <= best["step"]]
    return {"config": run_dir.name, "best_held_out_bpp": best["val/bits_per_pixel"],
            "epoch": best["epoch"], "train_bpp_then": train[-1]["bits_per_pixel"] if train else None,
            "minutes_to_best": best["time"] / 60, "epochs_run": held[-1]["epoch"],
            "last_held_out_bpp": held[-1]["val/bits_per_pixel"], "minutes_total": held[-1]["time"] / 60}


def print_table(rows: list[dict], bits_uniform: float) -> None:
    print(f"{'config':28} {'held-out bpp':>12} {'at epoch':>8} {'train bpp':>9} {'min to best':>11} "
          f"{'epochs':>6} {'last held-out':>13} {'min total':>9}")
    for r in rows:
        print(f"{r['config']:28} {r['best_held_out_bpp']:12.3f} {r['epoch']:8.0f} {r['train_bpp_then']:9.3f} "
              f"{r['minutes_to_best']:11.1f} {r['epochs_run']:6.0f} {r['last_held_out_bpp']:13.3f} "
              f"{r['minutes_total']:9.1f}")
    print(f"({UNIFORM}: {bits_uniform:.2f} bits/pixel)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(CHOICES))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--runs", type=Path, default=Path("runs/pixelrnn-configs"))
    parser.add_argument("--report", action="store_true", help="only print the table of existing runs")
    add_arguments(parser, data=None)
    args = parser.parse_args()
    data = args.data or find_course_data()
    if data is None:
        parser.error("course data not found; pass --data")
    sprites = open_dataset(data)
    if args.threads:
        torch.set_num_threads(args.threads)
    for name in args.configs:
        if name not in CHOICES:
            parser.error(f"unknown config {name!r}; choose from {', '.join(CHOICES)}")
        if args.report:
            continue
        train_row("pixelrnn", CHOICES[name], sprites, args.runs / name, device=args.device or "cpu",
                  epochs=args.epochs, batch_size=args.batch_size, log_every=10, eval_every=1, checkpoint_every=10)
        print(json.dumps(summarise(args.runs / name)), flush=True)
    rows = [summarise(args.runs / n) for n in args.configs if (args.runs / n / "metrics.jsonl").exists()]
    rows = [r for r in rows if r]
    print_table(rows, math.log2(sprites.num_colors))
    write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
