"""DiffAugment (Zhao et al. 2020): the same random, differentiable augmentations for real and
generated images, so a discriminator trained on few images cannot memorise them.

A discriminator on 713 sprites soon tells each training sprite by heart, and its gradient stops
guiding the generator. Augmenting only the real images would teach G to draw augmented ones;
augmenting both, differentiably, leaves G's target the un-augmented distribution (the
augmentations are applied after G, and D's gradient flows back through them) while D sees
shifted, holed and mirrored sprites it cannot memorise. Zhao et al. halve FID with 10-20 % of
CIFAR-10.

Each augmentation takes colour images [B, C, H, W] and draws afresh for every image.
"""

from __future__ import annotations

import torch


def translate(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each sprite by up to ratio × its side in each direction; the border pixel (the
    sprite's background) fills what is uncovered."""
    b, c, h, w = x.shape
    dy = torch.randint(-int(h * ratio), int(h * ratio) + 1, (b, 1, 1), device=x.device)
    dx = torch.randint(-int(w * ratio), int(w * ratio) + 1, (b, 1, 1), device=x.device)
    rows = (torch.arange(h, device=x.device).view(1, h, 1) + dy).clamp(0, h - 1)
    cols = (torch.arange(w, device=x.device).view(1, 1, w) + dx).clamp(0, w - 1)
    where = (rows * w + cols).flatten(1).unsqueeze(1).expand(-1, c, -1)
    return x.flatten(2).gather(2, where).view(b, c, h, w)


def cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Blank (to 0, mid-grey) a square of ratio × the side at a random place in each sprite."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio), int(w * ratio)
    top = torch.randint(0, h - ch + 1, (b, 1, 1), device=x.device)
    left = torch.randint(0, w - cw + 1, (b, 1, 1), device=x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
    return x * ~inside.unsqueeze(1)


def flip(x: torch.Tensor) -> torch.Tensor:
    """Mirror half of the sprites left-right (a Pokémon facing the other way is still one):
    images [B, C, H, W] or palette indices [B, H, W], the width last. Also the models' own
    ``mirror`` augmentation of their training sprites."""
    mirrored = torch.rand(len(x), device=x.device) < 0.5
    return torch.where(mirrored.view(-1, *[1] * (x.dim() - 1)), x.flip(-1), x)


AUGMENTS = {"translation": translate, "cutout": cutout, "flip": flip}


def augment_policy(policy: str) -> list[str]:
    return [p.strip() for p in policy.split(",") if p.strip()]


def diff_augment(x: torch.Tensor, policy: str) -> torch.Tensor:
    """The policy's augmentations in order, e.g. "translation,cutout,flip"."""
    for name in augment_policy(policy):
        x = AUGMENTS[name](x)
    return x


