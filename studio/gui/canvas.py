"""The PixelRNN canvas: one sprite shown large and pixel-exact, with a mask painted over it.

:class:`SpriteCanvas` paints the sprite as a QImage scaled by a whole number with no smoothing,
grid lines once a cell is big enough to see them, and the mask as a faded, hatched overlay.
Tools (``canvas.tool``): the mask brush, a rectangle, the eraser (unmask), a paint brush with a
palette colour and an eyedropper. The right mouse button unmasks with the brush and rectangle.

Every edit goes through the canvas's QUndoStack as a :class:`CanvasCommand` holding the state
before and after (a 20×20 sprite and mask are a few hundred bytes). The moves of one drag merge
into one command, so one stroke is one undo step.
"""

from __future__ import annotations

import itertools

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.data.palette import Palette
from studio.gui.canvas_model import CanvasState, brush_region, line_region, rect_region

TOOLS = {
    "mask": "Mask brush: paint the part the model fills in (right button: unmask)",
    "rect": "Rectangle: drag to mask a box (right button: unmask it)",
    "erase": "Eraser: unmask, so the model sees those pixels again",
    "paint": "Paint: colour pixels with the chosen palette colour",
    "pick": "Eyedropper: click a pixel to choose its colour for painting",
}
GRID_MIN_CELL = 8  # screen pixels per sprite pixel from which grid lines help more than clutter
# The mask fades the pixels under it (a white wash keeps their hue, so the creature still reads
# right) and hatches them in magenta; a variant put on the canvas shows through the same way.
MASK_WASH = QColor(255, 255, 255, 90)
MASK_HATCH = QColor(230, 0, 150)
_STROKE_COMMAND_ID = 0x5e7  # QUndoCommand.id(): strokes merge only with their own kind
_stroke_numbers = itertools.count(1)


class CanvasCommand(QUndoCommand):
    """One undo step: the canvas state before and after. Commands of the same stroke merge."""

    def __init__(self, canvas: "SpriteCanvas", before: CanvasState, after: CanvasState, text: str,
                 stroke: int | None = None):
        super().__init__(text)
        self.canvas, self.before, self.after, self.stroke = canvas, before, after, stroke

    def redo(self) -> None:
        self.canvas._show_state(self.after)

    def undo(self) -> None:
        self.canvas._show_state(self.before)

    def id(self) -> int:
        return _STROKE_COMMAND_ID if self.stroke is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, CanvasCommand) or other.stroke != self.stroke:
            return False
        self.after = other.after
        self.setObsolete(self.after == self.before)  # a stroke that changed nothing leaves no step
        return True


