"""Seeded codes c ~ N(0, I) for the models that decode codes (GAN, VAE): the same seed, the same codes."""

from __future__ import annotations

import torch

PROGRESS_SEED = 1234  # the fixed codes whose progress grids are compared over training
EXTRA_SEED = 4321  # codes past the fixed ones, when a grid asks for more


def seeded_codes(n: int, dim: int, seed: int) -> torch.Tensor:
    """``n`` codes of ``dim`` dimensions on the CPU, repeatable from ``seed``."""
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def first_codes(fixed: torch.Tensor, n: int) -> torch.Tensor:
    """The first ``n`` of the fixed codes, topped up with seeded ones when ``n`` is larger."""
    if n > len(fixed):
        extra = seeded_codes(n - len(fixed), fixed.shape[1], EXTRA_SEED).to(fixed.device)
        fixed = torch.cat([fixed, extra])
    return fixed[:n]
