"""The yardstick's reference sets (studio/models/references.py): each breaks real sprites in
the one way it names and keeps the rest."""

from __future__ import annotations

import numpy as np

from studio.data.builtin import builtin_creatures
from studio.models import references


def sprites():
    return builtin_creatures(n=24, seed=1)


def test_halves_are_disjoint_and_equal_in_size():
    s = np.arange(11)[:, None, None] * np.ones((1, 2, 2), np.uint8)
    a, b = references.halves(s, np.random.default_rng(0))
    assert len(a) == len(b) == 5
    assert not set(a[:, 0, 0]) & set(b[:, 0, 0])


def test_the_outline_is_the_creature_pixels_touching_the_background():
    s = np.zeros((1, 5, 5), np.uint8)
    s[0, 1:4, 1:4] = 7
    outline = references.outline(s)[0]
    assert outline.sum() == 8 and not outline[2, 2]  # the ring of the 3×3 square, not its centre
    assert references.outline(np.full((1, 3, 3), 5, np.uint8))[0].sum() == 8  # the frame's edge counts


def test_scrambling_keeps_the_outline_and_each_sprites_colours():
    data = sprites()
    s = data.indices
    scrambled = references.scramble_interior(s, np.random.default_rng(0))
    edge = references.outline(s)
    assert np.array_equal(scrambled[edge], s[edge]) and np.array_equal(scrambled == 0, s == 0)
    for a, b in zip(s, scrambled):
        assert np.array_equal(np.sort(a.ravel()), np.sort(b.ravel()))
    assert (scrambled != s).mean() > 0.1


def test_resampling_keeps_the_silhouette_and_draws_only_the_sprites_own_colours():
    s = sprites().indices
    resampled = references.resample_colours(s, np.random.default_rng(0))
    assert np.array_equal(resampled == 0, s == 0)
    for a, b in zip(s, resampled):
        assert set(b.ravel()) <= set(a.ravel())


def test_blurring_leaves_a_flat_sprite_alone_and_melts_an_edge():
    data = sprites()
    flat = np.full((1, 20, 20), 5, np.uint8)
    assert np.array_equal(references.blur(flat, data.palette), flat)
    blurred = references.blur(data.indices, data.palette)
    assert blurred.shape == data.indices.shape and (blurred != data.indices).mean() > 0.2


def test_shuffling_keeps_each_sprites_pixels():
    s = sprites().indices
    shuffled = references.shuffle_pixels(s, np.random.default_rng(0))
    for a, b in zip(s, shuffled):
        assert np.array_equal(np.sort(a.ravel()), np.sort(b.ravel()))
