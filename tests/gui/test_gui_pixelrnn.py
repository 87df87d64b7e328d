"""The PixelRNN workspace: sprite picking, completing with a tiny model, variants, cancel, export."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from studio.data import open_dataset  # noqa: E402
from studio.gui.canvas_model import rect_region  # noqa: E402
from studio.gui.completion_workspace import NO_MODEL_HINT  # noqa: E402
from studio.models import pixelrnn  # noqa: E402
from studio.models.completion import Cancelled  # noqa: E402
from studio.session.pretrained import shipped_for  # noqa: E402
from studio.gui.race_panel import SCALE  # noqa: E402
from studio.session.pretrained import MODEL_TITLES  # noqa: E402


pytestmark = pytest.mark.usefixtures("isolated_app")  # QSettings and runs under tmp_path

@pytest.fixture(scope="module")
def sprites():
    return open_dataset("builtin:n=48,seed=3")


@pytest.fixture
def workspace(completion_workspace, sprites, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_RUNS_DIR", str(tmp_path / "runs"))
    return completion_workspace(sprites)


def wait_for_shipped(workspace, qtbot, sprites):
    """The shipped models of this palette join the chooser on a worker (set_dataset): wait for
    them, so their late arrival (it reopens a model the test chose, redraws the hint) never lands
    mid-test on a busy machine."""
    shipped = len(shipped_for(sprites.palette.colors, (sprites.height, sprites.width)))
    qtbot.waitUntil(lambda: sum(m.path is not None for m in workspace.models.models) >= shipped, timeout=60000)


def tiny_task(sprites):
    """A fresh, untrained PixelRNN: the completion machinery is the same as a trained one's."""
    config = pixelrnn.Config(hidden=8, embed=4)
    return pixelrnn.Task(config, sprites.palette.colors, (sprites.height, sprites.width), "cpu")


def test_without_a_model_complete_is_disabled_with_a_hint(workspace):
    assert workspace.task is None and workspace.model_label.text() == NO_MODEL_HINT
    workspace.tools.actions["cover75"].trigger()
    assert not workspace.controls.complete_button.isEnabled()
    assert "Train or open a PixelRNN run" in workspace.controls.hint.text()
    assert workspace.start_completion() is None


def test_browser_marks_held_out_and_loads_sprites(workspace, sprites):
    _, held = sprites.split()
    item = workspace.browser.list.item(int(held[0]))
    assert "held-out" in item.text()
    workspace.browser.number.setValue(7)
    assert np.array_equal(workspace.canvas.state.sprite, sprites.indices[7])
    workspace.browser.list.setCurrentRow(9)
    assert np.array_equal(workspace.canvas.state.sprite, sprites.indices[9])
    assert workspace.browser.number.value() == 9
    workspace.canvas.undo_stack.undo()  # loading a sprite is an edit like any other
    assert np.array_equal(workspace.canvas.state.sprite, sprites.indices[7])


def test_palette_swatch_chooses_the_paint_colour(workspace, qtbot):
    view = workspace.paint_box.palette_view
    rect = view.swatch_rect(5)
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center().toPoint())
    assert workspace.canvas.paint_color == 5 and workspace.canvas.tool == "paint"
    assert "index 5" in workspace.paint_box.caption.text()


