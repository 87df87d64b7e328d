"""Completing a masked sprite with any model: one interface, each family's own way of filling a hole.

    completer_for(task).complete(sprite, mask, n, seed, temperature) → n variants, best first

Every variant keeps the visible pixels exactly as given; the models differ in how they read
the hole and in the score they rank their variants by (``Completer.score_name``):

- **PixelRNN / transformer** (autoregressive): sequential Monte Carlo over the hidden pixels,
  weighted by how well the visible pixels after them fit (studio/models/completion.py,
  unchanged). Score: log p(completed sprite).
- **VAE** (conv decoder): find the code that explains what is visible. The lecture's ELBO, with the
  reconstruction restricted to the visible pixels and the code's spread shrunk to a point,
  becomes the MAP problem

      max_c  log p(x_visible | c) + log N(c; 0, I)

  solved by Adam on c from several starts at once (the encoder's guess, random codes); the
  hidden pixels are then the decoder's most likely colours at the best codes. Score: that
  objective, in nats. With a PixelRNN decoder (vae.PixelDecoder) the code is the encoder's
  guess and the hole is filled by the SMC above, given that code. Score: log p(sprite | c).
- **Diffusion** (masked): the model's own sampler from the sprite with its hole [MASK]ed, a few
  pixels committed per step, each step reading the visible pixels on every side. Score: the
  log-probability of the colours as they were committed.
- **GAN**: Yeh et al. 2017, "Semantic Image Inpainting with Deep Generative Models": the code z
  whose sprite G(z) matches the visible pixels (the context loss) and looks real to D (the
  prior loss),

      min_z  context(G(z), x_visible) + λ · generator_loss(D(G(z)))

  from several random starts, Adam on z. The context loss is −log p(x_visible) for a generator
  giving palette logits, the L1 colour distance for one giving RGB. Yeh et al. then blend the
  visible pixels back with Poisson editing; palette sprites need no blend, the visible pixels
  are pasted back as they are. Score: −(the loss).

``temperature`` is each family's own: the per-pixel softmax temperature of the autoregressive
models, the spread of the random starting codes (c, z ~ N(0, T² I)) for the VAE and the GAN,
whose hidden pixels are their most likely colours (given a code, pixels are independent, so
sampling them adds speckle, not variety: the variety is in the codes).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
import torch
import torch.nn.functional as F

from studio.models import completion
from studio.models.completion import Cancelled


@dataclass(frozen=True)
class Variant:
    sprite: np.ndarray  # [H, W] uint8 colour indices: the visible pixels as given, the hidden filled in
    score: float  # the model's own ranking score (Completer.score_name), higher is better


class Completer(Protocol):
    """What the canvas, ``studio complete`` and the benchmarks call, whatever the model."""

    score_name: str  # what Variant.score is, for a label

    def complete(self, sprite: np.ndarray, mask: np.ndarray, n: int = 8, seed: int | None = None,
                 temperature: float = 1.0, *, progress: Callable[[int, int], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> list[Variant]:
        """``n`` fillings of ``sprite``'s hidden pixels (``mask`` [H, W], True = hidden), best
        first; the same ``seed`` gives the same variants. ``progress(done, total)`` is called
        between steps; ``cancel()`` returning True raises :class:`Cancelled` between steps."""
        ...


def completer_for(task) -> Completer:
    """The completer of a trained model's task (the engine's ``Task`` of any model)."""
    family = type(task).__module__.rsplit(".", 1)[-1]
    if family not in COMPLETERS:
        raise ValueError(f"no completion for {family} models; choose one of {', '.join(COMPLETERS)}")
    return COMPLETERS[family](task)


# --- autoregressive: the existing SMC ------------------------------------------------------------
class Autoregressive:
    score_name = "log p(sprite), nats"

    def __init__(self, task):
        self.task = task

    def complete(self, sprite, mask, n=8, seed=None, temperature=1.0, *, progress=None, cancel=None):
        found = completion.complete(self.task, sprite, mask, n_variants=n, temperature=temperature, seed=seed,
                                    progress=progress, cancel=cancel)
        return [Variant(c.sprite, c.log_likelihood) for c in found]


# --- code-fitting models: one optimiser over codes, each model its own loss ---------------------
STARTS = 8  # codes optimised at once (at least n): distinct local optima are distinct variants
STEPS = 30  # Adam steps on the codes (the GAN's; the VAE's own is VAE_STEPS)
LR = 0.1  # codes are N(0, I)-sized, so a tenth of a unit per step


class _CodeFit:
    """Adam on a batch of codes against a per-code loss, then each code's sprite with the
    visible pixels pasted back, ranked by the final loss, distinct sprites first."""

    score_name = ""
    code_dim = 0

    def __init__(self, task, starts: int = STARTS, steps: int = STEPS, lr: float = LR):
        self.task, self.starts, self.steps, self.lr = task, starts, steps, lr

    def complete(self, sprite, mask, n=8, seed=None, temperature=1.0, *, progress=None, cancel=None):
        sprite, hidden = completion.check_inputs(self.task, sprite, mask, n)
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        device = self.task.device
        x = torch.as_tensor(sprite, dtype=torch.long, device=device)
        visible = torch.as_tensor(~hidden.reshape(x.shape), device=device)
        starts = torch.randn(max(n, self.starts), self.code_dim, device=device,
                             generator=completion.make_generator(self.task, seed)) * temperature
        starts = self.first_guesses(x, visible, starts)
        with self.frozen(), torch.enable_grad():
            codes, loss = fit_codes(lambda c: self.loss(c, x, visible), starts, self.steps, self.lr,
                                    progress, cancel)
            with torch.no_grad():
                filled = self.most_likely(codes)  # [S, H, W] long
        filled = torch.where(visible, x, filled).cpu().numpy().astype(np.uint8)
        return _rank(filled, -loss.cpu().numpy(), n)

    def first_guesses(self, x, visible, starts):
        return starts

    def loss(self, codes, x, visible) -> torch.Tensor:  # [S]
        raise NotImplementedError

    def most_likely(self, codes) -> torch.Tensor:  # [S, H, W]
        raise NotImplementedError

    def modules(self):
        return []

    @contextmanager
    def frozen(self):
        """The nets in eval mode with their weights out of autograd, so only the codes get
        gradients (no weight gradients computed or left behind); restored afterwards."""
        saved = [(m, m.training, [p.requires_grad for p in m.parameters()]) for m in self.modules()]
        for m, _, _ in saved:
            m.eval().requires_grad_(False)
        try:
            yield
        finally:
            for m, training, grads in saved:
                m.train(training)
                for p, g in zip(m.parameters(), grads):
                    p.requires_grad_(g)


def fit_codes(loss_of: Callable[[torch.Tensor], torch.Tensor], starts: torch.Tensor, steps: int, lr: float,
              progress=None, cancel=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Adam on every code of ``starts`` [S, D] at once against ``loss_of(codes)`` [S] (summed:
    the codes do not interact, so each gets its own loss's gradient). → (codes, final loss [S])."""
    codes = starts.clone().requires_grad_(True)
    opt = torch.optim.Adam([codes], lr=lr)
    for step in range(steps):
        if cancel is not None and cancel():
            raise Cancelled(f"stopped at step {step} of {steps}")
        loss = loss_of(codes)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
        if progress is not None:
            progress(step + 1, steps)
    with torch.no_grad():
        return codes.detach(), loss_of(codes).detach()


