"""Variational auto-encoder (Kingma & Welling 2014) for palette sprites, as in the lecture.

    encoder:  sprite x → m, σ                      (10 numbers each by default)
    code:     c = exp(σ/2)·e + m,  e ~ N(0, I)     σ is the log-variance
    decoder:  c → a categorical over the K palette colours for every pixel, independent given c
              (the lecture's), or pixel by pixel: p(x | c) = Π_t p(x_t | x_<t, c) (PixelDecoder)
    loss:     reconstruction + β·KL,  reconstruction = -log p(x | c) (cross-entropy, nats)
              KL = ½ Σ(exp σ − (1 + σ) + m²)

The lecture writes c = exp(σ)·e + m and minimises Σ(exp σ − (1 + σ) + m²). That sum is the
KL to N(0, I) only when σ is the log-variance, and then it is twice the KL. So here σ is the
log-variance (the std is exp(σ/2)) and the KL carries its ½: the loss with β = 1 is exactly
−ELBO, a bound on −log p(x) in the same units as PixelRNN's NLL.

The decoder outputs palette indices, not RGB: sprites are indices, so a per-pixel softmax is
the natural likelihood, and a decoded sprite is always made of palette colours.

Named configs: ``lecture`` is the lecture's network (two stride-2 convs each way).
``residual`` keeps its model — the 10-dimensional code, the KL, the loss — and gives it a
deeper network (residual blocks at each resolution, upsampling by resize-then-convolve) and
what 713 training sprites need so that network does not memorise them (mirroring, dropout),
plus a cosine learning rate. The default, ``pixelvae`` (``Config()`` itself), keeps that
encoder and the code and gives the decoder what it lacked: each pixel's causal neighbours
(PixelVAE / VLAE), with free bits so the code stays in use; ``quick`` is it on a 5-CPU-minute
schedule. Each step is measured in benchmarks/vae_ablation.py. The ``ae`` config (no noise, no
KL) is the plain auto-encoder the lecture compares against.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.models import UPSAMPLES, check_sizes, completion, cosine_decay, upsampling
from studio.models.autoregressive import RasterInput, RasterNet
from studio.models.codes import PROGRESS_SEED, first_codes, seeded_codes
from studio.models.mirror import flip

# p(x | c): pixels independent given c ("conv"), or autoregressive: a network that sees only
# each pixel's few causal neighbours ("local", LocalNet inside PixelDecoder).
DECODERS = ("conv", "local")
EMBED_DIM = 16  # each palette index becomes a learned vector (= one-hot × a matrix) for the encoder
# The local decoder's network: its MLP's width, the dropout on its hidden layers, and the
# neighbours each pixel sees (autoregressive.CONTEXTS: 8 causal ones, up to two pixels away).
DECODER_HIDDEN = 256
DECODER_DROPOUT = 0.25
DECODER_CONTEXT = "2d-wide"
DECODE_SEED = 0  # the pixel draws an autoregressive decoder shares across codes: see Task.decode


@dataclass(frozen=True)
class Config:
    """The defaults are the default preset, ``pixelvae``; the other presets say how they differ."""

    latent_dim: int = 10  # the lecture's 10-dimensional code
    width: int = 32  # channels at full resolution; the lower resolutions have twice as many
    hidden: int = 256  # the fully connected layer between the conv stack and the code
    variational: bool = True  # False: the plain auto-encoder (c = m, no KL)
    beta: float = 1.0  # weight of the KL term (β-VAE; 1 = the true ELBO)
    kl_warmup_steps: int = 100  # the KL weight ramps linearly 0 → β over these steps
    lr: float = 3e-3
    blocks: int = 1  # residual blocks at each resolution; 0: the lecture's plain two-conv stacks
    upsample: str = "resize"  # decoder's ×2 steps: "resize" (nearest, then 3×3) or "transposed" conv
    free_bits: float = 1.0  # nats per dimension the KL may use for free (Kingma et al. 2016)
    lr_decay_steps: int = 0  # cosine decay of the learning rate to lr_min over these steps; 0: constant
    lr_min: float = 0.0
    mirror: bool = True  # flip training sprites left-right at random (Pokémon face either way)
    dropout: float = 0.1  # inside each residual block: 713 sprites are few, and the decoder memorises them
    decoder: str = "local"  # "conv" or "local": p(x | c) = Π_t p(x_t | x_<t, c), see PixelDecoder
    grad_clip: float = 1.0  # max gradient norm (0: none); the autoregressive decoder's rare spikes need it

    def __post_init__(self):
        check_sizes(self, "width", "hidden")
        if self.latent_dim < 2:
            raise ValueError(f"latent_dim must be at least 2 (the explorer shows two), got {self.latent_dim}")
        if self.beta < 0 or self.kl_warmup_steps < 0 or self.free_bits < 0:
            raise ValueError("beta, kl_warmup_steps and free_bits must not be negative")
        if self.upsample not in UPSAMPLES:
            raise ValueError(f"unknown VAE upsample {self.upsample!r}; choose one of {', '.join(UPSAMPLES)}")
        if self.blocks < 0 or self.lr_decay_steps < 0:
            raise ValueError("blocks and lr_decay_steps must not be negative")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.decoder not in DECODERS:
            raise ValueError(f"unknown VAE decoder {self.decoder!r}; choose one of {', '.join(DECODERS)}")


# The lecture's network: two stride-2 convs each way, pixels independent given the code.
LECTURE = Config(width=64, blocks=0, upsample="transposed", mirror=False, dropout=0.0, decoder="conv", lr=1e-3,
                 grad_clip=0.0, free_bits=0.0, kl_warmup_steps=500)

CONFIGS = {
    # The default, Config(), 10 CPU-minutes on one core: the lecture's network deepened and
    # regularised, one measured step at a time (benchmarks/vae_ablation.py): residual blocks with
    # resize-then-convolve upsampling; then left-right mirroring and dropout, because on 713
    # sprites the deeper decoder memorises them (its train −ELBO falls while the held-out one
    # rises). Then an autoregressive decoder that sees each pixel's 8 causal neighbours (LocalNet,
    # the VLAE's): the conv decoder underfits (train −ELBO 3.9 bits/px after 5 CPU-minutes), this
    # one reaches 2.50 held-out in 5. PixelRNN's constant learning rate (a cosine to 1e-4 over the
    # 5 minutes measured worse: 2.63, the net still learns fast at the end) and gradient clipping,
    # free bits so every dimension of the code stays in use, and a short KL warm-up (64 sprites a
    # step: 11 steps an epoch).
    "pixelvae": Config(),
    # The same network stopped after 5 CPU-minutes (PRESET_SETTINGS).
    "quick": Config(),
    # The conv decoder (pixels independent given the code): best near epoch 35 of its 100
    # (held-out 4.19 bits/px; benchmarks/vae_ablation.py --rows default, before pixelvae), with
    # a cosine learning rate that ends where its budget does (16 sprites a step).
    "residual": Config(decoder="conv", lr=1e-3, grad_clip=0.0, free_bits=0.0, kl_warmup_steps=500,
                       lr_decay_steps=4400, lr_min=5e-5),
    "lecture": LECTURE,
    "ae": dataclasses.replace(LECTURE, variational=False, beta=0.0, kl_warmup_steps=0),
    "beta4": dataclasses.replace(LECTURE, beta=4.0),  # fewer, more disentangled dimensions, blurrier sprites
}

# The training settings each preset comes with (train.engine.default_settings). The schedules
# above are in steps, so they hold at these batch sizes on the course data (713 // 16 = 44,
# 713 // 64 = 11 steps an epoch).
DEFAULT_EPOCHS = 100
PRESET_SETTINGS = {
    "pixelvae": {"epochs": 100, "cpu_budget": 600},
    "quick": {"epochs": 100, "cpu_budget": 300},
    "residual": {"epochs": 100, "batch_size": 16},
    # The lecture's presets: long enough for the KL warm-up to finish and reconstructions to sharpen.
    "lecture": {"epochs": 150}, "ae": {"epochs": 150}, "beta4": {"epochs": 150},
}


def group_norm(channels: int) -> nn.GroupNorm:
    # Per-sprite statistics (unlike batch norm): the explorer decodes one code at a time.
    return nn.GroupNorm(math.gcd(8, channels), channels)


class ResidualBlock(nn.Module):
    """x + f(x), f two 3×3 convs: the skip keeps a deeper stack as easy to train as a shallow one."""

    def __init__(self, channels: int, dropout: float = 0.0):
        super().__init__()
        self.f = nn.Sequential(group_norm(channels), nn.SiLU(), nn.Conv2d(channels, channels, 3, 1, 1),
                               group_norm(channels), nn.SiLU(), nn.Dropout(dropout),
                               nn.Conv2d(channels, channels, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.f(x)


class Encoder(nn.Module):
    """Indices [B, H, W] → (m, σ) each [B, latent_dim]: two stride-2 convs, then an MLP.
    With ``blocks`` > 0, residual blocks at each of the three resolutions (H, H/2, H/4)."""

    def __init__(self, cfg: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        h, w = size
        c1, c2 = cfg.width, 2 * cfg.width
        self.embed = nn.Embedding(num_colors, EMBED_DIM)
        if cfg.blocks == 0:
            self.convs = nn.Sequential(
                nn.Conv2d(EMBED_DIM, c1, 4, 2, 1), nn.LeakyReLU(0.2),
                nn.Conv2d(c1, c2, 4, 2, 1), nn.LeakyReLU(0.2),
            )
        else:
            res = lambda c: [ResidualBlock(c, cfg.dropout) for _ in range(cfg.blocks)]  # noqa: E731
            self.convs = nn.Sequential(
                nn.Conv2d(EMBED_DIM, c1, 3, 1, 1), *res(c1),
                nn.Conv2d(c1, c2, 4, 2, 1), *res(c2),
                nn.Conv2d(c2, c2, 4, 2, 1), *res(c2),
                group_norm(c2), nn.SiLU(),
            )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c2 * (h // 4) * (w // 4), cfg.hidden),
                                  nn.LeakyReLU(0.2), nn.Linear(cfg.hidden, 2 * cfg.latent_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.convs(self.embed(x).permute(0, 3, 1, 2))
        m, log_var = self.head(features).float().chunk(2, dim=1)
        return m, log_var


class Decoder(nn.Module):
    """Code [B, latent_dim] → logits [B, K, H, W]: an MLP to an (H/4 × W/4) map, two ×2 upsamplings.
    With ``blocks`` > 0, residual blocks at each resolution, mirroring the encoder.
    """

    def __init__(self, cfg: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        h, w = size
        c1, c2 = cfg.width, 2 * cfg.width
        self.start = (c2, h // 4, w // 4)
        self.mlp = nn.Sequential(nn.Linear(cfg.latent_dim, cfg.hidden), nn.ReLU(),
                                 nn.Linear(cfg.hidden, math.prod(self.start)), nn.ReLU())
        if cfg.blocks == 0:
            self.upsample = nn.Sequential(
                upsampling(cfg.upsample, c2, c1), nn.ReLU(),
                upsampling(cfg.upsample, c1, c1), nn.ReLU(),
                nn.Conv2d(c1, num_colors, 1),  # per-pixel logits; the upsamplings already mix neighbours
            )
        else:
            res = lambda c: [ResidualBlock(c, cfg.dropout) for _ in range(cfg.blocks)]  # noqa: E731
            self.upsample = nn.Sequential(
                *res(c2), upsampling(cfg.upsample, c2, c2), *res(c2),
                upsampling(cfg.upsample, c2, c1), *res(c1),
                group_norm(c1), nn.SiLU(), nn.Conv2d(c1, num_colors, 1),
            )

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.mlp(c).view(-1, *self.start))


class LocalNet(RasterNet):
    """p(x_t | its causal neighbours, its position, a condition): an MLP on the sum of their
    embeddings (autoregressive.RasterInput), with no state — the Variational Lossy
    Autoencoder's decoder (Chen et al. 2017), which sees only a small neighbourhood, so that
    what it cannot see from there (the sprite's colours, its overall shape) must come
    through the code. Stateless, so training is one parallel pass, and a sampling step is a
    few rows added and two small matrix products (the embeddings are the first layer)."""

    def __init__(self, num_colors: int, size: tuple[int, int], context: str, hidden: int, dropout: float):
        super().__init__()
        self.input = RasterInput(num_colors, size, context, hidden, "2d")
        self.mlp = nn.Sequential(nn.SiLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Dropout(dropout), nn.Linear(hidden, num_colors))

    def forward(self, tokens: torch.Tensor, start: int = 0, state=(), condition: torch.Tensor | None = None):
        """Tokens [B, T, J] → (logits [B, T, K], ()): no state to carry."""
        x = self.input(tokens, start)
        if condition is not None:
            x = x + condition[:, None]
        return self.mlp(x), ()

    def step_tables(self) -> tuple[torch.Tensor, ...]:
        """Every (neighbour, colour) embedding and every position's (a step only adds rows),
        and the layers' weights: a step this small pays for each attribute a module looks up."""
        positions = torch.arange(self.num_pixels, device=self.input.embed.weight.device)
        hidden, out = self.mlp[2], self.mlp[5]
        return (self.input.embed.weight, self.input.embed_offset, self.input.position_embedding(positions),
                hidden.weight, hidden.bias, out.weight, out.bias)

    def step(self, tokens: torch.Tensor, t: int, state, tables, condition: torch.Tensor | None = None):
        """A few pixels, tokens [B, T, J] of steps ``t … t+T-1``, as ``forward`` in eval mode (no
        dropout), the layers called as functions."""
        embed, offset, position, w1, b1, w2, b2 = tables
        x = embed[tokens + offset].sum(2) + position[t:t + tokens.shape[1]]
        if condition is not None:
            x = x + condition[:, None]
        return F.linear(F.silu(F.linear(F.silu(x), w1, b1)), w2, b2), ()


class PixelDecoder(nn.Module):
    """p(x | c) = Π_t p(x_t | x_<t, c): LocalNet with a linear map of the code added to every
    step's input — PixelVAE (Gulrajani et al. 2016) / the Variational Lossy Autoencoder (Chen
    et al. 2017).

    Why: given c, the conv decoder's pixels are independent, so every bit of shape and colour
    must pass through 10 numbers (its train −ELBO stalls near 3.9 bits/px); here outlines and
    local texture come from the neighbours, and the code carries what they cannot know.
    −ELBO = this NLL + KL is still a bound on −log p(x). (A PixelRNN decoder, which sees every
    earlier pixel, was better in bits but 4× slower to decode, too slow for the explorer's
    sliders: docs/history.md.)"""

    def __init__(self, cfg: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        self.net = LocalNet(num_colors, size, DECODER_CONTEXT, DECODER_HIDDEN, DECODER_DROPOUT)
        self.code_in = nn.Linear(cfg.latent_dim, DECODER_HIDDEN)  # the code, as one more input of every step

    def forward(self, c: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Codes [B, D] and the sprites [B, H, W] (teacher forcing) → logits [B, K, H, W]."""
        canvas = x.reshape(len(x), -1)
        tokens = self.net.context(self.net.pad(canvas), 0, self.net.num_pixels)
        logits, _ = self.net(tokens, condition=self.code_in(c))
        return logits.transpose(1, 2).reshape(len(x), -1, *x.shape[1:])


class GivenCode(nn.Module):
    """A PixelDecoder with its codes [B or 1, D] fixed: the stepping interface of
    studio/models/autoregressive.py, so studio/models/completion.py draws and completes with it."""

    def __init__(self, decoder: PixelDecoder, codes: torch.Tensor):
        super().__init__()
        self.net = decoder.net
        with torch.no_grad():
            self.condition = decoder.code_in(codes)
        self.neighbours, self.num_pixels = self.net.neighbours, self.net.num_pixels
        self.pad, self.context = self.net.pad, self.net.context

    def forward(self, tokens: torch.Tensor, start: int = 0, state=None):
        return self.net(tokens, start, state, self.condition)

    def step_tables(self):
        return self.net.step_tables()

    def step(self, tokens: torch.Tensor, t: int, state, tables):
        return self.net.step(tokens, t, state, tables, self.condition)

    def reorder(self, state, keep, filled):
        return self.net.reorder(state, keep, filled)


@dataclass(frozen=True)
class Sampling:
    """What completion.py's sampler reads of a task: a stepping net and the sprites' shape."""

    net: GivenCode
    device: torch.device
    size: tuple[int, int]
    num_colors: int


class VAE(nn.Module):
    def __init__(self, cfg: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        h, w = size
        if h % 4 or w % 4:
            raise ValueError(f"the VAE needs sprite sides divisible by 4, got {h}×{w}")
        self.cfg = cfg
        self.encoder = Encoder(cfg, num_colors, size)
        self.decoder = Decoder(cfg, num_colors, size) if cfg.decoder == "conv" else PixelDecoder(cfg, num_colors, size)
        # Training steps taken, for the KL warm-up; a buffer, so checkpoints and resume keep it.
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None):
        """x → (logits, m, σ). ``noise`` is e; None draws it (the ae config never uses it)."""
        m, log_var = self.encoder(x)
        if self.cfg.variational:
            e = torch.randn_like(m) if noise is None else noise
            c = torch.exp(log_var / 2) * e + m  # lecture: c = exp(σ)·e + m, with σ the log-std
        else:
            c = m
        return self.logits(c, x), m, log_var

    def logits(self, c: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x | c) as logits [B, K, H, W]; an autoregressive decoder reads x's earlier pixels."""
        return self.decoder(c) if self.cfg.decoder == "conv" else self.decoder(c, x)


def kl_divergence(m: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(m, exp σ) ‖ N(0, I)) per dimension [B, D] in nats: ½(exp σ − (1 + σ) + m²)."""
    return 0.5 * (torch.exp(log_var) - (1 + log_var) + m ** 2)


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """−log p(x | c) per sprite [B] in nats: the cross-entropy summed over the pixels."""
    return F.cross_entropy(logits.float(), x, reduction="none").flatten(1).sum(1)


def kl_weight(cfg: Config, step: int | torch.Tensor) -> torch.Tensor | float:
    """β·min(1, step / warm-up): a KL that bites at once would drive every code to the prior
    before the decoder learns to use it (posterior collapse)."""
    if not cfg.variational:
        return 0.0
    if cfg.kl_warmup_steps == 0:
        return cfg.beta
    return cfg.beta * torch.clamp(torch.as_tensor(step, dtype=torch.float32) / cfg.kl_warmup_steps, max=1.0)


def kl_penalty(kl: torch.Tensor, free_bits: float) -> torch.Tensor:
    """The KL the training loss pays, from the per-dimension KL [B, D]: each dimension's batch
    mean, but never less than ``free_bits`` nats (Kingma et al. 2016). A dimension under the
    floor costs the same whatever it carries, so the optimiser gains nothing by shutting it
    down, and the code stays in use. With 0 it is the true KL; the reported ELBO always is."""
    return torch.clamp(kl.mean(0), min=free_bits).sum()


def learning_rate(cfg: Config, step: int) -> float:
    """lr, decayed along a half cosine to lr_min over lr_decay_steps (then held there): big
    steps while the sprites are blobs, small ones to sharpen outlines at the end."""
    return cosine_decay(cfg.lr, cfg.lr_min, cfg.lr_decay_steps, step)


def nats_to_bits_per_pixel(nats: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return nats / (size[0] * size[1] * math.log(2))


class Task:
    """What the engine trains: one VAE, one Adam, reconstruction + β·KL."""

    def __init__(self, config: Config, palette: np.ndarray, size: tuple[int, int], device: torch.device):
        self.config, self.size, self.device = config, tuple(size), device
        self.num_colors = len(palette)
        self.palette_rgb = torch.tensor(np.asarray(palette, dtype=np.uint8), device=device)  # [K, 3]
        self.vae = VAE(config, self.num_colors, self.size).to(device)
        self.opt = torch.optim.Adam(self.vae.parameters(), config.lr, fused=device.type == "cuda")
        # Fixed codes for the progress grids: the same prior draws sharpen over training.
        self.fixed_codes = seeded_codes(64, config.latent_dim, PROGRESS_SEED)

    @property
    def selection_metric(self) -> str:
        # The auto-encoder has no KL, so no ELBO: keep its best reconstruction instead.
        return "elbo_bits_per_pixel" if self.config.variational else "recon_bits_per_pixel"

    def modules(self) -> dict[str, nn.Module]:
        return {"vae": self.vae}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"vae": self.opt}

    def train_step(self, nets: dict, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        cfg = self.config
        if cfg.mirror:
            batch = flip(batch)
        logits, m, log_var = nets["vae"](batch)
        recon = reconstruction_loss(logits, batch).mean()
        if cfg.variational:
            kl_per_dim = kl_divergence(m, log_var)
            kl, paid = kl_per_dim.sum(1).mean(), kl_penalty(kl_per_dim, cfg.free_bits)
        else:
            kl = paid = torch.zeros((), device=self.device)
        weight = kl_weight(cfg, self.vae.step)
        loss = recon + weight * paid
        for group in self.opt.param_groups:  # from the step count in the checkpoint: resumes continue it
            group["lr"] = learning_rate(cfg, int(self.vae.step))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip:
            nn.utils.clip_grad_norm_(self.vae.parameters(), cfg.grad_clip)
        self.opt.step()
        self.vae.step += 1
        metrics = {"loss": loss.detach(), "recon": recon.detach(), "kl": kl.detach(),
                   "kl_weight": torch.as_tensor(weight, dtype=torch.float32),
                   "lr": torch.as_tensor(self.opt.param_groups[0]["lr"])}
        if cfg.variational:  # the auto-encoder's loss bounds nothing
            metrics["elbo_bits_per_pixel"] = nats_to_bits_per_pixel(recon.detach() + kl.detach(), self.size)
        return metrics

    @torch.no_grad()
    def evaluate(self, sprites: torch.Tensor, samples: int = 4) -> dict[str, float]:
        """Held-out −ELBO in bits per pixel (β = 1, no warm-up: the true bound), split into its
        reconstruction and KL parts. The expectation over e is averaged over ``samples`` seeded
        draws, so the same checkpoint always scores the same."""
        sprites = sprites.to(self.device)
        m, log_var = self.vae.encoder(sprites)
        g = torch.Generator(device=self.device).manual_seed(0)
        recon = torch.zeros((), device=self.device)
        draws = samples if self.config.variational else 1
        for _ in range(draws):
            e = torch.randn(m.shape, generator=g, device=self.device)
            c = torch.exp(log_var / 2) * e + m if self.config.variational else m
            recon += reconstruction_loss(self.vae.logits(c, sprites), sprites).mean() / draws
        bits = lambda nats: float(nats_to_bits_per_pixel(nats, self.size))  # noqa: E731
        if not self.config.variational:
            return {"recon_bits_per_pixel": bits(recon)}
        kl = kl_divergence(m, log_var).sum(1).mean()
        return {"elbo_bits_per_pixel": bits(recon + kl), "recon_bits_per_pixel": bits(recon),
                "kl_bits_per_pixel": bits(kl)}

    # --- codes ↔ sprites -----------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, sprites: torch.Tensor | np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices [n, H, W] → (m, σ) on the CPU; m is the code the explorer uses for a sprite."""
        m, log_var = self.vae.encoder(torch.as_tensor(np.asarray(sprites), dtype=torch.long, device=self.device))
        return m.cpu(), log_var.cpu()

    @property
    def autoregressive(self) -> bool:
        return self.config.decoder != "conv"

    def given(self, codes: torch.Tensor | np.ndarray) -> Sampling:
        """An autoregressive decoder at codes [n or 1, D], as completion.py's sampler takes a model."""
        codes = torch.as_tensor(np.asarray(codes), dtype=torch.float32, device=self.device)
        return Sampling(GivenCode(self.vae.decoder, codes), self.device, self.size, self.num_colors)

    @torch.no_grad()
    def decode(self, codes: torch.Tensor | np.ndarray) -> np.ndarray:
        """Codes [n, D] → one sprite each, indices [n, H, W] uint8; the same code, the same sprite.

        The conv decoder's pixels are independent given c: the likeliest colour of each. An
        autoregressive decoder draws its sprite pixel by pixel with the same seeded draws for
        every code (common random numbers), so a slider's small move makes a small change,
        mostly, and the greedy pass's failure — one colour repeated to the end — never appears."""
        if self.autoregressive:
            return self._decode_autoregressive(codes)
        logits = self.vae.decoder(torch.as_tensor(np.asarray(codes), dtype=torch.float32, device=self.device))
        return logits.argmax(1).byte().cpu().numpy()

    def _decode_autoregressive(self, codes) -> np.ndarray:
        """Ancestral sampling by the Gumbel-max trick, argmax(logits + g) ~ softmax(logits), with
        one fixed draw of g [H·W, K] for every code and every call: the slider's path, so only
        one step of the net and three small ops per pixel (no bookkeeping of probabilities)."""
        net = self.given(codes).net
        h, w = self.size
        g = torch.Generator(device=self.device).manual_seed(DECODE_SEED)
        gumbel = -torch.log(-torch.log(torch.rand(h * w, self.num_colors, generator=g, device=self.device)
                                       .clamp(1e-12, 1 - 1e-7)))
        canvas = net.pad(torch.zeros(len(net.condition), h * w, dtype=torch.long, device=self.device))
        was_training = net.training
        net.eval()
        with torch.inference_mode():
            state, tables = None, net.step_tables()
            for t in range(h * w):
                logits, state = net.step(net.context(canvas, t, t + 1), t, state, tables)
                canvas[:, t] = (logits[:, 0] + gumbel[t]).argmax(-1)
        net.train(was_training)
        return canvas[:, :-1].reshape(-1, h, w).byte().cpu().numpy()

    def draw(self, n: int, seed: int = 0, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
        """n new sprites from prior codes, the same ones for the same seed.

        Conv decoder: c ~ N(0, temperature² I); colours are the argmax per pixel, not samples: given c its pixels are
        independent, so sampling each one adds salt-and-pepper noise, not variety; the variety
        is in c, and ``top_k`` is ignored. Autoregressive decoder: ancestral sampling, c ~ N(0, I)
        and then each pixel given c and the pixels before it, at ``temperature`` (and
        ``top_k``) as PixelRNN's own sampling."""
        codes = seeded_codes(n, self.config.latent_dim, seed)
        if self.autoregressive:
            return completion.draw(self.given(codes), n, seed=seed, temperature=temperature, top_k=top_k)
        return self.decode(codes * temperature)

    def sample(self, n: int) -> np.ndarray:
        return self.decode(first_codes(self.fixed_codes, n))

    # --- the hook completion uses (studio/models/inpainting.py) ---------------------------------
    def code_logits(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes [n, D] → per-pixel palette logits [n, K, H, W], differentiable in the codes
        (the conv decoder; an autoregressive one completes through ``given`` instead)."""
        return self.vae.decoder(codes)
