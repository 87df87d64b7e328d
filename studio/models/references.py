"""The yardstick's reference sets: real sprites, and real sprites broken in ways a person sees.

A score means something only beside what it gives sprites whose quality is known. Each
function takes palette indices [n, H, W] (index 0 the background, the studio's convention)
and returns sprites of the same shape:

- ``halves``: the training sprites cut in two disjoint random halves — real against real,
  the floor (a perfect model's c2st is 0.5; its samples are as new as the other half is).
- ``shuffle_pixels``: each sprite's pixels in a random order — the right colours, no shape.
- ``scramble_interior``: the outline kept (creature pixels touching the background), the
  colours inside permuted among themselves — the silhouette is right, the inside is noise.
- ``resample_colours``: every creature pixel drawn from that sprite's own colour histogram —
  the silhouette and the colour mix are right, no outline, no regions of one colour.
- ``blur``: blurred in CIELAB and snapped back to the palette — the shape and colours are
  right, the crisp pixel-art edges are not (a blurry model's failure, e.g. a VAE's).

A person tells each of these from real sprites at a glance (``python -m benchmarks.yardstick
references --grids DIR`` draws them, locally: the repository holds no course sprite, broken or
not); a yardstick that does not is too lenient (docs/yardstick.md). All are deterministic for a
NumPy generator.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from studio.data.palette import Palette

BLUR_SIGMA = 0.7  # pixels: a Gaussian this wide already melts the 1-pixel outlines together


def halves(sprites: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of ``sprites`` (each in the original order)."""
    order = rng.permutation(len(sprites))
    half = len(sprites) // 2
    return sprites[np.sort(order[:half])], sprites[np.sort(order[half:2 * half])]


def shuffle_pixels(sprites: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each sprite's pixels in a random order of its own: its colours, none of its shape."""
    flat = sprites.reshape(len(sprites), -1)
    order = np.argsort(rng.random(flat.shape), axis=1)
    return np.take_along_axis(flat, order, axis=1).reshape(sprites.shape)


def outline(sprites: np.ndarray) -> np.ndarray:
    """[n, H, W] bool: creature pixels with a background pixel (or the frame's edge) among
    their four neighbours."""
    body = np.pad(sprites != 0, ((0, 0), (1, 1), (1, 1)))
    edge = ~body[:, :-2, 1:-1] | ~body[:, 2:, 1:-1] | ~body[:, 1:-1, :-2] | ~body[:, 1:-1, 2:]
    return body[:, 1:-1, 1:-1] & edge


def scramble_interior(sprites: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The outline kept; the colours of the pixels inside it permuted within each sprite."""
    out = sprites.copy()
    inside = (sprites != 0) & ~outline(sprites)
    for sprite, where in zip(out, inside):
        sprite[where] = rng.permutation(sprite[where])
    return out


def resample_colours(sprites: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each creature pixel drawn independently from its own sprite's creature colours."""
    out = sprites.copy()
    for sprite in out:
        body = sprite != 0
        if body.any():
            sprite[body] = rng.choice(sprite[body], size=int(body.sum()))
    return out


def blur(sprites: np.ndarray, palette: Palette, sigma: float = BLUR_SIGMA) -> np.ndarray:
    """A Gaussian blur of the CIELAB image (the border repeated), each pixel then snapped to
    the nearest palette colour — the studio's own nearest-colour rule."""
    lab = torch.tensor(palette.lab, dtype=torch.float32)
    image = lab[torch.as_tensor(sprites, dtype=torch.long)].permute(0, 3, 1, 2)
    radius = max(1, int(np.ceil(3 * sigma)))
    taps = torch.exp(-torch.arange(-radius, radius + 1, dtype=torch.float32) ** 2 / (2 * sigma ** 2))
    taps /= taps.sum()
    image = F.pad(image, (radius,) * 4, mode="replicate")
    image = F.conv2d(image, taps.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)  # separable: rows,
    image = F.conv2d(image, taps.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)  # then columns
    pixels = image.permute(0, 2, 3, 1).reshape(-1, 3)
    return torch.cdist(pixels, lab).argmin(1).reshape(sprites.shape).numpy().astype(sprites.dtype)


#: The broken sets, by the name of their reference row.
BROKEN = {"shuffled": lambda s, palette, rng: shuffle_pixels(s, rng),
          "scrambled": lambda s, palette, rng: scramble_interior(s, rng),
          "resampled": lambda s, palette, rng: resample_colours(s, rng),
          "blurred": lambda s, palette, rng: blur(s, palette)}