def visible_nll(logits: torch.Tensor, x: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
    """−log p(x_visible | logits) per sprite [S] in nats: ``logits`` [S, K, H, W], ``x`` [H, W]."""
    nll = F.cross_entropy(logits.float(), x.expand(len(logits), -1, -1), reduction="none")  # [S, H, W]
    return (nll * visible).flatten(1).sum(1)


# The encoder's guess starts the VAE's fit close: 20 Adam steps complete as well as 30 (course
# data, 20 held-out sprites × the 4 benchmark masks: ΔE of the top variant 37.6 vs 37.1, of the
# best of 8 32.9 vs 33.0) in two thirds of the time. The GAN, from random codes only, needs its
# 30 (centre hole, ΔE of the top variant: 45.5 at 20 steps, 42.8 at 30). Measured with
# benchmarks/completion_models.py --sprites 20 --fit-steps 20 (and 30).
VAE_STEPS = 20


class VAECompletion(_CodeFit):
    score_name = "log p(visible | c) + log N(c; 0, I), nats"

    def __init__(self, task, steps: int = VAE_STEPS, **kw):
        super().__init__(task, steps=steps, **kw)
        self.code_dim = task.config.latent_dim
        if task.autoregressive:
            self.score_name = "log p(sprite | c), nats"

    def complete(self, sprite, mask, n=8, seed=None, temperature=1.0, *, progress=None, cancel=None):
        """A PixelRNN decoder's p(visible | c) has no closed form to fit c by, so: c is the
        encoder's guess (below), and the hole is filled by the autoregressive models' own
        sequential Monte Carlo given c (studio/models/completion.py), which weighs each filling
        by how well the visible pixels after it fit. ``temperature`` is then the pixels'."""
        if not self.task.autoregressive:
            return super().complete(sprite, mask, n, seed, temperature, progress=progress, cancel=cancel)
        checked, hidden = completion.check_inputs(self.task, sprite, mask, n)
        x = torch.as_tensor(checked, dtype=torch.long, device=self.task.device)
        with self.frozen():
            code = self.encoder_guess(x, torch.as_tensor(~hidden.reshape(x.shape), device=self.task.device))
            found = completion.complete(self.task.given(code), sprite, mask, n_variants=n, temperature=temperature,
                                        seed=seed, progress=progress, cancel=cancel)
        return [Variant(c.sprite, c.log_likelihood) for c in found]

    def modules(self):
        return [self.task.vae]

    def encoder_guess(self, x, visible) -> torch.Tensor:
        """The encoder's code [1, D] for the sprite with its hole filled by its commonest
        visible colour (usually the background); the prior's mean when nothing is visible."""
        if not visible.any():
            return torch.zeros(1, self.code_dim, device=x.device)
        m, _ = self.task.encode(torch.where(visible, x, x[visible].mode().values)[None])
        return m.to(x.device)

    def first_guesses(self, x, visible, starts):
        """The encoder's guess replaces the first random start: amortised inference is a good
        guess, and a random code may never climb to it in a few steps."""
        if not visible.any():
            return starts
        return torch.cat([self.encoder_guess(x, visible).to(starts.device), starts[1:]])

    def loss(self, codes, x, visible):
        log_prior = -0.5 * (codes ** 2).sum(1) - 0.5 * codes.shape[1] * math.log(2 * math.pi)
        return visible_nll(self.task.code_logits(codes), x, visible) - log_prior

    def most_likely(self, codes):
        return self.task.code_logits(codes).argmax(1)


GAN_WEIGHT = 0.1  # Yeh et al.'s λ: the prior (D) loss against the context loss summed over pixels


class GANCompletion(_CodeFit):
    score_name = "−(context + λ·D loss)"

    def __init__(self, task, weight: float = GAN_WEIGHT, **kw):
        super().__init__(task, **kw)
        self.code_dim, self.weight = task.config.z_dim, weight

    def modules(self):
        return [self.task.g_ema, self.task.d]

    def loss(self, codes, x, visible):
        out, realism = self.task.completion_terms(codes)
        if self.task.output_kind == "rgb":  # L1 colour distance on the visible pixels, as Yeh et al.
            target = self.task.palette_rgb[x].permute(2, 0, 1)  # [3, H, W] in [-1, 1]
            context = ((out.float() - target).abs().sum(1) * visible).flatten(1).sum(1)
        else:  # palette logits: the generator's own likelihood of the visible colours
            context = visible_nll(out, x, visible)
        return context + self.weight * realism

    def most_likely(self, codes):
        return torch.as_tensor(self.task.generate(codes), dtype=torch.long, device=codes.device)


# --- masked diffusion: a hole is pixels still [MASK] ---------------------------------------------
class DiffusionCompletion:
    """The diffusion model's own sampler (studio/models/diffusion.py), started from the sprite
    with its hidden pixels [MASK]ed instead of from an all-[MASK] frame: it reads the visible
    pixels on every side at every step, and never changes them. ``steps``: model calls; by
    default the run's K times the hole's share of the sprite (diffusion.share_of_steps: a small
    hole is quick). Score: the sum of log p_θ of each colour when it
    was committed, in nats — how sure the model was along the way (all variants of one mask
    commit the same number of pixels, so the sums compare)."""

    score_name = "log p(colours as committed), nats"

    def __init__(self, task, steps: int | None = None, schedule: str | None = None, corrector: int = 0):
        self.task, self.steps, self.schedule, self.corrector = task, steps, schedule, corrector

    def complete(self, sprite, mask, n=8, seed=None, temperature=1.0, *, progress=None, cancel=None):
        sprite, hidden = completion.check_inputs(self.task, sprite, mask, n)
        found = self.task.trajectory(sprite, hidden.reshape(self.task.size), n, seed=seed, temperature=temperature,
                                     steps=self.steps, schedule=self.schedule, corrector=self.corrector,
                                     progress=progress, cancel=cancel)
        return _rank(found.sprites, found.log_p, n)


COMPLETERS = {"pixelrnn": Autoregressive, "transformer": Autoregressive, "vae": VAECompletion,
              "gan": GANCompletion, "diffusion": DiffusionCompletion}


# --- shared -----------------------------------------------------------------------------------------
def _rank(filled: np.ndarray, scores: np.ndarray, n: int) -> list[Variant]:
    """The n best distinct sprites by score, repeated in order when fewer are distinct."""
    best = {}
    for i in np.argsort(-scores, kind="stable"):
        best.setdefault(filled[i].tobytes(), i)
    chosen = list(best.values())
    return [Variant(filled[chosen[k % len(chosen)]], float(scores[chosen[k % len(chosen)]])) for k in range(n)]
