#!/usr/bin/env python
"""The yardstick measured: reference rows, and the weak c2st against the sharp one.

    OMP_NUM_THREADS=1 python -m benchmarks.yardstick references --data ../shared/data/pokemon \
        --seeds 5 --grids resources/quality --json /tmp/references.json
    OMP_NUM_THREADS=1 python -m benchmarks.yardstick runs RUN... --grids resources/quality --json /tmp/runs.json
    OMP_NUM_THREADS=1 python -m benchmarks.yardstick choose --data ../shared/data/pokemon \
        --samples gan-crisp=RUN ... --json /tmp/choose.json

- references: every reference row of studio.models.scores.reference_rows (real held-out
  sprites, two halves of the training sprites, and the broken sets of
  studio/models/references.py) scored by the weak c2st and by the sharp one, with their
  95 % intervals, plus precision, recall, copy rate and MMD² (one classifier does not change
  them); then the floor's spread over ``--seeds`` seeds (the halves and the held-out row:
  mean, standard deviation, range, and how many intervals hold 0.5). A grid of 16 sprites per
  row goes into ``--grids`` (yardstick-ROW.png).
- runs: for each run folder, ``-n`` samples of its best checkpoint (seed ``--seed``), the weak
  and the sharp c2st with intervals, and the other scores; a grid per run
  (yardstick-MODEL-RUN.png).
- choose: the classifier's design, one change at a time (VARIANTS) on the rows that decide it:
  the floor (halves, three seeds), the hardest broken set (scrambled interior, three seeds, and
  once at a model's size: all training sprites scrambled, n against n) and samples of runs
  (``--samples NAME=RUN``); the c2st with its interval and the CPU seconds of each; then how
  flat a real sprite's inside is against a scrambled one's (same_colour_inside).

The weak c2st is the one `studio score` used until the sharp one replaced it: the CNN below,
12 epochs, 4 folds, no augmentation. It lives only here, to show what it missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.data import grid_image, open_dataset
from studio.data.palette import Palette
from studio.models import references, scores

ROWS = ("real", "halves", "shuffled", "scrambled", "resampled", "blurred")
GRID_SPRITES = 16


def weak_classifier() -> nn.Module:
    """The c2st's CNN before the sharp one: no normalisation, max-pooled to 2×2."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveMaxPool2d(2), nn.Flatten(), nn.Linear(64 * 4, 1))


WEAK = dict(make_net=weak_classifier, epochs=12, folds=4, shift=0, flip=False, seeds=1)
#: The same as score_samples' and reference_rows' arguments.
WEAK_SCORE = dict(classifier_epochs=12, folds=4, classifier=dict(make_net=weak_classifier, shift=0, flip=False, seeds=1))


# --- references --------------------------------------------------------------------------------
def reference_table(data: str, n: int, seed: int, seeds: int, grids: Path | None) -> dict:
    sprites = open_dataset(data)
    train_idx, held_idx = sprites.split()
    train, held, palette = sprites.indices[train_idx], sprites.indices[held_idx], sprites.palette
    rows = {}
    for row in ROWS:
        sharp, cpu = _timed(scores.reference_rows, train, held, palette, n=n, seed=seed, rows=(row,))
        weak = _weak_reference(train, held, palette, n, seed, row)
        rows[row] = {**sharp[row], "cpu_s": cpu, "weak": weak}
        print(f"{row}: sharp {_c2st(sharp[row])}, weak {_c2st(weak)} ({cpu:.0f} CPU-s)", file=sys.stderr)
    if grids:
        _reference_grids(train, palette, seed, grids, rows)
    floor = {row: [scores.reference_rows(train, held, palette, n=n, seed=s, rows=(row,))[row] for s in range(seeds)]
             for row in ("halves", "real")} if seeds else {}
    return {"data": data, "n": n, "seed": seed, "rows": rows, "floor": floor}


def _weak_reference(train, held, palette, n, seed, row) -> dict:
    """The weak c2st of one reference row: the same sets as reference_rows makes them."""
    return scores.reference_rows(train, held, palette, n=n, seed=seed, rows=(row,), **WEAK_SCORE)[row]


def _reference_grids(train, palette, seed, grids: Path, rows: dict) -> None:
    """A strip of the first GRID_SPRITES sprites of each row, as reference_rows draws them."""
    grids.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    first, second = references.halves(train, rng)
    shown = {"real": second, "halves": first}  # real sprites: any of them look like this
    for name, broken in references.BROKEN.items():
        shown[name] = broken(first[:GRID_SPRITES], palette, np.random.default_rng(seed))
    for name in rows:
        path = grids / f"yardstick-{name}.png"
        grid_image(shown[name][:GRID_SPRITES], palette, columns=8, scale=3).save(path)
        rows[name]["grid"] = str(path)