class SpriteCanvas(QWidget):
    """The editable sprite + mask. ``state`` is the current :class:`CanvasState` (or None)."""

    #: The new CanvasState after any edit, undo or redo.
    stateChanged = Signal(object)
    #: A colour index the eyedropper picked.
    colorPicked = Signal(int)
    #: The sprite pixel under the mouse changed: (x, y), or (-1, -1) once it left the sprite.
    pixelHovered = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.state: CanvasState | None = None
        self.palette: Palette | None = None
        self.tool = "mask"
        self.brush_size = 1
        self.paint_color = 1
        self.mask_visible = True
        self._image: QImage | None = None
        self._stroke: int | None = None  # the drag in progress
        self._last_cell: tuple[int, int] | None = None
        self._rect_start: tuple[int, int] | None = None
        self._rect_masks = True
        self._hover: tuple[int, int] | None = None
        self._overlay: QImage | None = None  # drawn over the sprite: what the model thinks
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)

    # --- state -------------------------------------------------------------------------------
    def set_sprite(self, sprite: np.ndarray, palette: Palette, text: str = "Load sprite",
                   undoable: bool = True) -> None:
        """Show ``sprite`` (indices into ``palette``) with an empty mask. Undoable unless it is
        a different palette or size (then the history no longer applies and is cleared)."""
        new = CanvasState.unmasked(sprite)
        fits = self.state is not None and self.palette == palette and self.state.shape == new.shape
        self.palette = palette
        if undoable and fits:
            self.apply(new, text)
        else:
            self.undo_stack.clear()
            self._show_state(new)

    def apply(self, new: CanvasState, text: str) -> None:
        """Make ``new`` the state as one undo step (nothing happens if it changes nothing)."""
        if self.state is None or new != self.state:
            self.undo_stack.push(CanvasCommand(self, self.state, new, text))

    def set_overlay(self, rgba: np.ndarray | None) -> None:
        """Draw ``rgba`` (uint8 ``[H, W, 4]``, the sprite's size) over the sprite, under the mask:
        the surprise map or the hovered pixel's attention; None removes it."""
        if rgba is None:
            self._overlay = None
        else:
            rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
            h, w = rgba.shape[:2]
            self._overlay = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
        self.update()

    def has_overlay(self) -> bool:
        return self._overlay is not None

    def set_mask_visible(self, visible: bool) -> None:
        self.mask_visible = visible
        self.update()

    def _show_state(self, state: CanvasState) -> None:
        self.state = state
        rgb = np.ascontiguousarray(self.palette.to_rgb(state.sprite))
        h, w = state.shape
        self._image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.update()
        self.stateChanged.emit(state)

    # --- geometry: sprite pixel <-> widget position -------------------------------------------
    def cell_size(self) -> int:
        """Screen pixels per sprite pixel: the largest whole number that fits (at least 1)."""
        if self.state is None:
            return 1
        h, w = self.state.shape
        return max(1, min((self.width() - 8) // w, (self.height() - 8) // h))

    def sprite_rect(self) -> QRect:
        """Where the sprite is drawn: centred, a whole number of screen pixels per cell."""
        h, w = self.state.shape
        cell = self.cell_size()
        return QRect((self.width() - w * cell) // 2, (self.height() - h * cell) // 2, w * cell, h * cell)

    def cell_at(self, pos) -> tuple[int, int] | None:
        """The sprite pixel (x, y) under a widget position, or None outside the sprite."""
        if self.state is None:
            return None
        rect, cell = self.sprite_rect(), self.cell_size()
        x, y = int((pos.x() - rect.left()) // cell), int((pos.y() - rect.top()) // cell)
        return (x, y) if self.state.contains(x, y) else None

    def cell_center(self, x: int, y: int) -> QPoint:
        """The widget position of sprite pixel (x, y)'s centre (for tests and tooltips)."""
        rect, cell = self.sprite_rect(), self.cell_size()
        return QPoint(rect.left() + x * cell + cell // 2, rect.top() + y * cell + cell // 2)

    def sizeHint(self) -> QSize:
        return QSize(480, 480)

    # --- mouse: one stroke per press ... release -------------------------------------------------
    def mousePressEvent(self, event) -> None:
        cell = self.cell_at(event.position())
        button = event.button()
        if cell is None or self.state is None or button not in (Qt.MouseButton.LeftButton,
                                                                Qt.MouseButton.RightButton):
            return
        right = button == Qt.MouseButton.RightButton
        if self.tool == "pick":
            self.paint_color = int(self.state.sprite[cell[1], cell[0]])
            self.colorPicked.emit(self.paint_color)
        elif self.tool == "rect":
            self._rect_start, self._rect_masks = cell, not right
            self._hover = cell
            self.update()
        else:
            self._stroke, self._last_cell = next(_stroke_numbers), cell
            self._stroke_through(cell, cell, erase=right)

    def mouseMoveEvent(self, event) -> None:
        cell = self.cell_at(event.position())
        if cell is not None and self._stroke is not None and cell != self._last_cell:
            erase = bool(event.buttons() & Qt.MouseButton.RightButton)
            self._stroke_through(self._last_cell, cell, erase)
            self._last_cell = cell
        if cell is not None or self._rect_start is None:  # a rectangle keeps its last corner
            if cell != self._hover:
                self.pixelHovered.emit(*(cell or (-1, -1)))
            self._hover = cell
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._rect_start is not None:
            end = self.cell_at(event.position()) or self._hover or self._rect_start
            region = rect_region(self.state.shape, *self._rect_start, *end)
            text = "Mask rectangle" if self._rect_masks else "Unmask rectangle"
            self.apply(self.state.set_mask_region(region, self._rect_masks), text)
            self._rect_start = None
        self._stroke = self._last_cell = None
        self.update()

    def leaveEvent(self, _event) -> None:
        if self._hover is not None:
            self.pixelHovered.emit(-1, -1)
        self._hover = None
        self.update()

    def _stroke_through(self, start: tuple[int, int], end: tuple[int, int], erase: bool) -> None:
        """Apply the brush tool along start → end as part of the current stroke."""
        region = line_region(self.state.shape, *start, *end, self.brush_size)
        if self.tool == "paint":
            new, text = self.state.paint(region, self.paint_color), "Paint"
        elif self.tool == "erase" or erase:
            new, text = self.state.set_mask_region(region, False), "Erase mask"
        else:
            new, text = self.state.set_mask_region(region, True), "Mask brush"
        if new != self.state:
            self.undo_stack.push(CanvasCommand(self, self.state, new, text, stroke=self._stroke))

    # --- painting --------------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#2b2b2b"))
        if self.state is None or self._image is None:
            p.setPen(QColor("gray"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No sprite yet")
            return
        rect, cell = self.sprite_rect(), self.cell_size()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # pixel-exact
        p.drawImage(rect, self._image)
        if self._overlay is not None:
            p.drawImage(rect, self._overlay)
        if self.mask_visible and self.state.mask.any():
            path = QPainterPath()
            for y, x in zip(*np.nonzero(self.state.mask)):
                path.addRect(rect.left() + int(x) * cell, rect.top() + int(y) * cell, cell, cell)
            path = path.simplified()  # one outline around each masked area, not one per cell
            p.fillPath(path, MASK_WASH)
            p.fillPath(path, QBrush(MASK_HATCH, Qt.BrushStyle.BDiagPattern))
            p.setPen(QPen(MASK_HATCH, 2))
            p.drawPath(path)
        if cell >= GRID_MIN_CELL:
            self._draw_grid(p, rect, cell)
        self._draw_tool_preview(p, rect, cell)
        p.setPen(QPen(QColor(0, 0, 0, 120), 1))
        p.drawRect(rect.adjusted(0, 0, -1, -1))

    def _draw_grid(self, p: QPainter, rect: QRect, cell: int) -> None:
        h, w = self.state.shape
        p.setPen(QPen(QColor(0, 0, 0, 45), 1))
        for x in range(1, w):
            p.drawLine(rect.left() + x * cell, rect.top(), rect.left() + x * cell, rect.bottom())
        for y in range(1, h):
            p.drawLine(rect.left(), rect.top() + y * cell, rect.right(), rect.top() + y * cell)

    def _draw_tool_preview(self, p: QPainter, rect: QRect, cell: int) -> None:
        """The brush footprint under the cursor, or the rectangle being dragged."""
        if self._hover is None or self.tool == "pick":
            return
        if self.tool == "rect":
            start = self._rect_start or self._hover
            region = rect_region(self.state.shape, *start, *self._hover)
        else:
            region = brush_region(self.state.shape, *self._hover, self.brush_size)
        ys, xs = np.nonzero(region)
        box = QRect(rect.left() + int(xs.min()) * cell, rect.top() + int(ys.min()) * cell,
                    (int(xs.max()) - int(xs.min()) + 1) * cell, (int(ys.max()) - int(ys.min()) + 1) * cell)
        p.setPen(QPen(QColor("#ffcc00"), 2, Qt.PenStyle.DashLine if self._rect_start else Qt.PenStyle.SolidLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(box.adjusted(1, 1, -1, -1))
