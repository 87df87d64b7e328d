"""The augmentations the models train with. Mirroring (``Config.mirror``): a Pokémon facing the
other way is still one, so each training sprite counts twice. Shifting (the GAN's
``Config.shift``): DiffAugment's translation (Zhao et al. 2020), shown to a discriminator on
both real and generated sprites, so that it cannot learn 713 sprites pixel by pixel.

(DiffAugment's cutout, and its translation in a short run, measured worse on the course data:
docs/history.md.)
"""

from __future__ import annotations

import torch


def flip(x: torch.Tensor) -> torch.Tensor:
    """Mirror half of the sprites left-right, each drawn afresh: images [B, C, H, W] or palette
    indices [B, H, W], the width last."""
    mirrored = torch.rand(len(x), device=x.device) < 0.5
    return torch.where(mirrored.view(-1, *[1] * (x.dim() - 1)), x.flip(-1), x)


def shift(x: torch.Tensor, pixels: int, background: torch.Tensor) -> torch.Tensor:
    """Move each image [B, C, H, W] by its own random offset of up to ``pixels`` each way, the
    uncovered border filled with ``background`` [C]. Differentiable in x: a gather, so a
    generator's gradient flows back through the shift."""
    b, c, h, w = x.shape
    padded = background.to(x.dtype).view(1, c, 1, 1).repeat(b, 1, h + 2 * pixels, w + 2 * pixels)
    padded[:, :, pixels:pixels + h, pixels:pixels + w] = x  # the sprites' values exactly, in a frame
    dy, dx = torch.randint(0, 2 * pixels + 1, (2, b, 1), device=x.device)
    rows = dy + torch.arange(h, device=x.device)  # [B, H]: the rows each image keeps
    cols = dx + torch.arange(w, device=x.device)
    padded = padded.gather(2, rows[:, None, :, None].expand(b, c, h, w + 2 * pixels))
    return padded.gather(3, cols[:, None, None, :].expand(b, c, h, w))
