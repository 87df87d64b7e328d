"""Drawing sprites from a raster-order model (PixelRNN, the transformer) and completing masked ones.

One sampler does both, for either model: it only needs the stepping interface of
studio/models/autoregressive.py (``net.step`` for one pixel, ``net(tokens, start, state)`` for a
run of visible ones, a state whose tensors have the batch in dimension 1: the LSTM's (h, c) or
the transformer's KV cache). It walks the pixels in raster order with the state carried, one
step per pixel (never re-running the prefix), for a batch of candidate sprites ("particles"):
a hidden pixel is sampled from the model's softmax, a visible one is fed as it is. Drawing
from scratch is completing a sprite whose every pixel is hidden.

Why sequential Monte Carlo. A raster-order model conditions each pixel on the pixels above
and to its left only, so a plain pass samples a hole as if nothing came after it: the visible
pixels right of and below the hole are ignored, and a filled hole can clash with them. The
completion we want is the posterior p(hidden | all visible pixels). We get it by importance
weighting: each particle's weight is the probability the model gives the visible pixels that
follow its sampled ones, w = Π_{visible v after the first hidden pixel} p(x_v | x_<v); with
hidden pixels drawn from the model itself (temperature 1), the weighted particles target
exactly p(hidden | visible). Weights are applied as soon as each visible pixel is read, and
when they become uneven (effective sample size below half the particles) the particles are
resampled, so the batch concentrates on prefixes that agree with the visible pixels to come
(a particle filter / SMC; Doucet, de Freitas & Gordon 2001). Gibbs refinement would need one
pass over the rest of the sprite per candidate colour per pixel (K = 167 of them), far too
slow for an interactive canvas; SMC costs one batched pass. When no visible pixel follows a
hidden one (e.g. the lecture's "cover the bottom"), every weight is equal and the sampler is
plain ancestral sampling, which is then exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

RASTER_MODELS = ("pixelrnn", "transformer")  # the models this module completes with
# Candidates per completion when visible pixels follow the hole (at least n_variants). On the 79
# held-out sprites 24 completes as well as 32 did with PixelRNN (ΔE 38.9 vs 39.1 on the centre
# hole, 22.9 vs 22.8 on a random half) in 0.20 s instead of 0.33 on the random half; 16 loses
# ~2 ΔE (benchmarks/completion_models.py, docs/models.md "Completion with every model").
PARTICLES = 24


class Cancelled(Exception):
    """``cancel()`` returned True: the completion stopped between two steps."""


@dataclass(frozen=True)
class Completion:
    sprite: np.ndarray  # [H, W] uint8 colour indices: the visible pixels as given, the hidden filled in
    log_likelihood: float  # log p(sprite) of the whole completed sprite under the model, in nats


@dataclass
class SamplerResult:
    canvas: torch.Tensor  # [N, H·W] colour indices
    log_joint: torch.Tensor  # [N] log p(whole sprite), nats (the model at temperature 1)
    log_weight: torch.Tensor  # [N] importance log-weights since the last resampling
    log_evidence: float  # log of the SMC estimate of p(visible pixels); exact for the model at T=1


# --- masks ----------------------------------------------------------------------------------
def cover_bottom(size: tuple[int, int], fraction: float) -> np.ndarray:
    """The lecture's "cover 50 % / 75 %": the last ``fraction`` of the pixels in raster order
    hidden (whole bottom rows, then the right end of the row above). Bool [H, W], True = hidden."""
    h, w = size
    _check_fraction(fraction)
    mask = np.zeros(h * w, dtype=bool)
    mask[h * w - round(fraction * h * w):] = True
    return mask.reshape(h, w)


def given_first(size: tuple[int, int], fraction: float) -> np.ndarray:
    """HW4's task: the first ``fraction`` of the pixels in raster order given (0.6: 240 of 400),
    the rest hidden — the lecture's cover with the covered share 1 − ``fraction``."""
    return cover_bottom(size, 1 - fraction)


