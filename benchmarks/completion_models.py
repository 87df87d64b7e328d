"""Every model completes the same masked held-out sprites: how well, how fast?

For each trained run given (any model; studio/models/inpainting.py), each held-out sprite of the
run's own split, and each mask (centre hole 25 %, cover bottom 50 %, cover bottom 75 %, a random
50 % of the pixels), the model fills the hidden pixels 8 ways through the one completion
interface (``completer_for(task).complete``). Columns (means over sprites):

  nll bits/px  −log2 p(true hidden pixels | visible pixels) per hidden pixel, where the model has
               one. PixelRNN: log p(x_visible) − log p(x), p(x_visible) the SMC estimate with
               --evidence-particles (exact when no visible pixel follows the hole). VAE: the same
               ratio by importance sampling over codes, --evidence-particles codes drawn half from
               the encoder's q(c | x) and half from the prior (a defensive mixture), so
               p(hidden | visible) = Σ w p(x_hidden | c) / Σ w, w = p(x_visible | c) N(c) / q(c);
               an estimate, not a bound; none for a VAE with an autoregressive decoder, whose
               p(x_visible | c) has no closed form. GAN: none (an implicit model has no likelihood).
  ΔE top       CIELAB ΔE*76 between the truth and the model's top-ranked variant, hidden pixels only.
  ΔE best/8    the same for whichever of the 8 variants is closest to the truth.
  c2st         the yardstick's classifier two-sample test (studio/models/scores.py) of the 79
               completed sprites (top-ranked) against the training sprites, as samples are
               scored: 0.5 = indistinguishable, 1 = always told apart. The reference row
               "truth" scores the 79 held-out sprites themselves, uncompleted (the floor).
  cpu s        median CPU seconds of one completion (8 variants), one thread.

    python benchmarks/completion_models.py --run RUN [--run RUN ...] [--sprites 0] [--picture OUT.png]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not
from studio.data import grid_image, open_dataset
from studio.models.completion import centre_hole, cover_bottom, make_generator, random_pixels, run_sampler
from studio.models.inpainting import completer_for
from studio.models.scores import score_samples
from studio.train.trained import TrainedRun

MASKS = {"centre hole 25 %": lambda size: centre_hole(size, 0.25),
         "cover 50 %": lambda size: cover_bottom(size, 0.5),
         "cover 75 %": lambda size: cover_bottom(size, 0.75),
         "random 50 %": lambda size: random_pixels(size, 0.5, seed=0)}
PICTURE_MASKS = ("centre hole 25 %", "cover 50 %", "cover 75 %", "random 50 %", "centre hole 25 %")


# --- the true hidden pixels' NLL, per family -----------------------------------------------------
def pixelrnn_hidden_nll(task, truth: np.ndarray, mask: np.ndarray, particles: int, seed: int) -> float:
    """−log p(x_hidden | x_visible) in nats = log p(x_visible) − log p(x)."""
    log_p = task.net.eval().log_probs(torch.as_tensor(truth).long()[None].to(task.device))[0].detach().cpu()
    flat = mask.reshape(-1)
    first = int(np.argmax(flat))
    if not (~flat[first:]).any():  # nothing visible after the hole: the raster factors are exact
        return -float(log_p[torch.from_numpy(flat)].sum())
    evidence = run_sampler(task, truth, flat, particles, generator=make_generator(task, seed)).log_evidence
    return evidence - float(log_p.sum())


@torch.no_grad()
def vae_hidden_nll(task, truth: np.ndarray, mask: np.ndarray, particles: int, seed: int) -> float:
    x = torch.as_tensor(truth).long().to(task.device)
    hidden = torch.as_tensor(mask, device=task.device)
    m, log_var = (t.to(task.device) for t in task.encode(x[None].cpu()))
    std = torch.exp(log_var / 2)
    g = torch.Generator(device=task.device).manual_seed(seed)
    half = particles // 2
    e = torch.randn(particles, m.shape[1], generator=g, device=task.device)
    codes = torch.cat([m + std * e[:half], e[half:]])
    normal = torch.distributions.Normal
    log_prior = normal(0.0, 1.0).log_prob(codes).sum(1)
    log_q = torch.logaddexp(normal(m, std).log_prob(codes).sum(1), log_prior) - math.log(2)
    log_visible, log_hidden = [], []
    for chunk in codes.split(64):
        log_px = torch.log_softmax(task.code_logits(chunk).float(), 1).gather(1, x.expand(len(chunk), 1, *x.shape))[:, 0]
        log_visible.append((log_px * ~hidden).flatten(1).sum(1))
        log_hidden.append((log_px * hidden).flatten(1).sum(1))
    log_w = torch.cat(log_visible) + log_prior - log_q
    return -float(torch.logsumexp(log_w + torch.cat(log_hidden), 0) - torch.logsumexp(log_w, 0))


HIDDEN_NLL = {"pixelrnn": pixelrnn_hidden_nll, "transformer": pixelrnn_hidden_nll, "vae": vae_hidden_nll}


def c2st(completed: np.ndarray, data, train: np.ndarray, held: np.ndarray) -> float:
    """The yardstick's c2st of ``completed`` against the training sprites (held-out ones set
    its copy threshold), as every model's samples are scored."""
    return float(score_samples(completed, data.indices[train], data.indices[held], data.palette)["c2st"])


