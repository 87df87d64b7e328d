"""How fast does a PixelRNN or a transformer complete a sprite and draw new ones on this machine?

Times (a) completing a 75 %-covered sprite, 8 variants (the canvas's case; no visible pixel
follows the hole, so it is one batched pass), (b) a centre hole covering 25 % (SMC with its
particles, since visible pixels follow the hole), and (c) drawing 64 sprites from scratch, with
the lecture's LSTM-512 or --model/--config (a trained run's best.pt with --run, else fresh
weights: the work per pixel is the same). Each case runs --repeats times; the table gives best
and median seconds.

    python -m benchmarks.completion_speed [--run RUN_DIR] [--threads 1] [--repeats 7] [--json FILE]
    python -m benchmarks.completion_speed --model transformer --config 2d-copy --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import torch

from benchmarks.common import add_arguments, write_json
from studio.data import find_course_data, open_dataset
from studio.models import model_module
from studio.models.completion import PARTICLES, centre_hole, complete, cover_bottom


def timed(fn, repeats: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each call. On a shared machine the CPU time (this process
    only) says what the work costs; the wall time, what a user waits."""
    fn()  # warm-up: first calls allocate
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a trained pixelrnn or transformer run (default: fresh weights)")
    parser.add_argument("--model", default="pixelrnn", choices=["pixelrnn", "transformer"])
    parser.add_argument("--config", help="config for fresh weights (default: pixelrnn lecture, transformer hw4)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=7)
    add_arguments(parser, data=None, device=False)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.run:
        from studio.train.trained import TrainedRun

        run = TrainedRun.open(args.run)
        task, palette = run.task, run.palette
    else:
        data = args.data or find_course_data()
        palette = open_dataset(data).palette if data else open_dataset("builtin").palette
        module = model_module(args.model)
        config = module.CONFIGS[args.config or {"pixelrnn": "lecture", "transformer": "hw4"}[args.model]]
        task = module.Task(config, palette.colors, (20, 20), torch.device("cpu"))
        task.net.eval()
    sprite = np.zeros(task.size, np.uint8)
    cases = {
        "complete cover 75 %, 8 variants": lambda: complete(task, sprite, cover_bottom(task.size, 0.75), 8, seed=0),
        f"complete centre hole 25 %, 8 variants ({PARTICLES} particles)":
            lambda: complete(task, sprite, centre_hole(task.size, 0.25), 8, seed=0),
        "draw 64 sprites from scratch": lambda: task.draw(64, seed=0),
    }
    rows = []
    for name, fn in cases.items():
        t, cpu = timed(fn, args.repeats)
        row = {"case": name, "best_s": min(t), "median_s": statistics.median(t),
               "cpu_best_s": min(cpu), "cpu_median_s": statistics.median(cpu)}
        if name.startswith("draw"):
            row["sprites_per_s_best"] = 64 / min(t)
            row["sprites_per_s_median"] = 64 / statistics.median(t)
        rows.append(row)
    info = {"threads": torch.get_num_threads(), "model": type(task.net).__name__, "config": repr(task.config),
            "repeats": args.repeats, "rows": rows}
    write_json(args.json, info)
    print(f"{task.config}, {info['threads']} torch thread(s), {args.repeats} repeats")
    print(f"{'case':58} {'best s':>8} {'median s':>9} {'cpu best s':>10} {'cpu median s':>12} {'sprites/s':>10}")
    for r in rows:
        rate = f"{r['sprites_per_s_best']:.1f} / {r['sprites_per_s_median']:.1f}" if "sprites_per_s_median" in r else ""
        print(f"{r['case']:58} {r['best_s']:8.3f} {r['median_s']:9.3f} {r['cpu_best_s']:10.3f} "
              f"{r['cpu_median_s']:12.3f} {rate:>10}")
    print("sprites/s: best / median; the load average now: "
          + " ".join(f"{x:.1f}" for x in __import__("os").getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