def test_complete_shows_variants_that_keep_the_visible_pixels(workspace, qtbot, sprites):
    workspace.set_task(tiny_task(sprites), "tiny untrained model")
    workspace.browser.select(4)
    assert not workspace.controls.complete_button.isEnabled()  # nothing masked yet
    # A hole in the middle: visible pixels on every side of it must come back unchanged.
    canvas = workspace.canvas
    canvas.apply(canvas.state.set_mask_region(rect_region(canvas.state.shape, 8, 9, 11, 11), True), "hole")
    state = canvas.state
    assert workspace.controls.complete_button.isEnabled()
    workspace.controls.n_variants.setValue(5)
    with qtbot.waitSignal(workspace.completionEnded, timeout=60000) as ended:
        qtbot.mouseClick(workspace.controls.complete_button, Qt.MouseButton.LeftButton)
    completions = ended.args[0]
    assert len(completions) == 5 and workspace.variants.count() == 5
    lls = [c.score for c in completions]
    assert lls == sorted(lls, reverse=True)  # best first
    for c, shown in zip(completions, workspace.variants.sprites):
        assert np.array_equal(shown, c.sprite)
        assert np.array_equal(c.sprite[~state.mask], sprites.indices[4][~state.mask])
    assert f"{lls[0]:.1f}" in workspace.variants.item(0).text()
    assert workspace.canvas.state == state  # completing edits nothing by itself
    assert workspace.job is None and workspace.controls.complete_button.isEnabled()

    # Choosing a variant puts it on the canvas as one undoable step; the mask stays.
    item = workspace.variants.item(2)
    QTest.mouseClick(workspace.variants.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     workspace.variants.visualItemRect(item).center())
    assert np.array_equal(workspace.canvas.state.sprite, completions[2].sprite)
    assert np.array_equal(workspace.canvas.state.mask, state.mask)
    assert workspace.canvas.undo_stack.undoText() == "Use variant 3"
    workspace.canvas.undo_stack.undo()
    assert workspace.canvas.state == state


def hold_at_first_step(workspace) -> tuple[threading.Event, threading.Event]:
    """(reached, release): the next completion's worker stops at its first step (reached is
    set) until release is set."""
    reached, release = threading.Event(), threading.Event()

    def hold_first_step(done, total):  # runs on the worker thread, between two steps
        if not reached.is_set():
            reached.set()
            release.wait(30)

    workspace.completionStarted.connect(lambda job: job.progressed.connect(hold_first_step))  # on the worker
    return reached, release


def test_cancel_midway_changes_nothing_and_stops_the_worker(workspace, qtbot, sprites):
    wait_for_shipped(workspace, qtbot, sprites)
    workspace.set_task(tiny_task(sprites), "tiny untrained model")
    workspace.tools.actions["cover50"].trigger()
    before = workspace.canvas.state
    reached, release = hold_at_first_step(workspace)
    job = workspace.start_completion()
    assert job is not None and workspace.controls.cancel_button.isEnabled()
    assert not workspace.controls.complete_button.isEnabled()  # one completion at a time
    qtbot.waitUntil(reached.is_set, timeout=30000)
    with qtbot.waitSignal(workspace.completionEnded, timeout=30000) as ended:
        qtbot.mouseClick(workspace.controls.cancel_button, Qt.MouseButton.LeftButton)
        release.set()
    assert isinstance(job.error, Cancelled) and ended.args[0] == []
    assert job.done and workspace.job is None
    assert workspace.variants.count() == 0
    assert workspace.canvas.state == before and workspace.canvas.undo_stack.undoText() == "Cover bottom 50%"
    assert "Cancelled" in workspace.controls.hint.text() and workspace.controls.complete_button.isEnabled()


def test_a_model_for_another_palette_is_refused_with_the_reason(workspace, sprites):
    other = pixelrnn.Task(pixelrnn.Config(hidden=8, embed=4), sprites.palette.colors[:10], (20, 20), "cpu")
    workspace.set_task(other, "other palette")
    workspace.tools.actions["cover50"].trigger()
    assert not workspace.controls.complete_button.isEnabled()
    assert "another palette" in workspace.controls.hint.text()


def test_finished_training_run_becomes_the_model(workspace, qtbot, sprites, tmp_path):
    from studio.train.engine import TrainSettings, Trainer

    run_dir = tmp_path / "pixelrnn-run"
    Trainer("pixelrnn", pixelrnn.Config(hidden=8, embed=4), sprites,
            TrainSettings(epochs=1, batch_size=16, max_steps=2, device="cpu", sample_count=4),
            run_dir).run_training()
    with qtbot.waitSignal(workspace.modelChanged, timeout=60000) as changed:
        workspace._on_training_finished({"run": str(run_dir), "checkpoint": "x", "status": "finished"})
    assert isinstance(changed.args[0], pixelrnn.Task) and workspace.task is changed.args[0]
    assert "pixelrnn-run" in workspace.model_label.text()
    workspace.tools.actions["cover50"].trigger()
    assert workspace.controls.complete_button.isEnabled()


