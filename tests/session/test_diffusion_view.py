"""The Diffusion workspace's state: fixed-seed draws with every step kept, the timeline, and the
order and confidence heat maps at each step."""

from __future__ import annotations

import numpy as np
import pytest

from studio.session.diffusion_view import DiffusionView, checkpoint_stamp, heat_rgb, open_diffusion
from studio.session.pretrained import pretrained_run


@pytest.fixture(scope="module")
def run():
    path = pretrained_run("diffusion")
    if path is None:
        pytest.skip("this install ships no diffusion model")
    return open_diffusion(path)


@pytest.fixture
def view(run):
    view = DiffusionView(n=4, seed=0)
    view.set_run(run)
    view.set_sampling(steps=8, schedule="cosine", corrector=0)
    view.set_trajectory(view.draw())
    return view


def test_a_view_starts_at_the_runs_own_k_and_schedule_and_shows_the_finished_sprites(run):
    view, seen = DiffusionView(n=4), []
    view.changed.connect(seen.append)
    view.set_run(run)
    config = run.task.config
    assert (view.steps, view.schedule, view.corrector) == (config.steps, config.schedule, config.corrector)
    assert not view.current
    view.set_trajectory(view.draw())
    assert view.current and view.step == view.last_step == config.steps + config.corrector
    assert seen == ["run", "trajectory"]
    assert not view.hidden().any()


def test_the_same_seed_draws_the_same_sprites_and_another_seed_others(view):
    first = view.drawn.trajectory.sprites
    assert np.array_equal(view.draw().trajectory.sprites, first)
    view.set_sampling(seed=1)
    assert not view.current
    assert not np.array_equal(view.draw().trajectory.sprites, first)


def test_k_and_the_schedule_change_the_drawing(view):
    view.set_sampling(steps=3, schedule="random")
    drawn = view.draw()
    assert drawn.trajectory.steps == 3 and drawn.schedule == "random"
    assert set(np.unique(drawn.trajectory.committed_at)) == {1, 2, 3}
    with pytest.raises(ValueError):
        view.set_sampling(steps=401)
    with pytest.raises(ValueError):
        view.set_sampling(schedule="linear")
    with pytest.raises(ValueError):
        view.set_sampling(corrector=-1)


def test_the_corrector_passes_are_frames_after_the_k_steps(view):
    view.set_sampling(corrector=2)
    assert not view.current
    view.set_trajectory(view.draw())
    t = view.drawn.trajectory
    assert view.current and view.last_step == 8 + 2 and t.draw_steps == 8
    view.set_step(8)  # the K steps done: the sprites as they drew them, nothing hidden
    assert not view.hidden().any()
    assert np.array_equal(view.frame_rgb(), view._grid([view.drawn.run.palette.to_rgb(s) for s in t.drafted]))
    view.set_step(10)
    assert np.array_equal(view.frame_rgb(), view._grid([view.drawn.run.palette.to_rgb(s) for s in t.sprites]))
    assert view.describe_step().startswith("Step 10 of 10: corrector pass 2 of 2, 40 pixels hidden again")
    assert np.nanmax(view.order()) == 1.0  # the order map still spans the K steps


def test_frame_k_shows_what_the_first_k_steps_committed_and_a_checker_elsewhere(view):
    t = view.drawn.trajectory
    view.set_step(0)
    assert view.hidden().all() and view.describe_step().startswith("Step 0 of 8")
    view.set_step(3)
    hidden = view.hidden()
    assert np.array_equal(hidden, t.committed_at > 3)
    assert 0 < hidden.sum() < hidden.size
    assert f"{view.committed()} pixels committed" in view.describe_step()
    grid = view.frame_rgb()
    # Sprite 0 sits at the grid's top left, after a one-pixel gap; its hidden pixels are the checker's greys.
    cell = grid[1:21, 1:21]
    palette_rgb = view.drawn.run.palette.to_rgb(t.sprites[0])
    assert np.array_equal(cell[~hidden[0]], palette_rgb[~hidden[0]])
    assert set(map(tuple, cell[hidden[0]])) <= {(150, 150, 150), (200, 200, 200)}
    view.set_step(99)
    assert view.step == 8  # clamped to K


def test_the_heat_maps_say_when_and_how_surely_each_committed_pixel_was_committed(view):
    t = view.drawn.trajectory
    view.set_step(8)
    order, confidence = view.order(), view.confidence()
    assert np.allclose(order, (t.committed_at - 1) / 7)
    assert np.nanmin(order) == 0 and np.nanmax(order) == 1
    assert np.array_equal(confidence, t.confidence) and ((confidence > 0) & (confidence <= 1)).all()
    view.set_step(2)
    assert np.isnan(view.order()[t.committed_at > 2]).all()
    assert view.order_rgb().shape == view.confidence_rgb().shape == view.frame_rgb().shape


def test_heat_colours_run_from_dark_to_bright_and_none_is_black():
    rgb = heat_rgb(np.array([0.0, 0.5, 1.0, np.nan]))
    assert rgb.sum(1)[0] < rgb.sum(1)[1] < rgb.sum(1)[2] and tuple(rgb[3]) == (0, 0, 0)


def test_a_new_checkpoint_changes_the_stamp(tmp_path):
    assert checkpoint_stamp(tmp_path) is None
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "step_0000010.pt").write_bytes(b"a")
    first = checkpoint_stamp(tmp_path)
    (tmp_path / "checkpoints" / "best.pt").write_bytes(b"b")
    assert first[0] == "step_0000010.pt" and checkpoint_stamp(tmp_path)[0] == "best.pt"


def test_clearing_shows_no_model_until_the_next_which_starts_at_its_own_sampling(view, run):
    seen = []
    view.changed.connect(seen.append)
    view.clear()
    assert seen == ["cleared"] and view.run is None and view.drawn is None and view.last_step == 0
    assert view.draw() is None  # nothing to draw with
    view.set_run(run)
    assert (view.steps, view.corrector) == (run.task.config.steps, run.task.config.corrector)  # not the 8 and 0 set before
