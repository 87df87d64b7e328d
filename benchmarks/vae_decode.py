#!/usr/bin/env python
"""How fast the latent explorer decodes — one point → RGB image (the slider's path), a grid — and completes.

    python -m benchmarks.vae_decode [--run RUN_DIR | --config NAME] [--calls 2000]

Goal: one-point decode plus conversion to a uint8 image under 5 ms on a laptop-class CPU for
the conv decoder, so the sprite follows a slider within one 60 Hz frame; under 100 ms for an
autoregressive decoder (400 sequential pixel steps). Without --run, a freshly initialised VAE
of --config (default: the lecture's) with the course's 167 colours is timed: the cost does not
depend on the weights. Completing 8 variants (the canvas's call) should take under 1 s.
Prints median and p95 over many calls, with torch's default thread count and with one thread
(what a GUI shares with a training thread).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch


from studio.data.palette import Palette
from studio.models import vae
from studio.models.completion import centre_hole, cover_bottom
from studio.models.inpainting import completer_for
from studio.models.latent import LatentExplorer


def make_explorer(run: str | None, config: str = "lecture") -> LatentExplorer:
    if run:
        from studio.train.trained import TrainedRun

        opened = TrainedRun.open(run, model="vae")
        return LatentExplorer(opened.task, opened.palette, opened.dataset())
    colors = np.random.default_rng(0).integers(0, 256, (167, 3), dtype=np.uint8)
    task = vae.Task(vae.CONFIGS[config], colors, (20, 20), torch.device("cpu"))
    return LatentExplorer(task, Palette(colors), None)


def timings_ms(fn, calls: int, warmup: int = 50) -> np.ndarray:
    for _ in range(warmup):
        fn()
    out = np.empty(calls)
    for k in range(calls):
        t0 = time.perf_counter()
        fn()
        out[k] = (time.perf_counter() - t0) * 1e3
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", help="a trained VAE run (default: a fresh VAE of --config)")
    p.add_argument("--config", default="lecture", choices=list(vae.CONFIGS), help="the fresh VAE's preset")
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--threads", type=int, nargs="+", help="torch thread counts to time (default: torch's and 1)")
    args = p.parse_args(argv)
    explorer = make_explorer(args.run, args.config)
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((args.calls + 100, explorer.latent_dim)).astype(np.float32)
    k = iter(range(10 ** 9))
    base = explorer.base_code("zeros")

    def one_point():
        explorer.decode_rgb(codes[next(k) % len(codes)])

    def grid_9x9():
        explorer.grid((0, 1), base, n=9)

    # Completing 8 variants (the canvas's call): a held-out sprite of the run, else a blank one.
    completer = completer_for(explorer.task)
    sprite = (explorer.sprites.indices[explorer.sprites.split()[1][0]] if explorer.sprites is not None
              else np.zeros(explorer.size, np.uint8))

    def complete(mask):
        return lambda: completer.complete(sprite, mask, n=8, seed=0)

    default_threads = torch.get_num_threads()
    print(f"VAE decode latency, CPU ({default_threads} torch threads by default), "
          f"{'run ' + args.run if args.run else 'fresh ' + args.config + ' config'}, torch {torch.__version__}")
    print(f"{'what':38} {'threads':>7} {'calls':>6} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for threads in args.threads or sorted({default_threads, 1}, reverse=True):
        torch.set_num_threads(threads)
        cases = (("one point → RGB [20,20,3]", one_point, args.calls),
                 ("9×9 grid → indices [81,20,20]", grid_9x9, max(20, args.calls // 20)),
                 ("complete centre hole 25 %, 8 variants", complete(centre_hole(explorer.size, 0.25)), 20),
                 ("complete cover 50 %, 8 variants", complete(cover_bottom(explorer.size, 0.5)), 20))
        for name, fn, calls in cases:
            t = timings_ms(fn, calls, warmup=min(50 if name.startswith("one") else 3, calls))
            print(f"{name:38} {threads:>7} {calls:>6} {np.median(t):>10.2f} {np.percentile(t, 95):>8.2f} "
                  f"{t.max():>8.2f}")
    torch.set_num_threads(default_threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