def centre_hole(size: tuple[int, int], fraction: float) -> np.ndarray:
    """A centred rectangle covering about ``fraction`` of the frame hidden. Bool [H, W]."""
    h, w = size
    _check_fraction(fraction)
    hh, hw = round(h * math.sqrt(fraction)), round(w * math.sqrt(fraction))
    mask = np.zeros((h, w), dtype=bool)
    top, left = (h - hh) // 2, (w - hw) // 2
    mask[top:top + hh, left:left + hw] = True
    return mask


def random_pixels(size: tuple[int, int], fraction: float, seed: int = 0) -> np.ndarray:
    """``fraction`` of the pixels hidden, scattered at random (repeatable from ``seed``). Bool [H, W]."""
    h, w = size
    _check_fraction(fraction)
    mask = np.zeros(h * w, dtype=bool)
    mask[np.random.default_rng(seed).permutation(h * w)[:round(fraction * h * w)]] = True
    return mask.reshape(h, w)


def _check_fraction(fraction: float) -> None:
    if not 0 <= fraction <= 1:
        raise ValueError(f"the covered fraction must be between 0 and 1, got {fraction}")


# --- the API the canvas calls ------------------------------------------------------------------
def complete(task, sprite, mask, n_variants: int = 8, temperature: float = 1.0, seed: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             cancel: Callable[[], bool] | None = None) -> list[Completion]:
    """Fill the hidden pixels of ``sprite`` [H, W] (``mask`` [H, W], True = hidden), ``n_variants``
    ways, best first.

    Visible pixels are kept exactly; hidden ones are sampled so that they fit the visible pixels
    on every side (see the module docstring). ``temperature`` < 1 sharpens each pixel's
    distribution (the weights stay the model's own probabilities of the visible pixels, so the
    target is then the sharpened model reweighted by how well it fits them; at 1 it is exactly
    p(hidden | visible)). The same ``seed`` gives the same variants. ``progress(done, total)`` is
    called between steps with pixels done out of H·W; ``cancel()`` returning True stops
    between steps by raising :class:`Cancelled`. Variants are distinct where the model allows
    (drawn without replacement from the weighted candidates) and sorted by ``log_likelihood``.
    """
    sprite, hidden = check_inputs(task, sprite, mask, n_variants)
    later_visible = _visible_after_hidden(hidden)
    n = max(n_variants, PARTICLES) if later_visible else n_variants
    generator = make_generator(task, seed)
    result = run_sampler(task, sprite, hidden, n, temperature=temperature, generator=generator,
                         resample=later_visible, progress=progress, cancel=cancel)
    chosen = choose_variants(result, n_variants, generator)
    h, w = task.size
    completions = [Completion(result.canvas[i].reshape(h, w).cpu().numpy().astype(np.uint8),
                              float(result.log_joint[i])) for i in chosen]
    return sorted(completions, key=lambda c: -c.log_likelihood)


