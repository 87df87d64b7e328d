"""The built-in creatures and the train / held-out split."""

from __future__ import annotations


import numpy as np
import pytest

from studio.data import DatasetError, open_dataset
from studio.data.builtin import builtin_creatures


def test_builtin_is_deterministic_under_a_seed_and_differs_across_seeds():
    a, b, c = builtin_creatures(n=32, seed=3), builtin_creatures(n=32, seed=3), builtin_creatures(n=32, seed=4)
    assert np.array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indices, c.indices)


def test_builtin_creatures_are_mirror_symmetric_in_shape(builtin_set):
    # Shading is lit from the top-left, so colours may differ; the silhouette may not.
    creature = builtin_set.indices != 0
    assert np.array_equal(creature, creature[:, :, ::-1])


def test_builtin_creatures_sit_inside_the_frame_on_a_white_background(builtin_set):
    assert builtin_set.indices.shape == (64, 20, 20)
    assert builtin_set.palette.background == (255, 255, 255)
    assert 24 <= builtin_set.num_colors <= 64
    idx = builtin_set.indices
    assert ((idx != 0).mean(axis=(1, 2)) > 0.15).all()  # every one is a creature, not a speck
    assert len({s.tobytes() for s in idx}) == len(idx)  # all distinct


def test_builtin_other_sizes():
    assert builtin_creatures(n=4, size=32).indices.shape == (4, 32, 32)


def test_builtin_default_matches_the_course_shape():
    sprites = open_dataset("builtin")
    assert (len(sprites), sprites.height, sprites.width) == (792, 20, 20)
    assert sprites.palette.background == (255, 255, 255)


def test_builtin_options_round_trip_through_the_source_string():
    sprites = open_dataset("builtin:n=12,seed=5")
    assert sprites.source == "builtin:n=12,seed=5"
    assert np.array_equal(open_dataset(sprites.source).indices, builtin_creatures(n=12, seed=5).indices)


@pytest.mark.parametrize("spec", ["builtin:n=x", "builtin:colour=3", "builtin:size=4"])
def test_bad_builtin_options_are_a_dataset_error(spec):
    with pytest.raises(DatasetError, match="builtin"):
        open_dataset(spec)


def test_split_is_deterministic_ten_percent_and_disjoint(builtin_set):
    train, held = builtin_set.split()
    again_train, again_held = builtin_set.split()
    assert np.array_equal(train, again_train) and np.array_equal(held, again_held)
    assert len(held) == round(0.1 * len(builtin_set))
    assert not set(train) & set(held)
    assert sorted([*train, *held]) == list(range(len(builtin_set)))
