"""The Toy GAN's 2-D picture, as GAN Lab draws it: D's output as a heat map over the plane (green
"real", purple "fake", white "can't tell"), the data's points, G's points (the same noise every
frame, so each point is seen to move) and, on request, the arrows of where D's slope pushes each
of G's points. In drawing mode a click or a drag adds data points instead.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal

from studio.session.toygan import DRAW_SPAN, ToySnapshot2D

# A diverging map: D's 0 (fake) purple, ½ white, 1 (real) green — GAN Lab's colours.
HEAT_MAP = pg.ColorMap([0.0, 0.5, 1.0], [(118, 42, 131), (247, 247, 247), (27, 120, 55)])
REAL_BRUSH, FAKE_BRUSH = pg.mkBrush(20, 90, 40, 200), pg.mkBrush(150, 40, 170, 220)
DRAWN_BRUSH = pg.mkBrush(20, 90, 40, 230)
ARROW_SCALE = 0.15  # an arrow's length per unit of push, in plane units (the pushes are ~1)
DRAW_STEP = 0.06  # a drag adds a point each time it has moved this far (plane units)


class DrawingViewBox(pg.ViewBox):
    """A ViewBox that, while ``drawing``, turns clicks and drags into points (``pointAdded``)
    instead of panning."""

    pointAdded = Signal(float, float)

    def __init__(self):
        super().__init__(lockAspect=True, enableMenu=False)
        self.drawing = False
        self._last: tuple[float, float] | None = None

    def mouseClickEvent(self, ev) -> None:
        if self.drawing and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            p = self.mapSceneToView(ev.scenePos())
            self.pointAdded.emit(p.x(), p.y())
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if not (self.drawing and ev.button() == Qt.MouseButton.LeftButton):
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        if ev.isStart() or self._last is None or np.hypot(p.x() - self._last[0], p.y() - self._last[1]) >= DRAW_STEP:
            self._last = (p.x(), p.y())
            self.pointAdded.emit(p.x(), p.y())
        if ev.isFinish():
            self._last = None


class PlaneView(pg.PlotWidget):
    """The 2-D game: ``show(snapshot)``; ``show_drawing(points)`` in drawing mode."""

    def __init__(self, parent=None):
        self.box = DrawingViewBox()
        super().__init__(parent, viewBox=self.box, background="w")
        self.heat = pg.ImageItem(axisOrder="row-major")  # the snapshot's rows are y
        self.heat.setColorMap(HEAT_MAP)
        self.real = pg.ScatterPlotItem(size=4, pen=None, brush=REAL_BRUSH, pxMode=True)
        self.fake = pg.ScatterPlotItem(size=5, pen=None, brush=FAKE_BRUSH, pxMode=True)
        self.arrows = pg.PlotDataItem(pen=pg.mkPen((60, 60, 60, 160), width=1), connect="pairs")
        self.drawn = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w"), brush=DRAWN_BRUSH, pxMode=True)
        for item in (self.heat, self.real, self.fake, self.arrows, self.drawn):
            self.addItem(item)
        self.setLabel("bottom", "x₁")
        self.setLabel("left", "x₂")
        self.show_arrows = False
        self._span: tuple[float, float] | None = None

    def show_snapshot(self, snap: ToySnapshot2D, levels: tuple[float, float] | None = None) -> None:
        """D's heat map under the data and G's points. ``levels``: the heat map's value range
        (None: the snapshot's own, for a critic without a fixed scale)."""
        lo, hi = snap.span
        heat = snap.discriminator
        if levels is None:
            mid, reach = float(np.median(heat)), float(np.abs(heat - np.median(heat)).max()) or 1.0
            levels = (mid - reach, mid + reach)  # white at the median: above it "more real"
        self.heat.setImage(heat, autoLevels=False, levels=levels)
        self.heat.setRect(QRectF(lo, lo, hi - lo, hi - lo))
        self.real.setData(pos=snap.real)
        self.fake.setData(pos=snap.fake)
        if self.show_arrows and snap.push is not None:
            ends = snap.fake + ARROW_SCALE * snap.push
            self.arrows.setData(np.stack([snap.fake[:, 0], ends[:, 0]], 1).ravel(),
                                np.stack([snap.fake[:, 1], ends[:, 1]], 1).ravel())
        else:
            self.arrows.setData([], [])
        self.drawn.setData([])
        if self._span != (lo, hi):
            self._span = (lo, hi)
            self.setRange(QRectF(lo, lo, hi - lo, hi - lo), padding=0)

    def show_drawing(self, points: np.ndarray) -> None:
        """Drawing mode: the user's points on an empty plane (DRAW_SPAN)."""
        self.heat.clear()
        for item in (self.real, self.fake):
            item.setData([])
        self.arrows.setData([], [])
        self.drawn.setData(pos=np.asarray(points, dtype=float).reshape(-1, 2))
        lo, hi = DRAW_SPAN
        if self._span != (lo, hi):
            self._span = (lo, hi)
            self.setRange(QRectF(lo, lo, hi - lo, hi - lo), padding=0)