def draw(task, n: int, seed: int = 0, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """n sprites from scratch, [n, H, W] uint8: every pixel hidden, one batched pass."""
    h, w = task.size
    result = run_sampler(task, np.zeros((h, w), np.uint8), np.ones(h * w, bool), n,
                         temperature=temperature, top_k=top_k, generator=make_generator(task, seed),
                         resample=False)
    return result.canvas.reshape(n, h, w).cpu().numpy().astype(np.uint8)


# --- the sampler ---------------------------------------------------------------------------------
def run_sampler(task, sprite: np.ndarray, hidden: np.ndarray, n: int, *, temperature: float = 1.0,
                top_k: int | None = None, generator: torch.Generator | None = None, resample: bool = True,
                progress=None, cancel=None) -> SamplerResult:
    """``n`` particles through the H·W pixels of ``sprite`` with ``hidden`` (flat bool [H·W])
    sampled. ``resample=False`` is the plain raster pass: no weighting decides anything."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if top_k is not None and not 1 <= top_k:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    net, device = task.net, task.device
    total = net.num_pixels
    generator = generator or make_generator(task, None)
    hidden = np.asarray(hidden, dtype=bool).reshape(-1)
    # Before the first hidden pixel every particle is the same: run that prefix once, then copy.
    canvas = net.pad(torch.as_tensor(np.asarray(sprite).reshape(1, -1), dtype=torch.long, device=device))
    log_joint = torch.zeros(1, device=device)
    log_weight = torch.zeros(1, device=device)
    log_evidence, state, expanded = 0.0, None, False
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            tables = net.step_tables()
            for start, stop in _chunks(hidden):
                if cancel is not None and cancel():
                    raise Cancelled(f"stopped at pixel {start} of {total}")
                # One call of the model for a run of visible pixels and the hidden one after it:
                # a hidden pixel's neighbours all come before it, so its logits come out of the
                # same call as the run's, and a call costs far more than a position in it.
                logits, state = net.step(net.context(canvas, start, stop), start, state, tables)
                logp = F.log_softmax(logits.float(), dim=-1)  # the model at temperature 1
                ends_hidden = bool(hidden[stop - 1])
                seen_stop = stop - 1 if ends_hidden else stop
                if seen_stop > start:  # visible pixels: weigh each particle by how well they fit
                    seen = logp[:, :seen_stop - start].gather(2, canvas[:, start:seen_stop, None]).squeeze(2).sum(1)
                    log_joint += seen
                    log_weight += seen
                    if resample and expanded and _effective_size(log_weight) < n / 2:
                        log_evidence += float(torch.logsumexp(log_weight, 0)) - math.log(n)
                        keep = _systematic(log_weight, n, generator)
                        canvas, log_joint, state = canvas[keep], log_joint[keep], net.reorder(state, keep, stop)
                        logits, logp = logits[keep], logp[keep]  # the hidden pixel's odds go with its particle
                        log_weight = torch.zeros(n, device=device)
                if ends_hidden:
                    if not expanded:  # the first hidden pixel: from here on the particles differ
                        canvas, log_joint, log_weight = canvas.expand(n, -1).clone(), log_joint.expand(n).clone(), \
                            log_weight.expand(n).clone()
                        state = tuple(s.expand(s.shape[0], n, *s.shape[2:]).contiguous() for s in state)
                        logits, logp = logits.expand(n, -1, -1), logp.expand(n, -1, -1)
                        expanded = True
                    pixel = _sample(logits[:, -1].float(), logp[:, -1], temperature, top_k, generator)
                    canvas[:, stop - 1] = pixel
                    log_joint += logp[:, -1].gather(1, pixel[:, None]).squeeze(1)
                if progress is not None:
                    progress(stop, total)
    finally:
        net.train(was_training)
    if not expanded:  # nothing hidden: the sprite itself, n times
        canvas, log_joint, log_weight = canvas.expand(n, -1), log_joint.expand(n), log_weight.expand(n)
    log_evidence += float(torch.logsumexp(log_weight, 0)) - math.log(len(log_weight))
    return SamplerResult(canvas[:, :total], log_joint, log_weight, log_evidence)


def _chunks(hidden: np.ndarray):
    """(start, stop) in raster order: each run of visible pixels with the hidden pixel after it
    (the run may be empty), and a last run of visible pixels if the sprite ends with one."""
    starts = np.flatnonzero(hidden) + 1  # a chunk ends after each hidden pixel
    bounds = [0, *starts.tolist()] + ([len(hidden)] if not len(starts) or starts[-1] < len(hidden) else [])
    return list(zip(bounds[:-1], bounds[1:]))


def _sample(logits, logp, temperature, top_k, generator) -> torch.Tensor:
    if temperature == 1.0 and top_k is None:
        probs = logp.exp()
    else:
        logits = logits / temperature
        if top_k is not None and top_k < logits.shape[-1]:
            kth = logits.topk(top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, -math.inf)
        probs = torch.softmax(logits, dim=-1)
    # Inverse-CDF sampling: the same draw as torch.multinomial, a third of its cost per step here.
    cumulative = probs.cumsum(-1)
    u = torch.rand(len(probs), 1, generator=generator, device=probs.device) * cumulative[:, -1:]
    return torch.searchsorted(cumulative, u, right=True).squeeze(1).clamp(max=probs.shape[-1] - 1)


def _effective_size(log_weight: torch.Tensor) -> float:
    w = torch.softmax(log_weight, 0)
    return float(1.0 / (w * w).sum())


def _systematic(log_weight: torch.Tensor, n: int, generator) -> torch.Tensor:
    """Systematic resampling: n indices, particle i about n·w_i times, with one random offset."""
    cumulative = torch.softmax(log_weight.double(), 0).cumsum(0)
    u = (torch.arange(n, device=log_weight.device, dtype=torch.float64)
         + torch.rand((), generator=generator, device=generator.device, dtype=torch.float64)) / n
    return torch.searchsorted(cumulative, u).clamp(max=len(log_weight) - 1)


def choose_variants(result: SamplerResult, n_variants: int, generator) -> list[int]:
    """n_variants particles, drawn by weight without replacement over the distinct sprites
    (Gumbel top-k), so the canvas shows different completions where the posterior has them.
    Sprites whose weight is under 1 % of the best one's are never shown; when fewer distinct
    sprites remain, they repeat (the posterior is that sure)."""
    unique, inverse = torch.unique(result.canvas, dim=0, return_inverse=True)
    weight = _group_logsumexp(result.log_weight, inverse, len(unique))
    plausible = weight >= weight.max() - math.log(100)
    uniform = torch.rand(len(unique), generator=generator, device=generator.device).cpu().double()
    gumbel = -torch.log(-torch.log(uniform.clamp(1e-12, 1 - 1e-12)))
    keys = torch.where(plausible, weight + gumbel, torch.tensor(-math.inf, dtype=torch.float64))
    order = torch.argsort(keys, descending=True)[:int(plausible.sum())].tolist()
    representative = {}
    for i, g in enumerate(inverse.tolist()):
        representative.setdefault(g, i)
    chosen = [representative[g] for g in order]
    return [chosen[i % len(chosen)] for i in range(n_variants)]


def _group_logsumexp(log_weight: torch.Tensor, groups: torch.Tensor, n_groups: int) -> torch.Tensor:
    out = torch.full((n_groups,), -math.inf, dtype=torch.float64)
    lw, gs = log_weight.double().cpu(), groups.cpu()
    for g in range(n_groups):
        out[g] = torch.logsumexp(lw[gs == g], 0)
    return out


def _visible_after_hidden(hidden: np.ndarray) -> bool:
    flat = hidden.reshape(-1)
    if not flat.any():
        return False
    first = int(np.argmax(flat))
    return bool((~flat[first:]).any())


def make_generator(task, seed: int | None) -> torch.Generator:
    """A generator on the model's device: seeded, or from fresh entropy when ``seed`` is None."""
    generator = torch.Generator(device=task.device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def check_inputs(task, sprite, mask, n_variants: int) -> tuple[np.ndarray, np.ndarray]:
    sprite, mask = np.asarray(sprite), np.asarray(mask)
    if sprite.shape != task.size or mask.shape != task.size:
        raise ValueError(f"sprite and mask must both be {task.size[0]}×{task.size[1]}, "
                         f"got {sprite.shape} and {mask.shape}")
    if sprite.size and (sprite.min() < 0 or sprite.max() >= task.num_colors):
        raise ValueError(f"sprite colour indices must be in 0..{task.num_colors - 1}")
    if n_variants < 1:
        raise ValueError(f"n_variants must be at least 1, got {n_variants}")
    return sprite.astype(np.int64), mask.astype(bool).reshape(-1)
