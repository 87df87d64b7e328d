"""What the model thinks, for the canvas, Qt-free: a sprite under a model's eye, the surprise map,
and what a hovered pixel's prediction was (studio/models/beliefs.py).

    inspector = SpriteInspector()
    inspector.changed.connect(redraw)                 # "model", "beliefs", "hover", "attention"
    inspector.set_model(run.task, "PixelRNN (built-in creatures)")   # ValueError for a VAE or a GAN
    inspector.inspect(sprite)                         # one pass of the network (milliseconds)
    inspector.beliefs.surprise_bits, inspector.beliefs.total_bits   # the heat map and its sum
    pixel = inspector.hover(4, 7)                     # PixelReport: top colours, bits, attention
    inspector.set_attention(layer=1, head=None)       # which attention the hover shows

``inspect`` runs the model on the calling thread; for a sprite that changes with every brush
stroke a view may call ``compute`` on a worker and ``show`` its result on its own thread, as
the completion models do (studio/session/completion.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from psygnal import Signal

from studio.errors import StudioError
from studio.models.beliefs import (SEES, AttentionMap, SpriteBeliefs, attention_map, attention_of, beliefs_of,
                                   check_beliefs, has_attention, has_beliefs)

__all__ = ["SEES", "Inspection", "PixelReport", "SpriteBeliefs", "SpriteInspector", "has_beliefs", "run_beliefs"]

TOP_COLOURS = 5  # the swatches a hovered pixel shows


def run_beliefs(run, sprite) -> SpriteBeliefs:
    """What an opened run's model (a TrainedRun) thinks of ``sprite``; a StudioError naming the
    run for a model without per-pixel beliefs (a VAE, a GAN): `studio surprise`'s one call."""
    try:
        check_beliefs(run.task, run.model)
    except ValueError as err:
        raise StudioError(str(err), run.path) from None
    return beliefs_of(run.task, sprite)


@dataclass(frozen=True)
class PixelReport:
    """What a hovered pixel's prediction was."""

    row: int
    col: int
    colour: int  # the colour that is there
    bits: float  # how surprising it was: −log2 p(colour | what the pixel sees)
    rank: int  # where it stood among the model's guesses (1: its first guess)
    top: list[tuple[int, float]]  # the likeliest colours, likeliest first: (colour index, probability)
    attention: AttentionMap | None  # where the prediction looked (the transformer), else None


@dataclass(frozen=True)
class Inspection:
    """``compute``'s result: the beliefs of one sprite, and the attention where the model has it."""

    beliefs: SpriteBeliefs
    attention: np.ndarray | None  # [layers, heads, H·W, H·W + 1]


class SpriteInspector:
    #: what changed: "model", "beliefs" (a new sprite's), "hover", "attention" (the layer / head choice)
    changed = Signal(str)

    def __init__(self):
        self.task = None
        self.title = ""
        self.inspection: Inspection | None = None
        self.hovered: PixelReport | None = None
        self.layer: int | None = None  # None: the mean over layers
        self.head: int | None = None  # None: the mean over heads

    @property
    def beliefs(self) -> SpriteBeliefs | None:
        return self.inspection.beliefs if self.inspection else None

    @property
    def has_attention(self) -> bool:
        return self.task is not None and has_attention(self.task)

    def set_model(self, task, title: str = "") -> None:
        """Look through ``task`` (ValueError, in words, for a model without per-pixel beliefs)."""
        check_beliefs(task)
        self.task, self.title = task, title
        self.inspection, self.hovered, self.layer, self.head = None, None, None, None
        self.changed.emit("model")

    def compute(self, sprite) -> Inspection:
        """The model's beliefs (and attention) for ``sprite``; changes nothing (worker-safe)."""
        if self.task is None:
            raise ValueError("choose a PixelRNN or transformer model first")
        attention = attention_of(self.task, sprite) if has_attention(self.task) else None
        return Inspection(beliefs_of(self.task, sprite), attention)

    def show(self, inspection: Inspection) -> None:
        self.inspection = inspection
        if self.hovered is not None:
            self.hovered = self._report(self.hovered.row, self.hovered.col)
        self.changed.emit("beliefs")

    def inspect(self, sprite) -> SpriteBeliefs:
        self.show(self.compute(sprite))
        return self.inspection.beliefs

    def hover(self, row: int, col: int) -> PixelReport:
        if self.inspection is None:
            raise ValueError("no sprite inspected yet")
        self.hovered = self._report(row, col)
        self.changed.emit("hover")
        return self.hovered

    def set_attention(self, layer: int | None = None, head: int | None = None) -> None:
        """Which attention a hover shows: one layer's and head's, or means (None)."""
        if self.inspection is None or self.inspection.attention is None:
            raise ValueError("this model has no attention to choose from")
        layers, heads = self.inspection.attention.shape[:2]
        if layer is not None and not 0 <= layer < layers or head is not None and not 0 <= head < heads:
            raise ValueError(f"the model has {layers} layers and {heads} heads (counted from 0)")
        self.layer, self.head = layer, head
        if self.hovered is not None:
            self.hovered = self._report(self.hovered.row, self.hovered.col)
        self.changed.emit("attention")

    def _report(self, row: int, col: int) -> PixelReport:
        beliefs = self.inspection.beliefs
        h, w = beliefs.sprite.shape
        if not (0 <= row < h and 0 <= col < w):
            raise ValueError(f"pixel ({row}, {col}) is outside the {h}×{w} sprite")
        attention = None
        if self.inspection.attention is not None:
            attention = attention_map(self.inspection.attention, row, col, (h, w), self.layer, self.head)
        return PixelReport(row, col, int(beliefs.sprite[row, col]), float(beliefs.surprise_bits[row, col]),
                           beliefs.rank(row, col), beliefs.top_colours(row, col, TOP_COLOURS), attention)
