"""Signals a GAN's losses cannot give: diversity, memorisation, distance to real sprites.

The lecture's warning: the discriminator's loss says nothing reliable about how good the
generator is (D may just be weak, and G may have found one sprite that fools it). These
look at the *sprites* instead, so they mean the same whatever the loss or the networks.

Distance between two sprites (everything below builds on it): both are palette indices;
each pixel's colour is looked up in CIELAB, where Euclidean distance ≈ what the eye sees
(ΔE*76), and the distance is the root-mean-square ΔE over the H×W pixels:

    d(a, b) = sqrt( 1/(HW) Σ_p |Lab(a_p) - Lab(b_p)|² )

so 0 means the same sprite; one pixel of 400 changed from white to black scores 5, and two
different Pokémon are ~55 apart on average. Comparing palette indices directly would make
"index 3 vs 4" as far apart as "white vs black"; CIELAB makes similar colours close.

- diversity(X): the mean d over pairs of distinct sprites of X (0 when all are one sprite).
  The ratio diversity(samples) / diversity(real) is ≈ 1 for a healthy generator and falls
  far below 1 when it collapses onto a few sprites (mode collapse).
- nearest_training_sprites: each sample's nearest training sprite and its d: d ≈ 0 means the
  generator reproduced that sprite (memorised it) instead of making a new one.
- mmd: the squared maximum mean discrepancy (Gretton et al. 2012) between samples and real
  sprites with the Gaussian kernel k(a, b) = exp(-d(a, b)² / 2σ²), σ fixed to the median d
  between real sprites (the median heuristic, on the real set only so the yardstick does not
  move as the generator changes). It needs no downloaded network (unlike FID): 0 when the two
  sets are the same, larger as they differ. The biased (V-statistic) estimate, never negative;
  two finite samples of one distribution still score a little above 0.
"""

from __future__ import annotations

import numpy as np
import torch

from studio.data.palette import Palette


def sprite_features(sprites, palette: Palette) -> torch.Tensor:
    """Palette indices [n, H, W] → [n, H·W·3] CIELAB pixels scaled by 1/sqrt(H·W), so the
    Euclidean distance between two rows is the RMS ΔE of the module docstring."""
    sprites = torch.as_tensor(np.asarray(sprites) if not torch.is_tensor(sprites) else sprites).long()
    if sprites.ndim != 3:
        raise ValueError(f"sprites are [n, H, W] palette indices, got shape {tuple(sprites.shape)}")
    lab = torch.tensor(palette.lab, dtype=torch.float32, device=sprites.device)
    pixels = sprites.shape[1] * sprites.shape[2]
    return lab[sprites].flatten(1) / pixels ** 0.5


def pairwise_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[n, D], [m, D] features → [n, m] sprite distances (RMS ΔE)."""
    # Direct differences, not the |a|² - 2ab + |b|² shortcut, so equal sprites are exactly 0 apart.
    return torch.cdist(a.double(), b.double(), compute_mode="donot_use_mm_for_euclid_dist").float()


def diversity(features: torch.Tensor) -> float:
    """Mean distance between the sprites of one set, over all pairs i ≠ j."""
    n = len(features)
    if n < 2:
        raise ValueError(f"diversity needs at least 2 sprites, got {n}")
    return float(pairwise_distances(features, features).sum() / (n * (n - 1)))


def median_bandwidth(features: torch.Tensor) -> float:
    """The median distance between distinct sprites of a set (σ of the MMD kernel)."""
    d = pairwise_distances(features, features)
    off_diagonal = d[~torch.eye(len(d), dtype=torch.bool, device=d.device)]
    sigma = float(off_diagonal.median()) if len(off_diagonal) else 0.0
    return sigma if sigma > 0 else 1.0  # all sprites identical: any σ gives the same answer


def mmd(x: torch.Tensor, y: torch.Tensor, sigma: float) -> float:
    """Squared MMD between feature sets x and y with a Gaussian kernel of width sigma:
    E k(x, x') + E k(y, y') - 2 E k(x, y), each mean over all pairs (biased estimate)."""
    def kernel(a, b):
        return torch.exp(-pairwise_distances(a, b) ** 2 / (2 * sigma ** 2))

    return max(0.0, float(kernel(x, x).mean() + kernel(y, y).mean() - 2 * kernel(x, y).mean()))


def sample_signals(samples, real, palette: Palette) -> dict[str, float]:
    """What the GAN logs each evaluation: generated ``samples`` against ``real`` held-out
    sprites (both palette indices [n, H, W])."""
    true = sprite_features(real, palette)
    fake = sprite_features(samples, palette).to(true.device)
    ours = diversity(fake)
    if len(true) < 2:  # a tiny data set's held-out part: nothing to compare with
        return {"diversity": ours}
    theirs = diversity(true)
    return {"diversity": ours, "diversity_real": theirs,
            "diversity_ratio": ours / theirs if theirs > 0 else float("nan"),
            "mmd": mmd(fake, true, median_bandwidth(true))}


def nearest_training_sprites(samples, train_sprites, palette: Palette) -> tuple[np.ndarray, np.ndarray]:
    """For each sample, (index into train_sprites of its nearest sprite, the distance to it).
    A distance of 0 means the sample *is* that training sprite: memorised, not invented."""
    train = sprite_features(train_sprites, palette)
    fake = sprite_features(samples, palette).to(train.device)
    if len(train) == 0:
        raise ValueError("no training sprites to compare with")
    distances, indices = pairwise_distances(fake, train).min(dim=1)
    return indices.cpu().numpy(), distances.cpu().numpy()
