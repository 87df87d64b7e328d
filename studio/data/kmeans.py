"""Derive a K-colour palette from RGB pixels by k-means in CIELAB.

Sprites hold few distinct colours (a few thousand among hundreds of thousands of pixels), so the
clustering runs on the distinct colours weighted by their pixel counts: the same result as
clustering every pixel, at a fraction of the cost.
"""

from __future__ import annotations

import numpy as np

from studio.data.palette import Palette, lab_to_rgb, rgb_to_lab

WHITE = (255, 255, 255)
_CHUNK = 4096  # rows of the distance matrix at once: bounded memory, and it stays in cache
_COUNT_CHUNK = 1 << 22  # pixels counted at once


def palette_by_kmeans(rgb_pixels: np.ndarray, k: int = 167, seed: int = 0, iters: int = 50,
                      background: tuple[int, int, int] = WHITE) -> Palette:
    """A palette of (at most) ``k`` colours for ``rgb_pixels`` ``[n, 3]`` uint8.

    k-means++ initialisation from ``seed``, then Lloyd iterations until no colour changes cluster
    (or ``iters``). When ``background`` occurs in the pixels it is kept exactly as a fixed centre,
    so a white background stays (255, 255, 255). Order: index 0 is the colour nearest the
    background, the others by pixel count, most used first. Fewer than ``k`` distinct colours in
    the input give a palette of exactly those colours.
    """
    rgb = np.asarray(rgb_pixels, dtype=np.uint8).reshape(-1, 3)
    if len(rgb) == 0:
        raise ValueError("no pixels to derive a palette from")
    if not 1 <= k <= 256:
        raise ValueError(f"k must be 1..256, got {k}")
    colors, weights = _distinct_colors(rgb)
    if len(colors) <= k:
        centres_rgb, sizes = colors, weights
    else:
        lab = rgb_to_lab(colors)
        pinned = np.flatnonzero((colors == background).all(axis=1))
        centres = _kmeans_pp(lab, weights, k, np.random.default_rng(seed), pinned)
        centres, assign = _lloyd(lab, weights, centres, iters, n_pinned=len(pinned))
        centres_rgb = lab_to_rgb(centres)
        centres_rgb[: len(pinned)] = background  # exact, not a Lab round trip
        sizes = np.bincount(assign, weights=weights, minlength=k)
    return Palette(_order(centres_rgb, sizes, background))


def _distinct_colors(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct colours ``[u, 3]`` and their pixel counts ``[u]`` (float64 weights).

    Counted chunk by chunk, then merged: memory follows the number of distinct colours, not of
    pixels (sorting all 64 Mi pixels of a large image folder at once took gigabytes)."""
    values, counts = [], []
    for start in range(0, len(rgb), _COUNT_CHUNK):
        chunk = rgb[start:start + _COUNT_CHUNK]
        packed = (chunk[:, 0].astype(np.int32) << 16) | (chunk[:, 1].astype(np.int32) << 8) | chunk[:, 2]
        v, c = np.unique(packed, return_counts=True)
        values.append(v)
        counts.append(c)
    merged, where = np.unique(np.concatenate(values), return_inverse=True)
    weights = np.bincount(where.ravel(), weights=np.concatenate(counts), minlength=len(merged))
    colors = np.stack([merged >> 16, (merged >> 8) & 255, merged & 255], axis=1).astype(np.uint8)
    return colors, weights


def _kmeans_pp(lab, weights, k, rng, pinned) -> np.ndarray:
    """k-means++: each next centre drawn with probability ∝ weight × squared distance to the nearest."""
    first = pinned[0] if len(pinned) else rng.choice(len(lab), p=weights / weights.sum())
    chosen = [int(first)]
    nearest = ((lab - lab[first]) ** 2).sum(1)
    for _ in range(1, k):
        score = weights * nearest
        total = score.sum()
        if total <= 0:  # cannot happen with more distinct colours than k; guards against rounding
            break
        pick = min(int(np.searchsorted(np.cumsum(score), rng.random() * total, side="right")),
                   len(lab) - 1)
        chosen.append(pick)
        nearest = np.minimum(nearest, ((lab - lab[pick]) ** 2).sum(1))
    return lab[chosen].copy()


def _lloyd(lab, weights, centres, iters, n_pinned):
    assign = _nearest(lab, centres)
    for _ in range(iters):
        sums = np.stack([np.bincount(assign, weights=weights * lab[:, c], minlength=len(centres))
                         for c in range(3)], axis=1)
        mass = np.bincount(assign, weights=weights, minlength=len(centres))
        filled = mass > 0
        updated = centres.copy()
        updated[filled] = sums[filled] / mass[filled, None]
        updated[:n_pinned] = centres[:n_pinned]
        # An emptied cluster restarts at the colour worst served now (deterministic, no rng).
        for empty in np.flatnonzero(~filled):
            error = weights * ((lab - updated[assign]) ** 2).sum(1)
            worst = int(error.argmax())
            updated[empty] = lab[worst]
            assign[worst] = empty
        new_assign = _nearest(lab, updated)
        centres = updated
        if np.array_equal(new_assign, assign):
            break
        assign = new_assign
    return centres, assign


def _nearest(lab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    # float32 is ample for distances between Lab colours and several times faster.
    lab, centres = lab.astype(np.float32), centres.astype(np.float32)
    out = np.empty(len(lab), dtype=np.intp)
    centre_sq = (centres ** 2).sum(1)
    for start in range(0, len(lab), _CHUNK):
        chunk = lab[start:start + _CHUNK]
        # |a|² is the same for every centre, so it does not change the argmin.
        out[start:start + _CHUNK] = (centre_sq - 2 * chunk @ centres.T).argmin(1)
    return out


def _order(colors: np.ndarray, sizes: np.ndarray, background) -> np.ndarray:
    """Index 0: nearest the background in Lab; then most used first (ties by RGB, for determinism)."""
    gap = ((rgb_to_lab(colors) - rgb_to_lab(np.array(background))) ** 2).sum(1)
    first = int(gap.argmin())
    rest = np.delete(np.arange(len(colors)), first)
    r, g, b = colors[rest].T.astype(np.int64)
    rest = rest[np.lexsort((b, g, r, -sizes[rest]))]
    return colors[np.concatenate([[first], rest])]
