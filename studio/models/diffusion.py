"""Masked discrete diffusion for 20×20 palette sprites: every pixel at once, in a few steps.

A sprite is D = H·W colour indices, as for the raster models, but no order is fixed. The
*forward process* hides pixels: each is replaced by an extra token, [MASK], and stays hidden
(the absorbing state of Austin et al. 2021, "Structured Denoising Diffusion Models in
Discrete State-Spaces", D3PM). Time is the share of pixels hidden: at t of D every pixel is
hidden with the same chance, and at D the sprite is all [MASK]. The *reverse process* is one
network, a bidirectional transformer that reads the partly hidden sprite and gives every
hidden pixel a distribution over the K colours, p_θ(x_i | x_visible). It needs no separate
time input: the number of [MASK] tokens it sees is the time.

The loss is D3PM's ELBO, which for the absorbing process reduces to a re-weighted masked
cross-entropy. With T = D steps, exactly t pixels hidden at step t (a uniformly random
subset, so a pixel hidden at step t was hidden at any one of the t steps with chance 1/t),

    −log p_θ(x) ≤ Σ_{t=1..D} (1/t) · E_{x_t} [ Σ_{i hidden in x_t} −log p_θ(x_i | x_t) ]

(Austin et al. 2021, §3 and App. A; Hoogeboom et al. 2022, "Autoregressive Diffusion Models",
show this bound is the mean over all D! generation orders of an any-order autoregressive
model's −log p). Per pixel, with t ~ Uniform{1..D}, it is the *mean cross-entropy over the
hidden pixels*, averaged over how many are hidden:

    bits/px ≤ E_t [ (1/t) Σ_{i hidden} −log₂ p_θ(x_i | x_t) ]             (``elbo_terms``)

Training minimises exactly this, one t per sprite (``mask_sprites``). It is an upper bound on
−log₂ p(x)/D, so the held-out figure (``elbo_bits_per_pixel``) is comparable with the raster
models' *exact* bits/px: the model's true figure is at most this, never below.

Sampling (``run_sampler``) starts all-[MASK] and commits pixels over K steps, K from 1 (every
pixel from one call: each independent of the others) to D (one pixel a call: the exact
reverse process). Two schedules:

  cosine   MaskGIT (Chang et al. 2022): after step k of K a share cos(π/2 · k/K) of the pixels
           is still hidden — few committed first, many last — and each step samples a colour
           for every hidden pixel and keeps the ones the model is most sure of;
  random   D3PM's own reverse process: the same number each step, chosen at random.

Committed pixels are never revisited by those steps, so a pixel drawn early against few
neighbours stays as drawn. After them, ``corrector`` passes each hide a random tenth of the
drawn pixels again and redraw them from the model given all the rest — a Gibbs-like corrector
(the predictor–corrector samplers of Campbell et al. 2022, "A Continuous Time Framework for
Discrete Denoising Models", and Lezama et al. 2023, "Discrete Predictor-Corrector Diffusion
Models for Image Synthesis"): a stray colour is redrawn seeing its finished neighbours.

Completion is the same sampler started from the sprite with its hole hidden: a hole is just
pixels still [MASK], whatever its shape, and visible pixels are never changed (``Trajectory``
records the step at which each pixel was committed and how sure the model was then).

The network is the transformer's (studio/models/transformer.py: its blocks, MLP and GPT-2
initialisation, its attention without the causal mask) over 2×2 patches of pixels — four
times fewer tokens than pixels, so a step costs about a sixteenth of a pixel-per-token model's
attention on a CPU. Each patch's token also reads a one-pixel halo around it (a 4×4 window),
so the first layer sees what a 3×3 convolution would; and the raster models' copy head
(autoregressive.CopyHead) adds a bonus for the colours the visible pixels use and for each
pixel's visible neighbours' colours.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.models import check_sizes, cosine_decay, mirror
from studio.models.autoregressive import CopyHead, GridPositions, bits_per_pixel, check_choice
from studio.models.completion import Cancelled, make_generator
from studio.models.completion import _sample as sample_colours  # inverse-CDF, temperature and top-k
from studio.models.single_net import SingleNetTask
from studio.models.transformer import Block, CausalSelfAttention, _init_weights, adamw

SCHEDULES = {
    "cosine": "MaskGIT: a cosine share still hidden after each step, the most confident pixels first",
    "random": "D3PM: the same number of pixels each step, in random order",
}
MAX_STEPS = 400  # K at most: one pixel a step for a 20×20 sprite
EVAL_DRAWS = 4  # hidden-pixel draws per held-out sprite in the bound's estimate (see elbo_bits)
DRAW_BATCH = 64  # sprites per sampler call when drawing many (memory stays bounded)
#: MaskGIT's choice temperature: Gumbel noise on each pixel's confidence when picking which to commit,
#: fading linearly to none at the last step. Without it the surest pixels come first in the same
#: places in every draw (background next to background), and draws collapse to few shapes.
CHOICE_NOISE = 4.5
#: The share of the drawn pixels a corrector pass hides again and redraws together. A tenth:
#: on the shipped course model 32 passes of a tenth scored c2st 0.853, 64 of a twentieth 0.846,
#: 16 of a fifth 0.856 and 16 of two fifths 0.918 against 0.918 with none (docs/diffusion.md):
#: pixels redrawn together do not see each other, so a large share brings back the speckle.
CORRECTOR_SHARE = 0.1


@dataclass(frozen=True)
class Config:
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 64
    patch: int = 2  # pixels per token side: 2 = a token per 2×2 patch, 1 = a token per pixel
    halo: int = 1  # a token also reads this many pixels around its patch: 1 = a 4×4 window round a 2×2 patch
    dropout: float = 0.0
    copy: bool = True  # favour the visible pixels' colours: see autoregressive.CopyHead
    mirror: bool = True  # flip training sprites left-right at random
    lr: float = 2e-3
    # The learning rate along a half cosine to lr_min over this many steps; 0 keeps it constant
    # (the presets: a CPU budget has no step count to decay over). The shipped course model
    # decays over its 9,000 steps: held-out bound 2.164 bits/px against 2.202 at a constant rate.
    lr_decay_steps: int = 0
    lr_min: float = 0.0
    weight_decay: float = 0.1  # AdamW's, on the weight matrices only (as nanoGPT)
    grad_clip: float = 1.0
    steps: int = 16  # K: sampling steps of a draw (and of a completion), 1..MAX_STEPS
    schedule: str = "cosine"  # which pixels a step commits: see SCHEDULES
    # Corrector passes after the K steps, each redrawing a random CORRECTOR_SHARE of the drawn
    # pixels given the rest; 0..MAX_STEPS. 32 (three times K = 16's model calls) took the shipped
    # course model from c2st 0.918 to 0.853 (docs/diffusion.md, "Correcting after the draw").
    corrector: int = 32

    def __post_init__(self):
        check_sizes(self, "n_layer", "n_head", "n_embd", "patch", "steps")
        if not 0 <= self.corrector <= MAX_STEPS:
            raise ValueError(f"corrector must be in 0..{MAX_STEPS}, got {self.corrector}")
        check_choice("diffusion schedule", self.schedule, SCHEDULES)
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.steps > MAX_STEPS:
            raise ValueError(f"steps must be at most {MAX_STEPS}, got {self.steps}")
        if self.lr_decay_steps < 0 or not 0 <= self.lr_min <= self.lr:
            raise ValueError(f"lr_decay_steps must not be negative and lr_min must be in [0, lr], "
                             f"got {self.lr_decay_steps} and {self.lr_min}")


CONFIGS = {
    # The transformer's small shape (2 layers, 64 wide, lr 2e-3) with a halo: after about 5
    # CPU-minutes on the course data a held-out bound of 2.30 bits/px, against 2.79 for 4
    # layers × 128 wide (the first default), 2.70 for 3 × 96 and 2.51 for 2 × 64 with no
    # halo (docs/diffusion.md, "Choosing the network"): a small network takes many more steps
    # in the budget, and the halo shows its first layer each patch's surroundings.
    "default": Config(),
    # The same network for half the budget (PRESET_SETTINGS).
    "quick": Config(),
}
# The held-out bound costs EVAL_DRAWS passes per sprite and a sample grid K passes per batch
# of 64 — on one core a fifth of an epoch's training each — so both are less frequent than the
# engine's defaults (every epoch, every 200 steps).
PRESET_SETTINGS = {"default": {"batch_size": 32, "cpu_budget": 600, "eval_every": 5, "sample_every": 500},
                   "quick": {"batch_size": 32, "cpu_budget": 300, "eval_every": 5, "sample_every": 500}}
DEFAULT_EPOCHS = 1000  # the presets stop at their CPU budget first


# --- the network -------------------------------------------------------------------------------
class SelfAttention(CausalSelfAttention):
    """The transformer's attention with neither its causal mask nor its cache: every token
    reads every other, visible or hidden, so a hole is read from all its sides."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v)
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(b, t, c)))


