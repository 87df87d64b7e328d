"""What the PixelRNN canvas edits, without Qt: a sprite and a mask, and the edits on them.

A :class:`CanvasState` is a sprite (colour indices ``[H, W]`` uint8) and a mask (``[H, W]``
bool, True = hidden from the model, to be completed). States are immutable values: every edit
returns a new one, so an undo step is simply the state before and the state after.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

BRUSH_SIZES = (1, 2, 3, 4)


@dataclass(frozen=True, eq=False)
class CanvasState:
    sprite: np.ndarray  # [H, W] uint8 colour indices
    mask: np.ndarray  # [H, W] bool, True where the model must fill in

    def __post_init__(self):
        sprite = np.array(self.sprite, dtype=np.uint8)  # a private, read-only copy
        mask = np.array(self.mask, dtype=bool)
        if sprite.ndim != 2 or mask.shape != sprite.shape:
            raise ValueError(f"a canvas is a [H, W] sprite and a mask of the same shape, "
                             f"got {sprite.shape} and {mask.shape}")
        sprite.setflags(write=False)
        mask.setflags(write=False)
        object.__setattr__(self, "sprite", sprite)
        object.__setattr__(self, "mask", mask)

    @classmethod
    def unmasked(cls, sprite: np.ndarray) -> "CanvasState":
        return cls(sprite, np.zeros(np.shape(sprite), bool))

    def __eq__(self, other) -> bool:
        return (isinstance(other, CanvasState) and np.array_equal(self.sprite, other.sprite)
                and np.array_equal(self.mask, other.mask))

    @property
    def shape(self) -> tuple[int, int]:
        return self.sprite.shape

    def contains(self, x: int, y: int) -> bool:
        return 0 <= x < self.shape[1] and 0 <= y < self.shape[0]

    # --- edits: each returns a new state ----------------------------------------------------
    def with_mask(self, mask: np.ndarray) -> "CanvasState":
        return CanvasState(self.sprite, mask)

    def with_sprite(self, sprite: np.ndarray) -> "CanvasState":
        return CanvasState(sprite, self.mask)

    def set_mask_region(self, region: np.ndarray, masked: bool) -> "CanvasState":
        """Mask (or unmask, for the eraser) the cells where ``region`` is True."""
        mask = self.mask.copy()
        mask[region] = masked
        return self.with_mask(mask)

    def paint(self, region: np.ndarray, color: int) -> "CanvasState":
        sprite = self.sprite.copy()
        sprite[region] = color
        return self.with_sprite(sprite)

    def inverted(self) -> "CanvasState":
        return self.with_mask(~self.mask)

    def cleared(self) -> "CanvasState":
        return self.with_mask(np.zeros(self.shape, bool))


def brush_region(shape: tuple[int, int], x: int, y: int, size: int) -> np.ndarray:
    """The cells a square brush of side ``size`` covers when centred on pixel (x, y).

    Even sizes have no centre cell; they extend right and down from (x, y)'s top-left neighbour.
    """
    if size not in BRUSH_SIZES:
        raise ValueError(f"brush size must be one of {BRUSH_SIZES}, got {size}")
    left, top = x - (size - 1) // 2, y - (size - 1) // 2
    return rect_region(shape, left, top, left + size - 1, top + size - 1)


def line_region(shape: tuple[int, int], x0: int, y0: int, x1: int, y1: int, size: int) -> np.ndarray:
    """A brush dragged from (x0, y0) to (x1, y1): a fast drag skips cells between two mouse
    moves, so every cell on the segment is stamped (a DDA walk, one stamp per row/column step)."""
    steps = max(abs(x1 - x0), abs(y1 - y0))
    region = np.zeros(shape, bool)
    for t in np.linspace(0.0, 1.0, steps + 1):
        region |= brush_region(shape, round(x0 + t * (x1 - x0)), round(y0 + t * (y1 - y0)), size)
    return region


def rect_region(shape: tuple[int, int], x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """The cells of the rectangle with corners (x0, y0) and (x1, y1), both included, in any
    order; parts outside the canvas are dropped."""
    (x0, x1), (y0, y1) = sorted((x0, x1)), sorted((y0, y1))
    region = np.zeros(shape, bool)
    region[max(y0, 0):max(y1 + 1, 0), max(x0, 0):max(x1 + 1, 0)] = True
    return region


def composite(original: np.ndarray, variant: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The original where the mask is clear, the variant where it is set."""
    return np.where(mask, variant, original).astype(np.uint8)


def sprite_from_image(path, palette, size: tuple[int, int]) -> np.ndarray:
    """An image file as a sprite: composited on the palette's background, framed around the
    creature, resized to ``size`` and mapped to the nearest palette colours. Bad files raise
    :class:`studio.errors.DatasetError` naming the file."""
    from studio.data.images import _open_rgb, frame_image  # the dataset loader's own steps

    h, w = size
    if h != w:
        raise ValueError(f"images are framed square; this canvas is {h}×{w}")
    rgb = frame_image(_open_rgb(Path(path), palette.background), h, "bbox", palette.background)
    return palette.nearest(rgb)