def masked_rgb(palette, sprite: np.ndarray, mask: np.ndarray) -> np.ndarray:
    from studio.cli.pixelrnn import show_hidden

    return show_hidden(palette.to_rgb(sprite), mask)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, help="a trained run folder (repeat)")
    parser.add_argument("--checkpoint", default="best")
    parser.add_argument("--sprites", type=int, default=0, help="held-out sprites used (0: all)")
    parser.add_argument("--variants", type=int, default=8)
    parser.add_argument("--evidence-particles", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--picture", help="write the five-sprite comparison PNG here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    opened = [TrainedRun.open(run, args.checkpoint, "cpu") for run in args.run]
    models = [(r.task, r.palette, r.config) for r in opened]
    saved0 = models[0][2]
    data = open_dataset(saved0["data"]["source"], **saved0["data"].get("options", {}))
    train, held = data.split(saved0["train"]["held_out"])
    held = held[:args.sprites] if args.sprites else held
    palette = data.palette
    lab = torch.from_numpy(palette.lab)
    size = (data.height, data.width)

    rows, best = [], {}  # best[(model, sprite, mask)] = the top-ranked variant, for the picture
    for run, (task, _, saved) in zip(args.run, models):
        name = saved["model"]
        completer = completer_for(task)
        for mask_name, make_mask in MASKS.items():
            mask = make_mask(size)
            flat = torch.from_numpy(mask.reshape(-1))
            stats = {"nll": [], "de_top": [], "de_best": [], "cpu": []}
            completed = []
            for k, i in enumerate(held):
                truth = data.indices[i]
                start = time.process_time()
                variants = completer.complete(truth, mask, args.variants, seed=k)
                stats["cpu"].append(time.process_time() - start)
                canvas = torch.from_numpy(np.stack([v.sprite for v in variants]).reshape(len(variants), -1)).long()
                true_flat = torch.from_numpy(truth.reshape(-1)).long()
                de = torch.linalg.vector_norm(lab[canvas][:, flat] - lab[true_flat[flat]], dim=-1).mean(1)  # [n]
                stats["de_top"].append(float(de[0]))
                stats["de_best"].append(float(de.min()))
                completed.append(variants[0].sprite)
                best[(name, int(i), mask_name)] = variants[0].sprite
                if name in HIDDEN_NLL and not getattr(task, "autoregressive", False):
                    nats = HIDDEN_NLL[name](task, truth, mask, args.evidence_particles, 10_000 + k)
                    stats["nll"].append(nats / int(mask.sum()) / math.log(2))
            rows.append({"mask": mask_name, "model": name, "run": run, "sprites": len(held),
                         "nll": float(np.mean(stats["nll"])) if stats["nll"] else None,
                         "de_top": float(np.mean(stats["de_top"])), "de_best": float(np.mean(stats["de_best"])),
                         "c2st": c2st(np.stack(completed), data, train, held),
                         "cpu_median": statistics.median(stats["cpu"]), "cpu_max": max(stats["cpu"])})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)

    truth_c2st = c2st(data.indices[held], data, train, held)
    if args.picture:
        names = [saved["model"] for _, _, saved in models]
        tiles = []
        for i, mask_name in zip(held[:5], PICTURE_MASKS):
            mask = MASKS[mask_name](size)
            tiles += [palette.to_rgb(data.indices[i]), masked_rgb(palette, data.indices[i], mask)]
            tiles += [palette.to_rgb(best[(n, int(i), mask_name)]) for n in names]
        grid_image(np.stack(tiles), palette, columns=2 + len(names), scale=6).save(args.picture)
        print(f"wrote {args.picture}: rows = held-out sprites {', '.join(str(i) for i in held[:5])} "
              f"({', '.join(PICTURE_MASKS)}); columns = truth, masked, {', '.join(names)}", file=sys.stderr)

    if args.json:
        print(json.dumps({"runs": args.run, "rows": rows, "truth_c2st": truth_c2st}, indent=1))
        return 0
    print(f"{len(held)} held-out sprites, {args.variants} variants, {args.threads} thread(s), "
          f"evidence from {args.evidence_particles} particles/codes")
    print(f"{'mask':17} {'model':9} {'nll bits/px':>11} {'ΔE top':>7} {'ΔE best/8':>9} {'c2st':>5} "
          f"{'cpu s':>6} {'max s':>6}")
    for r in rows:
        nll = f"{r['nll']:11.3f}" if r["nll"] is not None else f"{'—':>11}"
        print(f"{r['mask']:17} {r['model']:9} {nll} {r['de_top']:7.2f} {r['de_best']:9.2f} {r['c2st']:5.2f} "
              f"{r['cpu_median']:6.3f} {r['cpu_max']:6.3f}")
    print(f"{'any':17} {'truth':9} {'—':>11} {0:7.2f} {0:9.2f} {truth_c2st:5.2f} {'—':>6} {'—':>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
