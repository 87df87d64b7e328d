#!/usr/bin/env python
"""The GAN's ablation: each change to the DCGAN, one at a time, on the yardstick.

    python -m benchmarks.gan_ablation --data /work/shared/data/pokemon --cpu-minutes 3 --out /tmp/gan/ablation
    python -m benchmarks.gan_ablation ... --only dcgan palette      # some rows
    python -m benchmarks.gan_ablation ... --score-only              # score runs already trained

Every variant trains for the same CPU budget (one thread, time.process_time of this process,
``TrainSettings.cpu_budget``) into OUT/NAME, then 512 sprites from its EMA generator are scored
with studio.models.scores (c2st, precision, recall, copy rate, MMD²) against the training and
held-out sprites. A run folder that already holds a checkpoint is scored, not retrained. Each
row says what it changes against the row named in its "from" column. Prints a Markdown table.
The EMA does not change training, so "no-ema" trains nothing: it scores its parent run's own G.
Rows of options since removed (Gumbel and per-sprite-palette outputs, DiffAugment, R1, minibatch
std) and their figures are in docs/history.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path



from benchmarks.common import add_arguments, one_thread, train_row, write_json
from studio.data import grid_image, open_dataset
from studio.models import gan
from studio.models.scores import score_samples
from studio.train.trained import TrainedRun
from studio.train.run import RunDir

BASE = gan.DCGAN  # RGB snapped to the palette afterwards
PALETTE = dataclasses.replace(BASE, output="palette")
SNAP = dataclasses.replace(BASE, output="snap")
FAST = dataclasses.replace(SNAP, lr_g=5e-4, lr_d=5e-4)  # the row lr-5e-4

# name: (what changes, from which row, config)
VARIANTS = {
    "dcgan": ("RGB + tanh, snapped to the palette", None, BASE),
    "palette": ("logits over K colours, D sees the expected colour", "dcgan", PALETTE),
    "snap": ("RGB, but D sees it snapped to the palette (straight-through)", "dcgan", SNAP),
    "palette-x10": ("logit scale 10: G commits to a colour sooner", "palette", dataclasses.replace(PALETTE, logit_scale=10.0)),
    "sn-hinge": ("spectral norm on D, hinge loss", "snap", dataclasses.replace(SNAP, spectral_norm=True, loss="hinge")),
    "ttur": ("two learning rates: D 4e-4, G 1e-4", "snap", dataclasses.replace(SNAP, lr_d=4e-4, lr_g=1e-4)),
    "no-ema": ("samples from G itself, not its EMA (the snap run)", "snap", None),
    "wide": ("width 128 in G and D (twice the channels)", "snap", dataclasses.replace(SNAP, width=128)),
    "lr-5e-4": ("both learning rates 5e-4 (from 2e-4)", "snap", dataclasses.replace(SNAP, lr_g=5e-4, lr_d=5e-4)),
    "lr-1e-3": ("both learning rates 1e-3 (from 2e-4)", "snap", dataclasses.replace(SNAP, lr_g=1e-3, lr_d=1e-3)),
    "narrow": ("width 32 in G and D (more steps in the budget)", "snap", dataclasses.replace(SNAP, width=32)),
    "commit": ("commitment β = 0.1: G's RGB pulled onto the colour it snaps to", "lr-5e-4",
               dataclasses.replace(FAST, commitment=0.1)),
    "max-pool": ("D max-pools its 5×5 map to 2×2 before its linear score", "lr-5e-4",
                 dataclasses.replace(FAST, d_head="max-pool")),
    "commit+max-pool": ("both", "lr-5e-4", dataclasses.replace(FAST, commitment=0.1, d_head="max-pool")),
    "crisp": ("commitment β = 0.05, max-pool head, mirrored real sprites (the preset)", "lr-5e-4", gan.Config()),
}


def score(out: Path, n: int, seed: int, ema: bool = True, grid: Path | None = None) -> dict:
    run = TrainedRun.open(out, "last", device="cpu")
    task, palette, saved = run.task, run.palette, run.config
    if not ema:  # samples come from g_ema: make it G itself
        task.g_ema.module.load_state_dict(task.g.state_dict())
    sprites = open_dataset(saved["data"]["source"])
    train_idx, held_idx = sprites.split(saved["train"].get("held_out", 0.1))
    samples = task.draw(n, seed=seed)
    grid_image(samples[:64], palette, columns=8).save(grid or out / "ablation_samples.png")
    metrics = RunDir(out).metrics()
    last = metrics[-1] if metrics else {}
    scores = score_samples(samples, sprites.indices[train_idx], sprites.indices[held_idx], palette, n=n, seed=seed)
    return {"steps": last.get("step", 0), "cpu_min": last.get("cpu", 0) / 60, **scores}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(p, data="builtin", cpu_minutes=3.0)
    p.add_argument("--out", required=True, help="folder for the variants' runs")
    p.add_argument("--only", nargs="*", choices=list(VARIANTS), help="these rows only")
    p.add_argument("--score-only", action="store_true", help="do not train; score what OUT holds")
    p.add_argument("-n", type=int, default=512, help="samples scored per variant")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    one_thread()
    sprites = None
    rows = []
    for name in args.only or VARIANTS:
        change, parent, config = VARIANTS[name]
        if config is None:  # the parent's run, samples from G instead of its EMA
            out = Path(args.out) / parent
            if (out / "config.json").is_file():
                rows.append((name, change, parent, score(out, args.n, args.seed, ema=False,
                                                         grid=out / "ablation_samples_no_ema.png")))
                print(f"{name}: {rows[-1][3]}", file=sys.stderr)
            continue
        out = Path(args.out) / name
        if not args.score_only and not (out / "checkpoints").is_dir():
            sprites = sprites or open_dataset(args.data)
            train_row("gan", config, sprites, out, cpu_minutes=args.cpu_minutes, device=args.device)
        if not (out / "config.json").is_file():
            print(f"{name}: no run in {out}; skipped", file=sys.stderr)
            continue
        rows.append((name, change, parent or "", score(out, args.n, args.seed)))
        print(f"{name}: {rows[-1][3]}", file=sys.stderr)
    print(f"\nGAN ablation, {args.data}, {args.cpu_minutes:g} CPU-minutes each, one thread, "
          f"{args.n} samples, seed {args.seed}\n")
    print("| variant | change | from | steps | CPU min | c2st ↓ | precision ↑ | recall ↑ | copy rate ↓ | MMD² ↓ |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, change, parent, r in rows:
        print(f"| {name} | {change} | {parent} | {r['steps']} | {r['cpu_min']:.1f} | {r['c2st']:.3f} | "
              f"{r['precision']:.3f} | {r['recall']:.3f} | {r['copy_rate']:.3f} | {r['mmd2']:.4f} |")
    write_json(args.json, [{"variant": name, "change": change, "from": parent, **r} for name, change, parent, r in rows])
    return 0


if __name__ == "__main__":
    sys.exit(main())
