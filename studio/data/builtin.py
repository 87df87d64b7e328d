"""The built-in dataset: procedural, left-right symmetric pixel creatures (our own, free to ship).

Each creature: a blobby body (a noisy super-ellipse smoothed by a cellular automaton) with a few
limbs (ears, horns, arms, legs), kept to the piece connected to its centre, outlined in a dark
shade of its hue, lit from the top-left, with eyes, sometimes a mouth, a belly patch, spots or
stripes. Shapes are drawn on a coordinate folded at the centre column, so every mask is exactly
mirror-symmetric; the top-left light makes the shading (only) asymmetric.
All ``n`` creatures are built at once with array operations, from one seeded generator.
"""

from __future__ import annotations

import colorsys

import numpy as np

from studio.data.palette import Palette
from studio.data.sprites import SpriteSet

# Palette layout: 0 background, 1 pupil, 2 eye glint, 3.. cream belly ramp, then one ramp per hue.
BACKGROUND, PUPIL, GLINT, CREAM = range(4)
_FIXED_COLORS = ((255, 255, 255), (24, 20, 36), (250, 250, 250))
HUES = {"red": 0.0, "orange": 0.07, "yellow": 0.14, "green": 0.3, "teal": 0.47,
        "blue": 0.6, "purple": 0.75, "pink": 0.9}
# Ramp shades, light to dark: highlight, base, shadow, outline.
HIGHLIGHT, BASE, SHADOW, OUTLINE = range(4)
_RAMP_LIGHTNESS = (0.80, 0.62, 0.44, 0.20)
_RAMP_SATURATION = (0.80, 0.68, 0.60, 0.55)
_RAMP_HUE_SHIFT = (0.02, 0.0, -0.02, -0.04)  # pixel-art habit: lights warmer, shadows cooler
_CREAM_RAMP = ((252, 244, 214), (236, 218, 170), (200, 176, 126), (96, 78, 54))
_FIRST_HUE = CREAM + len(_CREAM_RAMP)


def builtin_palette() -> Palette:
    """White, pupil, glint, a cream ramp, and a 4-shade ramp for each of the hues (39 colours)."""
    colors = [*_FIXED_COLORS, *_CREAM_RAMP]
    for hue in HUES.values():
        for light, sat, shift in zip(_RAMP_LIGHTNESS, _RAMP_SATURATION, _RAMP_HUE_SHIFT):
            r, g, b = colorsys.hls_to_rgb((hue + shift) % 1.0, light, sat)
            colors.append((round(r * 255), round(g * 255), round(b * 255)))
    return Palette(np.array(colors, dtype=np.uint8))


#: The largest built-in creature: 256×256, as for every other dataset (the course's, image folders).
MAX_SIZE = 256
#: Creatures are drawn in blocks of at most this many pixels: the drawing holds several float64
#: arrays of the block's size, so memory stays near 200 MB however many or large the creatures.
#: Every set up to this size (the default 792 creatures of 20×20 uses 0.3 Mi) is one block,
#: drawn exactly as before blocks existed.
BLOCK_PIXELS = 4 << 20


