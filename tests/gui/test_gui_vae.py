"""The VAE workspace: dims, sliders and pad, fixing the other dims, the grid, exports, loading runs."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from studio.data import open_dataset
from studio.gui.context import StudioContext
from studio.gui.vae_workspace import VaeWorkspace
from studio.session.pretrained import newest_run
from studio.models import vae
from studio.models.latent import LatentExplorer
from studio.train.engine import Trainer, TrainSettings

DATA = "builtin:n=48,seed=3"


pytestmark = pytest.mark.usefixtures("isolated_app")  # QSettings and runs under tmp_path

@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "vae-tiny"
    config = dataclasses.replace(vae.LECTURE, width=8, hidden=32, kl_warmup_steps=0, lr=1e-2)
    settings = TrainSettings(epochs=4, batch_size=16, sample_every=0, sample_count=4)
    Trainer("vae", config, open_dataset(DATA), settings, out).run_training()
    return out


@pytest.fixture(scope="module")
def explorer():
    """A seeded, untrained VAE: its decoder already depends on every code dimension (a briefly
    trained tiny one decodes nearly everything to background), which is what these tests need."""
    import torch

    sprites = open_dataset(DATA)
    torch.manual_seed(0)
    task = vae.Task(dataclasses.replace(vae.LECTURE, width=8, hidden=32), sprites.palette.colors, (20, 20),
                    torch.device("cpu"))
    return LatentExplorer(task, sprites.palette, sprites)


@pytest.fixture
def workspace(qtbot, explorer, run_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_RUNS_DIR", str(tmp_path / "no-runs"))
    ws = VaeWorkspace(StudioContext(), auto_load=False)
    qtbot.addWidget(ws)
    ws.resize(1200, 760)
    ws.show()
    ws.set_explorer(explorer, run_dir)
    return ws


def settle(qtbot, ws):
    qtbot.waitUntil(lambda: not ws.drawing())


def test_dims_default_to_the_two_most_informative_and_show_their_kl(workspace, explorer):
    first, second = explorer.informative_dims()[:2]
    assert workspace.dims() == (first, second)
    assert (workspace.x_box.currentData(), workspace.y_box.currentData()) == (first, second)  # as shown
    kl = explorer.dimension_kl()
    assert workspace.x_box.count() == explorer.latent_dim
    assert f"KL {kl[first]:.2f}" in workspace.x_box.itemText(0)


def test_choosing_dims_keeps_them_different_and_relabels_the_grid(workspace, qtbot):
    x, y = workspace.dims()
    workspace.x_box.setCurrentIndex(workspace.x_box.findData(y))  # x takes y's dimension
    new_x, new_y = workspace.dims()
    assert new_x == y and new_y != new_x
    settle(qtbot, workspace)
    assert f"dim {new_x} grows to the right" in workspace.grid_caption.text()
    assert workspace.pad.x_label == f"dim {new_x}"


def test_moving_a_slider_changes_the_decoded_sprite(workspace, qtbot, explorer):
    settle(qtbot, workspace)
    before = workspace.current_image().copy()
    workspace.x_slider.setValue(-300)
    settle(qtbot, workspace)
    left = workspace.current_image().copy()
    workspace.x_slider.setValue(300)
    settle(qtbot, workspace)
    right = workspace.current_image().copy()
    assert not (np.array_equal(before, left) and np.array_equal(left, right))
    code = workspace.current_code()
    assert code[workspace.dims()[0]] == pytest.approx(3.0)
    np.testing.assert_array_equal(right, explorer.decode_rgb(code))
    assert workspace.pad.point()[0] == pytest.approx(3.0)  # the pad follows the slider


def test_dragging_the_pad_moves_both_sliders(workspace, qtbot):
    target = workspace.pad.to_widget(1.5, -2.0)
    qtbot.mousePress(workspace.pad, Qt.MouseButton.LeftButton, pos=target.toPoint())
    x, y = workspace.values()
    assert x == pytest.approx(1.5, abs=0.05) and y == pytest.approx(-2.0, abs=0.05)


def test_fixing_to_a_sprite_uses_its_code_and_shows_its_reconstruction(workspace, qtbot, explorer):
    workspace.sprite_spin.setValue(7)
    workspace.fix_box.setCurrentText("Dataset sprite")
    settle(qtbot, workspace)
    m = explorer.encode(7)
    x, y = workspace.dims()
    code = workspace.current_code()
    others = [d for d in range(explorer.latent_dim) if d not in (x, y)]
    np.testing.assert_allclose(code[others], m[others])
    # The sliders start at the sprite's own values, so the sprite shown is its reconstruction.
    assert workspace.values() == pytest.approx((round(m[x] * 100) / 100, round(m[y] * 100) / 100))
    recon = workspace.recon_label.pixmap().toImage()
    expected = explorer.palette.to_rgb(explorer.reconstruct(7))[0, 0]
    assert recon.pixelColor(0, 0).getRgb()[:3] == tuple(int(v) for v in expected)
    assert not workspace.reroll_button.isEnabled() and workspace.sprite_spin.isEnabled()


def test_random_fix_rerolls_the_other_dims(workspace, qtbot):
    workspace.fix_box.setCurrentText("Random")
    first = workspace.current_code().copy()
    assert workspace.reroll_button.isEnabled()
    workspace.reroll_button.click()
    second = workspace.current_code()
    x, y = workspace.dims()
    others = [d for d in range(len(first)) if d not in (x, y)]
    assert not np.allclose(first[others], second[others])


def test_the_grid_renders_and_clicking_a_cell_moves_the_sliders(workspace, qtbot, explorer):
    workspace.grid_size.setValue(5)
    settle(qtbot, workspace)
    h, w = workspace.grid_view.image_shape()
    assert (h, w) == (5 * 21 + 1, 5 * 21 + 1)
    # Top-right cell: x = +3, y = +3.
    cx, cy, cw, ch = workspace.grid_cell_rect(0, 4)
    workspace.grid_view.pixelClicked.emit(cx + cw // 2, cy + ch // 2)
    settle(qtbot, workspace)
    assert workspace.values() == pytest.approx((3.0, 3.0))
    rect = workspace.grid_view.highlight_rect()
    assert (rect.x(), rect.y()) == (cx, cy)
    # The sprite shown is the one decoded in that cell.
    grid = explorer.grid(workspace.dims(), workspace.state.base, n=5)
    np.testing.assert_array_equal(workspace.current_image(), explorer.palette.to_rgb(grid[4]))


def test_a_real_click_on_the_grid_view_reaches_the_cell(workspace, qtbot):
    workspace.grid_size.setValue(3)
    settle(qtbot, workspace)
    cx, cy, cw, ch = workspace.grid_cell_rect(2, 0)  # bottom-left: x = −3, y = −3
    point = workspace.grid_view.image_to_widget(cx + cw / 2, cy + ch / 2)
    qtbot.mouseClick(workspace.grid_view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    settle(qtbot, workspace)
    assert workspace.values() == pytest.approx((-3.0, -3.0))


def test_exports_write_the_sprite_the_grid_and_the_walk(workspace, qtbot, tmp_path):
    settle(qtbot, workspace)
    workspace.save_sprite(str(tmp_path / "sprite.png"), scale=2)
    with Image.open(tmp_path / "sprite.png") as img:
        assert img.size == (40, 40)
        np.testing.assert_array_equal(np.asarray(img)[::2, ::2], workspace.current_image())
    workspace.grid_size.setValue(3)
    workspace.save_grid(str(tmp_path / "grid.png"), scale=1)
    with Image.open(tmp_path / "grid.png") as img:
        assert img.size == (64, 64)
    workspace.walk_from.setValue(0)
    workspace.walk_to.setValue(3)
    workspace.save_walk(str(tmp_path / "walk.gif"))
    with Image.open(tmp_path / "walk.gif") as img:
        assert img.format == "GIF"


def test_load_run_on_a_worker_thread_fills_the_explorer(qtbot, run_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_RUNS_DIR", str(tmp_path))
    ws = VaeWorkspace(StudioContext(), auto_load=False)
    qtbot.addWidget(ws)
    assert not ws.x_slider.isEnabled()  # nothing to explore yet
    with qtbot.waitSignal(ws.runLoaded, timeout=60000):
        ws.load_run(run_dir)
    assert ws.x_slider.isEnabled() and ws.x_box.count() == 10
    qtbot.waitUntil(lambda: ws.current_image() is not None)
    assert run_dir.name in ws.run_label.text() and str(run_dir) in ws.run_label.toolTip()


def test_a_bad_run_folder_is_reported(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_RUNS_DIR", str(tmp_path))
    ws = VaeWorkspace(StudioContext(), auto_load=False)
    qtbot.addWidget(ws)
    with qtbot.waitSignal(ws.runFailed, timeout=30000) as failed:
        ws.load_run(tmp_path / "nothing-here")
    assert "nothing-here: no such folder" in failed.args[0] and "Could not load" in ws.run_label.text()


def test_the_latest_vae_run_is_found_and_auto_loaded(qtbot, run_dir, tmp_path, monkeypatch):
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(run_dir, runs / "vae-copy")
    assert newest_run(runs, ("vae",)) == runs / "vae-copy"
    assert newest_run(tmp_path / "empty", ("vae",)) is None
    monkeypatch.setenv("STUDIO_RUNS_DIR", str(runs))
    ws = VaeWorkspace(StudioContext())
    qtbot.addWidget(ws)
    with qtbot.waitSignal(ws.runLoaded, timeout=60000) as loaded:
        pass
    assert loaded.args[0] == str(runs / "vae-copy")


def test_the_train_tab_embeds_the_training_monitor_with_vae_plots(workspace):
    from studio.gui.training import TrainingPanel

    assert workspace.tabs.tabText(1) == "Train" and isinstance(workspace.training, TrainingPanel)
    keys = {k for spec in workspace.training.plot_specs for k in spec.keys}
    assert {"recon", "kl", "elbo_bits_per_pixel", "val/elbo_bits_per_pixel"} <= keys


def test_a_finished_training_run_is_loaded_into_the_explorer(workspace, qtbot, run_dir):
    with qtbot.waitSignal(workspace.runLoaded, timeout=60000) as loaded:
        workspace.training.trainingFinished.emit({"status": "finished", "run": str(run_dir),
                                                  "checkpoint": str(run_dir / "checkpoints" / "x.pt")})
    assert loaded.args[0] == str(run_dir)