def test_a_transformer_run_trains_on_its_own_tab_and_completes_the_canvas(workspace, qtbot, sprites, tmp_path):
    from studio.models import transformer
    from studio.train.engine import TrainSettings, Trainer

    assert [workspace.pages.tabText(i) for i in range(3)] == ["Complete a sprite", "Train PixelRNN",
                                                              "Train transformer"]
    assert workspace.transformer_training.model == "transformer"
    run_dir = tmp_path / "transformer-run"
    Trainer("transformer", transformer.Config(n_embd=16, n_head=2, n_layer=1), sprites,
            TrainSettings(epochs=1, batch_size=16, max_steps=2, device="cpu", sample_count=4),
            run_dir).run_training()
    with qtbot.waitSignal(workspace.modelChanged, timeout=60000) as changed:
        workspace.open_run(run_dir)
    assert isinstance(changed.args[0], transformer.Task)
    assert workspace.transformer_training.run_path == run_dir  # its curves, on its own tab
    assert workspace.training.run_path != run_dir
    workspace.browser.select(4)
    workspace.tools.actions["first60"].trigger()  # HW4's task: the last 160 pixels hidden
    workspace.controls.n_variants.setValue(3)
    with qtbot.waitSignal(workspace.completionEnded, timeout=60000) as ended:
        qtbot.mouseClick(workspace.controls.complete_button, Qt.MouseButton.LeftButton)
    completions = ended.args[0]
    assert len(completions) == 3
    for c in completions:
        assert np.array_equal(c.sprite[:12], sprites.indices[4][:12])  # the given 60 % kept


def test_opening_an_image_and_exporting(workspace, tmp_path, sprites):
    rgb = np.full((40, 40, 3), 255, np.uint8)
    rgb[10:30, 10:30] = sprites.palette.colors[3]
    Image.fromarray(rgb).save(tmp_path / "square.png")
    workspace.load_image(tmp_path / "square.png")
    assert set(np.unique(workspace.canvas.state.sprite)) == {3}
    workspace.export_canvas(tmp_path / "canvas.png")
    exported = np.asarray(Image.open(tmp_path / "canvas.png").convert("RGB"))
    assert exported.shape == (320, 320, 3) and (exported == sprites.palette.colors[3]).all()
    with pytest.raises(ValueError, match="no variants"):
        workspace.export_variants(tmp_path / "variants.png")


# --- the model chooser and Compare all models --------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped():
    """The built-in PixelRNN, transformer, diffusion, VAE and GAN, opened once for the module."""
    from studio.session.completion import open_models
    from studio.session.pretrained import shipped_runs

    opened, failed = open_models(shipped_runs("builtin"))
    assert not failed and len(opened) == 5
    return opened


def small_hole(workspace):
    canvas = workspace.canvas
    canvas.apply(canvas.state.set_mask_region(rect_region(canvas.state.shape, 8, 8, 11, 11), True), "hole")
    return canvas.state


def add_models(workspace, models):
    """Put ``models`` in the chooser, the first one chosen."""
    for k, m in enumerate(models):
        workspace.models.add(m, choose=k == 0)


def press_on_a_hole(workspace, qtbot, button, ended, sprite: int, n: int):
    """Sprite ``sprite`` with a small hole, ``n`` variants, ``button`` clicked: (the canvas
    state, what the ``ended`` signal gave) once it ends."""
    workspace.browser.select(sprite)
    state = small_hole(workspace)
    workspace.controls.n_variants.setValue(n)
    with qtbot.waitSignal(ended, timeout=60000) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return state, blocker.args[0]


def chooser_texts(workspace):
    chooser = workspace.model_box.chooser
    return [chooser.itemText(i) for i in range(chooser.count())]


