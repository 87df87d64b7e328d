"""Masked diffusion against the transformer, on this machine, in one run: how long drawing and
completing take.

Rows (each timed --reps times, the two models alternating, so both see the same machine; the
median is shown, wall seconds and this process's CPU seconds, one thread):

  draw 64       64 new sprites: the transformer pixel by pixel (400 steps, KV cache) against
                diffusion in K steps (the run's, or --steps) alone, and with the run's
                corrector passes after them (what `studio sample` draws by default);
  draw 1        one new sprite: the same, with no batch to share the per-step cost;
  canvas: MASK  a canvas completion, 8 variants, as the canvas calls it (completer_for: the
                transformer's SMC with 24 particles where visible pixels follow the hole;
                diffusion in its share of the run's K, diffusion.share_of_steps: 4 steps for
                a quarter of the sprite hidden, 8 for half; a completion takes no corrector passes).

    python -m benchmarks.diffusion_speed --diffusion RUN --transformer RUN [--steps 16] [--reps 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch


from studio.models.completion import centre_hole, random_pixels
from studio.models.inpainting import completer_for
from studio.train.trained import TrainedRun

MASKS = {"centre hole 25 %": lambda size: centre_hole(size, 0.25),
         "random 50 %": lambda size: random_pixels(size, 0.5, seed=0)}


def timed(job) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    job()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diffusion", required=True, help="a diffusion run folder")
    parser.add_argument("--transformer", required=True, help="a transformer run folder")
    parser.add_argument("--steps", type=int, help="diffusion's K in the draw rows (default: the run's; "
                        "the canvas rows take their share of the run's K, as the canvas does)")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    diffusion = TrainedRun.open(args.diffusion, "best", "cpu", model="diffusion")
    transformer = TrainedRun.open(args.transformer, "best", "cpu", model="transformer")
    steps = args.steps or diffusion.task.config.steps
    sprites = diffusion.dataset()
    _, held = diffusion.split(sprites)
    sprite, size = sprites.indices[held[0]], diffusion.task.size
    fill, raster = completer_for(diffusion.task), completer_for(transformer.task)  # as the canvas makes them
    passes = diffusion.task.config.corrector
    jobs = {}
    for n in (64, 1):
        jobs[f"draw {n}, K steps alone"] = (lambda n=n: transformer.task.draw(n, seed=1),
                                            lambda n=n: diffusion.task.draw(n, seed=1, steps=steps, corrector=0))
        jobs[f"draw {n}, K steps and {passes} corrector passes"] = (
            lambda n=n: transformer.task.draw(n, seed=1), lambda n=n: diffusion.task.draw(n, seed=1, steps=steps))
    for name, make in MASKS.items():
        mask = make(size)
        jobs[f"canvas: {name}, 8 variants"] = (lambda m=mask: raster.complete(sprite, m, 8, seed=1),
                                               lambda m=mask: fill.complete(sprite, m, 8, seed=1))
    for first, second in jobs.values():  # warm-up: first calls allocate
        first(), second()
    print(f"{args.reps} repetitions, {args.threads} thread(s), diffusion K = {steps} "
          f"({diffusion.task.config.schedule}), corrector passes {passes}; medians\n")
    print("| job | transformer wall s | diffusion wall s | ratio (wall) | transformer CPU s | diffusion CPU s "
          "| ratio (CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (first, second) in jobs.items():
        times = {"t": [], "d": []}
        for _ in range(args.reps):
            times["t"].append(timed(first))
            times["d"].append(timed(second))
        med = {k: [statistics.median(t[i] for t in v) for i in (0, 1)] for k, v in times.items()}
        print(f"| {name} | {med['t'][0]:.3f} | {med['d'][0]:.3f} | {med['t'][0] / med['d'][0]:.2f}× | "
              f"{med['t'][1]:.3f} | {med['d'][1]:.3f} | {med['t'][1] / med['d'][1]:.2f}× |", flush=True)
    print("\nratio: the transformer's time over diffusion's (above 1: diffusion is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
