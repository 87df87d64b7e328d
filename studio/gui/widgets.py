"""Small reusable widgets: a pixel-exact zoomable image view, a palette swatch grid, a
message banner."""

from __future__ import annotations

import contextlib

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QFrame, QGraphicsRectItem, QGroupBox, QHBoxLayout, QLabel, QLayout, QScrollArea,
                               QSizePolicy, QSplitter, QToolButton, QToolTip, QVBoxLayout, QWidget)


class PixelImageView(pg.GraphicsView):
    """A uint8 RGB array shown pixel-exact (nearest neighbour), zoomable and pannable.

    Mouse: wheel zooms around the cursor, left-drag pans, a click emits
    ``pixelClicked(x, y)`` in image pixel coordinates (x = column, y = row).
    ``set_highlight(x, y, w, h)`` draws a rectangle over a region (e.g. the selected sprite).
    """

    pixelClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None, background="#2b2b2b"):
        super().__init__(parent, background=background)
        self.view_box = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.view_box.setDefaultPadding(0.01)
        self.setCentralItem(self.view_box)
        # axisOrder given here (not only via the global config) so arrays are always [row, col].
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view_box.addItem(self.image_item)
        self._highlight = QGraphicsRectItem()
        pen = QPen(QColor("#ffcc00"), 2)
        pen.setCosmetic(True)  # stays 2 screen pixels wide at every zoom
        self._highlight.setPen(pen)
        self._highlight.setZValue(10)
        self._highlight.hide()
        self.view_box.addItem(self._highlight, ignoreBounds=True)
        self._shape: tuple[int, int] = (0, 0)
        self.scene().sigMouseClicked.connect(self._on_scene_click)

    # --- API ---------------------------------------------------------------------------
    def set_image(self, rgb: np.ndarray, auto_range: bool = True) -> None:
        """Show ``rgb`` (uint8 ``[H, W, 3]``, or ``[H, W]`` grey). Keeps the zoom unless
        the image size changed or ``auto_range`` is asked for."""
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        resized = rgb.shape[:2] != self._shape
        self._shape = rgb.shape[:2]
        self.image_item.setImage(rgb, autoLevels=False, levels=(0, 255))
        if auto_range or resized:
            self.auto_range()

    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the shown image."""
        return self._shape

    def clear(self) -> None:
        """Show nothing (the model the image came from is gone)."""
        self.image_item.clear()
        self._shape = (0, 0)
        self.clear_highlight()

    def auto_range(self) -> None:
        """Zoom so the whole image fits."""
        h, w = self._shape
        if h and w:
            self.view_box.setRange(QRectF(0, 0, w, h), padding=0.01)

    def set_highlight(self, x: float, y: float, w: float, h: float) -> None:
        self._highlight.setRect(QRectF(x, y, w, h))
        self._highlight.show()

    def clear_highlight(self) -> None:
        self._highlight.hide()

    def highlight_rect(self) -> QRectF | None:
        return self._highlight.rect() if self._highlight.isVisible() else None

    def image_to_widget(self, x: float, y: float):
        """Image coordinates → a QPoint in this view's viewport (for tests and tooltips)."""
        scene = self.view_box.mapViewToScene(QPointF(x, y))
        return self.mapFromScene(scene)

    # --- internals -----------------------------------------------------------------------
    def _on_scene_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self._shape[0]:
            return
        p = self.view_box.mapSceneToView(event.scenePos())
        x, y = int(np.floor(p.x())), int(np.floor(p.y()))
        if 0 <= x < self._shape[1] and 0 <= y < self._shape[0]:
            event.accept()
            self.pixelClicked.emit(x, y)


