"""DCGAN for 20×20 sprites (Radford et al. 2015), sized for the lecture's Pokémon.

The generator maps a code z ~ N(0, I) to a sprite; the discriminator scores real against
generated sprites. Sprites are palette indices, and what G outputs (``Config.output``) is either
    rgb      an RGB image in [-1, 1], snapped to the nearest palette colour for display (DCGAN's
             way; every pixel snaps on its own, which reads as speckle), or
    snap     RGB too, but D sees it snapped to the nearest palette colour, what a user sees
             (the gradient passes straight through the snap, as in VQ-VAE), and so does the
             speckle, which D then punishes.
    palette  logits ℓ over the K palette colours per pixel: D sees the expected colour
             softmax(ℓ) · palette, and a sample is argmax ℓ, a palette index by construction.

What keeps the snap output crisp (the default, ``crisp``): VQ-VAE's commitment term pulls G's
RGB onto the palette colour it snaps to, β Σ |rgb − sg(snap(rgb))|², so a pixel no longer sits
on the border between two colours, where each step flips it (speckle); D max-pools its feature
map before scoring, so one stray pixel counts wherever it is; and real sprites are mirrored at
random, twice the poses from the same 713. For a long run (the shipped course model), D also
sees every sprite shifted by up to two pixels (``shift``, DiffAugment's translation), which
keeps it from learning the sprites by heart. What was tried and measured worse (DiffAugment's
cutout, R1, minibatch std, Gumbel and per-sprite-palette outputs, a learning-rate decay) is in
docs/history.md.

Losses (``Config.loss``), with D(x) the discriminator's raw score (a logit):
    nonsaturating  D: -log σ(D(x)) - log(1 - σ(D(G(z))))   G: -log σ(D(G(z)))   (the default)
    hinge          D: max(0, 1 - D(x)) + max(0, 1 + D(G(z)))   G: -D(G(z))
    wgan-gp        D: D(G(z)) - D(x) + λ (|∇D(x̂)| - 1)²         G: -D(G(z))
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel

from studio.data.palette import Palette
from studio.models import UPSAMPLES, check_sizes, gan_signals, upsampling
from studio.models.codes import PROGRESS_SEED, first_codes, seeded_codes
from studio.models.mirror import flip, shift

LOSSES = ("nonsaturating", "hinge", "wgan-gp")
OUTPUTS = ("rgb", "snap", "palette")
D_HEADS = ("linear", "max-pool")
GP_WEIGHT = 10.0  # λ of wgan-gp, the paper's (Gulrajani et al. 2017)
# Samples come from an exponential moving average of G: G averaged over its last ~1,000 steps
# is smoother than G at any one step (without it, c2st 0.987 against 0.974: docs/history.md).
EMA_DECAY = 0.999
EVAL_SAMPLES = 256  # sprites drawn per evaluation: enough for stable signals, cheap every epoch


@dataclass(frozen=True)
class Config:
    """The defaults are the default preset, ``crisp``; the other presets say how they differ."""

    z_dim: int = 64
    width: int = 64  # channels of the widest layer of each net
    loss: str = "nonsaturating"
    spectral_norm: bool = False  # on the discriminator's layers (Miyato et al. 2018)
    lr_g: float = 5e-4  # DCGAN's is 2e-4; 5e-4 learned faster on the sprites
    lr_d: float = 5e-4
    betas: tuple[float, float] = (0.5, 0.999)  # DCGAN's β1 = 0.5 keeps the game from oscillating
    # G's ×2 steps: "resize" (nearest, then a 3×3 conv) or "transposed" (DCGAN's stride-2
    # transposed conv). On the course data, after 3,300 steps, held-out MMD² was 0.009 against 0.026.
    upsample: str = "resize"
    output: str = "snap"  # "rgb", "snap" or "palette": see the module docstring
    # palette: D sees softmax(logit_scale · ℓ). Above 1, each Adam step moves the softmax
    # further, so G commits to one colour per pixel sooner (a temperature 1/logit_scale).
    logit_scale: float = 1.0
    # output "snap": VQ-VAE's commitment term, β Σ_pixels |rgb - sg(snap(rgb))|², mean over the
    # batch. Without it G's RGB sits anywhere between palette colours (on the course data a
    # 5-minute G's pixels are 0.26 RMS from the colour they snap to, palette neighbours 0.01),
    # so a small step flips a pixel to another colour: speckle. With it each pixel settles
    # on its colour.
    commitment: float = 0.05
    # D's last step: "linear" over every position of its 5×5 feature map (DCGAN's), or
    # "max-pool" to 2×2 first. A fake often gives itself away in one spot (a stray pixel, a
    # broken outline); max-pooling keeps that spot's evidence wherever it is, and D no longer
    # has a weight per position with which to learn each training sprite by heart.
    d_head: str = "max-pool"
    # Real sprites also mirrored left-right at random: a Pokémon facing the other way is one
    # too, so G sees twice the poses (713 sprites are few).
    mirror: bool = True
    # DiffAugment's translation: D sees real and generated sprites alike moved by up to this
    # many pixels (0: off), so it cannot learn 713 sprites pixel by pixel and the game stays
    # even for longer. It pays in a long run (the ``long`` preset, the shipped course model:
    # sharp c2st 0.875 after 25,000 steps against 0.974 unshifted) but not at a learner's
    # budget: crisp's 10 CPU-minutes with it scored 0.960 against 0.976, inside the interval,
    # with half the recall.
    shift: int = 0

    def __post_init__(self):
        check_sizes(self, "z_dim", "width")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown GAN loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.upsample not in UPSAMPLES:
            raise ValueError(f"unknown upsampling {self.upsample!r}; choose one of {', '.join(UPSAMPLES)}")
        if self.output not in OUTPUTS:
            raise ValueError(f"unknown GAN output {self.output!r}; choose one of {', '.join(OUTPUTS)}")
        if self.d_head not in D_HEADS:
            raise ValueError(f"unknown discriminator head {self.d_head!r}; choose one of {', '.join(D_HEADS)}")
        if not 0 <= self.shift <= 4:
            raise ValueError(f"shift must be 0 (off) to 4 pixels, got {self.shift}")
        if self.commitment < 0 or (self.commitment and self.output != "snap"):
            raise ValueError(f"commitment must not be negative and needs the snap output, got {self.commitment} "
                             f"with output {self.output!r}")


# Epochs a run takes unless told otherwise: ~3,300 steps on the course data, where the
# samples turn from noise into creature-shaped blobs (the distance to held-out sprites keeps falling).
DEFAULT_EPOCHS = 300

# The first is the default, Config() itself. On the course data (benchmarks/gan_ablation.py,
# docs/history.md): D seeing the snapped sprite ("snap") matched the RGB DCGAN's c2st with 3×
# its recall and no copies; learning rates of 5e-4 instead of DCGAN's 2e-4 helped (c2st 0.901
# against 0.926 at 5 CPU-minutes), but past ~3,000 steps D won that faster game and the samples
# dissolved into speckle. Three changes together keep it going: the commitment term (G's
# colours settle on the palette, so a step no longer flips pixels), D's max-pool head (a stray
# pixel counts wherever it is; no per-position weights to memorise sprites with) and mirrored
# real sprites. At 10 CPU-minutes that draws outlined creatures (c2st 0.78); R1, spectral norm
# + hinge, two learning rates, minibatch std, a wider net, colour slots and DiffAugment each did worse.
# DCGAN as Radford et al. trained it, but resizing instead of transposed convs: the base of the others.
DCGAN = Config(output="rgb", lr_g=2e-4, lr_d=2e-4, commitment=0.0, d_head="linear", mirror=False)
CONFIGS = {
    "crisp": Config(),
    "quick": Config(),
    "long": Config(shift=2),  # the shipped course model's recipe: ~61 CPU-minutes, 25,000 steps
    "snap": dataclasses.replace(DCGAN, output="snap"),
    "palette": dataclasses.replace(DCGAN, output="palette", logit_scale=10.0),
    "dcgan": DCGAN,
    "dcgan-transpose": dataclasses.replace(DCGAN, upsample="transposed"),
    "hinge-sn": dataclasses.replace(DCGAN, loss="hinge", spectral_norm=True),
    "wgan-gp": dataclasses.replace(DCGAN, loss="wgan-gp", betas=(0.0, 0.9), lr_g=1e-4, lr_d=1e-4),
}

# Budgets in CPU-seconds of one core; the epochs only bound a faster machine. Evaluating every
# 10th epoch, not every one: each costs about half an epoch of training on a CPU.
PRESET_SETTINGS = {
    "crisp": {"epochs": 2000, "cpu_budget": 600, "eval_every": 10},
    "quick": {"epochs": 1000, "cpu_budget": 300, "eval_every": 10},
    "long": {"epochs": 2273, "cpu_budget": 3750, "eval_every": 50},  # 2,273 epochs: 25,003 steps of 64
    "snap": {"epochs": 1000, "cpu_budget": 720, "eval_every": 10},
}


class Generator(nn.Module):
    """z → [B, C, H, W]: a linear map to an (H/4 × W/4) map, then two ×2 upsamplings. C is 3
    (RGB in [-1, 1], through tanh) or K (one logit per palette colour, unbounded)."""

    def __init__(self, z_dim: int, width: int, size: tuple[int, int], upsample: str = "resize",
                 out_channels: int = 3):
        super().__init__()
        h, w = size
        if h % 4 or w % 4:
            raise ValueError(f"the GAN needs sprite sides divisible by 4, got {h}×{w}")
        self.start = (2 * width, h // 4, w // 4)
        self.project = nn.Sequential(nn.Linear(z_dim, 2 * width * (h // 4) * (w // 4), bias=False),
                                     nn.BatchNorm1d(2 * width * (h // 4) * (w // 4)), nn.ReLU(True))
        self.upsample = nn.Sequential(
            # No bias before batch norm: its shift would be subtracted again.
            upsampling(upsample, 2 * width, width, bias=False), nn.BatchNorm2d(width), nn.ReLU(True),
            upsampling(upsample, width, width // 2, bias=False), nn.BatchNorm2d(width // 2), nn.ReLU(True),
            # RGB: a 3×3 conv and tanh. Logits: a 1×1 conv, a per-pixel choice among K colours from
            # features that already see their neighbours (a 3×3 one to K = 167 would cost more than
            # the rest of G).
            *([nn.Conv2d(width // 2, 3, 3, 1, 1), nn.Tanh()] if out_channels == 3 else
              [nn.Conv2d(width // 2, out_channels, 1)]),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.project(z).view(-1, *self.start))


class Discriminator(nn.Module):
    """[B, 3, H, W] → one raw score per sprite. No batch norm: it would couple real and fake
    samples in a batch, and WGAN-GP's per-sample gradient penalty forbids it."""

    def __init__(self, width: int, size: tuple[int, int], spectral_norm: bool, head: str = "linear"):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda layer: layer)
        h, w = size
        self.features = nn.Sequential(
            sn(nn.Conv2d(3, width // 2, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(width // 2, width, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(width, 2 * width, 3, 1, 1)), nn.LeakyReLU(0.2, True),
            *([nn.AdaptiveMaxPool2d(2)] if head == "max-pool" else []),
        )
        positions = 4 if head == "max-pool" else (h // 4) * (w // 4)
        self.score = sn(nn.Linear(2 * width * positions, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score(self.features(x).flatten(1)).squeeze(1)


def discriminator_loss(loss: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    if loss == "nonsaturating":
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if loss == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    return fake.mean() - real.mean()  # wgan-gp, its penalty added by the caller


def generator_loss(loss: str, fake: torch.Tensor) -> torch.Tensor:
    # Non-saturating: maximise log D(G(z)) instead of minimising log(1 - D(G(z))), whose
    # gradient vanishes exactly when D confidently rejects G's samples (early training).
    return F.softplus(-fake).mean() if loss == "nonsaturating" else -fake.mean()


def gradient_penalty(d: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): push |∇D| to 1 on random points between real and fake."""
    t = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
    mixed = (t * real + (1 - t) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(d(mixed).sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


class Task:
    """What the engine trains: G and D, their optimisers, one alternating step."""

    selection_metric = None  # GAN losses say little about quality; keep the latest checkpoint

    def __init__(self, config: Config, palette: np.ndarray, size: tuple[int, int], device: torch.device):
        self.config, self.size, self.device = config, tuple(size), device
        self.palette = Palette(palette)
        self.palette_rgb = torch.tensor(palette, dtype=torch.float32, device=device) / 127.5 - 1
        out_channels = 3 if config.output in ("rgb", "snap") else len(palette)
        self.g = Generator(config.z_dim, config.width, self.size, config.upsample, out_channels).to(device)
        self.d = Discriminator(config.width, self.size, config.spectral_norm, config.d_head).to(device)
        # torch's AveragedModel keeps the average and its update count in its state_dict,
        # so a resumed run continues the average exactly.
        self.g_ema = AveragedModel(self.g, multi_avg_fn=ema_with_warmup(EMA_DECAY), use_buffers=True).requires_grad_(False)
        fused = device.type == "cuda"  # one kernel for the whole Adam update
        self.opt_g = torch.optim.Adam(self.g.parameters(), config.lr_g, betas=config.betas, fused=fused)
        self.opt_d = torch.optim.Adam(self.d.parameters(), config.lr_d, betas=config.betas, fused=fused)
        # A fixed batch of codes: progress grids show the same z sharpening over training.
        self.fixed_z = seeded_codes(64, config.z_dim, PROGRESS_SEED).to(device)
        # Fixed codes for evaluation, so successive evaluations differ only by the generator.
        self.eval_z = seeded_codes(EVAL_SAMPLES, config.z_dim, 4242).to(device)

    def modules(self) -> dict[str, nn.Module]:
        return {"g": self.g, "d": self.d, "g_ema": self.g_ema}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"g": self.opt_g, "d": self.opt_d}

    def to_rgb(self, batch: torch.Tensor) -> torch.Tensor:
        """Colour indices [B, H, W] → RGB [B, 3, H, W] in [-1, 1]."""
        return self.palette_rgb[batch].permute(0, 3, 1, 2)

    def colours(self, out: torch.Tensor) -> torch.Tensor:
        """What D sees of G's output [B, C, H, W]: RGB [B, 3, H, W] in [-1, 1]."""
        cfg = self.config
        if cfg.output == "rgb":
            return out
        if cfg.output == "snap":  # the snapped colour forward, the identity backward
            return out + (self.to_rgb(self.nearest_colours(out)) - out).detach()
        # palette: the expected colour Σ_k softmax(ℓ)_k · palette_k
        return torch.einsum("bkhw,kc->bchw", (cfg.logit_scale * out).softmax(1), self.palette_rgb)

    def seen(self, rgb: torch.Tensor) -> torch.Tensor:
        """Sprites [B, 3, H, W] as D sees them in training: shifted by up to ``shift`` pixels."""
        return shift(rgb, self.config.shift, self.palette_rgb[0]) if self.config.shift else rgb

    def train_step(self, nets: dict, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        cfg, g, d = self.config, nets["g"], nets["d"]
        if cfg.mirror:
            batch = flip(batch)
        real = self.seen(self.to_rgb(batch))
        z = torch.randn(len(batch), cfg.z_dim, device=self.device)
        out = g(z)
        fake = self.colours(out)

        # Discriminator: real and fake in one forward, so spectral norm's power iteration and
        # DDP see one call per step.
        fake_seen = self.seen(fake.detach())
        scores = d(torch.cat([real, fake_seen])).float()
        d_real, d_fake = scores[:len(batch)], scores[len(batch):]
        d_loss = discriminator_loss(cfg.loss, d_real, d_fake)
        if cfg.loss == "wgan-gp":
            d_loss = d_loss + GP_WEIGHT * gradient_penalty(d, real, fake_seen.to(real.dtype))
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        d_grad_norm = _grad_norm(self.d)
        self.opt_d.step()

        # Generator: through the freshly updated D, as in the DCGAN reference loop.
        g_loss = generator_loss(cfg.loss, d(self.seen(fake)).float())
        # fake is the snapped colour forward: the commitment needs no second nearest-colour search.
        commitment = (out - fake.detach()).pow(2).sum((1, 2, 3)).mean() if cfg.commitment > 0 else None
        self.opt_g.zero_grad(set_to_none=True)
        (g_loss if commitment is None else g_loss + cfg.commitment * commitment).backward()
        g_grad_norm = _grad_norm(self.g)
        self.opt_g.step()
        self.g_ema.update_parameters(self.g)

        as_prob = torch.sigmoid if cfg.loss == "nonsaturating" else (lambda s: s)
        metrics = {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(),
                   "d_real": as_prob(d_real.detach()).mean(), "d_fake": as_prob(d_fake.detach()).mean(),
                   "d_grad_norm": d_grad_norm, "g_grad_norm": g_grad_norm}
        if commitment is not None:  # how far G's RGB is from the colours it snaps to
            metrics["commitment"] = commitment.detach()
        if cfg.output == "palette":  # how sure G is of each pixel's colour: 1 = one colour
            metrics["g_confidence"] = (cfg.logit_scale * out.detach()).softmax(1).amax(1).mean()
        return metrics

    def evaluate(self, sprites: torch.Tensor) -> dict[str, float]:
        """What the losses cannot tell (studio/models/gan_signals.py): the EMA generator's
        samples against the held-out sprites. diversity_ratio far below 1 is mode collapse;
        mmd falls as the samples' distribution approaches the real one."""
        return gan_signals.sample_signals(self.generate(self.eval_z), sprites, self.palette)

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> np.ndarray:
        """Codes [n, z_dim] → sprites as palette indices [n, H, W], from the EMA generator."""
        self.g_ema.eval()
        out = self.g_ema(z.to(self.device))
        if self.config.output == "rgb":
            return self.snap(out.float())
        if self.config.output == "snap":
            return self.nearest_colours(out.float()).cpu().numpy()
        return out.argmax(1).cpu().numpy()  # the likeliest colour of each pixel

    def nearest_colours(self, rgb: torch.Tensor) -> torch.Tensor:
        """RGB [B, 3, H, W] in [-1, 1] → the nearest palette colour's index (in RGB) [B, H, W]."""
        pixels = rgb.detach().permute(0, 2, 3, 1).flatten(0, 2)
        nearest = torch.cdist(pixels, self.palette_rgb).argmin(1)
        return nearest.view(rgb.shape[0], *rgb.shape[2:])

    def snap(self, rgb: torch.Tensor) -> np.ndarray:
        """RGB [n, 3, H, W] in [-1, 1] → nearest palette colours (CIELAB), indices [n, H, W]."""
        pixels = ((rgb.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        return self.palette.nearest(pixels)

    def draw(self, n: int, seed: int = 0, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
        """n new sprites from random codes; temperature < 1 shrinks z (the truncation trick)."""
        return self.generate(seeded_codes(n, self.config.z_dim, seed) * temperature)

    def sample(self, n: int) -> np.ndarray:
        return self.generate(first_codes(self.fixed_z, n))

    # --- the hooks completion uses (studio/models/inpainting.py) --------------------------------
    num_colors = property(lambda self: len(self.palette))

    @property
    def output_kind(self) -> str:
        """"rgb" (G gives RGB in [-1, 1]) or "logits" (G gives logits over the palette)."""
        return "rgb" if self.config.output in ("rgb", "snap") else "logits"

    def completion_terms(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Codes [n, z_dim] → (the EMA generator's RGB [n, 3, H, W] or palette logits [n, K, H, W],
        its generator loss through D per sprite [n]), both differentiable in z."""
        out = self.g_ema.module(z)
        seen = self.colours(out)
        realism = torch.func.vmap(lambda s: generator_loss(self.config.loss, s))(self.d(seen).float())
        return (out if self.output_kind == "rgb" else self.config.logit_scale * out), realism


def ema_with_warmup(decay: float):
    """Exponential moving average whose decay ramps up to ``decay``: early on, a plain 0.999
    average would be dominated by the random initial weights. All on the device, no sync."""

    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], num_averaged: torch.Tensor):
        d = torch.clamp((1 + num_averaged) / (10 + num_averaged), max=decay).to(averaged[0].dtype)
        torch._foreach_mul_(averaged, d)
        torch._foreach_add_(averaged, torch._foreach_mul(current, 1 - d))

    return update


def _grad_norm(module: nn.Module) -> torch.Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
