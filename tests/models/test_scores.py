"""The yardstick (studio/models/scores.py) tested on what its numbers mean: real sprites
against real ones score as a perfect model would, broken ones (studio/models/references.py)
as hopeless ones, copies as copies — each c2st with an interval that holds it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.data import open_dataset
from studio.data.builtin import builtin_creatures
from studio.models import references, scores
from studio.models.scores import SCORE_KEYS, reference_rows, score_samples

CHEAP = dict(n=160, classifier_epochs=6)
BROKEN = tuple(references.BROKEN)


@pytest.fixture(scope="module")
def split():
    sprites = builtin_creatures(n=400, seed=5)
    train, held = sprites.split(0.25)
    return sprites.indices[train], sprites.indices[held], sprites.palette


@pytest.fixture(scope="module")
def rows(split):
    train, held, palette = split
    return reference_rows(train, held, palette, seed=0, rows=("real", "halves", *BROKEN), **CHEAP)


@pytest.mark.slow
def test_real_sprites_are_indistinguishable_from_real_ones(rows):
    real = rows["real"]
    assert set(real) == set(SCORE_KEYS)
    assert 0.35 <= real["c2st"] <= 0.65
    assert real["precision"] > 0.5 and real["recall"] > 0.5
    assert real["copy_rate"] <= 0.05  # by construction: only the held-out sprite that sets τ


@pytest.mark.slow  # the rows fixture: every reference set's classifier
def test_two_halves_of_the_real_sprites_are_indistinguishable(rows):
    halves = rows["halves"]
    assert halves["c2st_low"] <= 0.5 <= halves["c2st_high"]
    assert 0.35 <= halves["c2st"] <= 0.65
    assert halves["copy_rate"] == 1.0  # they are training sprites: the copy rate says so


@pytest.mark.slow  # the rows fixture: every reference set's classifier
@pytest.mark.parametrize("broken", BROKEN)
def test_every_broken_reference_set_is_caught(rows, broken):
    # CHEAP is a fifth of the classifier's training on 160 built-in sprites: the scrambled
    # interior, the hardest set, sits near 0.85 there (its full-settings figure: the slow test).
    assert rows[broken]["c2st"] >= 0.8, rows[broken]
    assert rows[broken]["c2st_low"] > 0.5  # its interval excludes chance
    assert rows[broken]["copy_rate"] < 0.5


@pytest.mark.slow  # the rows fixture: every reference set's classifier
def test_every_c2st_interval_holds_its_figure(rows):
    for name, row in rows.items():
        assert 0 <= row["c2st_low"] <= row["c2st"] <= row["c2st_high"] <= 1, name


def test_an_unknown_reference_row_is_refused_by_name(split):
    train, held, palette = split
    with pytest.raises(ValueError, match="blurry"):
        reference_rows(train, held, palette, rows=("blurry",))


@pytest.mark.slow
def test_shuffled_pixels_are_told_apart_and_far_from_the_real_manifold(rows):
    real, shuffled = rows["real"], rows["shuffled"]
    assert shuffled["c2st"] >= 0.9
    assert shuffled["precision"] < real["precision"] / 2
    assert shuffled["mmd2"] > 3 * real["mmd2"]


@pytest.mark.slow
def test_a_copy_of_the_training_set_is_flagged_as_copied(split):
    train, held, palette = split
    copied = score_samples(train, train, held, palette, seed=0, **CHEAP)
    assert copied["copy_rate"] == 1.0
    assert copied["c2st"] <= 0.65  # a copy fools the classifier; the copy rate is what catches it


def test_empty_frames_are_not_copies_and_are_told_apart(split):
    train, held, palette = split
    empty = score_samples(np.zeros((64, *train.shape[1:]), np.uint8), train, held, palette, seed=0, **CHEAP)
    assert empty["copy_rate"] == 0.0
    assert empty["c2st"] >= 0.9 and empty["recall"] < 0.05


@pytest.mark.slow
def test_the_same_seed_gives_the_same_scores_and_leaves_the_global_rng_alone(split):
    train, held, palette = split
    torch.manual_seed(7)
    before = torch.get_rng_state()
    first = score_samples(held, train, held, palette, seed=3, **CHEAP)
    assert torch.equal(torch.get_rng_state(), before)
    assert score_samples(held, train, held, palette, seed=3, **CHEAP) == first


@pytest.mark.slow
def test_rgb_samples_are_scored_as_the_palette_sprites_they_snap_to(split):
    train, held, palette = split
    as_rgb = palette.to_rgb(held)
    assert score_samples(as_rgb, train, held, palette, seed=1, **CHEAP) == \
        score_samples(held, train, held, palette, seed=1, **CHEAP)


def test_bad_input_is_refused_with_its_shape(split):
    train, held, palette = split
    with pytest.raises(ValueError, match="shape"):
        score_samples(np.zeros((4, 20)), train, held, palette)
    with pytest.raises(ValueError, match="held-out"):
        score_samples(held, train, held[:0], palette)


@pytest.mark.slow
def test_course_data_reference_rows_bracket_the_scale(course_dir):
    sprites = open_dataset(course_dir)
    train, held = sprites.split(0.1)
    rows = reference_rows(sprites.indices[train], sprites.indices[held], sprites.palette, n=256,
                          classifier_epochs=6)
    assert rows["real"]["c2st"] <= 0.65 and rows["shuffled"]["c2st"] >= 0.85
    assert rows["shuffled"]["precision"] < rows["real"]["precision"]


def test_copy_distance_counts_creature_pixels_of_another_colour():
    a = np.zeros((1, 4, 4), np.uint8)
    a[0, 0, :2] = 3  # two creature pixels
    b = a.copy()
    b[0, 0, 1] = 4  # one of them another colour; the shared background does not count
    assert float(scores.creature_mismatch(a, b)) == pytest.approx(0.5)
    assert float(scores.creature_mismatch(a, a)) == 0.0
    assert float(scores.creature_mismatch(np.zeros_like(a), a)) == 1.0  # an empty frame copies nothing


def test_the_interval_widens_with_the_spread_of_the_folds():
    assert scores.cv_interval([0.5] * 5, folds=5) == (0.5, 0.5)
    narrow, wide = scores.cv_interval([0.48, 0.5, 0.52, 0.5, 0.5], 5), scores.cv_interval([0.4, 0.5, 0.6, 0.5, 0.5], 5)
    assert narrow[0] < 0.5 < narrow[1] and wide[1] - wide[0] > 4 * (narrow[1] - narrow[0])
    assert scores.cv_interval([1.0, 0.98, 1.0, 1.0, 1.0], 5)[1] == 1.0  # an accuracy stays within [0, 1]


@pytest.mark.slow
def test_course_data_floor_sits_at_chance_and_every_broken_set_is_caught(course_dir):
    """The yardstick's meaning at its full settings on the course data (docs/yardstick.md):
    two halves of the real sprites at chance, each broken set caught as a person catches it."""
    sprites = open_dataset(course_dir)
    train, held = sprites.split(0.1)
    rows = reference_rows(sprites.indices[train], sprites.indices[held], sprites.palette,
                          rows=("halves", *BROKEN))
    # At chance: the classifier cannot do better than guessing (with few sprites a side it
    # even lands a little below 0.5 — over 3 seeds the halves average 0.497, docs/yardstick.md).
    assert rows["halves"]["c2st_low"] <= 0.5 and rows["halves"]["c2st_high"] >= 0.48
    assert 0.42 <= rows["halves"]["c2st"] <= 0.56
    for broken in BROKEN:
        # The goal is 0.95 for every set; the scrambled interior reaches 0.92–0.94 (docs/yardstick.md).
        assert rows[broken]["c2st"] >= (0.9 if broken == "scrambled" else 0.95), (broken, rows[broken])