class PatchInput(GridPositions, nn.Module):
    """Colours [B, H, W] (MASK = K where hidden) → one embedding per p×p patch, [B, H·W/p², C]:
    the sum of one embedding per (pixel of the window, its colour or MASK) — the raster models'
    one-table trick, a patch's pixels in place of a step's neighbours — plus the patch's row
    and column embeddings. The window is the patch and ``halo`` pixels around it (K + 1 outside
    the frame), so the first layer already sees each patch's surroundings, as a convolution would."""

    def __init__(self, num_colors: int, size: tuple[int, int], patch: int, dim: int, halo: int = 0):
        super().__init__()
        h, w = size
        if h % patch or w % patch:
            raise ValueError(f"patch {patch} must divide the sprites' size {h}×{w}")
        self.patch, self.halo, self.size, self.position = patch, halo, (h // patch, w // patch), "2d"
        side = patch + 2 * halo
        # Pixel j of a window, colour k (K: MASK, K + 1: outside the frame) is row j·V + k, V the
        # values a pixel takes: K + 2 with a halo, K + 1 without (no pixel of a patch is outside,
        # and runs made before the halo have that table).
        values = num_colors + (2 if halo else 1)
        self.embed = nn.Embedding(side * side * values, dim)
        self.register_buffer("embed_offset", torch.arange(side * side) * values, persistent=False)
        self.outside = num_colors + 1
        self.init_positions(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, (h, w), p, g = len(x), self.size, self.patch, self.halo
        if g:
            x = F.pad(x, (g, g, g, g), value=self.outside)
        side = p + 2 * g  # windows of side p + 2g, one every p pixels: [B, h, w, side, side]
        pixels = x.unfold(1, side, p).unfold(2, side, p).reshape(b, h * w, side * side)
        return self.embed(pixels + self.embed_offset).sum(2) + self.position_table()


class Denoiser(nn.Module):
    """A partly hidden sprite [B, H, W] (MASK = K) → logits [B, H·W, K] of every pixel's colour."""

    def __init__(self, config: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        self.config, self.num_colors, self.size = config, num_colors, tuple(size)
        c, p = config.n_embd, config.patch
        self.input = PatchInput(num_colors, size, p, c, config.halo)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config, SelfAttention) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(c)
        # Each patch's output becomes its p² pixels' features (a per-pixel token needs nothing).
        self.unpatch = nn.Linear(c, p * p * c) if p > 1 else nn.Identity()
        self.head = nn.Linear(c, num_colors, bias=False)
        if config.copy:
            self.copy_head = CopyHead(num_colors, len(NEIGHBOURS), c, c)
            self.register_buffer("neighbours", _neighbour_table(*self.size), persistent=False)
        self.apply(_init_weights)
        for name, param in self.named_parameters():  # GPT-2: residual projections scaled by 1/√(2·layers)
            if name.endswith("c_proj.weight"):
                nn.init.normal_(param, 0.0, 0.02 / math.sqrt(2 * config.n_layer))

    @property
    def mask_token(self) -> int:
        return self.num_colors

    def forward(self, tokens: torch.Tensor, at: torch.Tensor | None = None) -> torch.Tensor:
        """``at`` [B, M]: only these pixels' logits, [B, M, K] (a sampling step needs the hidden
        ones' only, and the output layers then cost M/D of their full price)."""
        b, (h, w), p = len(tokens), self.size, self.config.patch
        flat = tokens.reshape(b, -1)
        x = self.input(tokens)
        if self.config.copy:
            # The colours the visible pixels use ([B, K] in {0, 1}; MASK falls in the dropped column).
            used = torch.zeros(b, self.num_colors + 1, device=x.device).scatter_(1, flat, 1.0)[:, :-1]
            x = x + self.copy_head.used_embed(used)[:, None]
        x = self.drop(x)
        for block in self.blocks:
            x = block(x)
        out = self.unpatch(self.ln_f(x))  # [B, patches, p²·C] → each pixel's features, raster order
        out = out.reshape(b, h // p, w // p, p, p, -1).permute(0, 1, 3, 2, 4, 5).reshape(b, h * w, -1)
        if at is not None:
            out = out.gather(1, at[..., None].expand(-1, -1, out.shape[-1]))
        logits = self.head(out)
        if self.config.copy:
            padded = torch.cat([flat, flat.new_full((b, 1), self.num_colors)], dim=1)  # a MASK column: no pixel
            neighbours = (padded[:, self.neighbours] if at is None  # [B, D or M, 8] their colours
                          else padded.gather(1, self.neighbours[at].flatten(1)).view(b, -1, len(NEIGHBOURS)))
            logits = self.copy_head(logits, out, neighbours, used[:, None])
        return logits


NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def _neighbour_table(h: int, w: int) -> torch.Tensor:
    """[H·W, 8] raster positions of each pixel's 8 neighbours; H·W (a MASK column) outside the frame."""
    table = torch.full((h * w, len(NEIGHBOURS)), h * w, dtype=torch.long)
    for i in range(h * w):
        r, c = divmod(i, w)
        for j, (dy, dx) in enumerate(NEIGHBOURS):
            if 0 <= r + dy < h and 0 <= c + dx < w:
                table[i, j] = (r + dy) * w + (c + dx)
    return table


# --- the forward process and the ELBO ------------------------------------------------------------
def mask_sprites(sprites: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """x_t for each sprite [B, D]: t ~ Uniform{1..D} pixels hidden, a uniformly random subset.
    → (hidden [B, D] bool, t [B]). The t of a batch are stratified (one uniform offset, then
    evenly spaced), so every batch covers the noise levels evenly: the same expectation as
    independent draws, with less variance."""
    b, d = sprites.shape
    u = (torch.rand((), generator=generator, device=sprites.device)
         + torch.arange(b, device=sprites.device) / b) % 1.0
    t = 1 + (u * d).long().clamp(max=d - 1)
    ranks = torch.rand(b, d, generator=generator, device=sprites.device).argsort(1).argsort(1)
    return ranks < t[:, None], t


def elbo_terms(logits: torch.Tensor, sprites: torch.Tensor, hidden: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Each sprite's one-sample estimate of the bound in nats per pixel, [B]:
    (1/t) Σ_{i hidden} −log p_θ(x_i | x_t) — D3PM's 1/t weight on the hidden pixels' cross-entropy."""
    ce = F.cross_entropy(logits.float().transpose(1, 2), sprites, reduction="none")  # [B, D]
    return (ce * hidden).sum(1) / t


@torch.no_grad()
def elbo_bits(net, sprites: torch.Tensor, draws: int = EVAL_DRAWS, seed: int = 0,
              batch: int = DRAW_BATCH) -> float:
    """The bound on −log₂ p(x) per pixel over ``sprites`` [N, H, W]: ``draws`` seeded x_t per
    sprite (the same every call, so two checkpoints differ only by the model), the t of all
    of them stratified over 1..D. ``net``: masked sprites [B, H, W] → logits [B, H·W, K]."""
    x = sprites.long().repeat(draws, 1, 1)
    flat = x.reshape(len(x), -1)
    generator = torch.Generator(device=x.device).manual_seed(seed)
    hidden, t = mask_sprites(flat, generator)
    mask_token = net.num_colors
    total = 0.0
    for start in range(0, len(x), batch):
        part = slice(start, start + batch)
        noisy = torch.where(hidden[part], mask_token, flat[part]).reshape(x[part].shape)
        total += float(elbo_terms(net(noisy), flat[part], hidden[part], t[part]).sum())
    return float(bits_per_pixel(torch.tensor(total / len(x))))


# --- the reverse process: sampling and completing -------------------------------------------------
def hidden_counts(hidden: int, steps: int, schedule: str) -> list[int]:
    """How many of ``hidden`` pixels are still hidden after each step, down to 0: at least one
    committed a step, so min(steps, hidden) steps. cosine: ⌊hidden · cos(π/2 · k/K)⌋ (MaskGIT's
    γ); random: ⌊hidden · (1 − k/K)⌋ (D3PM's linear schedule, the one the ELBO is taken over)."""
    check_choice("diffusion schedule", schedule, SCHEDULES)
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be in 1..{MAX_STEPS}, got {steps}")
    steps = min(steps, hidden)
    counts, left = [], hidden
    for k in range(1, steps + 1):
        share = math.cos(math.pi / 2 * k / steps) if schedule == "cosine" else 1 - k / steps
        target = 0 if k == steps else math.floor(hidden * share)
        left = max(min(target, left - 1), steps - k)  # progress each step, and one left for each step to come
        counts.append(left)
    return counts


def share_of_steps(steps: int, hidden: int, pixels: int) -> int:
    """The steps a fill of ``hidden`` of ``pixels`` pixels takes when a full draw takes ``steps``:
    as many pixels a step, ⌈K · hidden / D⌉ (at least 1) — a small hole is quick, and every
    step commits about as many pixels as a full draw's would (so errors of committing pixels
    together are no worse)."""
    return max(1, math.ceil(steps * hidden / pixels))


@dataclass(frozen=True)
class Trajectory:
    """One run of the sampler over ``n`` sprites: what each step committed, and when, and what
    each corrector pass after the K steps redrew."""

    sprites: np.ndarray  # [n, H, W] uint8: the finished sprites (visible pixels as given)
    committed_at: np.ndarray  # [n, H, W] int16: the step 1..K that committed each pixel; 0: given (visible)
    confidence: np.ndarray  # [n, H, W] float32: p_θ(the colour it has) when last drawn; 1 where given
    log_p: np.ndarray  # [n] Σ log of those probabilities (nats): how sure the path was; ranks completions
    seconds: np.ndarray  # [K + R + 1] wall seconds from the start to each frame (0 first)
    mask_token: int  # the colour index ``frames`` shows a still-hidden pixel as (K, one past the palette)
    drafted: np.ndarray  # [n, H, W] uint8: the sprites as the K steps left them, before any correction
    redrawn: np.ndarray  # [R, n, m] int64: the pixels (row-major index) each corrector pass redrew
    recoloured: np.ndarray  # [R, n, m] uint8: the colours it gave them

    @property
    def steps(self) -> int:
        """Frames after the first: K steps and R corrector passes."""
        return len(self.seconds) - 1

    @property
    def draw_steps(self) -> int:
        """K: the steps that committed pixels (the corrector passes come after them)."""
        return self.steps - len(self.redrawn)

    def frame(self, step: int) -> np.ndarray:
        """[n, H, W] the sprites after ``step`` steps (0: the start), ``mask_token`` where still
        hidden; past K, the corrector passes up to ``step`` applied."""
        out = np.where(self.committed_at <= step, self.drafted, self.mask_token).astype(np.int16)
        flat = out.reshape(len(out), -1)
        for where, colours in zip(self.redrawn[:max(step - self.draw_steps, 0)], self.recoloured):
            np.put_along_axis(flat, where, colours, axis=1)
        return out

    def frames(self) -> np.ndarray:
        """[K + R + 1, n, H, W]: every step's frame."""
        return np.stack([self.frame(k) for k in range(self.steps + 1)])


def run_sampler(net: Denoiser, sprite: np.ndarray, hidden: np.ndarray, n: int, *, steps: int,
                schedule: str = "cosine", temperature: float = 1.0, top_k: int | None = None,
                generator: torch.Generator | None = None, progress=None, cancel=None,
                choice_noise: float = CHOICE_NOISE, corrector: int = 0) -> Trajectory:
    """``n`` fillings of ``sprite`` [H, W]'s ``hidden`` pixels ([H, W] bool) over ``steps`` steps.

    Each step runs the network once on all n sprites and samples a colour for every hidden
    pixel (softmax at ``temperature``, from the ``top_k`` likeliest if given); the schedule
    then keeps some of them — the most confident (cosine) or random ones (random) — and the
    rest stay hidden for the next step, which sees the committed ones. Then ``corrector`` passes
    each hide a random CORRECTOR_SHARE of the filled pixels again (never a visible one) and
    redraw them given the rest. ``progress(step, steps)`` after each of the K + R; ``cancel()``
    returning True raises Cancelled between them."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    if not 0 <= corrector <= MAX_STEPS:
        raise ValueError(f"corrector must be in 0..{MAX_STEPS}, got {corrector}")
    device = next(net.parameters()).device
    h, w = net.size
    hidden = torch.as_tensor(np.asarray(hidden, bool).reshape(-1), device=device)
    canvas = torch.as_tensor(np.asarray(sprite).reshape(1, -1), dtype=torch.long, device=device).repeat(n, 1)
    canvas[:, hidden] = net.mask_token
    counts = hidden_counts(int(hidden.sum()), steps, schedule)
    total = len(counts) + corrector
    committed_at = torch.zeros(n, h * w, dtype=torch.int16, device=device)
    confidence = torch.ones(n, h * w, device=device)
    still = hidden.expand(n, -1).clone()
    seconds = [0.0]
    start = time.perf_counter()
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            left = int(hidden.sum())
            for k, keep_hidden in enumerate(counts, start=1):
                if cancel is not None and cancel():
                    raise Cancelled(f"stopped at step {k - 1} of {total}")
                where = still.nonzero()[:, 1].view(n, left)  # the hidden pixels: as many in every sprite
                if k == 1:  # every sprite starts the same (one sprite, one mask): one sprite's pass will do
                    logits = net(canvas[:1].view(1, h, w), at=where[:1]).float().expand(n, -1, -1)
                else:
                    logits = net(canvas.view(n, h, w), at=where).float()  # [n, left, K]
                logp = F.log_softmax(logits, dim=-1)
                colours = sample_colours(logits.flatten(0, 1), logp.flatten(0, 1), temperature, top_k,
                                         generator).view(n, left)
                chosen = logp.gather(2, colours[..., None]).squeeze(2)  # log p_θ of each sampled colour
                if schedule == "cosine":  # MaskGIT: the surest first, with Gumbel noise fading over the steps
                    uniform = torch.rand(n, left, generator=generator, device=device).clamp(1e-12, 1 - 1e-12)
                    priority = chosen - choice_noise * (1 - (k - 1) / len(counts)) * torch.log(-torch.log(uniform))
                else:  # D3PM: any hidden pixel as likely as another
                    priority = torch.rand(n, left, generator=generator, device=device)
                pick = priority.topk(left - keep_hidden, dim=1).indices  # [n, committed this step]
                commit = where.gather(1, pick)
                canvas.scatter_(1, commit, colours.gather(1, pick))
                still.scatter_(1, commit, False)
                committed_at.scatter_(1, commit, k)
                confidence.scatter_(1, commit, chosen.gather(1, pick).exp())
                left = keep_hidden
                seconds.append(time.perf_counter() - start)
                if progress is not None:
                    progress(k, total)
            drafted = canvas.clone()
            redrawn, recoloured = correct(net, canvas, hidden, confidence, corrector, temperature, top_k, generator,
                                          seconds, start, len(counts), total, progress, cancel)
    finally:
        net.train(was_training)
    cpu = lambda t: t.reshape(n, h, w).cpu().numpy()  # noqa: E731
    log_p = torch.where(hidden, confidence.clamp_min(1e-30).log(), 0.0).sum(1)  # Σ log p of each colour as last drawn
    return Trajectory(cpu(canvas).astype(np.uint8), cpu(committed_at), cpu(confidence).astype(np.float32),
                      log_p.cpu().numpy(), np.array(seconds), net.mask_token, cpu(drafted).astype(np.uint8),
                      redrawn.cpu().numpy(), recoloured.cpu().numpy().astype(np.uint8))


def correct(net: Denoiser, canvas: torch.Tensor, hidden: torch.Tensor, confidence: torch.Tensor, passes: int,
            temperature: float, top_k: int | None, generator, seconds: list, start: float, done: int, total: int,
            progress=None, cancel=None) -> tuple[torch.Tensor, torch.Tensor]:
    """``passes`` corrector passes over the filled ``canvas`` [n, D] (in place): each hides a
    random CORRECTOR_SHARE of the ``hidden`` [D] pixels again and redraws them given every other
    pixel, as one step of the sampler would. A Gibbs-like sweep: a colour drawn early against
    few neighbours is redrawn seeing its finished ones. → (redrawn [R, n, m], their colours)."""
    n, d = canvas.shape
    device = canvas.device
    holes = hidden.nonzero()[:, 0]  # the pixels the sampler filled: only these are ever redrawn
    m = max(1, round(CORRECTOR_SHARE * len(holes))) if len(holes) else 0
    passes = passes if m else 0  # nothing was filled: nothing to correct
    redrawn = torch.zeros(passes, n, m, dtype=torch.long, device=device)
    recoloured = torch.zeros(passes, n, m, dtype=torch.long, device=device)
    h, w = net.size
    for r in range(passes):
        if cancel is not None and cancel():
            raise Cancelled(f"stopped at step {done + r} of {total}")
        pick = torch.rand(n, len(holes), generator=generator, device=device).argsort(1)[:, :m]
        where = holes[pick].sort(1).values  # [n, m]: a random tenth of each sprite's filled pixels
        logits = net(canvas.scatter(1, where, net.mask_token).view(n, h, w), at=where).float()
        logp = F.log_softmax(logits, dim=-1)
        colours = sample_colours(logits.flatten(0, 1), logp.flatten(0, 1), temperature, top_k, generator).view(n, m)
        canvas.scatter_(1, where, colours)
        confidence.scatter_(1, where, logp.gather(2, colours[..., None]).squeeze(2).exp())
        redrawn[r], recoloured[r] = where, colours
        seconds.append(time.perf_counter() - start)
        if progress is not None:
            progress(done + r + 1, total)
    return redrawn, recoloured


# --- what the engine trains -------------------------------------------------------------------------
class Task(SingleNetTask):
    """One denoiser, AdamW, the ELBO's masked cross-entropy; drawing and completing by ``run_sampler``."""

    selection_metric = "elbo_bits_per_pixel"  # held-out bound; the engine keeps the best as best.pt
    sees = "others"  # what a pixel's belief is given (models/beliefs.py): every other pixel
    BELIEF_BATCH = 100  # one-pixel-masked copies per forward pass in pixel_log_probs

    Net = Denoiser

    def make_optimizer(self) -> torch.optim.Optimizer:
        return adamw(self.net, self.config.lr, self.config.weight_decay, self.device)

    def steps_taken(self) -> int:
        """Optimiser steps so far, from AdamW's own count, which checkpoints keep: a resumed run
        goes on along its learning-rate decay where it stopped."""
        state = next(iter(self.opt.state.values()), {})  # every parameter steps together: one will do
        return int(state["step"]) if "step" in state else 0

    @torch.no_grad()
    def pixel_log_probs(self, sprites: torch.Tensor) -> torch.Tensor:
        """log p(x_t = k | every other pixel), [B, H·W, K] nats, in eval mode: each sprite copied
        H·W times with one pixel [MASK]ed, the network read where it is hidden. Their sum over a
        sprite is its pseudo-log-likelihood (Besag 1975), not log p(x): the ELBO bounds that."""
        was_training = self.net.training
        self.net.eval()
        try:
            d = self.size[0] * self.size[1]
            out = []
            for sprite in sprites.to(self.device).long().reshape(len(sprites), -1):
                rows = []
                for at in torch.arange(d, device=self.device).split(self.BELIEF_BATCH):
                    copies = sprite.expand(len(at), d).clone()
                    copies[torch.arange(len(at)), at] = self.net.mask_token
                    logits = self.net(copies.view(len(at), *self.size), at=at[:, None])  # [m, 1, K]
                    rows.append(logits[:, 0].float().log_softmax(-1))
                out.append(torch.cat(rows))
            return torch.stack(out)
        finally:
            self.net.train(was_training)

    def train_step(self, nets: dict, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.config.mirror:  # Pokémon are roughly symmetric: flip half the batch left-right
            batch = mirror.flip(batch)
        x = batch.reshape(len(batch), -1)
        hidden, t = mask_sprites(x)
        logits = nets["net"](torch.where(hidden, self.net.mask_token, x).reshape(batch.shape))
        loss = elbo_terms(logits, x, hidden, t).mean()  # nats per pixel: the bound, one t per sprite
        metrics = {}
        if self.config.lr_decay_steps:
            lr = cosine_decay(self.config.lr, self.config.lr_min, self.config.lr_decay_steps, self.steps_taken())
            for group in self.opt.param_groups:
                group["lr"] = lr
            metrics["lr"] = torch.tensor(lr)
        grad_norm = self.update(loss)
        loss = loss.detach()
        return {"loss": loss, "elbo_bits_per_pixel": bits_per_pixel(loss), "grad_norm": grad_norm, **metrics}

    @torch.no_grad()
    def evaluate(self, sprites: torch.Tensor) -> dict[str, float]:
        """The held-out bound on −log₂ p(x) per pixel: an upper bound, comparable with the raster
        models' exact bits/px (this model's own figure is at most this)."""
        return {"elbo_bits_per_pixel": elbo_bits(self.net, sprites.to(self.device))}

    def trajectory(self, sprite: np.ndarray, hidden: np.ndarray, n: int = 1, seed: int | None = 0,
                   temperature: float = 1.0, top_k: int | None = None, steps: int | None = None,
                   schedule: str | None = None, corrector: int = 0, progress=None, cancel=None) -> Trajectory:
        """``n`` fillings of ``sprite``'s ``hidden`` pixels (all True: new sprites), with every
        step recorded; the same seed, the same run. ``steps``: the run's K for a full draw, its
        share for a hole (``share_of_steps``), unless given; ``schedule``: the run's unless
        given; ``corrector`` passes after them, none unless given — a completion keeps to what
        the visible pixels say (docs/diffusion.md: on held-out holes the passes did not bring
        the completions closer to the truth); ``draw`` and the Diffusion workspace pass the run's."""
        hidden = np.asarray(hidden, bool)
        steps = steps or share_of_steps(self.config.steps, int(hidden.sum()), hidden.size)
        return run_sampler(self.net, sprite, hidden, n, steps=steps,
                           schedule=schedule or self.config.schedule, temperature=temperature, top_k=top_k,
                           generator=make_generator(self, seed), progress=progress, cancel=cancel,
                           corrector=corrector)

    def draw(self, n: int, seed: int = 0, temperature: float = 1.0, top_k: int | None = None,
             steps: int | None = None, schedule: str | None = None, corrector: int | None = None) -> np.ndarray:
        """n new sprites [n, H, W]: all pixels hidden, filled in ``steps`` steps and ``corrector``
        passes (the run's by default); the same seed draws the same sprites."""
        generator = make_generator(self, seed)
        blank, everything = np.zeros(self.size, np.uint8), np.ones(self.size, bool)
        corrector = self.config.corrector if corrector is None else corrector
        return np.concatenate([
            run_sampler(self.net, blank, everything, min(DRAW_BATCH, n - start), steps=steps or self.config.steps,
                        schedule=schedule or self.config.schedule, temperature=temperature, top_k=top_k,
                        generator=generator, corrector=corrector).sprites
            for start in range(0, n, DRAW_BATCH)]) if n else np.zeros((0, *self.size), np.uint8)

    def sample(self, n: int) -> np.ndarray:
        return self.draw(n, seed=1234)
