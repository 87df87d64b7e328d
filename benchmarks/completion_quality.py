"""Does the likelihood-aware (SMC) completion beat a plain raster pass? On held-out sprites.

For each held-out sprite of a trained run (the run's own 10 % split) and each mask (centre
hole 25 %, cover bottom 50 %, cover bottom 75 %), both methods fill the hidden pixels:

  plain  one raster pass, hidden pixels sampled from p(x_i | pixels above and left); the visible
         pixels after the hole are fed but never used to choose anything. 8 variants.
  smc    studio.models.completion.complete: 32 particles weighted (and resampled) by the
         probability of the visible pixels that follow; 8 variants drawn by weight.

Columns (means over sprites):
  nll bits/px  negative log-likelihood of the TRUE hidden pixels under each method's
               distribution over completions, in bits per hidden pixel.
                 plain: -Σ_hidden log2 p(x_i | x_<i), exact (the raster proposal q).
                 smc:   -log2 p(x_hidden | x_visible) = log2 p(x_visible) - log2 p(x), the model's
                        exact posterior, with p(x_visible) the SMC estimate (--evidence-particles);
                        that estimate is unbiased, so its log is slightly low on average: the
                        figure is an estimate, tight when the particle count is large.
               Where no visible pixel follows the hole (cover bottom), both are the same exact number.
  ΔE best      mean CIELAB ΔE*76 between the truth and the likeliest variant, hidden pixels only.
  ΔE mean      the same, averaged over the 8 variants.
  miss best    fraction of hidden pixels whose colour index differs from the truth (likeliest variant).

    python benchmarks/completion_quality.py --run runs/pixelrnn-configs/small [--sprites 40] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from studio.models.completion import (PARTICLES, centre_hole, choose_variants, cover_bottom, make_generator,
                                      run_sampler)
from studio.train.trained import TrainedRun

MASKS = {"centre hole 25 %": lambda size: centre_hole(size, 0.25),
         "cover 50 %": lambda size: cover_bottom(size, 0.5),
         "cover 75 %": lambda size: cover_bottom(size, 0.75)}


def variants(task, sprite, mask, method: str, n_variants: int, seed: int):
    """(variants [n, H·W] ordered best first by log p(sprite), SamplerResult) for one method."""
    generator = make_generator(task, seed)
    if method == "plain":
        result = run_sampler(task, sprite, mask.reshape(-1), n_variants, generator=generator, resample=False)
        chosen = list(range(n_variants))
    else:
        result = run_sampler(task, sprite, mask.reshape(-1), max(n_variants, PARTICLES), generator=generator)
        chosen = choose_variants(result, n_variants, generator)
    chosen.sort(key=lambda i: -float(result.log_joint[i]))
    return result.canvas[chosen].cpu().numpy(), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a trained pixelrnn run folder")
    parser.add_argument("--checkpoint", default="best")
    parser.add_argument("--sprites", type=int, default=40, help="held-out sprites used (0: all)")
    parser.add_argument("--variants", type=int, default=8)
    parser.add_argument("--evidence-particles", type=int, default=128)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    run = TrainedRun.open(args.run, args.checkpoint, model="pixelrnn")
    task, palette, data = run.task, run.palette, run.dataset()
    _, held = run.split(data)
    held = held[:args.sprites] if args.sprites else held
    lab = torch.from_numpy(palette.lab)

    rows = []
    for mask_name, make_mask in MASKS.items():
        mask = make_mask(task.size)
        flat = torch.from_numpy(mask.reshape(-1))
        stats = {m: {"nll": [], "de_best": [], "de_mean": [], "miss_best": []} for m in ("plain", "smc")}
        for k, i in enumerate(held):
            truth = data.indices[i]
            true_flat = torch.from_numpy(truth.reshape(-1)).long()
            log_p = task.net.eval().log_probs(true_flat.view(1, *task.size))[0].detach()  # [H·W], nats
            log_p_true = float(log_p.sum())
            for method in ("plain", "smc"):
                canvas, _ = variants(task, truth, mask, method, args.variants, args.seed + k)
                if method == "plain":
                    nll = -float(log_p[flat].sum())
                else:
                    evidence = run_sampler(task, truth, mask.reshape(-1), args.evidence_particles,
                                           generator=make_generator(task, 10_000 + k)).log_evidence
                    nll = evidence - log_p_true
                de = torch.linalg.vector_norm(lab[torch.from_numpy(canvas).long()][:, flat] - lab[true_flat[flat]],
                                              dim=-1)  # [n, hidden]
                s = stats[method]
                s["nll"].append(nll / flat.sum().item() / math.log(2))
                s["de_best"].append(float(de[0].mean()))
                s["de_mean"].append(float(de.mean()))
                s["miss_best"].append(float((torch.from_numpy(canvas[0]).long()[flat] != true_flat[flat]).float().mean()))
        for method, s in stats.items():
            rows.append({"mask": mask_name, "method": method, "sprites": len(held),
                         **{k: float(np.mean(v)) for k, v in s.items()}})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)

    if args.json:
        print(json.dumps({"run": args.run, "checkpoint": args.checkpoint, "rows": rows}, indent=1))
        return 0
    print(f"run {args.run} ({run.config['model_config']['hidden']} cells, context {run.config['model_config']['context']}), "
          f"{len(held)} held-out sprites, {args.variants} variants, smc {max(args.variants, PARTICLES)} particles, "
          f"evidence from {args.evidence_particles}")
    print(f"{'mask':18} {'method':6} {'nll bits/px':>11} {'ΔE best':>8} {'ΔE mean':>8} {'miss best':>9}")
    for r in rows:
        print(f"{r['mask']:18} {r['method']:6} {r['nll']:11.3f} {r['de_best']:8.2f} {r['de_mean']:8.2f} "
              f"{r['miss_best']:9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
