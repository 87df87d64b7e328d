"""LatentPad: a square you drag a point on, to set two code dimensions at once.

The pad spans [-extent, extent]² (x to the right, y up, like a plot); ``moved(x, y)`` is
emitted while dragging, ``set_point(x, y)`` moves the point without emitting. Faint rings at
1, 2 and 3 standard deviations show where the prior N(0, I) puts its codes.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


class LatentPad(QWidget):
    moved = Signal(float, float)

    def __init__(self, extent: float = 3.0, parent: QWidget | None = None):
        super().__init__(parent)
        self.extent = extent
        self._point = (0.0, 0.0)
        self.x_label, self.y_label = "x", "y"
        self.setMinimumSize(140, 140)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag the point to move along both chosen dimensions at once")

    # --- API -------------------------------------------------------------------------------------
    def point(self) -> tuple[float, float]:
        return self._point

    def set_point(self, x: float, y: float) -> None:
        self._point = (self._clamp(x), self._clamp(y))
        self.update()

    def set_axis_labels(self, x_label: str, y_label: str) -> None:
        self.x_label, self.y_label = x_label, y_label
        self.update()

    def to_widget(self, x: float, y: float) -> QPointF:
        """Code values → a position in this widget (for painting and tests)."""
        r = self._square()
        return QPointF(r.left() + (x + self.extent) / (2 * self.extent) * r.width(),
                       r.bottom() - (y + self.extent) / (2 * self.extent) * r.height())

    def from_widget(self, pos: QPointF) -> tuple[float, float]:
        r = self._square()
        x = (pos.x() - r.left()) / r.width() * 2 * self.extent - self.extent
        y = (r.bottom() - pos.y()) / r.height() * 2 * self.extent - self.extent
        return self._clamp(x), self._clamp(y)

    # --- geometry ------------------------------------------------------------------------------
    def _clamp(self, v: float) -> float:
        return max(-self.extent, min(self.extent, float(v)))

    def _square(self) -> QRectF:
        side = min(self.width(), self.height()) - 24
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    def sizeHint(self) -> QSize:
        return QSize(220, 220)

    # --- events --------------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = self._square()
        p.fillRect(r, QColor("#2b2b2b"))
        centre = self.to_widget(0, 0)
        unit = r.width() / (2 * self.extent)
        p.setPen(QPen(QColor(255, 255, 255, 40), 1))
        for k in range(1, int(self.extent) + 1):  # 1σ, 2σ, 3σ of the prior
            p.drawEllipse(centre, k * unit, k * unit)
        p.setPen(QPen(QColor(255, 255, 255, 90), 1))
        p.drawLine(QPointF(r.left(), centre.y()), QPointF(r.right(), centre.y()))
        p.drawLine(QPointF(centre.x(), r.top()), QPointF(centre.x(), r.bottom()))
        p.setPen(QColor("#bbbbbb"))
        p.drawText(QRectF(r.left(), r.bottom() + 2, r.width(), 20), Qt.AlignmentFlag.AlignRight, self.x_label + " →")
        p.drawText(QRectF(r.left() + 4, r.top() - 20, r.width(), 20), Qt.AlignmentFlag.AlignLeft, "↑ " + self.y_label)
        dot = self.to_widget(*self._point)
        p.setPen(QPen(QColor("#000000"), 2))
        p.setBrush(QColor("#ffcc00"))
        p.drawEllipse(dot, 7, 7)
        p.end()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_to(event.position())

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._drag_to(event.position())

    def _drag_to(self, pos: QPointF) -> None:
        self._point = self.from_widget(pos)
        self.update()
        self.moved.emit(*self._point)
