"""A dataset no shipped model fits (the user's own palette): the canvas says so, and Train →
Train quick models makes every view usable, each from its model's first checkpoint."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from studio.data import open_dataset  # noqa: E402
from studio.data.course import write_colormap, write_pixels  # noqa: E402
from studio.data.palette import Palette  # noqa: E402
from studio.gui import diffusion_workspace  # noqa: E402
from studio.gui.app import create_main_window  # noqa: E402

WAIT_MS = 180_000


@pytest.fixture()
def own_palette(tmp_path):
    """The built-in creatures with two palette entries swapped: the same pictures, a palette
    (colour order) no shipped model was trained with — as a user's own sprite folder is."""
    sprites = open_dataset("builtin:n=40,seed=5")
    colors = sprites.palette.colors.copy()
    colors[[1, 2]] = colors[[2, 1]]
    swap = np.arange(len(colors))
    swap[[1, 2]] = [2, 1]
    folder = tmp_path / "mine"
    folder.mkdir()
    write_pixels(swap[sprites.indices], folder / "pixel_color.txt")
    write_colormap(Palette(colors), folder / "colormap.txt")
    return folder


@pytest.mark.slow  # five families trained, a few seconds each
def test_train_quick_models_makes_every_view_usable_on_a_palette_no_model_fits(qtbot, isolated_app, own_palette):
    win = create_main_window(str(own_palette))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.datasetLoaded, timeout=WAIT_MS):
        win.show()
    canvas, vae, walk = win.workspaces["PixelRNN"], win.workspaces["VAE"], win.workspaces["GAN code space"]
    qtbot.waitUntil(lambda: "no VAE model fits" in vae.run_label.text(), timeout=WAIT_MS)
    assert canvas.models.problem() is not None  # nothing completes this palette yet

    win.train_quick_models(cpu_minutes=0.02)
    assert not win.quick_action.isEnabled() and win.stop_quick_action.isEnabled()
    qtbot.waitUntil(lambda: not win.quick.running, timeout=WAIT_MS)
    assert [m for m, _ in win.quick.results] == ["pixelrnn", "transformer", "diffusion", "vae", "gan"]
    runs = isolated_app.parent / "runs"

    def shows_own_run(path) -> bool:
        return path is not None and runs in path.parents

    qtbot.waitUntil(lambda: canvas.models.problem() is None and shows_own_run(canvas.models.current.path)
                    and vae.explorer is not None and shows_own_run(vae.run_path)
                    and walk.gan is not None and shows_own_run(walk.gan.path), timeout=WAIT_MS)
    assert win.quick_action.isEnabled() and not win.stop_quick_action.isEnabled()
    assert "Quick models: PixelRNN stopped at the CPU budget" in win.statusBar().currentMessage()


@pytest.mark.slow  # the course's 792 sprites and five models to open
def test_the_course_data_opens_on_models_of_its_palette(qtbot, isolated_app, course_dir):
    """A fresh HOME opening the course's Pokémon: the canvas completes, the VAE slides and the
    GAN walks at once, each with the shipped model of the course's palette."""
    from studio.session.pretrained import shipped_runs, shipped_set

    if not any(shipped_set(p) == "pokemon" for p in shipped_runs()):
        pytest.skip("no models of the course's palette in this checkout: "
                    "python packaging/make_pretrained.py --data PATH makes them")
    win = create_main_window(str(course_dir))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.datasetLoaded, timeout=WAIT_MS):
        win.show()
    canvas, vae, walk = win.workspaces["PixelRNN"], win.workspaces["VAE"], win.workspaces["GAN code space"]

    def pokemon(path) -> bool:
        return path is not None and shipped_set(path) == "pokemon"

    qtbot.waitUntil(lambda: canvas.models.current is not None and canvas.models.problem() is None
                    and pokemon(canvas.models.current.path) and vae.explorer is not None and pokemon(vae.run_path)
                    and walk.line_frames is not None and pokemon(walk.gan.path), timeout=WAIT_MS)
    assert "(Pokémon)" in canvas.model_box.chooser.currentText()
    assert all(pokemon(m.path) for m in canvas.models.models)  # no model of another palette offered
    assert "shipped VAE model (Pokémon)" in vae.run_label.text()


@pytest.mark.slow  # the shipped models opened, then the user's folder, then the shipped ones again
def test_a_dataset_no_model_fits_clears_the_last_datasets_pictures_until_one_does(qtbot, isolated_app, own_palette):
    win = create_main_window()
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.datasetLoaded, timeout=WAIT_MS):
        win.show()
    diffusion, vae, walk = win.workspaces["Diffusion"], win.workspaces["VAE"], win.workspaces["GAN code space"]
    qtbot.waitUntil(lambda: diffusion.view.drawn is not None and not diffusion.drawing() and vae.explorer is not None
                    and walk.line_frames is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(win.datasetLoaded, timeout=WAIT_MS):
        win.open_dataset(str(own_palette))
    # The built-in creatures' models draw in another palette: nothing of theirs stays on screen.
    assert "no Diffusion model fits mine" in diffusion.run_label.text()
    assert diffusion.view.run is None and diffusion.frame_view.image_shape() == (0, 0)
    assert not diffusion.steps_spin.isEnabled() and diffusion.status.text() == ""
    assert vae.explorer is None and vae.sprite_view.image_shape() == (0, 0) and not vae.x_slider.isEnabled()
    assert walk.gan is None and walk.view.image_shape() == (0, 0) and not walk.slider.isEnabled()
    # A draw or decode that was still running is not shown either, nor does the Diffusion Train
    # tab, which still shows the dropped run, bring it back on the next look at its checkpoints.
    qtbot.wait(2 * diffusion_workspace.WATCH_MS + 500)
    assert diffusion.view.run is None and "no Diffusion model fits mine" in diffusion.run_label.text()
    assert diffusion.frame_view.image_shape() == (0, 0) and vae.sprite_view.image_shape() == (0, 0)
    with qtbot.waitSignal(win.datasetLoaded, timeout=WAIT_MS):
        win.open_dataset("builtin")
    qtbot.waitUntil(lambda: diffusion.view.drawn is not None and vae.explorer is not None
                    and walk.line_frames is not None, timeout=WAIT_MS)
    assert diffusion.steps_spin.isEnabled() and diffusion.frame_view.image_shape() != (0, 0)
    assert diffusion.corrector_spin.value() == diffusion.view.corrector == 32  # the run's own again
