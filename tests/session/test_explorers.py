"""The explorers' state without Qt: the VAE's fixed code and dimensions, the GAN's walk."""

from __future__ import annotations

import numpy as np
import pytest

from studio.models.latent import LatentExplorer
from studio.session.explorers import GanWalk, LatentState, LoadedGan
from studio.train.trained import TrainedRun


@pytest.fixture(scope="module")
def explorer(tiny_runs):
    return LatentExplorer.from_run(TrainedRun.open(tiny_runs["vae"]))


def test_a_new_model_starts_on_its_two_most_informative_dims(explorer):
    state = LatentState()
    events = []
    state.changed.connect(events.append)
    state.set_explorer(explorer)
    assert state.dims == tuple(explorer.informative_dims()[:2])
    assert events == ["explorer", "base", "point", "dims"]
    assert state.values == (0.0, 0.0) and state.description() == "zeros"


def test_choosing_the_same_dim_twice_moves_the_other_one(explorer):
    state = LatentState()
    state.set_explorer(explorer)
    x, y = state.dims
    state.set_dims(y, y, moved=0)  # the user set x to y's dimension
    assert state.dims[0] == y and state.dims[1] != y


def test_fixing_to_a_sprite_uses_its_code_and_the_sliders_start_there(explorer):
    state = LatentState()
    state.set_explorer(explorer)
    state.set_sprite(7)
    assert state.description() == "zeros"  # only counts in sprite mode
    state.set_mode("sprite")
    m = explorer.encode(7)
    assert np.allclose(state.base, m) and state.values == (float(m[state.dims[0]]), float(m[state.dims[1]]))
    assert np.array_equal(state.image(), explorer.decode_rgb(m))  # nothing jumped
    with pytest.raises(ValueError, match="zeros, random, sprite"):
        state.set_mode("noise")


def test_re_rolling_draws_another_random_code(explorer):
    state = LatentState()
    state.set_explorer(explorer)
    state.set_mode("random")
    first = state.base.copy()
    state.reroll()
    assert not np.allclose(first, state.base) and state.description() == "random (seed 1)"


def test_the_gan_walk_re_rolls_one_endpoint_and_decodes_every_frame(tiny_runs):
    walk = GanWalk(LoadedGan(tiny_runs["gan"]), slider_steps=4, waypoints=3, frames=6)
    changes = []
    walk.changed.connect(changes.append)
    a, b = walk.endpoints.clone()
    walk.reroll(1)
    assert np.allclose(walk.endpoints[0], a) and not np.allclose(walk.endpoints[1], b)
    line, frames = walk.frames()
    assert line.shape == (5, 20, 20, 3) and frames.shape == (6, 20, 20)
    walk.set_spherical(False)
    walk.new_walk()
    assert changes == ["endpoints", "line", "walk"]
