"""The first minute on a dataset: how long from opening it to the first completion.

    OMP_NUM_THREADS=1 python -m benchmarks.first_minute --data ../shared/data/pokemon --own builtin:n=200,seed=9

Two journeys, each through the session calls the app makes (Qt-free, one core):

- **a dataset a shipped model fits** (``--data``, e.g. the course's Pokémon): open it, choose
  the model every view would show (session/pretrained.choose_model), open it and complete a
  sprite with its lower half hidden (8 variants) — for each family.
- **a dataset no model fits** (``--own``: a palette of its own; by default the built-in
  creatures with two colours swapped, as a user's folder is): Train quick models
  (session/quick.py) until the first family's first checkpoint, then complete with it.

Wall seconds (what the user waits) and CPU seconds of this process are printed as a table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import add_arguments, one_thread, write_json
from studio.data import open_dataset
from studio.data.palette import Palette
from studio.data.sprites import SpriteSet
from studio.session.completion import CompletionModel, cover_bottom
from studio.session.pretrained import SHIPPED, choose_model
from studio.session.quick import QuickModels
from studio.session.training import TrainingSession


class Clock:
    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def shipped_journey(data: str, runs: Path) -> list[dict]:
    rows = []
    for model in SHIPPED:
        clock = Clock()
        dataset = open_dataset(data)
        choice = choose_model(model, dataset, runs_dir=runs)
        if not choice:
            rows.append({"journey": f"open {data}", "model": model, "what": choice.reason})
            continue
        completion = CompletionModel.open(choice.path)
        sprite = dataset.indices[0]
        completion.complete(sprite, cover_bottom(sprite.shape, 0.5), n=8, seed=0)
        wall, cpu = clock.read()
        rows.append({"journey": f"open {Path(data).name}, complete", "model": model,
                     "what": f"{choice.kind}: {choice.path.parent.name}/{choice.path.name}",
                     "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)})
    return rows


def own_palette(data: str) -> SpriteSet:
    """``data`` with palette entries 1 and 2 swapped: the same pictures, a palette no shipped
    model was trained with."""
    sprites = open_dataset(data)
    colors = sprites.palette.colors.copy()
    colors[[1, 2]] = colors[[2, 1]]
    swap = np.arange(len(colors))
    swap[[1, 2]] = [2, 1]
    return SpriteSet(swap[sprites.indices], Palette(colors), name=f"{sprites.name} (own palette)",
                     source="own palette")


def quick_journey(dataset: SpriteSet, runs: Path) -> dict:
    import os

    os.environ["STUDIO_RUNS_DIR"] = str(runs)
    clock = Clock()
    assert not choose_model(SHIPPED, dataset, runs_dir=runs), "a model fits: not a new palette"
    first = SHIPPED[0]
    quick = QuickModels({first: TrainingSession(first)})
    seen: dict = {}

    def checkpoint(model, run):
        if "run" not in seen:
            seen["run"], seen["at"] = run, clock.read()
            quick.stop()  # the first checkpoint is what the benchmark waits for

    quick.checkpoint_written.connect(checkpoint)
    quick.start(dataset)
    completion = CompletionModel.open(seen["run"], "last")
    sprite = dataset.indices[0]
    completion.complete(sprite, cover_bottom(sprite.shape, 0.5), n=8, seed=0)
    wall, cpu = clock.read()
    return {"journey": "own palette: Train quick models, complete", "model": first,
            "what": f"first checkpoint after {seen['at'][0]:.1f} s wall", "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, data=None, device=False)
    parser.add_argument("--own", default="builtin", help="the dataset given a palette of its own (default: builtin)")
    args = parser.parse_args(argv)
    if args.data is None:
        from studio.data import find_course_data

        found = find_course_data()
        args.data = str(found) if found else "builtin"
    one_thread()
    with tempfile.TemporaryDirectory(prefix="first-minute-") as scratch:
        runs = Path(scratch) / "runs"
        runs.mkdir()
        rows = shipped_journey(args.data, runs) + [quick_journey(own_palette(args.own), runs)]
    print(f"{'journey':44} {'model':12} {'wall s':>7} {'CPU s':>7}  model shown")
    for r in rows:
        print(f"{r['journey']:44} {r['model']:12} {r.get('wall_s', '—')!s:>7} {r.get('cpu_s', '—')!s:>7}  {r['what']}")
    write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
