#!/usr/bin/env python
"""Why a VAE? Decode random codes N(0, I) with a plain auto-encoder and with a VAE, side by side.

    python -m benchmarks.ae_vs_vae --data PATH -o ae_vs_vae.png [--steps 600]
    python -m benchmarks.ae_vs_vae --vae-run RUN --ae-run RUN -o ae_vs_vae.png

Trains both briefly on the same data (same network, configs ``lecture`` and ``ae``) unless
trained runs are given, then decodes the same 36 codes c ~ N(0, I) through each decoder.
Left: the auto-encoder; right: the VAE. Also prints each one's held-out reconstruction.

The auto-encoder never sees codes outside the scattered set its encoder happens to produce, so
random codes land in regions its decoder never learned; the VAE's KL term pulls every sprite's
code distribution towards N(0, I) (and its noise fills the space between them), so the prior's
codes are ones its decoder was trained on.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw


from benchmarks.common import add_arguments, train_row
from studio.data import grid_image, open_dataset
from studio.train.evaluate import evaluate_run
from studio.train.trained import TrainedRun


def labelled(image: Image.Image, title: str) -> Image.Image:
    canvas = Image.new("RGB", (image.width, image.height + 22), (40, 40, 40))
    canvas.paste(image, (0, 22))
    ImageDraw.Draw(canvas).text((6, 5), title, fill=(235, 235, 235))
    return canvas


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=600, help="training steps of each model")
    p.add_argument("--vae-run", help="a trained VAE run (skips training it)")
    p.add_argument("--ae-run", help="a trained auto-encoder run (config ae; skips training it)")
    p.add_argument("-n", type=int, default=36, help="codes to decode")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("-o", "--output", required=True)
    add_arguments(p, data="builtin", json_file=False)
    args = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ae_vs_vae-"))
    sprites = None if args.ae_run and args.vae_run else open_dataset(args.data)
    runs = {"auto-encoder": args.ae_run or train_row("vae", "ae", sprites, work / "ae", steps=args.steps,
                                                     device=args.device, eval_every=5),
            "VAE": args.vae_run or train_row("vae", "lecture", sprites, work / "vae", steps=args.steps,
                                             device=args.device, eval_every=5)}
    panels = []
    print(f"{'model':14} {'held-out recon bits/px':>23} {'-ELBO bits/px':>14} {'background share':>17}")
    for name, run in runs.items():
        opened = TrainedRun.open(run)
        task, palette = opened.task, opened.palette
        codes = torch.randn(args.n, task.config.latent_dim, generator=torch.Generator().manual_seed(args.seed))
        sprites = task.decode(codes)  # the same codes for both
        held = evaluate_run(run, "best", "cpu")["held_out"]
        background = float((sprites == 0).mean())
        print(f"{name:14} {held['recon_bits_per_pixel']:>23.3f} "
              f"{held.get('elbo_bits_per_pixel', float('nan')):>14.3f} {background:>17.2f}")
        columns = int(np.ceil(np.sqrt(args.n)))
        panels.append(labelled(grid_image(sprites, palette, columns=columns, scale=args.scale),
                               f"{name}: decode(c), c ~ N(0, I)"))
    gap = 12
    sheet = Image.new("RGB", (sum(p.width for p in panels) + gap, max(p.height for p in panels)), (40, 40, 40))
    sheet.paste(panels[0], (0, 0))
    sheet.paste(panels[1], (panels[0].width + gap, 0))
    sheet.save(args.output)
    print(f"wrote {args.output} ({sheet.width}×{sheet.height}); runs: {runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
