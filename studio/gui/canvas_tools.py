"""The canvas's tool bars: drawing tools and brush size, quick masks, undo/redo.

The icons are drawn here with QPainter in the canvas's own mask style (magenta hatching), so
they look the same on every platform and say what the tool does to the mask.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (QAction, QActionGroup, QBrush, QColor, QIcon, QKeySequence, QPainter,
                           QPainterPath, QPen, QPixmap)
from PySide6.QtWidgets import QLabel, QSpinBox, QToolBar

from studio.gui.canvas import MASK_HATCH, TOOLS, SpriteCanvas
from studio.gui.canvas_model import BRUSH_SIZES

ICON = 28
TOOL_LABELS = {"mask": "Mask", "rect": "Rectangle", "erase": "Eraser", "paint": "Paint", "pick": "Pick colour"}
TOOL_KEYS = {"mask": "M", "rect": "R", "erase": "E", "paint": "P", "pick": "I"}
_INK = QColor("#404040")  # dark on the light tool bar; Qt greys it out when an action is disabled


def _hatched(p: QPainter, rect: QRectF) -> None:
    p.fillRect(rect, QColor("#f6d2e8"))
    p.fillRect(rect, QBrush(MASK_HATCH, Qt.BrushStyle.BDiagPattern))


def _frame(p: QPainter) -> QRectF:
    """The sprite outline most icons share."""
    r = QRectF(4, 4, ICON - 8, ICON - 8)
    p.fillRect(r, QColor("#6a8caf"))
    return r


def tool_icon(name: str) -> QIcon:
    """An icon for a tool or a mask command: ``mask``, ``rect``, ``erase``, ``paint``, ``pick``,
    ``cover50``, ``cover75``, ``first60``, ``invert``, ``clear``, ``undo``, ``redo``."""
    pix = QPixmap(ICON, ICON)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    if name == "mask":  # a round brush dab of mask
        path = QPainterPath()
        path.addEllipse(QRectF(5, 5, 18, 18))
        p.fillPath(path, QColor("#f6d2e8"))
        p.fillPath(path, QBrush(MASK_HATCH, Qt.BrushStyle.BDiagPattern))
        p.setPen(QPen(MASK_HATCH, 2))
        p.drawPath(path)
    elif name == "rect":
        r = QRectF(4, 7, 20, 14)
        _hatched(p, r)
        p.setPen(QPen(QColor("#ffcc00"), 2, Qt.PenStyle.DashLine))
        p.drawRect(r)
    elif name == "erase":  # a tilted eraser
        p.translate(14, 14)
        p.rotate(-35)
        p.setPen(QPen(_INK, 1.5))
        p.setBrush(QColor("#f3a6c8"))
        p.drawRoundedRect(QRectF(-10, -5, 12, 10), 2, 2)
        p.setBrush(QColor("#f5f5f5"))
        p.drawRoundedRect(QRectF(2, -5, 8, 10), 2, 2)
    elif name == "paint":  # a brush with a coloured tip
        p.setPen(QPen(QColor("#c8a165"), 4))
        p.drawLine(QPointF(22, 5), QPointF(13, 15))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#e04040"))
        p.drawEllipse(QRectF(5, 15, 9, 9))
    elif name == "pick":  # an eyedropper
        p.setPen(QPen(_INK, 3))
        p.drawLine(QPointF(6, 22), QPointF(17, 11))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_INK)
        p.drawEllipse(QRectF(16, 4, 8, 8))
        p.setBrush(QColor("#e04040"))
        p.drawEllipse(QRectF(4, 20, 4, 4))
    elif name in ("cover50", "cover75", "first60"):  # the bottom of a sprite hidden
        r = _frame(p)
        part = {"cover50": 0.5, "cover75": 0.75, "first60": 0.4}[name]
        _hatched(p, QRectF(r.left(), r.bottom() - part * r.height(), r.width(), part * r.height()))
        p.setPen(QPen(_INK, 1))
        p.drawRect(r)
    elif name == "invert":
        r = _frame(p)
        _hatched(p, QRectF(r.left(), r.top(), r.width() / 2, r.height()))
        p.setPen(QPen(_INK, 1))
        p.drawRect(r)
        p.setPen(QPen(QColor("white"), 2))
        p.drawLine(QPointF(r.center().x(), r.top()), QPointF(r.center().x(), r.bottom()))
    elif name == "clear":
        r = _frame(p)
        p.setPen(QPen(_INK, 1))
        p.drawRect(r)
        p.setPen(QPen(QColor("#ff5555"), 2.5))
        p.drawLine(r.topLeft() + QPointF(4, 4), r.bottomRight() - QPointF(4, 4))
        p.drawLine(r.topRight() + QPointF(-4, 4), r.bottomLeft() + QPointF(4, -4))
    elif name in ("undo", "redo"):  # a curved arrow
        if name == "redo":
            p.translate(ICON, 0)
            p.scale(-1, 1)
        path = QPainterPath(QPointF(22, 21))
        path.cubicTo(QPointF(22, 9), QPointF(12, 7), QPointF(7, 12))
        p.setPen(QPen(_INK, 2.5))
        p.drawPath(path)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_INK)
        head = QPainterPath(QPointF(3, 8))
        head.lineTo(QPointF(11, 9))
        head.lineTo(QPointF(5, 16))
        head.closeSubpath()
        p.drawPath(head)
    else:
        raise ValueError(f"no icon named {name!r}")
    p.end()
    return QIcon(pix)


def _bar(title: str) -> QToolBar:
    bar = QToolBar(title)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
    bar.setMovable(False)
    bar.setIconSize(QSize(ICON, ICON))
    return bar


class CanvasToolBars:
    """Two tool bars for a :class:`SpriteCanvas`: ``draw_bar`` (tools, brush size) and
    ``mask_bar`` (cover the bottom, invert, clear, undo, redo). ``actions`` maps names to the
    QActions (tests and the workspace trigger them); the tool actions are exclusive."""

    def __init__(self, canvas: SpriteCanvas, parent):
        self.canvas = canvas
        self.actions: dict[str, QAction] = {}
        self.draw_bar = _bar("Draw")
        self.mask_bar = _bar("Mask")

        self.tool_group = QActionGroup(parent)
        self.tool_group.setExclusive(True)
        for name, tip in TOOLS.items():
            action = QAction(tool_icon(name), TOOL_LABELS[name], parent)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(TOOL_KEYS[name]))
            action.setToolTip(f"{tip}  [{TOOL_KEYS[name]}]")
            action.triggered.connect(lambda _=False, n=name: self.set_tool(n))
            self.tool_group.addAction(action)
            self.draw_bar.addAction(action)
            self.actions[name] = action
        self.actions[canvas.tool].setChecked(True)
        self.draw_bar.addSeparator()
        self.draw_bar.addWidget(QLabel(" Brush size "))
        self.brush_size = QSpinBox()
        self.brush_size.setRange(min(BRUSH_SIZES), max(BRUSH_SIZES))
        self.brush_size.setSuffix(" px")
        self.brush_size.setToolTip("Side of the square brush, in sprite pixels (mask, eraser, paint)")
        self.brush_size.valueChanged.connect(lambda v: setattr(canvas, "brush_size", v))
        self.draw_bar.addWidget(self.brush_size)

        def command(name: str, text: str, tip: str, slot, shortcut=None) -> QAction:
            action = QAction(tool_icon(name), text, parent)
            action.setToolTip(tip)
            action.triggered.connect(slot)
            if shortcut is not None:
                action.setShortcut(shortcut)
            self.mask_bar.addAction(action)
            self.actions[name] = action
            return action

        command("cover50", "Cover 50 %", "Mask the bottom half of the sprite (the lecture's exercise)",
                lambda: self.cover_bottom(0.5))
        command("cover75", "Cover 75 %", "Mask the bottom three quarters of the sprite",
                lambda: self.cover_bottom(0.75))
        command("first60", "Given 60 %", "HW4's task: keep the first 60 % of the pixels (240 of 400, "
                "row by row) and mask the rest", lambda: self.cover_bottom(0.4))
        command("invert", "Invert", "Mask what is visible and show what is masked", self.invert)
        command("clear", "Clear mask", "Unmask every pixel", self.clear)
        self.mask_bar.addSeparator()
        undo, redo = canvas.undo_stack.createUndoAction(parent), canvas.undo_stack.createRedoAction(parent)
        for name, action, key in (("undo", undo, QKeySequence.StandardKey.Undo),
                                  ("redo", redo, QKeySequence.StandardKey.Redo)):
            action.setIcon(tool_icon(name))
            action.setShortcut(key)
            action.setIconText(name.capitalize())
            self.mask_bar.addAction(action)
            self.actions[name] = action

    def set_tool(self, name: str) -> None:
        self.canvas.tool = name
        self.actions[name].setChecked(True)
        self.canvas.update()

    # --- whole-mask commands ----------------------------------------------------------------------
    def cover_bottom(self, fraction: float) -> None:
        from studio.session.completion import cover_bottom  # torch: imported on first use

        state = self.canvas.state
        if state is not None:
            self.canvas.apply(state.with_mask(cover_bottom(state.shape, fraction)),
                              f"Cover bottom {fraction:.0%}")

    def invert(self) -> None:
        if self.canvas.state is not None:
            self.canvas.apply(self.canvas.state.inverted(), "Invert mask")

    def clear(self) -> None:
        if self.canvas.state is not None:
            self.canvas.apply(self.canvas.state.cleared(), "Clear mask")
