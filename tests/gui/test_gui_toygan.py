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
