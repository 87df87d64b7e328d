"""The Toy GAN workspace: stepping trains on the worker and the plots follow."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from studio.gui.context import StudioContext  # noqa: E402
from studio.gui.toygan_workspace import ToyGanWorkspace  # noqa: E402

WAIT_MS = 120_000  # the machine is shared: be generous


@pytest.fixture
def workspace(qtbot):
    ws = ToyGanWorkspace(StudioContext())
    qtbot.addWidget(ws)
    ws.speed_box.setValue(5)
    return ws


def test_step_trains_and_redraws_the_three_curves(qtbot, workspace):
    before_gen = workspace.gen_curve.getData()[1].copy()
    before_d = workspace.d_curve.getData()[1].copy()
    with qtbot.waitSignal(workspace.snapshotShown, timeout=WAIT_MS) as shown:
        workspace.step_button.click()
    assert shown.args[0].step == 5 and "step 5" in workspace.status_label.text()
    assert not np.allclose(workspace.gen_curve.getData()[1], before_gen)
    assert not np.allclose(workspace.d_curve.getData()[1], before_d)
    assert np.array_equal(workspace.data_bars.getData()[1], shown.args[0].data_density)


def test_play_keeps_training_until_paused_and_reset_starts_over(qtbot, workspace):
    workspace.play_button.click()
    assert not workspace.step_button.isEnabled()
    qtbot.waitUntil(lambda: workspace.snapshot.step >= 15, timeout=WAIT_MS)
    workspace.play_button.click()
    qtbot.waitUntil(lambda: not workspace.busy(), timeout=WAIT_MS)
    stopped = workspace.snapshot.step
    qtbot.wait(200)
    assert workspace.snapshot.step == stopped and workspace.play_button.text().endswith("Play")
    workspace.reset_button.click()
    assert workspace.snapshot.step == 0


def test_choosing_another_mixture_shows_its_data(qtbot, workspace):
    two = workspace.data_bars.getData()[1].copy()
    workspace.mixture_box.setCurrentText("three gaussians")
    assert workspace.toy.mixture_name == "three gaussians" and workspace.snapshot.step == 0
    assert not np.allclose(workspace.data_bars.getData()[1], two)


def test_the_help_guide_describes_what_the_workspace_shows(workspace):
    import re

    from studio.gui.guides import GUIDES
    from studio.session.toygan import SHAPES

    guide = re.sub("<[^>]+>", "", GUIDES["Toy GAN"])
    choices = [workspace.mixture_box.itemText(i) for i in range(workspace.mixture_box.count())]
    assert all(name in guide for name in choices)  # every data it offers, by the name in its box
    for control in (workspace.play_button, workspace.step_button, workspace.reset_button):
        assert control.text() in guide
    assert "Steps per update" in guide and "D(x)" in workspace.d_plot.titleLabel.text and "D(x)" in guide
    assert "grey bars" in workspace.density_plot.titleLabel.text and "grey bars" in guide
    assert "earth mover" in workspace.status_label.text() and "earth mover" in guide
    if not any(name in SHAPES for name in choices):  # a 1-D workspace: no plane, no heat map
        assert not re.search(r"plane|heat map|2-D data|field", guide)


def test_the_loss_and_learning_rate_knobs_change_the_sessions_game(qtbot, workspace):
    workspace.loss_box.setCurrentText("least-squares")
    workspace.lr_d_box.setValue(0.004)
    assert workspace.toy.config.loss == "least-squares" and workspace.toy.config.lr_d == 0.004
    assert workspace.toy.opt_d.param_groups[0]["lr"] == 0.004
    with qtbot.waitSignal(workspace.snapshotShown, timeout=WAIT_MS) as shown:
        workspace.step_button.click()
    assert shown.args[0].loss == "least-squares" and "least-squares" in workspace.status_label.text()
    assert "score, 1 = real" in workspace.d_plot.titleLabel.text
    workspace.width_box.setCurrentText("8")  # new networks of that width, the knobs kept
    assert workspace.toy.config.hidden == 8 and workspace.snapshot.step == 0
    assert workspace.toy.config.loss == "least-squares" and workspace.toy.config.lr_d == 0.004


def test_the_ring_shows_d_as_a_heat_map_under_the_points_and_d_only_leaves_g_still(qtbot, workspace):
    workspace.mixture_box.setCurrentText("ring")
    assert workspace.views.currentWidget() is workspace.plane and workspace.toy.dim == 2
    assert workspace.speed_box.value() == 2  # a 2-D step costs more: fewer a frame
    plane, snap = workspace.plane, workspace.snapshot
    assert plane.heat.image.shape == snap.discriminator.shape and len(plane.fake.data) == len(snap.fake)
    assert "8 modes covered" in workspace.status_label.text()
    workspace.which_box.setCurrentIndex(workspace.which_box.findData("d"))
    with qtbot.waitSignal(workspace.snapshotShown, timeout=WAIT_MS) as shown:
        workspace.step_button.click()
    assert np.array_equal(shown.args[0].fake, snap.fake)  # G stood still
    assert not np.allclose(plane.heat.image, snap.discriminator)  # D learned
    workspace.which_box.setCurrentIndex(workspace.which_box.findData("g"))
    workspace.arrows_check.setChecked(True)
    with qtbot.waitSignal(workspace.snapshotShown, timeout=WAIT_MS) as moved:
        workspace.step_button.click()
    assert not np.array_equal(moved.args[0].fake, snap.fake)
    assert len(plane.arrows.getData()[0]) == 2 * len(snap.fake)  # one segment per point


def test_drawing_your_own_points_with_the_mouse_makes_the_data(qtbot, workspace):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    workspace.mixture_box.setCurrentText("draw your own (2-D)")
    assert workspace.toy is None and not workspace.play_button.isEnabled()
    assert not workspace.use_drawing_button.isEnabled()
    workspace.resize(900, 700)
    workspace.show()
    qtbot.waitExposed(workspace)
    plane = workspace.plane
    for x, y in ((-1.0, 0.5), (1.0, -0.5), (0.0, 1.5)):
        scene = plane.box.mapViewToScene(QPointF(x, y))
        QTest.mouseClick(plane.viewport(), Qt.MouseButton.LeftButton, pos=plane.mapFromScene(scene))
    assert len(workspace.drawn_points) == 3
    assert np.allclose(workspace.drawn_points, [(-1.0, 0.5), (1.0, -0.5), (0.0, 1.5)], atol=0.1)
    workspace.use_drawing_button.click()
    assert workspace.toy.data_name == "drawn" and workspace.toy.dim == 2 and workspace.play_button.isEnabled()
    assert np.allclose(workspace.toy.data.points, workspace.drawn_points)
    workspace.clear_drawing_button.click()
    assert workspace.toy is None and workspace.drawn_points == []