def builtin_creatures(n: int = 792, size: int = 20, seed: int = 0) -> SpriteSet:
    """``n`` creatures of ``size``×``size``, the same for the same seed."""
    if size < 8:
        raise ValueError(f"creatures need at least 8×8 pixels, got {size}")
    if size > MAX_SIZE:
        raise ValueError(f"creatures are at most {MAX_SIZE}×{MAX_SIZE} pixels, got {size}")
    if n < 1:
        raise ValueError(f"a built-in dataset holds at least 1 creature, got n={n}")
    per_block = max(1, BLOCK_PIXELS // (size * size))
    if n <= per_block:
        indices = _creatures(np.random.default_rng(seed), n, size)
    else:  # block b from its own generator, seeded by (seed, b): the same set for the same seed
        indices = np.empty((n, size, size), np.uint8)
        for b, start in enumerate(range(0, n, per_block)):
            count = min(per_block, n - start)
            indices[start:start + count] = _creatures(np.random.default_rng([seed, b]), count, size)
    return SpriteSet(indices, builtin_palette(), name="builtin creatures", source=builtin_source(n, size, seed))


def _creatures(rng, n: int, size: int) -> np.ndarray:
    grid = _Grid(n, size)
    body = _body(rng, grid)
    ramp = _FIRST_HUE + 4 * rng.integers(0, len(HUES), n)  # first index of each creature's hue ramp
    indices = np.zeros((n, size, size), np.uint8)
    _paint_body(indices, body, ramp[:, None, None], grid)
    _paint_pattern(rng, indices, body, ramp[:, None, None], grid)
    _paint_face(rng, indices, body, ramp, grid)
    return indices


def builtin_source(n: int = 792, size: int = 20, seed: int = 0) -> str:
    """The source string open_dataset() turns back into this exact set: "builtin" for the
    defaults, else e.g. "builtin:n=48,seed=3" (runs record it so resume rebuilds the same data)."""
    options = {k: v for k, v, default in (("n", n, 792), ("size", size, 20), ("seed", seed, 0)) if v != default}
    return "builtin" + (":" + ",".join(f"{k}={v}" for k, v in options.items()) if options else "")


class _Grid:
    """Pixel coordinates shared by all steps: ``y`` rows, ``fx`` the distance from the mirror axis."""

    def __init__(self, n: int, size: int):
        self.n, self.size = n, size
        self.axis = (size - 1) / 2
        y, x = np.mgrid[0:size, 0:size].astype(np.float64)
        self.y, self.x = y[None], x[None]
        self.fx = np.abs(self.x - self.axis)  # folded: equal on mirrored pixels, so shapes are symmetric
        self.inner = (y >= 1) & (y <= size - 2) & (x >= 1) & (x <= size - 2)  # room for the outline

    def uniform(self, rng, low, high) -> np.ndarray:
        """One value per creature, shaped to broadcast over the grid."""
        return rng.uniform(low, high, self.n)[:, None, None]

    def mirrored_noise(self, rng) -> np.ndarray:
        half = rng.random((self.n, self.size, (self.size + 1) // 2))
        return np.concatenate([half, half[:, :, : self.size // 2][:, :, ::-1]], axis=2)


def _body(rng, g: _Grid) -> np.ndarray:
    s = g.size
    cy, ry = g.uniform(rng, 0.48 * s, 0.56 * s), g.uniform(rng, 0.26 * s, 0.4 * s)
    rx = g.uniform(rng, 0.2 * s, 0.4 * s)
    squareness = g.uniform(rng, 1.6, 3.0)  # super-ellipse exponent: round (2) to boxy (3) to pointy
    shape = (np.abs(g.y - cy) / ry) ** squareness + (g.fx / rx) ** squareness
    body = (1.0 - shape + 0.9 * (g.mirrored_noise(rng) - 0.5)) > 0
    for _ in range(2):  # cellular automaton: a cell lives with 5+ living in its 3×3, smoothing the blob
        body = _neighbours(body, include_self=True) >= 5
    body |= _limbs(rng, g, cy, ry, rx)
    body &= g.inner
    core = (np.abs(g.y - np.round(cy)) <= 1) & (g.fx <= 1)
    return _connected_to(body | (core & g.inner), core)


def _limbs(rng, g: _Grid, cy, ry, rx, count: int = 3) -> np.ndarray:
    """Up to ``count`` mirrored tapering strokes leaving the body outline: ears and horns at the
    top, arms at the sides, legs at the bottom, depending on the angle drawn."""
    limbs = np.zeros((g.n, g.size, g.size), bool)
    for _ in range(count):
        present = g.uniform(rng, 0, 1) < 0.7
        angle = g.uniform(rng, -0.5 * np.pi, 0.5 * np.pi)  # from the left: -π/2 top .. π/2 bottom
        start_y, start_fx = cy + 0.8 * ry * np.sin(angle), 0.8 * rx * np.cos(angle)
        length = g.uniform(rng, 2.0, 0.3 * g.size)
        tilt = angle + g.uniform(rng, -0.6, 0.6)
        end_y, end_fx = start_y + length * np.sin(tilt), start_fx + length * np.cos(tilt)
        width = g.uniform(rng, 0.6, 1.5)
        t, dist = _segment_distance(g.y, g.fx, start_y, start_fx, end_y, end_fx)
        limbs |= present & (dist <= width * (1 - 0.5 * t))  # tapering towards the tip
    return limbs


def _segment_distance(py, px, ay, ax, by, bx):
    """(position 0..1 along segment a→b of the nearest point, distance to it) for every pixel."""
    dy, dx = by - ay, bx - ax
    t = np.clip(((py - ay) * dy + (px - ax) * dx) / (dy * dy + dx * dx + 1e-9), 0, 1)
    return t, np.hypot(py - (ay + t * dy), px - (ax + t * dx))


def _paint_body(indices, body, ramp, g: _Grid) -> None:
    # Lit from the top-left: a light score rising towards the top and the left of the body.
    light = -(g.y - g.axis) / g.size - 0.5 * (g.x - g.axis) / g.size
    edge_below_right = body & ~(_shift(body, -1, 0) & _shift(body, 0, -1) & _shift(body, -1, -1))
    edge_above_left = body & ~(_shift(body, 1, 0) & _shift(body, 0, 1))
    shade = np.full(body.shape, BASE)
    shade[body & (light < -0.12)] = SHADOW
    shade[edge_below_right] = SHADOW
    shade[edge_above_left & (light > -0.05) & ~edge_below_right] = HIGHLIGHT
    shade[body & (light > 0.22) & ~edge_below_right] = HIGHLIGHT
    outline = _neighbours(body) > 0
    outline &= ~body
    indices[body] = (ramp + shade)[body]
    indices[outline] = np.broadcast_to(ramp + OUTLINE, body.shape)[outline]


def _paint_pattern(rng, indices, body, ramp, g: _Grid) -> None:
    """A belly patch, spots, stripes or nothing, kept off the body's edge pixels so the shading shows."""
    kind = rng.integers(0, 4, g.n)[:, None, None]
    interior = body & (_neighbours(body, include_self=True) == 9)
    rows = np.where(body.any(2), np.arange(g.size), np.nan)
    top, bottom = np.nanmin(rows, 1)[:, None, None], np.nanmax(rows, 1)[:, None, None]
    belly = ((g.y - (0.35 * top + 0.65 * bottom)) / (0.3 * (bottom - top) + 1)) ** 2 + (g.fx / 3.2) ** 2 < 1
    spots = g.mirrored_noise(rng) > 0.8
    stripes = ((g.y - top).astype(int) % 3 == 1) & (g.y < 0.5 * (top + bottom))
    accent = np.where(rng.random(g.n) < 0.5, CREAM, _FIRST_HUE + 4 * rng.integers(0, len(HUES), g.n))
    accent = accent[:, None, None] + np.where(g.x - g.axis > 0, BASE, HIGHLIGHT)  # keeps the light
    for which, where, colour in ((1, belly, accent), (2, spots, accent), (3, stripes, ramp + SHADOW)):
        paint = interior & where & (kind == which)
        indices[paint] = np.broadcast_to(colour, body.shape)[paint]


def _paint_face(rng, indices, body, ramp, g: _Grid) -> None:
    """Two eyes a third of the way down (a glint over a pupil; big eyes add a pupil column),
    sometimes a mouth. A feature is drawn only where it fits inside the body."""
    n, s = g.n, g.size
    creature = np.arange(n)
    has_row = body.any(2)
    top = np.where(has_row, np.arange(s), s).min(1)
    bottom = np.where(has_row, np.arange(s), -1).max(1)
    eye_y = np.clip(top + np.round((bottom - top) * rng.uniform(0.25, 0.4, n)).astype(int), 1, s - 3)
    half_width = body[creature, eye_y].sum(1) // 2
    inner = int(np.floor(g.axis)) - np.clip(rng.integers(1, 4, n), 1, np.maximum(half_width - 2, 1))
    big = (rng.random(n) < 0.5).astype(int)
    for first_col in (inner - big, s - 1 - inner):  # left eye, right eye (its mirror image)
        cols = (first_col, first_col + big)
        fits = np.ones(n, bool)
        for col in cols:
            fits &= body[creature, eye_y, col] & body[creature, eye_y + 1, col]
        c, y = creature[fits], eye_y[fits]
        for col in cols:
            indices[c, y, col[fits]] = PUPIL
            indices[c, y + 1, col[fits]] = PUPIL
        indices[c, y, first_col[fits]] = GLINT  # the glint on the top-left, where the light is
    mouth_y = np.minimum(eye_y + 3, s - 1)
    wants_mouth = rng.random(n) < 0.6
    for col in (int(np.floor(g.axis)), int(np.ceil(g.axis))):
        ok = wants_mouth & body[creature, mouth_y, col]
        indices[creature[ok], mouth_y[ok], col] = (ramp + OUTLINE)[ok]


def _connected_to(mask: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` 4-connected to ``seed`` (stray islands dropped): a flood fill by
    repeated dilation, all creatures at once."""
    region = mask & seed
    while True:
        grown = mask & (region | _shift(region, 1, 0) | _shift(region, -1, 0)
                        | _shift(region, 0, 1) | _shift(region, 0, -1))
        if np.array_equal(grown, region):
            return region
        region = grown


def _neighbours(mask: np.ndarray, include_self: bool = False) -> np.ndarray:
    """How many of the 8 neighbours (9 with the pixel itself) are set, for every pixel."""
    count = np.zeros(mask.shape, np.int8)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx or include_self:
                count += _shift(mask, dy, dx)
    return count


def _shift(mask: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``mask`` moved by (dy, dx) over the last two axes, filling with False (no wrap-around)."""
    out = np.zeros_like(mask)
    h, w = mask.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        mask[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out
