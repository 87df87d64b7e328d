"""Masked diffusion's steps against its samples' quality: K = 4 … 400, each schedule.

For each K and schedule, ``-n`` sprites are drawn from the run's best checkpoint (seed 0) and
scored by the yardstick (studio/models/scores.py, as `studio score` scores a run: against the
run's own training sprites, held-out ones setting the copy threshold). Columns: c2st (0.5 =
indistinguishable from real) with its 95 % interval, precision, recall, copy rate, MMD² (the
colour statistics), and the CPU seconds of the draw
(this process, one thread). The K steps alone by default; ``--corrector R`` adds R corrector
passes after them (the run's own: ``--corrector run``). The reference rows score real held-out
sprites (the floor) the same way.

    python -m benchmarks.diffusion_steps --run RUN [--steps 4,8,16,32,64] [--schedules cosine,random] [-n 512] \
        [--corrector 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch


from benchmarks.common import add_arguments
from studio.models.scores import reference_rows, score_samples
from studio.train.trained import TrainedRun


def _row(score: dict) -> str:
    return (f"{score['c2st']:.3f} [{score['c2st_low']:.2f}, {score['c2st_high']:.2f}] | {score['precision']:.3f} "
            f"| {score['recall']:.3f} | {score['copy_rate']:.3f} | {score['mmd2']:.4f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a diffusion run folder")
    parser.add_argument("--steps", default="4,8,16,32,64", help="the K to try, comma-separated")
    parser.add_argument("--schedules", default="cosine,random")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--corrector", default="0", help="corrector passes after the K steps, or 'run' (the run's own)")
    parser.add_argument("-n", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    add_arguments(parser, data=False, device=False)
    args = parser.parse_args()
    torch.set_num_threads(1)

    run = TrainedRun.open(args.run, "best", "cpu", model="diffusion")
    sprites = run.dataset()
    train, held = (sprites.indices[i] for i in run.split(sprites))
    rows = []
    corrector = run.task.config.corrector if args.corrector == "run" else int(args.corrector)
    print(f"{args.n} samples of {run.path.name} ({run.checkpoint.name}), temperature {args.temperature}, "
          f"{corrector} corrector passes after the K steps\n")
    print("| K | schedule | c2st [95 % interval] | precision | recall | copy rate | MMD² | CPU s (all samples) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for schedule in args.schedules.split(","):
        for steps in map(int, args.steps.split(",")):
            start = time.process_time()
            samples = run.task.draw(args.n, seed=args.seed, temperature=args.temperature, steps=steps,
                                    schedule=schedule, corrector=corrector)
            cpu = time.process_time() - start
            score = score_samples(samples, train, held, sprites.palette, n=args.n, seed=args.seed)
            rows.append({"steps": steps, "schedule": schedule, "cpu_seconds": cpu, **score})
            print(f"| {steps} | {schedule} | {_row(score)} | {cpu:.1f} |", flush=True)
    real = reference_rows(train, held, sprites.palette, n=args.n, seed=args.seed)["real"]
    print(f"| — | real held-out sprites | {_row(real)} | — |")
    if args.json:
        Path(args.json).write_text(json.dumps({"run": args.run, "rows": rows, "real": real}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
