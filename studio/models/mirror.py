"""Mirroring, the one augmentation the models train with (``Config.mirror``): a Pokémon facing
the other way is still one, so each training sprite counts twice.

(DiffAugment's translation and cutout, shown to the GAN's discriminator, measured worse on the
course data and are gone: docs/history.md.)
"""

from __future__ import annotations

import torch


def flip(x: torch.Tensor) -> torch.Tensor:
    """Mirror half of the sprites left-right, each drawn afresh: images [B, C, H, W] or palette
    indices [B, H, W], the width last."""
    mirrored = torch.rand(len(x), device=x.device) < 0.5
    return torch.where(mirrored.view(-1, *[1] * (x.dim() - 1)), x.flip(-1), x)
