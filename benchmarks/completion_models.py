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
  cpu s        CPU seconds of one completion (8 variants), one thread (this process's
               time.process_time(), so other work on the machine costs it little): median, worst.

It prints the table in markdown and, with --picture, draws the same five held-out sprites
(PICTURE_SPRITES) masked and completed by each run's top-ranked variant, a block per
PICTURE_MASKS mask: columns truth, masked, then one per run.

    python -m benchmarks.completion_models --run RUN [--run RUN ...] [--sprites 0] \
        [--picture OUT.png] [--json OUT.json] [--fit-steps N]
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

from PIL import Image, ImageDraw, ImageFont

from benchmarks.common import add_arguments
from studio.data import grid_image
from studio.models.completion import centre_hole, cover_bottom, make_generator, random_pixels, run_sampler
from studio.models.inpainting import completer_for
from studio.models.scores import score_samples
from studio.train.trained import TrainedRun

MASKS = {"centre hole 25 %": lambda size: centre_hole(size, 0.25),
         "cover 50 %": lambda size: cover_bottom(size, 0.5),
         "cover 75 %": lambda size: cover_bottom(size, 0.75),
         "random 50 %": lambda size: random_pixels(size, 0.5, seed=0)}
PICTURE_MASKS = ("centre hole 25 %", "cover 75 %")
# Positions in the held-out split (of 79 on the course data): a blue round body, a grey one, a
# yellow one, a red-orange one, a green snake: varied colours and shapes.
PICTURE_SPRITES = (5, 22, 34, 40, 60)


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
    from studio.session.completion import show_hidden

    return show_hidden(palette.to_rgb(sprite), mask)


def picture(palette, truths: list[np.ndarray], completed: dict, labels: list[str], size) -> Image.Image:
    """One block per PICTURE_MASKS mask: a title, a header of column names, then a row per
    sprite: truth, masked, each run's top-ranked completion (``completed[(label, k, mask)]``)."""
    scale, pad, head = 6, 8, 22
    font = ImageFont.load_default(size=14)
    columns = ["truth", "masked", *labels]
    blocks = []
    for mask_name in PICTURE_MASKS:
        mask = MASKS[mask_name](size)
        tiles = []
        for k, truth in enumerate(truths):
            tiles += [palette.to_rgb(truth), masked_rgb(palette, truth, mask)]
            tiles += [palette.to_rgb(completed[(label, k, mask_name)]) for label in labels]
        grid = grid_image(np.stack(tiles), palette, columns=len(columns), scale=scale)
        block = Image.new("RGB", (grid.width, grid.height + 2 * head), (40, 40, 40))
        block.paste(grid, (0, 2 * head))
        draw = ImageDraw.Draw(block)
        draw.text((pad, 3), mask_name, fill=(255, 255, 255), font=font)
        cell = grid.width / len(columns)
        for c, name in enumerate(columns):
            draw.text((c * cell + cell / 2, head + head / 2), name, fill=(235, 235, 235), font=font, anchor="mm")
        blocks.append(block)
    sheet = Image.new("RGB", (blocks[0].width, sum(b.height for b in blocks) + pad * (len(blocks) - 1)), (40, 40, 40))
    y = 0
    for b in blocks:
        sheet.paste(b, (0, y))
        y += b.height + pad
    return sheet


def markdown(rows: list[dict], truth_c2st: float) -> str:
    lines = ["| mask | model | NLL bits/px (hidden) | ΔE top | ΔE best of 8 | c2st | CPU s median | CPU s worst |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        nll = f"{r['nll']:.3f}" if r["nll"] is not None else "—"
        lines.append(f"| {r['mask']} | {r['label']} | {nll} | {r['de_top']:.2f} | {r['de_best']:.2f} | "
                     f"{r['c2st']:.2f} | {r['cpu_median']:.3f} | {r['cpu_max']:.3f} |")
    lines.append(f"| any | truth (held-out, uncompleted) | — | 0.00 | 0.00 | {truth_c2st:.2f} | — | — |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, help="a trained run folder (repeat; any model)")
    parser.add_argument("--checkpoint", default="best")
    parser.add_argument("--sprites", type=int, default=0, help="held-out sprites used (0: all)")
    parser.add_argument("--variants", type=int, default=8)
    parser.add_argument("--evidence-particles", type=int, default=128,
                        help="particles/codes of the NLL's evidence estimate (0: no NLL, for speed runs)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fit-steps", type=int, help="Adam steps of the VAE's and the GAN's code fit "
                                                       "(default: each completer's own)")
    parser.add_argument("--picture", help="write the comparison PNG here")
    add_arguments(parser, data=False, device=False)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    opened = [TrainedRun.open(run, args.checkpoint, "cpu") for run in args.run]
    # Columns are named by model, and by run folder where two runs share a model.
    models = [r.model for r in opened]
    labels = [r.model if models.count(r.model) == 1 else f"{r.model} ({r.path.name})" for r in opened]
    data = opened[0].dataset()
    train, held = opened[0].split(data)
    held = held[:args.sprites] if args.sprites else held
    shown = [k for k in PICTURE_SPRITES if k < len(held)] or list(range(min(5, len(held))))
    palette = data.palette
    lab = torch.from_numpy(palette.lab)
    size = (data.height, data.width)

    rows, shown_completions = [], {}  # [(label, k, mask)] = the top-ranked variant, for the picture
    for run, label in zip(opened, labels):
        completer = completer_for(run.task)
        if args.fit_steps and hasattr(completer, "steps"):
            completer.steps = args.fit_steps
        completer.complete(data.indices[held[0]], MASKS["random 50 %"](size), args.variants, seed=0)  # warm-up: first calls allocate
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
                if k in shown:
                    shown_completions[(label, shown.index(k), mask_name)] = variants[0].sprite
                if run.model in HIDDEN_NLL and args.evidence_particles and not getattr(run.task, "autoregressive", False):
                    nats = HIDDEN_NLL[run.model](run.task, truth, mask, args.evidence_particles, 10_000 + k)
                    stats["nll"].append(nats / int(mask.sum()) / math.log(2))
            rows.append({"mask": mask_name, "model": run.model, "label": label, "run": str(run.path),
                         "sprites": len(held), "nll": float(np.mean(stats["nll"])) if stats["nll"] else None,
                         "de_top": float(np.mean(stats["de_top"])), "de_best": float(np.mean(stats["de_best"])),
                         "c2st": c2st(np.stack(completed), data, train, held),
                         "cpu_median": statistics.median(stats["cpu"]), "cpu_max": max(stats["cpu"])})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)

    truth_c2st = c2st(data.indices[held], data, train, held)
    rows.sort(key=lambda r: list(MASKS).index(r["mask"]))  # per mask, the runs in the order given
    if args.picture:
        picture(palette, [data.indices[held[k]] for k in shown], shown_completions, labels, size).save(args.picture)
        print(f"wrote {args.picture}: held-out sprites {', '.join(str(held[k]) for k in shown)} (split positions "
              f"{', '.join(map(str, shown))}), {' and '.join(PICTURE_MASKS)}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": args.run, "rows": rows, "truth_c2st": truth_c2st}, indent=1))
    print(f"{len(held)} held-out sprites, {args.variants} variants, {args.threads} thread(s), NLL evidence from "
          f"{args.evidence_particles} particles/codes\n")
    print(markdown(rows, truth_c2st))
    return 0


if __name__ == "__main__":
    sys.exit(main())