class PaletteView(QWidget):
    """A palette as a grid of colour swatches; hover for index and RGB, click to pick.

    ``set_highlighted(indices)`` outlines some colours (e.g. those a selected sprite uses)
    and dims the rest, so they stand out in a 167-colour palette.
    """

    colorClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, swatch: int = 14, gap: int = 2):
        super().__init__(parent)
        self._colors = np.zeros((0, 3), np.uint8)
        self._highlighted: set[int] | None = None
        self._swatch, self._gap = swatch, gap
        self.setMouseTracking(True)
        sp = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)

    def set_colors(self, colors: np.ndarray) -> None:
        self._colors = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
        self._highlighted = None
        self.updateGeometry()
        self.update()

    def set_highlighted(self, indices) -> None:
        """Outline these colour indices and dim the others; ``None`` shows all plainly."""
        self._highlighted = None if indices is None else {int(i) for i in indices}
        self.update()

    def highlighted(self) -> set[int] | None:
        return self._highlighted

    # --- layout: as many columns as fit the width ------------------------------------------
    def _columns(self, width: int | None = None) -> int:
        step = self._swatch + self._gap
        return max(1, ((width if width is not None else self.width()) - self._gap) // step)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        rows = -(-len(self._colors) // self._columns(width)) if len(self._colors) else 1
        return rows * (self._swatch + self._gap) + self._gap

    def sizeHint(self) -> QSize:
        return QSize(16 * (self._swatch + self._gap) + self._gap, self.heightForWidth(16 * (self._swatch + self._gap)))

    def minimumSizeHint(self) -> QSize:
        return QSize(4 * (self._swatch + self._gap), self._swatch + 2 * self._gap)

    def index_at(self, x: int, y: int) -> int | None:
        step = self._swatch + self._gap
        col, row = (x - self._gap) // step, (y - self._gap) // step
        if col < 0 or row < 0 or col >= self._columns():
            return None
        i = row * self._columns() + col
        return i if i < len(self._colors) else None

    def swatch_rect(self, i: int) -> QRectF:
        step = self._swatch + self._gap
        row, col = divmod(i, self._columns())
        return QRectF(self._gap + col * step, self._gap + row * step, self._swatch, self._swatch)

    # --- events ------------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        hl = self._highlighted
        outline = QPen(QColor("#ffcc00"), 2)
        for i, (r, g, b) in enumerate(self._colors):
            rect = self.swatch_rect(i)
            color = QColor(int(r), int(g), int(b))
            if hl is not None and i not in hl:
                color.setAlpha(45)  # dimmed: not used by the selection
            p.fillRect(rect, color)
            if hl is not None and i in hl:
                p.setPen(outline)
                p.drawRect(rect.adjusted(-1, -1, 1, 1))
            else:
                p.setPen(QPen(QColor(0, 0, 0, 60), 1))
                p.drawRect(rect)
        p.end()

    def event(self, event) -> bool:
        if event.type() == event.Type.ToolTip:
            i = self.index_at(int(event.pos().x()), int(event.pos().y()))
            if i is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_text(i), self)
            return True
        return super().event(event)

    def tooltip_text(self, i: int) -> str:
        r, g, b = (int(v) for v in self._colors[i])
        extra = " (background)" if i == 0 else ""
        return f"index {i}{extra}\nRGB {r} {g} {b}  #{r:02x}{g:02x}{b:02x}"

    def mouseReleaseEvent(self, event) -> None:
        i = self.index_at(int(event.position().x()), int(event.position().y()))
        if i is not None and event.button() == Qt.MouseButton.LeftButton:
            self.colorClicked.emit(i)


def rgb_to_pixmap(rgb: np.ndarray, scale: int = 1) -> QPixmap:
    """uint8 RGB ``[H, W, 3]`` → QPixmap, upscaled by ``scale`` without smoothing."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()  # copy: own the bytes
    if scale != 1:
        image = image.scaled(w * scale, h * scale, Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.FastTransformation)
    return QPixmap.fromImage(image)


def side_column(widgets, min_width: int, margin: int = 4) -> QScrollArea:
    """A workspace's right-hand column: boxes stacked at the top, scrolling vertically when
    the window is short, never sideways."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(margin, 0, margin, 0)
    for widget in widgets:
        layout.addWidget(widget)
    layout.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidget(column)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setMinimumWidth(min_width)
    return scroll


def group_box(title: str, *items: QWidget | QLayout) -> QGroupBox:
    """A titled box of ``items``, widgets and layouts, stacked top to bottom."""
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for item in items:
        if isinstance(item, QLayout):
            layout.addLayout(item)
        else:
            layout.addWidget(item)
    return box


def splitter(*widgets: QWidget, stretch=(), sizes=None,
             orientation: Qt.Orientation = Qt.Orientation.Horizontal) -> QSplitter:
    """``widgets`` side by side (or stacked, ``orientation``) with borders the user drags:
    ``stretch``, each one's share of the room a resize adds (Qt's stretch factors, in order);
    ``sizes``, their first widths (or heights)."""
    split = QSplitter(orientation)
    for widget in widgets:
        split.addWidget(widget)
    for i, factor in enumerate(stretch):
        split.setStretchFactor(i, factor)
    if sizes:
        split.setSizes(list(sizes))
    return split


class Banner(QFrame):
    """A coloured one-message strip with a close button (warnings and errors)."""

    def __init__(self, background: str, foreground: str, parent=None):
        super().__init__(parent)
        self.setStyleSheet(f"Banner {{ background: {background}; border-radius: 4px; }} "
                           f"QLabel {{ color: {foreground}; }} QToolButton {{ color: {foreground}; "
                           f"border: none; font-weight: bold; }}")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(self.label, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()


class SquareImageView(PixelImageView):
    """The sample grid's view: as tall as it is wide, so the grid fills it."""

    def __init__(self):
        super().__init__()
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width


EXPORT_FOLDER_KEY = "exports/folder"  # QSettings: where the last export went


def export_folder() -> Path:
    """Where an export dialog starts: the folder of the last export, else the user's Pictures
    folder (or home), never the working directory the app happened to start in."""
    from PySide6.QtCore import QSettings, QStandardPaths

    last = QSettings().value(EXPORT_FOLDER_KEY, "", type=str)
    if last and Path(last).is_dir():
        return Path(last)
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures) if pictures and Path(pictures).is_dir() else Path.home()


def remember_export_folder(path: str | Path) -> None:
    from PySide6.QtCore import QSettings

    QSettings().setValue(EXPORT_FOLDER_KEY, str(Path(path).parent))


@contextlib.contextmanager
def signals_blocked(*widgets):
    """``with signals_blocked(a, b):`` — the widgets emit nothing inside (a view filling itself
    from its state must not echo the change back as a user's edit); Qt's QSignalBlocker, for
    several widgets at once, restored however the block exits."""
    with contextlib.ExitStack() as stack:
        for widget in widgets:
            stack.enter_context(QSignalBlocker(widget))
        yield