def reference_markdown(result: dict) -> str:
    lines = ["| reference | sharp c2st [95 %] | weak c2st [95 %] | precision | recall | copy rate | MMD² | "
             "sharp CPU s | sprites |", "|---|---|---|---|---|---|---|---|---|"]
    for name, r in result["rows"].items():
        grid = f"![]({r['grid']})" if "grid" in r else ""
        lines.append(f"| {name} | {_c2st(r)} | {_c2st(r['weak'])} | {r['precision']:.3f} | {r['recall']:.3f} | "
                     f"{r['copy_rate']:.3f} | {r['mmd2']:.4f} | {r['cpu_s']:.0f} | {grid} |")
    for name, rows in result["floor"].items():
        c = np.array([r["c2st"] for r in rows])
        inside = sum(r["c2st_low"] <= 0.5 <= r["c2st_high"] for r in rows)
        lines.append("")
        lines.append(f"Floor `{name}` over {len(c)} seeds: mean {c.mean():.3f}, sd {c.std(ddof=1):.3f}, "
                     f"range {c.min():.3f}–{c.max():.3f}; 0.5 inside {inside} of {len(c)} intervals "
                     f"(mean half-width {np.mean([(r['c2st_high'] - r['c2st_low']) / 2 for r in rows]):.3f}).")
    return "\n".join(lines)


# --- runs --------------------------------------------------------------------------------------
def run_table(runs, n: int, seed: int, grids: Path | None) -> list[dict]:
    from benchmarks.quality_table import preset_name
    from studio.train.trained import TrainedRun

    rows = []
    for run in map(Path, runs):
        opened = TrainedRun.open(run)
        sprites = opened.dataset()
        train_idx, held_idx = opened.split(sprites)
        train, held = sprites.indices[train_idx], sprites.indices[held_idx]
        samples = opened.task.draw(n, seed=seed)
        samples = samples if opened.palette == sprites.palette else opened.palette.to_rgb(samples)
        sharp, cpu = _timed(scores.score_samples, samples, train, held, sprites.palette, n=n, seed=seed)
        weak = _weak_scores(samples, train, held, sprites.palette, n, seed)
        row = {"run": str(run), "model": opened.model, "preset": preset_name(opened.config),
               "cpu_minutes": max((r.get("cpu", 0.0) for r in opened.run.metrics()), default=0.0) / 60,
               **sharp, "cpu_s": cpu, "weak": weak}
        if grids:
            grids.mkdir(parents=True, exist_ok=True)
            row["grid"] = str(grids / f"yardstick-{opened.model}-{run.name}.png")
            grid_image(np.asarray(opened.task.draw(GRID_SPRITES, seed=seed)), opened.palette,
                       columns=8, scale=3).save(row["grid"])
        print(f"{run}: sharp {_c2st(sharp)}, weak {_c2st(weak)} ({cpu:.0f} CPU-s)", file=sys.stderr)
        rows.append(row)
    return rows


def _weak_scores(samples, train, held, palette, n, seed) -> dict:
    return scores.score_samples(samples, train, held, palette, n=n, seed=seed, **WEAK_SCORE)


def run_markdown(rows: list[dict]) -> str:
    lines = ["| model | preset | CPU min | weak c2st [95 %] | sharp c2st [95 %] | precision | recall | copy rate | "
             "MMD² | scoring CPU s | samples |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        grid = f"![]({r['grid']})" if "grid" in r else ""
        lines.append(f"| {r['model']} | {r['preset']} | {r['cpu_minutes']:.1f} | {_c2st(r['weak'])} | {_c2st(r)} | "
                     f"{r['precision']:.3f} | {r['recall']:.3f} | {r['copy_rate']:.3f} | {r['mmd2']:.4f} | "
                     f"{r['cpu_s']:.0f} | {grid} |")
    return "\n".join(lines)


# --- choosing the classifier -------------------------------------------------------------------
class Variant(nn.Module):
    """The sharp classifier with one thing changed: ``pool`` (max, mean or both), ``norm``
    (batch norm or none), ``widths`` with their ``strides``, the first layer's ``kernel``,
    ``edges``: each pixel's colour difference to its right and lower neighbour given as six
    more input channels (what tells a scrambled inside from a real one, handed over), and
    ``same``: whether each pixel has exactly its right and its lower neighbour's colour, two
    more channels (the statistic that separates them best alone, ``same_colour_inside``)."""

    def __init__(self, widths=scores.CLASSIFIER_WIDTHS, pool="both", norm=True, strides=None, kernel=3,
                 edges=False, same=False):
        super().__init__()
        strides = strides or (1,) + (2,) * (len(widths) - 1)
        layers, c_in = [], 3 + 6 * edges + 2 * same
        for i, (c_out, stride) in enumerate(zip(widths, strides)):
            k = kernel if i == 0 else 3
            layers += [nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2),
                       *([nn.BatchNorm2d(c_out)] if norm else []), nn.ReLU()]
            c_in = c_out
        self.body, self.pool, self.edges, self.same = nn.Sequential(*layers), pool, edges, same
        self.head = nn.Linear(widths[-1] * (2 if pool == "both" else 1), 1)

    def forward(self, x):
        p = nn.functional.pad(x, (0, 1, 0, 1), mode="replicate")
        right, below = p[:, :, :-1, 1:], p[:, :, 1:, :-1]
        extra = []
        if self.edges:
            extra += [(right - x).abs(), (below - x).abs()]
        if self.same:
            extra += [(right == x).all(1, keepdim=True).float(), (below == x).all(1, keepdim=True).float()]
        x = torch.cat([x, *extra], 1)
        h = self.body(x)
        pooled = {"max": [h.amax((2, 3))], "mean": [h.mean((2, 3))], "both": [h.amax((2, 3)), h.mean((2, 3))]}
        return self.head(torch.cat(pooled[self.pool], 1))


