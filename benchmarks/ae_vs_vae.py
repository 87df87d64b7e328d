#!/usr/bin/env python
"""Why a VAE? Decode random codes N(0, I) with a plain auto-encoder and with a VAE, side by side.

    python benchmarks/ae_vs_vae.py --data PATH -o ae_vs_vae.png [--steps 600]
    python benchmarks/ae_vs_vae.py --vae-run RUN --ae-run RUN -o ae_vs_vae.png

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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.data import grid_image, open_dataset  # noqa: E402
from studio.train.config import resolve_config  # noqa: E402
from studio.train.engine import Trainer, TrainSettings  # noqa: E402
from studio.train.evaluate import evaluate_run  # noqa: E402
from studio.train.trained import TrainedRun  # noqa: E402


def train(config_name: str, data: str, steps: int, out: Path) -> Path:
    settings = TrainSettings(epochs=10 ** 6, max_steps=steps, batch_size=64, sample_every=0,
                             log_every=50, checkpoint_every=0, eval_every=5)
    Trainer("vae", resolve_config("vae", config_name), open_dataset(data), settings, out).run_training()
    return out


def labelled(image: Image.Image, title: str) -> Image.Image:
    canvas = Image.new("RGB", (image.width, image.height + 22), (40, 40, 40))
    canvas.paste(image, (0, 22))
    ImageDraw.Draw(canvas).text((6, 5), title, fill=(235, 235, 235))
    return canvas


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="builtin", help="dataset to train on (default: builtin)")
    p.add_argument("--steps", type=int, default=600, help="training steps of each model")
    p.add_argument("--vae-run", help="a trained VAE run (skips training it)")
    p.add_argument("--ae-run", help="a trained auto-encoder run (config ae; skips training it)")
    p.add_argument("-n", type=int, default=36, help="codes to decode")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ae_vs_vae-"))
    runs = {"auto-encoder": args.ae_run or train("ae", args.data, args.steps, work / "ae"),
            "VAE": args.vae_run or train("lecture", args.data, args.steps, work / "vae")}
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
