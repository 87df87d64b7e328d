"""File → Open run and `studio RUN_DIR` open a run of every model in the workspace for it."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from studio.cli import main  # noqa: E402
from studio.gui.app import create_main_window  # noqa: E402

WAIT_MS = 60_000
WORKSPACE = {"gan": "GAN", "pixelrnn": "PixelRNN", "vae": "VAE"}


@pytest.fixture(autouse=True)
def isolated(isolated_app):
    return isolated_app


def has_model(widget, model: str) -> bool:
    """The workspace shows the run: its curves (GAN), its model completes / explores."""
    if model == "gan":
        return widget.points("d_loss") > 0
    if model == "pixelrnn":
        return widget.task is not None and widget.training.points("loss") > 0
    return widget.explorer is not None and widget.training.points("loss") > 0


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(WORKSPACE))
def test_file_open_run_shows_every_model_in_its_workspace(qtbot, tiny_runs, model, monkeypatch):
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: errors.append(a[2]))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: errors.append(a[2]))
    win = create_main_window()
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.datasetLoaded, timeout=WAIT_MS):
        win.show()
    widget = win.open_run(str(tiny_runs[model]))
    assert widget is win.workspaces[WORKSPACE[model]] and win.tabs.currentWidget() is widget
    qtbot.waitUntil(lambda: has_model(widget, model), timeout=WAIT_MS)
    assert not errors


@pytest.mark.slow
def test_studio_run_dir_opens_the_app_on_that_run(qtbot, tiny_runs, monkeypatch):
    windows = []

    def run_app(path):  # what `studio PATH` starts, minus the event loop
        windows.append(create_main_window(path))
        return 0

    monkeypatch.setattr("studio.gui.app.run_app", run_app)
    for model in sorted(WORKSPACE):
        assert main([str(tiny_runs[model])]) == 0
        win = windows[-1]
        qtbot.addWidget(win)
        win.show()
        widget = win.workspaces[WORKSPACE[model]]
        qtbot.waitUntil(lambda: win.tabs.currentWidget() is widget and has_model(widget, model),
                        timeout=WAIT_MS)


@pytest.mark.slow
def test_a_folder_that_is_no_run_is_refused_with_its_name(qtbot, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: errors.append(a[2]))
    win = create_main_window()
    qtbot.addWidget(win)
    (tmp_path / "empty").mkdir()
    assert win.open_run(str(tmp_path / "empty")) is None
    assert errors and str(tmp_path / "empty") in errors[0] and "no config.json" in errors[0]


@pytest.mark.slow
def test_on_first_launch_every_workspace_has_the_shipped_model(qtbot):
    """No runs, no settings (a new HOME): complete, slide, walk and sample at once."""
    import time

    from studio.session.pretrained import pretrained_run

    start, cpu = time.monotonic(), time.process_time()
    win = create_main_window()
    qtbot.addWidget(win)
    win.show()
    pixelrnn, vae = win.workspaces["PixelRNN"], win.workspaces["VAE"]
    walk, gan = win.workspaces["GAN code space"], win.workspaces["GAN"]
    diffusion = win.workspaces["Diffusion"]
    qtbot.waitUntil(lambda: pixelrnn.task is not None and pixelrnn.canvas.state is not None
                    and vae.explorer is not None and diffusion.view.drawn is not None
                    and walk.line_frames is not None and gan.points("d_loss") > 0, timeout=WAIT_MS)
    ready, cpu = time.monotonic() - start, time.process_time() - cpu
    assert "shipped PixelRNN model" in pixelrnn.model_label.text()
    chooser = pixelrnn.model_box.chooser  # every shipped model completes the canvas
    assert [chooser.itemText(i) for i in range(chooser.count())] == [
        "PixelRNN (built-in creatures)", "Transformer (built-in creatures)", "Diffusion (built-in creatures)", "VAE (built-in creatures)", "GAN (built-in creatures)"]
    assert "shipped Diffusion model" in diffusion.run_label.text()
    assert "shipped VAE model" in vae.run_label.text() and "shipped GAN model" in walk.run_label.text()
    assert gan.run_path == pretrained_run("gan") and not gan.resume_button.isEnabled()  # never written to
    pixelrnn.canvas.apply(pixelrnn.canvas.state.with_mask(pixelrnn.canvas.state.mask | True), "cover all")
    assert pixelrnn.controls.complete_button.isEnabled()
    vae.x_slider.setValue(150)
    qtbot.waitUntil(lambda: vae.current_image() is not None)
    print(f"first launch: every workspace had its model {ready:.1f} s after the window was made "
          f"({cpu:.1f} CPU-s of this process)")


@pytest.mark.slow
def test_help_has_a_guide_for_every_workspace_and_drops_open_folders(qtbot, tiny_runs, tmp_path):
    from PIL import Image

    win = create_main_window()
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.datasetLoaded, timeout=WAIT_MS):
        win.show()
    for title in win.workspaces:
        assert "No guide" not in win.guide_text(title), title
    assert win.windowTitle().count("Studio") == 0  # the dataset's name; Qt adds the app's once
    win.open_dropped(str(tiny_runs["gan"]))  # a run folder: its workspace
    assert win.tabs.currentWidget() is win.workspaces["GAN"]
    image = tmp_path / "blob.png"
    Image.new("RGB", (20, 20), (200, 30, 30)).save(image)
    pixelrnn = win.workspaces["PixelRNN"]
    before = pixelrnn.canvas.state.sprite.copy()
    win.open_dropped(str(image))  # an image: onto the PixelRNN canvas
    assert win.tabs.currentWidget() is pixelrnn
    assert (pixelrnn.canvas.state.sprite != before).any()


def test_the_training_form_is_remembered_and_a_preset_sets_its_epochs(qtbot):
    from studio.gui.context import StudioContext
    from studio.gui.training import TrainingPanel
    from studio.models import vae
    from studio.session.forms import Budget
    from studio.train.settings import default_settings

    first = TrainingPanel(StudioContext(), model="vae")
    qtbot.addWidget(first)
    first.form.preset_box.setCurrentText("beta4")
    assert first.budget() == Budget("epochs", default_settings("vae", "beta4").epochs)
    first.set_budget(Budget("epochs", 7))
    first.sample_box.setValue(33)
    again = TrainingPanel(StudioContext(), model="vae")  # the next launch
    qtbot.addWidget(again)
    assert again.form.config() == vae.CONFIGS["beta4"]
    assert (again.budget(), again.sample_box.value()) == (Budget("epochs", 7), 33)