@pytest.mark.parametrize("model", ["vae", "gan", "diffusion"])
def test_choosing_the_vae_gan_or_diffusion_completes_the_canvas_with_it(workspace, qtbot, sprites, shipped, model):
    """The canvas completes with any model (studio/models/inpainting.py), keeping the visible pixels."""
    wait_for_shipped(workspace, qtbot, sprites)
    add_models(workspace, shipped)
    assert chooser_texts(workspace) == ["PixelRNN (built-in creatures)", "Transformer (built-in creatures)", "Diffusion (built-in creatures)",
                                        "VAE (built-in creatures)", "GAN (built-in creatures)"]
    k = [m.model for m in shipped].index(model)
    with qtbot.waitSignal(workspace.modelChanged) as changed:
        workspace.model_box.chooser.activated.emit(k)  # what picking it with the mouse emits
    assert changed.args[0] is shipped[k].task and workspace.model_box.chooser.currentIndex() == k
    assert f"shipped {MODEL_TITLES[model]} model" in workspace.model_label.text()
    state, variants = press_on_a_hole(workspace, qtbot, workspace.controls.complete_button,
                                      workspace.completionEnded, sprite=4, n=3)
    assert len(variants) == 3 and workspace.variants.count() == 3
    for v in variants:
        assert np.array_equal(v.sprite[~state.mask], sprites.indices[4][~state.mask])
    result = workspace.models.variants
    assert result.model == model and result.variants == variants
    assert workspace.results.currentWidget() is workspace.results.variants_page
    caption = workspace.variants_caption.text()
    assert f"{shipped[k].title}</b>: 3 variants in {result.seconds:.2f} s" in caption
    assert shipped[k].score_name in caption
    assert "Higher" in workspace.variants.item(0).toolTip()


def test_compare_shows_the_best_of_every_model_with_name_score_and_time(workspace, qtbot, sprites, shipped):
    wait_for_shipped(workspace, qtbot, sprites)
    add_models(workspace, shipped)
    state, results = press_on_a_hole(workspace, qtbot, workspace.controls.compare_button,
                                     workspace.comparisonEnded, sprite=6, n=2)
    assert [r.title for r in results] == [m.title for m in shipped]
    assert workspace.results.currentWidget() is workspace.results.compare_page  # the row is shown
    assert workspace.compared.count() == 5
    for i, r in enumerate(results):
        item = workspace.compared.item(i)
        assert f"{r.best.score:.1f} · {r.seconds:.2f} s" in item.text() and r.seconds > 0
        assert r.title in item.toolTip() and r.score_name in item.toolTip()
        assert np.array_equal(r.best.sprite[~state.mask], sprites.indices[6][~state.mask])
    assert workspace.canvas.state == state  # comparing edits nothing by itself

    # A model's best goes on the canvas as a variant does: one undoable step, the mask kept.
    item = workspace.compared.item(3)
    QTest.mouseClick(workspace.compared.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     workspace.compared.visualItemRect(item).center())
    assert np.array_equal(workspace.canvas.state.sprite, results[3].best.sprite)
    assert workspace.canvas.undo_stack.undoText() == "Use VAE (built-in creatures)'s best"
    workspace.canvas.undo_stack.undo()
    assert workspace.canvas.state == state


def test_compare_reports_progress_and_cancels(workspace, qtbot, shipped, sprites):
    wait_for_shipped(workspace, qtbot, sprites)
    add_models(workspace, shipped)
    small_hole(workspace)
    before = workspace.canvas.state
    reached, release = hold_at_first_step(workspace)
    job = workspace.start_comparison()
    assert job is not None and job.comparing and len(job.models) == 5
    assert not workspace.controls.compare_button.isEnabled() and not workspace.controls.complete_button.isEnabled()
    qtbot.waitUntil(lambda: "Comparing: PixelRNN (built-in creatures) (1 of 5)" in workspace.controls.hint.text())
    with qtbot.waitSignal(workspace.comparisonEnded, timeout=30000) as ended:
        qtbot.mouseClick(workspace.controls.cancel_button, Qt.MouseButton.LeftButton)
        release.set()
    assert ended.args[0] == [] and workspace.compared.count() == 0
    assert workspace.canvas.state == before and "Cancelled" in workspace.controls.hint.text()
    assert workspace.controls.compare_button.isEnabled()


