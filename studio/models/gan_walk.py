"""Moving through the GAN's code space: interpolations and looping walks (studio.data.save_gif
makes them GIFs).

The generator was trained on codes z ~ N(0, I). In many dimensions such codes all lie near
the sphere |z| ≈ sqrt(z_dim), and two of them are nearly orthogonal, so the straight line
between them (lerp) dips to |z| ≈ sqrt(z_dim / 2) in the middle, where G never saw a code
and its sprites fade. Spherical interpolation (slerp, Shoemake 1985; White 2016 for GANs)
follows the great circle instead and keeps |z| on the shell.
"""

from __future__ import annotations

import torch


def lerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """The straight line: (1 - t) a + t b."""
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """The great circle from a to b: [sin((1-t)Ω) a + sin(tΩ) b] / sin Ω, Ω the angle between
    them. For |a| = |b| every point keeps that norm. Falls back to lerp for (anti)parallel codes."""
    cos = torch.dot(a.flatten(), b.flatten()) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1, 1))
    if torch.sin(omega).abs() < 1e-6:
        return lerp(a, b, t)
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def interpolate(a: torch.Tensor, b: torch.Tensor, steps: int, spherical: bool = True) -> torch.Tensor:
    """``steps`` codes from a to b inclusive, [steps, z_dim]."""
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
    mix = slerp if spherical else lerp
    return torch.stack([mix(a, b, i / (steps - 1)) for i in range(steps)])


def random_codes(n: int, z_dim: int, seed: int) -> torch.Tensor:
    """n codes z ~ N(0, I), the same for the same seed on every machine."""
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))


def walk_codes(n_waypoints: int, steps: int, seed: int, z_dim: int, spherical: bool = True) -> torch.Tensor:
    """A closed loop through ``n_waypoints`` random codes, as ``steps`` evenly spaced codes
    [steps, z_dim]. The last frame stops one step short of the first, so a GIF of it loops
    without a stutter."""
    if n_waypoints < 2:
        raise ValueError(f"a walk needs at least 2 waypoints, got {n_waypoints}")
    if steps < 1:
        raise ValueError(f"a walk needs at least 1 step, got {steps}")
    waypoints = random_codes(n_waypoints, z_dim, seed)
    mix = slerp if spherical else lerp
    codes = []
    for k in range(steps):
        leg, t = divmod(k * n_waypoints / steps, 1.0)
        a, b = waypoints[int(leg)], waypoints[(int(leg) + 1) % n_waypoints]
        codes.append(mix(a, b, t))
    return torch.stack(codes)
