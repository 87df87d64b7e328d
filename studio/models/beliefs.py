"""What a model thinks at each pixel: its distribution over the palette, how surprised it is by
the true colour, and (for the transformer) where it looked.

PixelRNN and the transformer factorise a sprite's probability by the chain rule,

    log2 p(x) = Σ_t log2 p(x_t | x_<t),

so at every pixel t they hold a whole distribution over the K palette colours given the pixels
before it, and the sprite's cost in bits is the sum, pixel by pixel, of how surprised the model
is by the colour that is there: the **surprise map** s_t = −log2 p(x_t | x_<t). Its sum is the
model's own −log2 p(x) (the number ``evaluate`` averages into bits per pixel), exactly.

The protocol — what a model provides to be looked at this way (:class:`PixelBeliefs`):

    sees                     "raster": pixel t's prediction sees the true pixels before it in
                             raster order (PixelRNN, the transformer: the chain rule above, so
                             the surprise map sums to −log2 p(x));
                             "others": it sees every other pixel (a masked-diffusion model asked
                             about one pixel with all the others visible). Then the sum is the
                             pseudo-log-likelihood Σ_t log2 p(x_t | x_≠t) (Besag 1975), not
                             log2 p(x): a view says "pseudo-" beside the total (``exact``).
    size, num_colors         (H, W) and K, as every Task has them
    pixel_log_probs(sprites) [B, H, W] long → [B, H·W, K] float: log p(x_t = k | what t sees),
                             nats, every pixel and colour, in eval mode; rows log-sum-exp to 0
    attention(sprites)       optional: [B, layers, heads, H·W, H·W + 1], where each pixel's
                             prediction looks — row t over the pixels it may see (columns
                             0 … H·W-1) and a last column for anything that is not a pixel
                             (the transformer's START; a diffusion model's mask or time tokens);
                             each row sums to 1

The masked-diffusion model (studio/models/diffusion.py) implements it with
``sees = "others"``: its ``pixel_log_probs`` masks each pixel in turn (H·W rows of one batch)
and reads the model's distribution there; ``surprise`` and ``beliefs_of`` then work unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import torch

SEES = {"raster": "the pixels before it (raster order)", "others": "every other pixel"}


@runtime_checkable
class PixelBeliefs(Protocol):
    sees: str
    size: tuple[int, int]
    num_colors: int

    def pixel_log_probs(self, sprites: torch.Tensor) -> torch.Tensor: ...


def has_beliefs(task) -> bool:
    """Whether ``task`` can show what it thinks at each pixel (PixelRNN, transformer, diffusion)."""
    return isinstance(task, PixelBeliefs) and getattr(task, "sees", None) in SEES


def has_attention(task) -> bool:
    return has_beliefs(task) and callable(getattr(task, "attention", None))


def check_beliefs(task, model: str | None = None) -> None:
    """ValueError, in words, if ``task`` has no per-pixel distribution (a VAE, a GAN)."""
    if not has_beliefs(task):
        name = model or type(task).__module__.rsplit(".", 1)[-1]
        raise ValueError(f"a {name} model has no distribution for each pixel given the others; "
                         "open a PixelRNN, transformer or diffusion run")


@dataclass(frozen=True)
class SpriteBeliefs:
    """What a model thinks of one sprite, pixel by pixel."""

    sprite: np.ndarray  # [H, W] colour indices
    log_probs: np.ndarray  # [H, W, K] float32: log p(colour k at the pixel | what it sees), nats
    sees: str  # "raster" or "others" (see the module docstring)

    @property
    def exact(self) -> bool:
        """Whether ``total_bits`` is the model's −log2 p(sprite) (else a pseudo-likelihood)."""
        return self.sees == "raster"

    @property
    def surprise_bits(self) -> np.ndarray:
        """[H, W] −log2 p(true colour | what the pixel sees): the surprise map, in bits."""
        chosen = np.take_along_axis(self.log_probs, self.sprite[..., None].astype(np.int64), axis=2)[..., 0]
        return -chosen.astype(np.float64) / math.log(2)

    @property
    def total_bits(self) -> float:
        """The surprise map's sum: −log2 p(sprite) for a raster model."""
        return float(self.surprise_bits.sum())

    @property
    def bits_per_pixel(self) -> float:
        return self.total_bits / self.sprite.size

    def probabilities(self, row: int, col: int) -> np.ndarray:
        """[K] the pixel's distribution over the palette (sums to 1)."""
        return np.exp(self.log_probs[row, col].astype(np.float64))

    def top_colours(self, row: int, col: int, k: int = 5) -> list[tuple[int, float]]:
        """The ``k`` likeliest colours at the pixel, likeliest first: [(colour index, probability)]."""
        p = self.probabilities(row, col)
        order = np.argsort(-p, kind="stable")[:k]
        return [(int(c), float(p[c])) for c in order]

    def rank(self, row: int, col: int) -> int:
        """Where the true colour stands in the pixel's distribution: 1 = the model's first guess."""
        p = self.probabilities(row, col)
        return int((p > p[self.sprite[row, col]]).sum()) + 1


