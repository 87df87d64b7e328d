"""The PixelRNN canvas: masking with the mouse, the mask commands, painting, undo/redo."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QKeySequence, QMouseEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from studio.data.palette import Palette  # noqa: E402
from studio.gui.canvas import SpriteCanvas  # noqa: E402
from studio.gui.canvas_model import (CanvasState, brush_region, line_region, rect_region,  # noqa: E402
                                     sprite_from_image)
from studio.gui.canvas_tools import CanvasToolBars  # noqa: E402

PALETTE = Palette(np.array([[255, 255, 255], [200, 40, 40], [40, 200, 40], [40, 40, 200], [0, 0, 0]]))
LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton


def make_sprite(h=20, w=20) -> np.ndarray:
    return (np.arange(h * w).reshape(h, w) % 4).astype(np.uint8)


@pytest.fixture
def canvas(qtbot):
    host = QWidget()  # owns the tool bars' actions, as the workspace does
    canvas = SpriteCanvas(host)
    host.tools = CanvasToolBars(canvas, host)
    canvas.host = host  # the fixture hands out the canvas: keep its parent alive with it
    qtbot.addWidget(host)
    host.resize(420, 420)
    canvas.resize(420, 420)
    host.show()
    qtbot.waitExposed(host)
    canvas.set_sprite(make_sprite(), PALETTE, undoable=False)
    return canvas


def drag(canvas, cells, button=LEFT):
    """Press on the first cell, move through the others, release on the last."""
    points = [canvas.cell_center(x, y) for x, y in cells]
    QTest.mousePress(canvas, button, Qt.KeyboardModifier.NoModifier, points[0])
    for p in points[1:]:
        # QTest.mouseMove sends no button state: send the move the way a real drag does.
        event = QMouseEvent(QEvent.Type.MouseMove, QPointF(p), QPointF(canvas.mapToGlobal(p)),
                            Qt.MouseButton.NoButton, button, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(canvas, event)
    QTest.mouseRelease(canvas, button, Qt.KeyboardModifier.NoModifier, points[-1])


def cells_of(mask):
    return {(int(x), int(y)) for y, x in zip(*np.nonzero(mask))}


# --- the Qt-free model -------------------------------------------------------------------------
def test_brush_and_rect_regions():
    assert cells_of(brush_region((20, 20), 5, 5, 1)) == {(5, 5)}
    assert cells_of(brush_region((20, 20), 5, 5, 3)) == {(x, y) for x in (4, 5, 6) for y in (4, 5, 6)}
    assert brush_region((20, 20), 0, 0, 4).sum() == 9  # clipped at the corner: 3×3 of the 4×4 left
    assert cells_of(rect_region((20, 20), 7, 3, 2, 5)) == {(x, y) for x in range(2, 8) for y in range(3, 6)}
    # A fast drag skips cells between mouse moves; the stroke must not have gaps.
    assert cells_of(line_region((20, 20), 0, 0, 6, 3, 1)) >= {(0, 0), (6, 3)}
    assert line_region((20, 20), 0, 0, 6, 3, 1).sum() == 7
    with pytest.raises(ValueError, match="brush size"):
        brush_region((20, 20), 1, 1, 5)


def test_states_are_values():
    state = CanvasState.unmasked(make_sprite())
    masked = state.set_mask_region(rect_region(state.shape, 0, 0, 1, 1), True)
    assert masked.mask.sum() == 4 and not state.mask.any()  # the old state is untouched
    assert masked.inverted().mask.sum() == 396 and masked.cleared() == state
    with pytest.raises(ValueError):
        state.sprite[0, 0] = 3  # read-only: a command's snapshot cannot change under it
    with pytest.raises(ValueError, match="same shape"):
        CanvasState(np.zeros((4, 4)), np.zeros((4, 5)))


def test_image_file_is_framed_and_mapped_to_the_palette(tmp_path):
    from PIL import Image

    rgb = np.full((64, 64, 3), 255, np.uint8)
    rgb[16:48, 16:48] = (205, 45, 38)  # a red square: nearest palette colour is index 1
    Image.fromarray(rgb).save(tmp_path / "red.png")
    sprite = sprite_from_image(tmp_path / "red.png", PALETTE, (20, 20))
    assert sprite.shape == (20, 20) and set(np.unique(sprite)) == {1}  # framed on the creature

    (tmp_path / "bad.png").write_text("not an image")
    from studio.errors import DatasetError
    with pytest.raises(DatasetError, match="bad.png"):
        sprite_from_image(tmp_path / "bad.png", PALETTE, (20, 20))


# --- the widget -----------------------------------------------------------------------------------
def test_the_sprite_is_drawn_pixel_exact_with_the_mask_over_it(canvas):
    cell = canvas.cell_size()
    assert cell >= 16  # "large": 20 pixels fill a 420-pixel widget
    canvas.apply(canvas.state.set_mask_region(rect_region((20, 20), 10, 0, 19, 19), True), "mask")
    image = canvas.grab().toImage()
    for x, y in [(0, 0), (3, 7), (9, 19)]:
        for dx, dy in [(2, 2), (cell - 3, cell - 3)]:  # inside the cell, clear of grid lines
            rect = canvas.sprite_rect()
            got = image.pixelColor(rect.left() + x * cell + dx, rect.top() + y * cell + dy)
            assert got == QColor(*PALETTE.colors[canvas.state.sprite[y, x]])
    # A masked cell is tinted: no longer its own colour.
    center = canvas.cell_center(15, 5)
    assert image.pixelColor(center) != QColor(*PALETTE.colors[canvas.state.sprite[5, 15]])


def test_brush_stroke_masks_cells_and_is_one_undo_step(canvas):
    before = canvas.state
    drag(canvas, [(2, 2), (3, 2), (6, 2), (6, 4)])
    assert cells_of(canvas.state.mask) == {(x, 2) for x in range(2, 7)} | {(6, 3), (6, 4)}
    assert canvas.undo_stack.count() == 1  # the whole drag is one step
    after = canvas.state
    canvas.undo_stack.undo()
    assert canvas.state == before
    canvas.undo_stack.redo()
    assert canvas.state == after


def test_brush_size_and_two_strokes_are_two_steps(canvas):
    canvas.brush_size = 3
    drag(canvas, [(5, 5)])
    canvas.brush_size = 1
    drag(canvas, [(15, 15), (16, 15)])
    assert cells_of(canvas.state.mask) == ({(x, y) for x in (4, 5, 6) for y in (4, 5, 6)}
                                           | {(15, 15), (16, 15)})
    assert canvas.undo_stack.count() == 2
    canvas.undo_stack.undo()
    assert cells_of(canvas.state.mask) == {(x, y) for x in (4, 5, 6) for y in (4, 5, 6)}


def test_rectangle_and_eraser(canvas):
    canvas.tool = "rect"
    drag(canvas, [(3, 4), (6, 5), (8, 9)])
    assert cells_of(canvas.state.mask) == {(x, y) for x in range(3, 9) for y in range(4, 10)}
    canvas.tool = "erase"
    drag(canvas, [(3, 4), (4, 4)])
    assert canvas.state.mask.sum() == 6 * 6 - 2 and not canvas.state.mask[4, 3:5].any()
    canvas.tool = "rect"
    drag(canvas, [(3, 5), (8, 9)], button=RIGHT)  # right button: unmask a box
    assert cells_of(canvas.state.mask) == {(x, 4) for x in range(5, 9)}
    assert canvas.undo_stack.count() == 3
    for _ in range(3):
        canvas.undo_stack.undo()
    assert not canvas.state.mask.any()


def test_a_stroke_that_changes_nothing_leaves_no_undo_step(canvas):
    canvas.tool = "erase"
    drag(canvas, [(1, 1), (2, 1)])
    assert canvas.undo_stack.count() == 0


def test_mask_commands_and_shortcuts(canvas, qtbot):
    tools = canvas.host.tools
    tools.actions["cover75"].trigger()
    assert canvas.state.mask[5:].all() and not canvas.state.mask[:5].any()  # the bottom 15 rows
    tools.actions["cover50"].trigger()
    assert canvas.state.mask.sum() == 200 and canvas.state.mask[10:].all()
    tools.actions["invert"].trigger()
    assert canvas.state.mask[:10].all() and not canvas.state.mask[10:].any()
    tools.actions["clear"].trigger()
    assert not canvas.state.mask.any()
    tools.actions["first60"].trigger()  # HW4: the first 240 pixels given, the last 160 hidden
    assert canvas.state.mask.sum() == 160 and canvas.state.mask[12:].all() and not canvas.state.mask[:12].any()
    assert tools.actions["undo"].shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert tools.actions["redo"].shortcut() == QKeySequence(QKeySequence.StandardKey.Redo)
    tools.actions["undo"].trigger()
    assert not canvas.state.mask.any()  # undo takes the HW4 mask back off
    tools.actions["undo"].trigger()
    tools.actions["undo"].trigger()
    assert canvas.state.mask.sum() == 200 and canvas.state.mask[10:].all()  # back to cover 50 %
    tools.actions["redo"].trigger()
    assert canvas.state.mask[:10].all() and not canvas.state.mask[10:].any()
    assert canvas.undo_stack.undoText() == "Invert mask"


def test_paint_a_pixel_and_undo_it(canvas):
    original = canvas.state.sprite.copy()
    canvas.host.tools.set_tool("paint")
    canvas.paint_color = 4
    drag(canvas, [(7, 8)])
    expected = original.copy()
    expected[8, 7] = 4
    assert np.array_equal(canvas.state.sprite, expected) and not canvas.state.mask.any()
    assert canvas.grab().toImage().pixelColor(canvas.cell_center(7, 8)) == QColor(0, 0, 0)
    canvas.undo_stack.undo()
    assert np.array_equal(canvas.state.sprite, original)


def test_eyedropper_picks_the_colour_under_the_cursor(canvas, qtbot):
    canvas.tool = "pick"
    y, x = 3, 6
    with qtbot.waitSignal(canvas.colorPicked) as picked:
        QTest.mouseClick(canvas, LEFT, Qt.KeyboardModifier.NoModifier, canvas.cell_center(x, y))
    assert picked.args == [int(canvas.state.sprite[y, x])] and canvas.paint_color == picked.args[0]
    assert canvas.undo_stack.count() == 0  # picking edits nothing


def test_loading_another_sprite_is_undoable(canvas):
    canvas.host.tools.actions["cover50"].trigger()
    other = np.full((20, 20), 2, np.uint8)
    canvas.set_sprite(other, PALETTE, "Load sprite #7")
    assert np.array_equal(canvas.state.sprite, other) and not canvas.state.mask.any()
    canvas.undo_stack.undo()
    assert np.array_equal(canvas.state.sprite, make_sprite()) and canvas.state.mask.sum() == 200


def test_undo_and_redo_look_enabled_exactly_when_there_is_something_to_undo_or_redo(canvas, qtbot):
    tools = canvas.host.tools
    bar = tools.mask_bar
    bar.setParent(canvas.host)
    bar.show()
    qtbot.waitExposed(bar)

    def icon_ink(name) -> float:
        """The darkest grey in the button's icon (not its label): low means drawn in ink."""
        QApplication.processEvents()
        image = bar.widgetForAction(tools.actions[name]).grab().toImage()
        icon_rows = range(2, 34)  # the 28-pixel icon sits above the text
        return min(QColor(image.pixelColor(x, y)).lightness() for y in icon_rows for x in range(image.width()))

    assert icon_ink("undo") > 120 and icon_ink("redo") > 120  # nothing to undo: greyed out
    tools.invert()
    assert tools.actions["undo"].isEnabled() and icon_ink("undo") < 90 and icon_ink("redo") > 120
    canvas.undo_stack.undo()
    assert icon_ink("undo") > 120 and icon_ink("redo") < 90
