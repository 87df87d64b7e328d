"""The GAN code space workspace and the GAN workspace's collapse warning, offscreen."""

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402

from studio.data import open_dataset  # noqa: E402
from studio.gui.context import StudioContext  # noqa: E402
from studio.gui.gan_explorer import WALK_FRAMES, GanExplorerWorkspace  # noqa: E402
from studio.session.pretrained import newest_run  # noqa: E402
from studio.train.run import default_runs_dir  # noqa: E402
from studio.gui.gan_workspace import GAN_WARNINGS, GanWorkspace  # noqa: E402
from studio.models import gan  # noqa: E402
from studio.train.engine import Trainer, TrainSettings  # noqa: E402

DATA = "builtin:n=48,seed=3"
WAIT_MS = 120_000  # the machine is shared: be generous


pytestmark = pytest.mark.usefixtures("isolated_app")


def tiny_run(path, collapse: bool = False):
    settings = TrainSettings(epochs=2, batch_size=16, sample_every=0)
    # Transposed convolutions: a barely trained tiny G then still draws visibly different
    # sprites for different z (with resize-convolutions it starts out near-constant).
    trainer = Trainer("gan", dataclasses.replace(gan.DCGAN, z_dim=8, width=8, upsample="transposed"), open_dataset(DATA),
                      settings, path)
    if collapse:  # every code decodes to one sprite: the evaluation must see the collapse
        one = np.asarray(trainer.sprites.indices[:1])
        trainer.task.generate = lambda z: np.repeat(one, len(z), axis=0)
    trainer.run_training()
    return path


def test_the_newest_gan_run_opens_by_itself_and_the_slider_moves_between_codes(qtbot, tmp_path):
    run = tiny_run(tmp_path / "runs" / "gan-1")
    assert newest_run(default_runs_dir(), ("gan",)) == run
    ws = GanExplorerWorkspace(StudioContext())
    qtbot.addWidget(ws)
    qtbot.waitUntil(lambda: ws.line_frames is not None, timeout=WAIT_MS)
    assert run.name in ws.run_label.text() and str(run) in ws.run_label.toolTip()
    ws.slider.setValue(0)
    start = ws.view.image_item.image.copy()
    assert np.array_equal(start, ws.view_a.image_item.image)
    ws.slider.setValue(100)
    end = ws.view.image_item.image.copy()
    assert np.array_equal(end, ws.view_b.image_item.image)
    assert not np.array_equal(start, end)
    assert ws.t_label.text() == "t = 1.00"


def test_reroll_changes_an_endpoint_and_the_walk_plays_and_exports(qtbot, tmp_path):
    ws = GanExplorerWorkspace(StudioContext(), auto_load=False)
    qtbot.addWidget(ws)
    with qtbot.waitSignal(ws.framesReady, timeout=WAIT_MS):
        ws.open_run(tiny_run(tmp_path / "run"))
    b = ws.view_b.image_item.image.copy()
    with qtbot.waitSignal(ws.framesReady, timeout=WAIT_MS):
        ws.reroll_b.click()
    assert not np.array_equal(b, ws.view_b.image_item.image)

    ws.play_button.click()
    assert not ws.slider.isEnabled()
    qtbot.waitUntil(lambda: ws._walk_index >= 3, timeout=WAIT_MS)
    ws.play_button.click()
    assert ws.slider.isEnabled()
    gif = Image.open(ws.export_gif(tmp_path / "walk.gif", scale=2))
    assert gif.size == (40, 40) and gif.n_frames <= WALK_FRAMES


def test_a_sample_that_is_a_training_sprite_is_reported_as_that_copy(qtbot, tmp_path):
    ws = GanExplorerWorkspace(StudioContext(), auto_load=False)
    qtbot.addWidget(ws)
    with qtbot.waitSignal(ws.framesReady, timeout=WAIT_MS):
        ws.open_run(tiny_run(tmp_path / "run"))
    copy = ws.gan.train_sprites[7]
    with qtbot.waitSignal(ws.copiesChecked):
        ws.show_copies(np.stack([copy, ws.gan.task.draw(1)[0]]))
    rows = ws.copy_rows()
    assert rows[0] == (int(ws.gan.train_numbers[7]), 0.0)
    assert "a copy" in ws.copies.item(0, 2).text()
    with qtbot.waitSignal(ws.copiesChecked):
        ws.check_button.click()
    assert ws.copies.rowCount() == 8


def test_a_collapsed_generator_raises_the_mode_collapse_warning(qtbot, tmp_path):
    run = tiny_run(tmp_path / "collapsed", collapse=True)
    panel = GanWorkspace(StudioContext())
    qtbot.addWidget(panel)
    panel.open_run(run)
    qtbot.waitUntil(lambda: panel.points("val/diversity_ratio") == 2, timeout=WAIT_MS)
    assert panel.warning_banner.isVisibleTo(panel)
    assert "Mode collapse" in panel.warning_banner.text()
    panel.shutdown()


def test_a_healthy_run_shows_no_warning_and_plots_the_signals(qtbot, tmp_path):
    panel = GanWorkspace(StudioContext())
    qtbot.addWidget(panel)
    panel.open_run(tiny_run(tmp_path / "healthy"))
    qtbot.waitUntil(lambda: panel.points("val/mmd") == 2, timeout=WAIT_MS)
    assert panel.points("val/diversity_ratio") == 2
    collapsed = panel.history.latest["val/diversity_ratio"] < GAN_WARNINGS[0].below
    assert panel.warning_banner.isVisibleTo(panel) == collapsed
    panel.shutdown()
