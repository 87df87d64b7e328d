"""The Diffusion workspace: K and the schedule re-draw the samples, the timeline shows frame k,
the heat maps follow it, and a new checkpoint of the trained run is drawn with the same seeds."""

from __future__ import annotations

import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest

from studio.gui.context import StudioContext
from studio.gui.diffusion_workspace import DiffusionWorkspace
from studio.session.pretrained import pretrained_run

pytestmark = pytest.mark.usefixtures("isolated_app")  # QSettings and runs under tmp_path


@pytest.fixture
def shipped():
    path = pretrained_run("diffusion")
    if path is None:
        pytest.skip("this install ships no diffusion model")
    return path


@pytest.fixture
def workspace(qtbot, shipped):
    ws = DiffusionWorkspace(StudioContext(), auto_load=False)
    qtbot.addWidget(ws)
    ws.resize(1200, 700)
    ws.show()
    with qtbot.waitSignal(ws.drawn, timeout=20000):
        ws.open_run(shipped, show_settings=False)
    settle(qtbot, ws)
    return ws


def settle(qtbot, ws):
    qtbot.waitUntil(lambda: not ws.drawing() and ws.view.current, timeout=20000)


def test_it_opens_the_shipped_model_and_shows_the_finished_samples(workspace):
    assert workspace.steps_spin.value() == workspace.view.steps == 16  # the run's own K
    assert workspace.corrector_spin.value() == workspace.view.corrector == 32  # and its corrector passes
    assert workspace.timeline.maximum() == workspace.timeline.value() == 16 + 32
    assert "shipped Diffusion" in workspace.run_label.text()
    assert workspace.frame_view.image_shape() == workspace.view.frame_rgb().shape[:2]
    assert "corrector pass 32 of 32" in workspace.step_label.text()


def test_k_and_the_schedule_redraw_the_samples(workspace, qtbot):
    before = workspace.view.drawn.trajectory.sprites
    workspace.steps_spin.setValue(4)
    settle(qtbot, workspace)
    assert workspace.steps_slider.value() == 4 and workspace.timeline.maximum() == 4 + 32
    assert workspace.view.drawn.steps == 4 and not np.array_equal(workspace.view.drawn.trajectory.sprites, before)
    workspace.schedule_box.setCurrentIndex(workspace.schedule_box.findData("random"))
    settle(qtbot, workspace)
    assert workspace.view.drawn.schedule == "random" and "random" in workspace.status.text()


def test_the_corrector_redraws_and_its_passes_are_frames_after_step_k(workspace, qtbot):
    workspace.corrector_spin.setValue(4)
    settle(qtbot, workspace)
    drawn = workspace.view.drawn.trajectory
    assert workspace.view.drawn.corrector == 4 and workspace.timeline.maximum() == 16 + 4
    assert "4 corrector passes" in workspace.status.text()
    workspace.timeline.setValue(16)  # K done: the sprites as the steps drew them, nothing hidden
    assert np.array_equal(workspace.view.frame_rgb(), workspace.view._grid(
        [workspace.view.drawn.run.palette.to_rgb(s) for s in drawn.drafted]))
    workspace.timeline.setValue(18)
    assert workspace.step_label.text().startswith("Step 18 of 20: corrector pass 2 of 4, 40 pixels")
    workspace.corrector_spin.setValue(0)
    settle(qtbot, workspace)
    assert workspace.timeline.maximum() == 16
    assert np.array_equal(workspace.view.drawn.trajectory.sprites, workspace.view.drawn.trajectory.drafted)


def test_dragging_k_draws_once_with_where_it_stopped(workspace, qtbot):
    for k in range(20, 41):
        workspace.steps_slider.setValue(k)
    settle(qtbot, workspace)
    assert workspace.view.drawn.steps == 40 and workspace.timeline.maximum() == 40 + 32


def test_the_timeline_shows_frame_k_with_hidden_pixels_as_a_checker(workspace, qtbot):
    workspace.timeline.setValue(3)
    assert workspace.view.step == 3
    assert workspace.step_label.text().startswith("Step 3 of 48")
    shown = workspace.frame_view.image_item.image
    assert np.array_equal(shown, workspace.view.frame_rgb())
    hidden = workspace.view.drawn.trajectory.committed_at[0] > 3
    assert set(map(tuple, shown[1:21, 1:21][hidden])) <= {(150, 150, 150), (200, 200, 200)}
    assert np.array_equal(workspace.order_view.image_item.image, workspace.view.order_rgb())
    workspace.timeline.setValue(0)
    assert workspace.view.hidden().all()


def test_play_runs_the_timeline_to_the_end(workspace, qtbot):
    workspace.timeline.setValue(0)
    workspace.play_button.click()
    qtbot.waitUntil(lambda: workspace.view.step == 16 + 32, timeout=20000)
    qtbot.waitUntil(lambda: not workspace.play_button.isChecked(), timeout=2000)


def test_a_new_checkpoint_of_the_trained_run_is_drawn_with_the_same_seeds(workspace, qtbot, shipped, tmp_path):
    run = tmp_path / "diffusion-copy"
    shutil.copytree(shipped, run)
    with qtbot.waitSignal(workspace.drawn, timeout=20000):
        workspace.open_run(run, show_settings=False)  # the Train tab follows it
    settle(qtbot, workspace)
    assert workspace.training.state == "following"
    first = workspace.view.drawn.trajectory.sprites
    # Training writes a newer best.pt: the same weights, so the same seeds draw the same sprites.
    best = run / "checkpoints" / "best.pt"
    os.utime(best, ns=(best.stat().st_atime_ns, best.stat().st_mtime_ns + 10**9))
    with qtbot.waitSignal(workspace.runLoaded, timeout=20000):
        workspace.check_checkpoint()
    settle(qtbot, workspace)
    assert np.array_equal(workspace.view.drawn.trajectory.sprites, first)
