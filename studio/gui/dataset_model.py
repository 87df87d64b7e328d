"""The Dataset workspace's state and numbers, without Qt (so it is testable and reusable).

A :class:`SpriteSheet` is the grid of sprites the workspace shows: which sprites (after the
All / Train / Held-out filter), where each sits on the sheet, and which sprite a sheet pixel
belongs to. :func:`sprite_details` is what the side panel says about one sprite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.data.sprites import SpriteSet, grid_image

FILTERS = ("All", "Train", "Held-out")
GAP = 1  # sheet pixels between sprites


@dataclass(frozen=True)
class SpriteDetails:
    index: int
    label: str
    split: str  # "train" or "held-out"
    colors: np.ndarray  # palette indices the sprite uses, most frequent first
    counts: np.ndarray  # pixel count of each of those colours
    background_share: float  # fraction of pixels with palette index 0


class SpriteSheet:
    """The sprites of ``dataset`` picked by ``filter_name``, laid out in a grid."""

    def __init__(self, dataset: SpriteSet, filter_name: str = "All", columns: int | None = None):
        if filter_name not in FILTERS:
            raise ValueError(f"filter is one of {FILTERS}, got {filter_name!r}")
        self.dataset = dataset
        self.filter_name = filter_name
        train, held = dataset.split()
        self.held_out = np.zeros(len(dataset), bool)
        self.held_out[held] = True
        self.shown = {"All": np.arange(len(dataset)), "Train": train, "Held-out": held}[filter_name]
        n = len(self.shown)
        # Wider than tall (about 16:10) to fill a landscape window: 792 sprites → 36 columns.
        self.columns = columns or max(1, int(np.ceil(np.sqrt(n * 1.6))))
        self.rows = max(1, -(-n // self.columns))
        self.cell_h, self.cell_w = dataset.height + GAP, dataset.width + GAP

    def __len__(self) -> int:
        return len(self.shown)

    def render(self) -> np.ndarray:
        """The whole sheet as uint8 RGB ``[H, W, 3]``, one sheet pixel per sprite pixel."""
        if not len(self.shown):
            return np.full((self.cell_h + GAP, self.cell_w + GAP, 3), 40, np.uint8)
        img = grid_image(self.dataset.indices[self.shown], self.dataset.palette,
                         columns=self.columns, gap=GAP)
        return np.asarray(img)

    def position_of(self, sprite: int) -> int | None:
        """Where dataset sprite ``sprite`` sits among the shown ones (None if filtered out)."""
        hits = np.flatnonzero(self.shown == sprite)
        return int(hits[0]) if len(hits) else None

    def cell_rect(self, position: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) on the sheet of the sprite at ``position``."""
        row, col = divmod(position, self.columns)
        return (GAP + col * self.cell_w, GAP + row * self.cell_h, self.dataset.width, self.dataset.height)

    def sprite_at(self, x: int, y: int) -> int | None:
        """Dataset index of the sprite under sheet pixel (x, y), or None (gap or empty)."""
        col, dx = divmod(x - GAP, self.cell_w)
        row, dy = divmod(y - GAP, self.cell_h)
        if x < GAP or y < GAP or dx >= self.dataset.width or dy >= self.dataset.height:
            return None
        if col >= self.columns:
            return None
        position = row * self.columns + col
        return int(self.shown[position]) if position < len(self.shown) else None

    def details(self, sprite: int) -> SpriteDetails:
        return sprite_details(self.dataset, sprite, held_out=bool(self.held_out[sprite]))


def sprite_details(dataset: SpriteSet, i: int, held_out: bool | None = None) -> SpriteDetails:
    if held_out is None:
        held_out = i in set(dataset.split()[1].tolist())
    counts = np.bincount(dataset.indices[i].ravel(), minlength=dataset.num_colors)
    used = np.flatnonzero(counts)
    used = used[np.argsort(-counts[used], kind="stable")]
    return SpriteDetails(
        index=i,
        label=dataset.label(i),
        split="held-out" if held_out else "train",
        colors=used,
        counts=counts[used],
        background_share=float(counts[0]) / dataset.indices[i].size,
    )


def dataset_summary(dataset: SpriteSet) -> str:
    """One line: "name — N sprites, H×W, K colours"."""
    return (f"{dataset.name} — {len(dataset)} sprites, {dataset.height}×{dataset.width}, "
            f"{dataset.num_colors} colours")
