"""What the model thinks, on the completion canvas: hovering a pixel shows the session's top
colours for it, the surprise map overlays the canvas with its total beside it, an edit is read
again (off the GUI thread), and the transformer's hover draws its attention."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import torch  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtTest import QTest  # noqa: E402

from studio.data import open_dataset  # noqa: E402
from studio.models import pixelrnn, transformer  # noqa: E402
from studio.session.beliefs import SpriteInspector  # noqa: E402

pytestmark = pytest.mark.usefixtures("isolated_app")
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def sprites():
    return open_dataset("builtin:n=48,seed=3")


@pytest.fixture
def workspace(completion_workspace, sprites):
    return completion_workspace(sprites)


def make_task(module, config, sprites):
    return module.Task(config, sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu"))


def test_hover_shows_the_pixels_top_colours_and_the_surprise_map_its_total(qtbot, workspace, sprites):
    task = make_task(pixelrnn, pixelrnn.Config(hidden=8, embed=4), sprites)
    with qtbot.waitSignal(workspace.thoughts.inspected, timeout=WAIT_MS) as shown:
        workspace.set_task(task, "a tiny PixelRNN")
    expected = SpriteInspector()
    expected.set_model(task)
    beliefs = expected.inspect(workspace.canvas.state.sprite)
    assert shown.args[0].total_bits == pytest.approx(beliefs.total_bits, rel=1e-5)
    row, col = 9, 11
    QTest.mouseMove(workspace.canvas, workspace.canvas.cell_center(col, row))
    report = expected.hover(row, col)
    texts = [t.text() for t in workspace.thoughts_box.texts]
    assert [f"#{c}: p = {p:.3f}" for c, p in report.top] == [t.split(" (")[0] for t in texts]
    assert f"{report.bits:.2f} bits" in workspace.thoughts_box.pixel_label.text()
    assert not workspace.canvas.has_overlay()  # PixelRNN has no attention to draw
    workspace.thoughts_box.surprise_check.setChecked(True)
    assert workspace.canvas.has_overlay()
    assert f"{beliefs.total_bits:.1f} bits" in workspace.thoughts_box.total_label.text()
    # Paint a pixel: the model reads the new sprite, on a worker; the total follows.
    state = workspace.canvas.state
    painted = state.sprite.copy()
    painted[0, 0] = (painted[0, 0] + 1) % sprites.num_colors
    with qtbot.waitSignal(workspace.thoughts.inspected, timeout=WAIT_MS) as again:
        workspace.canvas.apply(state.with_sprite(painted), "Paint")
    assert again.args[0].total_bits == pytest.approx(expected.inspect(painted).total_bits, rel=1e-5)
    workspace.thoughts_box.surprise_check.setChecked(False)
    assert not workspace.canvas.has_overlay()


def test_the_transformers_hover_draws_its_attention_and_a_gan_has_no_thoughts(qtbot, workspace, sprites):
    task = make_task(transformer, transformer.Config(n_embd=16, n_head=2, n_layer=2), sprites)
    with qtbot.waitSignal(workspace.thoughts.inspected, timeout=WAIT_MS):
        workspace.set_task(task, "a tiny transformer")
    box = workspace.thoughts_box
    assert box.attention_box.count() == 1 + 2 * (1 + 2)  # the mean, then each layer's mean and heads
    workspace.thoughts.hover(5, 6)
    assert workspace.canvas.has_overlay() and "mean of 2 layers" in box.attention_label.text()
    box.attention_box.setCurrentIndex(3)
    box.attention_box.activated.emit(3)
    assert "layer 1, head 2" in box.attention_label.text()
    from studio.models import gan

    gan_task = gan.Task(gan.Config(z_dim=8, width=8), sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu"))
    workspace.set_task(gan_task, "a tiny GAN")
    assert not box.isEnabled() and "no guess per pixel" in box.status.text()
    assert not workspace.canvas.has_overlay()