#: name: (what changes against the sharp classifier, classifier_two_sample_test's arguments)
VARIANTS = {
    "weak": ("the weak c2st (before)", WEAK),
    "sharp": ("the sharp c2st (studio score)", {}),
    "max-pool": ("max pooling only", dict(make_net=lambda: Variant(pool="max"))),
    "mean-pool": ("mean pooling only", dict(make_net=lambda: Variant(pool="mean"))),
    "no-norm": ("no batch norm", dict(make_net=lambda: Variant(norm=False))),
    "narrow": ("widths 16-32-64", dict(make_net=lambda: Variant(widths=(16, 32, 64)))),
    "wide": ("widths 64-128-256", dict(make_net=lambda: Variant(widths=(64, 128, 256)))),
    "deep": ("widths 32-64-128-128 (a fourth layer, 3×3 at the end)",
             dict(make_net=lambda: Variant(widths=(32, 64, 128, 128)))),
    "epochs/2": ("half the epochs", dict(epochs=scores.CLASSIFIER_EPOCHS // 2)),
    "epochs×2": ("twice the epochs", dict(epochs=scores.CLASSIFIER_EPOCHS * 2)),
    "no-shift": ("no random shifts", dict(shift=0)),
    "shift-1": ("shifts of 1 pixel", dict(shift=1)),
    "no-flip": ("no mirrored sprites (in training and at test)", dict(flip=False)),
    "edges": ("neighbour colour differences as 6 more input channels", dict(make_net=lambda: Variant(edges=True))),
    "same": ("whether each pixel shares its right and lower neighbour's colour, 2 more input channels",
             dict(make_net=lambda: Variant(same=True))),
    "full-res-2": ("two full-resolution layers (widths 32-32-64-128)",
                   dict(make_net=lambda: Variant(widths=(32, 32, 64, 128), strides=(1, 1, 2, 2)))),
    "kernel-5": ("a 5×5 first layer", dict(make_net=lambda: Variant(kernel=5))),
    "cosine": ("a cosine learning rate to 0", dict(cosine=True)),
}


def choose_sets(data: str, samples: list[str], n: int) -> tuple[dict, Palette]:
    """The rows choose scores every variant on, {label: (fake, real)}, and the data's palette."""
    from studio.train.trained import TrainedRun

    sprites = open_dataset(data)
    train_idx, held_idx = sprites.split()
    train, palette = sprites.indices[train_idx], sprites.palette
    halves = [references.halves(train, np.random.default_rng(s)) for s in range(3)]
    sets = {f"halves (seed {s})": pair for s, pair in enumerate(halves)}
    for s, (first, second) in enumerate(halves):
        sets[f"scrambled (seed {s})"] = (references.scramble_interior(first, np.random.default_rng(s)), second)
    # The same broken set at a model's size: every training sprite scrambled, n of them against
    # n training sprites, as `studio score` takes a model's samples (some sprites on both sides).
    rng = np.random.default_rng(0)
    scrambled = references.scramble_interior(train, rng)
    fake, real = (np.sort(rng.choice(len(train), min(n, len(train)), replace=False)) for _ in range(2))
    sets[f"scrambled, n = {n}"] = (scrambled[fake], train[real])
    first, second = halves[0]
    for item in samples:
        name, run = item.split("=", 1)
        drawn = np.asarray(TrainedRun.open(run).task.draw(n, seed=0))
        sets[name] = (drawn, second)  # against the same half as the broken sets
    return sets, palette


def choose_table(sets: dict, palette: Palette, variants: list[str]) -> list[dict]:
    rows = []
    with torch.random.fork_rng(devices=[]):
        torch.set_num_threads(1)
        for name in variants:
            change, kwargs = VARIANTS[name]
            row = {"variant": name, "change": change, "cells": {}}
            for label, (fake, real) in sets.items():
                result, cpu = _timed(scores.classifier_two_sample_test, scores.lab_images(fake, palette),
                                     scores.lab_images(real, palette), seed=0, **kwargs)
                row["cells"][label] = {**result, "cpu_s": cpu, "m": min(len(fake), len(real))}
                print(f"{name} / {label}: {_c2st(result)} ({cpu:.0f} CPU-s)", file=sys.stderr)
            rows.append(row)
    return rows


def choose_markdown(rows: list[dict]) -> str:
    labels = list(rows[0]["cells"])
    lines = ["| variant | change | " + " | ".join(labels) + " | CPU s per c2st |",
             "|---|---|" + "---|" * len(labels) + "---|"]
    for r in rows:
        cpu = np.mean([c["cpu_s"] for c in r["cells"].values()])
        lines.append(f"| {r['variant']} | {r['change']} | " + " | ".join(_c2st(r["cells"][k]) for k in labels)
                     + f" | {cpu:.0f} |")
    return "\n".join(lines)


def same_colour_inside(fake: np.ndarray, real: np.ndarray) -> str:
    """How flat a real inside is: per sprite, the share of neighbouring pairs of inside pixels
    (creature, not outline) that share a colour, for ``real`` sprites and for ``fake``
    (scrambled) ones — and how well one threshold on it tells them apart."""

    def share(batch):
        inside = (batch != 0) & ~references.outline(batch)
        pairs = [(batch[:, :, 1:] == batch[:, :, :-1], inside[:, :, 1:] & inside[:, :, :-1]),
                 (batch[:, 1:] == batch[:, :-1], inside[:, 1:] & inside[:, :-1])]
        same = sum((equal & both).sum((1, 2)) for equal, both in pairs)
        return same / np.maximum(sum(both.sum((1, 2)) for _, both in pairs), 1)

    real, scrambled = share(real), share(fake)
    best = max(((real > t).mean() + (scrambled <= t).mean()) / 2 for t in np.linspace(0, 1, 201))
    return (f"inside pixels sharing a neighbour's colour: real median {np.median(real):.0%} "
            f"(5th percentile {np.percentile(real, 5):.0%}), scrambled median {np.median(scrambled):.0%}; "
            f"the best single threshold tells them apart {best:.1%} of the time")


# --- shared ------------------------------------------------------------------------------------
def _c2st(r: dict) -> str:
    return f"{r['c2st']:.3f} [{r['c2st_low']:.2f}, {r['c2st_high']:.2f}]"


def _timed(fn, *args, **kwargs):
    started = time.process_time()
    result = fn(*args, **kwargs)
    return result, time.process_time() - started


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    ref = sub.add_parser("references", help="the reference rows, weak and sharp, and the floor's spread")
    ref.add_argument("--data", required=True)
    ref.add_argument("--seeds", type=int, default=5, help="seeds of the floor's spread (0: none)")
    runs = sub.add_parser("runs", help="the weak and the sharp c2st of run folders")
    runs.add_argument("runs", nargs="+")
    choose = sub.add_parser("choose", help="the classifier's design, one change at a time")
    choose.add_argument("--data", required=True)
    choose.add_argument("--samples", nargs="*", default=[], metavar="NAME=RUN", help="runs whose samples are rows")
    choose.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    for sp in (ref, runs, choose):
        sp.add_argument("-n", type=int, default=512, help="samples per set (default 512)")
        sp.add_argument("--json", help="also write the results as JSON here")
    for sp in (ref, runs):
        sp.add_argument("--seed", type=int, default=0)
        sp.add_argument("--grids", help="folder for the sample grid PNGs")
    args = p.parse_args(argv)
    grids = Path(args.grids) if getattr(args, "grids", None) else None
    if args.command == "references":
        result = reference_table(args.data, args.n, args.seed, args.seeds, grids)
        print(reference_markdown(result))
    elif args.command == "runs":
        result = run_table(args.runs, args.n, args.seed, grids)
        print(run_markdown(result))
    else:
        sets, palette = choose_sets(args.data, args.samples, args.n)
        result = choose_table(sets, palette, args.variants)
        print(choose_markdown(result))
        print(same_colour_inside(*sets["scrambled (seed 0)"]))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