def beliefs_of(task, sprite) -> SpriteBeliefs:
    """What ``task`` thinks at every pixel of ``sprite`` [H, W] (one pass of the network)."""
    check_beliefs(task)
    sprite = _check_sprite(task, sprite)
    log_probs = task.pixel_log_probs(torch.as_tensor(sprite[None], dtype=torch.long))
    h, w = sprite.shape
    return SpriteBeliefs(sprite, log_probs[0].reshape(h, w, -1).cpu().numpy().astype(np.float32), task.sees)


def surprise(task, sprites) -> np.ndarray:
    """[B, H, W] surprise maps (bits) of sprites [B, H, W] in one batch."""
    check_beliefs(task)
    sprites = torch.as_tensor(np.asarray(sprites), dtype=torch.long)
    log_probs = task.pixel_log_probs(sprites).cpu()
    chosen = log_probs.gather(2, sprites.reshape(len(sprites), -1, 1)).squeeze(2)
    return (-chosen.double() / math.log(2)).reshape(sprites.shape).numpy()


@dataclass(frozen=True)
class AttentionMap:
    """Where one pixel's prediction looked, averaged as ``how`` says."""

    weights: np.ndarray  # [H, W]: the attention on each pixel (0 where the query may not look)
    other: float  # the attention on what is not a pixel (START for the transformer)
    how: str  # in words: which layers and heads, and how they were combined


def attention_of(task, sprite) -> np.ndarray:
    """Every layer's and head's attention of every pixel of ``sprite``: [layers, heads, H·W, H·W + 1]
    (see the protocol); ValueError for a model without attention (PixelRNN, VAE, GAN)."""
    if not has_attention(task):
        raise ValueError("only the transformer attends over the earlier pixels; PixelRNN's memory "
                         "is its LSTM state, which has no weights per pixel")
    sprite = _check_sprite(task, sprite)
    return task.attention(torch.as_tensor(sprite[None], dtype=torch.long))[0].cpu().numpy()


def attention_map(weights: np.ndarray, row: int, col: int, size: tuple[int, int],
                  layer: int | None = None, head: int | None = None) -> AttentionMap:
    """The attention of the pixel at (row, col) from ``attention_of``'s weights: one layer's and
    head's, or the plain mean over all heads of a layer (``head`` None) and over all layers
    (``layer`` None). A mean of rows that each sum to 1 sums to 1 too; it says where the
    network looked on the whole, not how information flowed through the residual stream across
    layers (attention rollout, Abnar & Zuidema 2020, would multiply the layers instead)."""
    h, w = size
    layers = range(weights.shape[0]) if layer is None else [layer]
    heads = range(weights.shape[1]) if head is None else [head]
    query = row * w + col
    chosen = weights[np.ix_(list(layers), list(heads))][:, :, query]  # [layers, heads, H·W + 1]
    mean = chosen.reshape(-1, chosen.shape[-1]).mean(0)
    how = (f"layer {layer + 1}" if layer is not None else f"mean of {weights.shape[0]} layers") + ", " + \
          (f"head {head + 1}" if head is not None else f"mean of {weights.shape[1]} heads")
    return AttentionMap(mean[:h * w].reshape(h, w).astype(np.float64), float(mean[h * w]), how)


def _check_sprite(task, sprite) -> np.ndarray:
    sprite = np.asarray(sprite)
    if sprite.shape != tuple(task.size):
        raise ValueError(f"the model reads {task.size[0]}×{task.size[1]} sprites, got {sprite.shape}")
    if sprite.size and (sprite.min() < 0 or sprite.max() >= task.num_colors):
        raise ValueError(f"colour indices must be in 0..{task.num_colors - 1}")
    return sprite.astype(np.int64)
