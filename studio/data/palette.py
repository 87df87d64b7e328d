"""A palette: K RGB colours; sprites store indices into it.

Colour distances are measured in CIELAB (D65), where Euclidean distance (ΔE*76)
roughly matches what the eye sees, so nearest-colour mapping and k-means agree with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375],
     [0.2126729, 0.7151522, 0.0721750],
     [0.0193339, 0.1191920, 0.9503041]]
)
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])
_NEAREST_CHUNK = 1 << 20  # pixels mapped at once by Palette.nearest


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 (or 0..255 float) RGB ``[..., 3]`` → CIELAB ``[..., 3]`` float64."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _D65_WHITE
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1
    )


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB ``[..., 3]`` → uint8 RGB ``[..., 3]``, the inverse of :func:`rgb_to_lab`.

    Lab colours outside the sRGB gamut are clipped to it, then rounded to the nearest 0..255 step.
    """
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    eps, kappa = 216 / 24389, 24389 / 27
    xyz = np.where(f ** 3 > eps, f ** 3, (116 * f - 16) / kappa) * _D65_WHITE
    linear = np.clip(xyz @ np.linalg.inv(_SRGB_TO_XYZ).T, 0.0, 1.0)
    c = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(np.clip(c, 0.0, 1.0) * 255).astype(np.uint8)


@dataclass(frozen=True, eq=False)
class Palette:
    """``colors``: ``[K, 3]`` uint8 RGB. Index 0 is the background colour by convention."""

    colors: np.ndarray

    def __post_init__(self):
        colors = np.ascontiguousarray(self.colors, dtype=np.uint8)
        if colors.ndim != 2 or colors.shape[1] != 3 or not 1 <= len(colors) <= 256:
            raise ValueError(f"a palette is 1..256 RGB colours, got shape {colors.shape}")
        colors.setflags(write=False)
        object.__setattr__(self, "colors", colors)

    def __len__(self) -> int:
        return len(self.colors)

    def __eq__(self, other) -> bool:
        return isinstance(other, Palette) and np.array_equal(self.colors, other.colors)

    @property
    def background(self) -> tuple[int, int, int]:
        return tuple(int(v) for v in self.colors[0])

    @property
    def lab(self) -> np.ndarray:
        return rgb_to_lab(self.colors)

    def to_rgb(self, indices: np.ndarray) -> np.ndarray:
        """Colour indices ``[...]`` → uint8 RGB ``[..., 3]``."""
        return self.colors[np.asarray(indices, dtype=np.intp)]

    def nearest(self, rgb: np.ndarray) -> np.ndarray:
        """Map uint8 RGB ``[..., 3]`` to the index of the perceptually nearest palette colour.

        Memory stays bounded whatever the size of ``rgb`` (an image folder of 64 Mi pixels): the
        pixels go through in chunks, and only each chunk's distinct colours (sprites have few)
        are converted to Lab, in float64, and compared with the palette."""
        rgb = np.asarray(rgb, dtype=np.uint8)
        flat = rgb.reshape(-1, 3)
        pal = self.lab
        pal_sq = (pal ** 2).sum(1)
        out = np.empty(len(flat), dtype=np.uint8)
        for start in range(0, len(flat), _NEAREST_CHUNK):
            chunk = flat[start:start + _NEAREST_CHUNK]
            packed = (chunk[:, 0].astype(np.int32) << 16) | (chunk[:, 1].astype(np.int32) << 8) | chunk[:, 2]
            colors, which = np.unique(packed, return_inverse=True)
            lab = rgb_to_lab(np.stack([colors >> 16, (colors >> 8) & 255, colors & 255], axis=1))
            # |a-b|² = |a|² - 2ab + |b|²; |a|² is the same for every palette colour.
            out[start:start + _NEAREST_CHUNK] = (pal_sq - 2 * lab @ pal.T).argmin(1)[which.ravel()]
        return out.reshape(rgb.shape[:-1])
