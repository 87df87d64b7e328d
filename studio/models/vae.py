"""Variational auto-encoder (Kingma & Welling 2014) for palette sprites, as in the lecture.

    encoder:  sprite x → m, σ                      (10 numbers each by default)
    code:     c = exp(σ/2)·e + m,  e ~ N(0, I)     σ is the log-variance
    decoder:  c → a categorical over the K palette colours for every pixel
    loss:     reconstruction + β·KL,  reconstruction = -log p(x | c) (cross-entropy, nats)
              KL = ½ Σ(exp σ − (1 + σ) + m²)

The lecture writes c = exp(σ)·e + m and minimises Σ(exp σ − (1 + σ) + m²). That sum is the
KL to N(0, I) only when σ is the log-variance, and then it is twice the KL. So here σ is the
log-variance (the std is exp(σ/2)) and the KL carries its ½: the loss with β = 1 is exactly
−ELBO, a bound on −log p(x) in the same units as PixelRNN's NLL.

The decoder outputs palette indices, not RGB: sprites are indices, so a per-pixel softmax is
the natural likelihood, and a decoded sprite is always made of palette colours.
The ``ae`` config (no noise, no KL) is the plain auto-encoder the lecture compares against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.models import check_sizes
from studio.models.codes import PROGRESS_SEED, first_codes, seeded_codes


@dataclass(frozen=True)
class Config:
    latent_dim: int = 10  # the lecture's 10-dimensional code
    width: int = 64  # channels of the first conv layer; the second has twice as many
    hidden: int = 256  # the fully connected layer between the conv stack and the code
    embed_dim: int = 16  # each palette index becomes a learned vector (= one-hot × a matrix)
    variational: bool = True  # False: the plain auto-encoder (c = m, no KL)
    beta: float = 1.0  # weight of the KL term (β-VAE; 1 = the true ELBO)
    kl_warmup_steps: int = 500  # the KL weight ramps linearly 0 → β over these steps
    lr: float = 1e-3
    weight_decay: float = 0.0

    def __post_init__(self):
        check_sizes(self, "width", "hidden", "embed_dim")
        if self.latent_dim < 2:
            raise ValueError(f"latent_dim must be at least 2 (the explorer shows two), got {self.latent_dim}")
        if self.beta < 0 or self.kl_warmup_steps < 0:
            raise ValueError("beta and kl_warmup_steps must not be negative")


# Long enough for the KL warm-up to finish and reconstructions to sharpen on the course data.
DEFAULT_EPOCHS = 150

CONFIGS = {
    "lecture": Config(),
    "ae": Config(variational=False, beta=0.0, kl_warmup_steps=0),
    "beta4": Config(beta=4.0),  # fewer, more disentangled dimensions, blurrier sprites
}


class Encoder(nn.Module):
    """Indices [B, H, W] → (m, σ) each [B, latent_dim]: two stride-2 convs, then an MLP."""

    def __init__(self, cfg: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        h, w = size
        self.embed = nn.Embedding(num_colors, cfg.embed_dim)
        self.convs = nn.Sequential(
            nn.Conv2d(cfg.embed_dim, cfg.width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(cfg.width, 2 * cfg.width, 4, 2, 1), nn.LeakyReLU(0.2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * cfg.width * (h // 4) * (w // 4), cfg.hidden),
                                  nn.LeakyReLU(0.2), nn.Linear(cfg.hidden, 2 * cfg.latent_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.convs(self.embed(x).permute(0, 3, 1, 2))
        m, log_var = self.head(features).float().chunk(2, dim=1)
        return m, log_var


class Decoder(nn.Module):
    """Code [B, latent_dim] → logits [B, K, H, W]: an MLP to an (H/4 × W/4) map, two ×2 upsamplings."""

    def __init__(self, cfg: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        h, w = size
        self.start = (2 * cfg.width, h // 4, w // 4)
        self.mlp = nn.Sequential(nn.Linear(cfg.latent_dim, cfg.hidden), nn.ReLU(),
                                 nn.Linear(cfg.hidden, math.prod(self.start)), nn.ReLU())
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * cfg.width, cfg.width, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(cfg.width, cfg.width, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(cfg.width, num_colors, 1),  # per-pixel logits; the upsamplings already mix neighbours
        )

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.mlp(c).view(-1, *self.start))


class VAE(nn.Module):
    def __init__(self, cfg: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        h, w = size
        if h % 4 or w % 4:
            raise ValueError(f"the VAE needs sprite sides divisible by 4, got {h}×{w}")
        self.cfg = cfg
        self.encoder = Encoder(cfg, num_colors, size)
        self.decoder = Decoder(cfg, num_colors, size)
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
        return self.decoder(c), m, log_var


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


def nats_to_bits_per_pixel(nats: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return nats / (size[0] * size[1] * math.log(2))


class Task:
    """What the engine trains: one VAE, one Adam, reconstruction + β·KL."""

    def __init__(self, config: Config, palette: np.ndarray, size: tuple[int, int], device: torch.device):
        self.config, self.size, self.device = config, tuple(size), device
        self.num_colors = len(palette)
        self.palette_rgb = torch.tensor(np.asarray(palette, dtype=np.uint8), device=device)  # [K, 3]
        self.vae = VAE(config, self.num_colors, self.size).to(device)
        self.opt = torch.optim.Adam(self.vae.parameters(), config.lr, weight_decay=config.weight_decay,
                                    fused=device.type == "cuda")
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
        logits, m, log_var = nets["vae"](batch)
        recon = reconstruction_loss(logits, batch).mean()
        kl = kl_divergence(m, log_var).sum(1).mean() if self.config.variational else torch.zeros((), device=self.device)
        weight = kl_weight(self.config, self.vae.step)
        loss = recon + weight * kl
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.vae.step += 1
        metrics = {"loss": loss.detach(), "recon": recon.detach(), "kl": kl.detach(),
                   "kl_weight": torch.as_tensor(weight, dtype=torch.float32)}
        if self.config.variational:  # the auto-encoder's loss bounds nothing
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
            recon += reconstruction_loss(self.vae.decoder(c), sprites).mean() / draws
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

    @torch.no_grad()
    def decode(self, codes: torch.Tensor | np.ndarray) -> np.ndarray:
        """Codes [n, D] → the likeliest colour of every pixel, indices [n, H, W] uint8."""
        logits = self.vae.decoder(torch.as_tensor(np.asarray(codes), dtype=torch.float32, device=self.device))
        return logits.argmax(1).byte().cpu().numpy()

    def draw(self, n: int, seed: int = 0, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
        """n new sprites decoded from codes c ~ N(0, temperature² I).

        Colours are the argmax per pixel, not samples: given c the decoder's pixels are
        independent, so sampling each one adds salt-and-pepper noise, not variety; the variety
        is in c. ``top_k`` belongs to PixelRNN and is ignored.
        """
        return self.decode(seeded_codes(n, self.config.latent_dim, seed) * temperature)

    def sample(self, n: int) -> np.ndarray:
        return self.decode(first_codes(self.fixed_codes, n))
