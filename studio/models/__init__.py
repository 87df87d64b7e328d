"""The models, torch only: the lecture's three (pixelrnn, vae, gan), the course's newer transformer
and masked discrete diffusion.
Each module provides:

- ``Config``: a dataclass of hyper-parameters (saved with every run),
- ``CONFIGS``: named presets (``CONFIGS["lecture"]`` etc.), the first one the default (for the
  GAN and the VAE, ``Config()`` itself: the other presets are written as differences from it),
- ``PRESET_SETTINGS`` (optional): training settings a named config comes with, e.g.
  ``{"quick": {"epochs": 40, "cpu_budget": 300}}`` (see ``train.engine.default_settings``),
- ``Task``: what the training engine drives (see studio/train/engine.py for the protocol).
"""

import importlib
import math

from studio.errors import ConfigError

MODEL_NAMES = ("diffusion", "gan", "pixelrnn", "transformer", "vae")


def model_module(name: str):
    if name not in MODEL_NAMES:
        raise ConfigError(f"unknown model {name!r}", hint=f"choose one of {', '.join(MODEL_NAMES)}")
    return importlib.import_module(f"studio.models.{name}")


def check_sizes(config, *names: str) -> None:
    """A Config's layer sizes must be at least 1 (a width of 0 builds a model that fails later)."""
    for name in names:
        if getattr(config, name) < 1:
            raise ValueError(f"{name} must be at least 1, got {getattr(config, name)}")


def cosine_decay(lr: float, lr_min: float, decay_steps: int, step: int) -> float:
    """lr at ``step``, decayed along a half cosine to lr_min over decay_steps (then held there);
    decay_steps 0 keeps lr: big steps early, small ones to settle at the end."""
    if decay_steps == 0:
        return lr
    t = min(step / decay_steps, 1.0)
    return lr_min + (lr - lr_min) * 0.5 * (1 + math.cos(math.pi * t))


UPSAMPLES = ("transposed", "resize")  # how a decoder or generator doubles its resolution


def upsampling(kind: str, c_in: int, c_out: int, bias: bool = True):
    """×2 in height and width: "transposed", a stride-2 transposed conv (DCGAN's), or "resize",
    nearest-neighbour resizing and then a 3×3 conv. The transposed conv's 4×4 kernel overlaps
    unevenly and paints a checkerboard (Odena et al. 2016), which on 20×20 sprites reads as
    speckle; resizing first does not."""
    from torch import nn  # here, so that importing studio.models (the model names) needs no torch

    if kind == "transposed":
        return nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=bias)
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias))