@pytest.mark.parametrize("model", ["gan", "vae"])
def test_opening_a_gan_or_vae_run_on_the_page_adds_it_to_the_chooser(workspace, qtbot, tiny_runs, model):
    with qtbot.waitSignal(workspace.modelChanged, timeout=60000) as changed:
        workspace.open_run(tiny_runs[model])
    assert type(changed.args[0]).__module__ == f"studio.models.{model}"
    title = f"{model}-tiny · {model.upper()}"
    assert workspace.model_box.chooser.currentText() == title  # the shipped models of the palette beside it
    assert f"{model}-tiny" in workspace.model_label.text()
    small_hole(workspace)
    assert workspace.controls.complete_button.isEnabled() and workspace.controls.compare_button.isEnabled()
    with qtbot.waitSignal(workspace.modelChanged, timeout=60000):
        workspace.open_run(tiny_runs[model])  # opened again: the same entry, not a second one
    assert chooser_texts(workspace).count(title) == 1


def test_on_launch_a_run_asked_for_meanwhile_stays_chosen_and_the_shipped_join(workspace, qtbot, tiny_runs):
    workspace.open_run(tiny_runs["pixelrnn"])  # e.g. `studio RUN_DIR`, before the startup load
    workspace.open_startup_run()
    qtbot.waitUntil(lambda: workspace.model_box.chooser.count() == 6, timeout=60000)  # it and 5 shipped
    assert workspace.models.current.path == tiny_runs["pixelrnn"]
    assert workspace.model_box.chooser.currentText() == "pixelrnn-tiny · PixelRNN"


# --- the race: raster order against diffusion ------------------------------------------------------------
def test_the_race_fills_the_mask_both_ways_and_replays_them_side_by_side_with_their_times(workspace, qtbot,
                                                                                         shipped, sprites):
    add_models(workspace, shipped)
    workspace.browser.select(5)
    state = small_hole(workspace)
    assert workspace.controls.race_button.isEnabled()
    with qtbot.waitSignal(workspace.raceEnded, timeout=60000) as ended:
        qtbot.mouseClick(workspace.controls.race_button, Qt.MouseButton.LeftButton)
    race, panel = ended.args[0], workspace.race_panel
    assert [m.model for m in race.entrants] == ["pixelrnn", "diffusion"]  # the chosen one, and diffusion
    assert workspace.results.currentWidget() is panel and panel.playing
    assert "raster order" in panel.titles[0].text() and "confidence order" in panel.titles[1].text()
    panel.speed_box.setCurrentText("real time")  # slow motion by default
    with qtbot.waitSignal(panel.played, timeout=20000):
        panel.replay()
    for i, frames in enumerate(race.frames):
        assert panel.clocks[i].text() == f"done in {frames.seconds[-1]:.2f} s"
        shown = panel.sprites[i].pixmap().toImage()
        pixel = shown.pixelColor(9 * SCALE + 2, 9 * SCALE + 2)  # inside the hole: the completion's colour now
        assert (pixel.red(), pixel.green(), pixel.blue()) == tuple(sprites.palette.colors[frames.sprite[9, 9]])
    panel.show_at(0.0)  # the start: the hole still hidden in both lanes
    assert all(c.text() == "0.00 s …" for c in panel.clocks)
    assert workspace.canvas.state == state  # racing edits nothing


def test_the_race_needs_a_raster_and_a_diffusion_model(workspace, shipped):
    add_models(workspace, [m for m in shipped if m.model != "diffusion"])
    small_hole(workspace)
    assert not workspace.controls.race_button.isEnabled()
    assert "diffusion model" in workspace.controls.race_button.toolTip()
    assert workspace.start_race() is None


def test_the_idle_progress_bar_says_what_to_do_not_an_empty_box(workspace):
    bar = workspace.controls.progress
    assert bar.text() and "Complete" in bar.text()  # an empty bar reads as a text field
