"""What the model thinks, on the completion canvas: a view over
:class:`studio.session.beliefs.SpriteInspector`.

Hover a pixel of the canvas and the box shows the chosen model's guess there — its likeliest
colours as swatches with their probabilities (and bits), and how surprised it was by the colour
that is there. *Surprise map* colours every pixel by that surprise (−log2 p, in bits; inferno:
dark = expected, bright = surprising) with the sprite's total beside it. For the transformer,
the hovered pixel's attention over the earlier pixels is drawn on the canvas (one layer and
head, or their mean).

The model reads the whole sprite in one pass (milliseconds to a second for a diffusion model),
run on a worker after every edit (``Latest``: a burst of strokes computes only the newest
sprite; on a pool of its own, so it never holds up a completion or a run being opened); a hover
only reads the result, on the GUI thread.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from studio.errors import describe_error
from studio.gui.widgets import signals_blocked
from studio.gui.workers import Latest, view_pool
from studio.session.beliefs import TOP_COLOURS, SpriteInspector, has_beliefs

SURPRISE_ALPHA = 235  # the map hides the sprite almost fully: its colours would read as heat
ATTENTION_RGB = (0, 200, 255)
HOVER_HINT = "Hover a pixel of the canvas to see what the model guessed there."


def surprise_overlay(bits: np.ndarray) -> np.ndarray:
    """[H, W] bits → RGBA inferno, 0 bits black, the sprite's most surprising pixel brightest."""
    top = max(float(np.nanmax(bits)), 1e-9)
    rgba = pg.colormap.get("inferno").map(np.clip(bits / top, 0, 1).ravel(), mode="byte")
    rgba = rgba.reshape(*bits.shape, 4).astype(np.uint8)
    rgba[..., 3] = SURPRISE_ALPHA
    return rgba


def attention_overlay(weights: np.ndarray, row: int, col: int) -> np.ndarray:
    """[H, W] attention → RGBA: cyan as strong as the weight (relative to the largest), the
    hovered pixel outlined by a white cell."""
    h, w = weights.shape
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., :3] = ATTENTION_RGB
    top = max(float(weights.max()), 1e-9)
    rgba[..., 3] = np.round(220 * np.clip(weights / top, 0, 1)).astype(np.uint8)
    rgba[row, col] = (255, 255, 255, 200)
    return rgba


class ThoughtsBox(QGroupBox):
    """The side-column box: the surprise toggle and total, the hovered pixel's swatches, the
    attention chooser. ``ModelThoughts`` fills it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("What the model thinks", parent)
        self.status = QLabel(HOVER_HINT)
        self.status.setWordWrap(True)
        self.surprise_check = QCheckBox("Surprise map (bits per pixel)")
        self.surprise_check.setToolTip("Colour every pixel by −log2 p(its colour | what the model saw): "
                                       "dark = expected, bright = surprising")
        self.total_label = QLabel(" ")
        self.total_label.setWordWrap(True)
        self.pixel_label = QLabel(" ")
        self.pixel_label.setWordWrap(True)
        self.swatches, self.texts = [], []
        grid = QGridLayout()
        for k in range(TOP_COLOURS):
            swatch, text = QLabel(), QLabel()
            swatch.setFixedSize(18, 18)
            grid.addWidget(swatch, k, 0)
            grid.addWidget(text, k, 1)
            self.swatches.append(swatch)
            self.texts.append(text)
        grid.setColumnStretch(1, 1)
        self.attention_box = QComboBox()
        self.attention_box.setToolTip("Whose attention the hover draws: the mean of all layers and heads, "
                                      "or one layer's head")
        self.attention_label = QLabel(" ")
        self.attention_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        for widget in (self.status, self.surprise_check, self.total_label, self.pixel_label):
            layout.addWidget(widget)
        layout.addLayout(grid)
        layout.addWidget(self.attention_box)
        layout.addWidget(self.attention_label)

    def swatch_texts(self) -> list[str]:
        return [t.text() for t in self.texts if t.isVisible() or t.text()]


class ModelThoughts(QObject):
    """Connects a SpriteInspector to the canvas and the box: recompute after edits (on a worker),
    show a hover, draw the surprise map or the attention."""

    #: a new sprite's beliefs are shown (the SpriteBeliefs)
    inspected = Signal(object)

    def __init__(self, canvas, box: ThoughtsBox, parent: QObject | None = None):
        super().__init__(parent)
        self.canvas, self.box = canvas, box
        self.inspector = SpriteInspector()
        self._hover: tuple[int, int] | None = None  # (row, col)
        self._asked = None  # (task, sprite bytes) last sent to the worker
        self._latest = Latest(self._on_computed, self._on_failed, name="beliefs", owner=self, pool=view_pool())
        canvas.pixelHovered.connect(self._on_hover)
        canvas.stateChanged.connect(lambda _state: self.refresh())
        box.surprise_check.toggled.connect(lambda _on: self._draw_overlay())
        box.attention_box.activated.connect(self._on_attention_chosen)
        self.set_model(None)

    def latest_busy(self) -> bool:
        """A read of the sprite is running or waiting: what the box shows is not the newest yet."""
        return self._latest.busy

    @property
    def available(self) -> bool:
        return self.inspector.task is not None

    def set_model(self, task, title: str = "", problem: str | None = None) -> None:
        """Look through ``task`` (None, a VAE or a GAN, or a model that does not fit the canvas —
        ``problem``: the box says why there is nothing to see)."""
        reason = None
        if task is None:
            reason = "Choose a PixelRNN, transformer or diffusion model to see what it thinks."
        elif not has_beliefs(task):
            reason = (f"{title or 'This model'} draws a whole sprite at once: it has no guess per pixel. "
                      "Choose PixelRNN, the transformer or diffusion.")
        elif problem is not None:
            reason = f"{title}: {problem}"
        self.box.setEnabled(reason is None)
        if reason is not None:
            self.inspector.task = None
            self.inspector.inspection = None
            self.box.status.setText(reason)
            self._clear_hover()
            self.box.total_label.setText(" ")
            self.canvas.set_overlay(None)
            self.box.attention_box.hide()
            return
        self.inspector.set_model(task, title)
        self._asked = None
        with signals_blocked(self.box.attention_box):
            self.box.attention_box.clear()
        self.box.attention_box.setVisible(self.inspector.has_attention)
        self.box.attention_label.setVisible(self.inspector.has_attention)
        self.box.status.setText(f"Reading the sprite with {title} …")
        self.refresh()

    def refresh(self) -> None:
        """The canvas changed: the model reads its sprite again, on a worker."""
        state = self.canvas.state
        if not self.available or state is None:
            return
        inspector, sprite = self.inspector, state.sprite.copy()
        task = inspector.task
        if self._asked == (task, sprite.tobytes()):  # a mask edit: the sprite is the same
            return
        self._asked = (task, sprite.tobytes())
        self._latest.request(lambda: (task, inspector.compute(sprite)))

    def _on_computed(self, result) -> None:
        task, inspection = result
        if task is not self.inspector.task:  # the model changed meanwhile
            return
        self.inspector.show(inspection)
        b = inspection.beliefs
        pseudo = "" if b.exact else "pseudo-"
        self.box.total_label.setText(f"This sprite costs the model <b>{b.total_bits:.1f} bits</b> "
                                     f"({pseudo}−log2 p), {b.bits_per_pixel:.3f} bits per pixel.")
        if inspection.attention is not None and self.box.attention_box.count() == 0:
            layers, heads = inspection.attention.shape[:2]
            self.box.attention_box.addItem("attention: mean of all layers and heads", (None, None))
            for layer in range(layers):
                self.box.attention_box.addItem(f"layer {layer + 1}, mean of heads", (layer, None))
                for head in range(heads):
                    self.box.attention_box.addItem(f"layer {layer + 1}, head {head + 1}", (layer, head))
        self.box.status.setText(HOVER_HINT)
        if self._hover is not None:
            self._show_pixel(*self._hover)
        self._draw_overlay()
        self.inspected.emit(b)

    def _on_failed(self, error: BaseException) -> None:
        self.box.status.setText(f"Could not read the sprite: {describe_error(error)}")

    def _on_attention_chosen(self, index: int) -> None:
        layer, head = self.box.attention_box.itemData(index)
        if self.inspector.inspection is not None and self.inspector.inspection.attention is not None:
            self.inspector.set_attention(layer, head)
            if self._hover is not None:
                self._show_pixel(*self._hover)
            self._draw_overlay()

    # --- hover --------------------------------------------------------------------------------
    def _on_hover(self, x: int, y: int) -> None:
        self._hover = None if x < 0 else (y, x)
        if self.inspector.inspection is None:
            return
        if self._hover is None:
            self._clear_hover()
        else:
            self._show_pixel(y, x)
        self._draw_overlay()

    def hover(self, row: int, col: int) -> None:
        """As the mouse over pixel (row, col) does (for tests and scripted screenshots)."""
        self._on_hover(col, row)

    def _show_pixel(self, row: int, col: int) -> None:
        report = self.inspector.hover(row, col)
        colours = self.canvas.palette.colors if self.canvas.palette is not None else None
        seen = "every other pixel" if not self.inspector.beliefs.exact else "the pixels before it"
        self.box.pixel_label.setText(
            f"Pixel (row {row + 1}, column {col + 1}), seeing {seen}: its colour #{report.colour} cost "
            f"<b>{report.bits:.2f} bits</b> — the model's guess no. {report.rank}.")
        for k, (swatch, text) in enumerate(zip(self.box.swatches, self.box.texts)):
            if k >= len(report.top):
                swatch.setStyleSheet("")
                text.setText("")
                continue
            colour, p = report.top[k]
            rgb = tuple(int(v) for v in colours[colour]) if colours is not None else (128, 128, 128)
            border = "2px solid #ffcc00" if colour == report.colour else "1px solid gray"
            swatch.setStyleSheet(f"background: rgb{rgb}; border: {border}")
            bits = -np.log2(max(p, 1e-12))
            mark = " ← there" if colour == report.colour else ""
            text.setText(f"#{colour}: p = {p:.3f} ({bits:.2f} bits){mark}")
        if report.attention is not None:
            a = report.attention
            self.box.attention_label.setText(f"Attention ({a.how}) drawn in cyan on the canvas; "
                                             f"{a.other:.0%} on the start token.")

    def _clear_hover(self) -> None:
        self.box.pixel_label.setText(" ")
        for swatch, text in zip(self.box.swatches, self.box.texts):
            swatch.setStyleSheet("")
            text.setText("")
        self.box.attention_label.setText(" ")

    def _draw_overlay(self) -> None:
        """The surprise map when asked for, else the hovered pixel's attention, else nothing."""
        inspection = self.inspector.inspection
        if inspection is None or not self.available:
            self.canvas.set_overlay(None)
        elif self.box.surprise_check.isChecked():
            self.canvas.set_overlay(surprise_overlay(inspection.beliefs.surprise_bits))
        elif self._hover is not None and self.inspector.hovered is not None \
                and self.inspector.hovered.attention is not None:
            self.canvas.set_overlay(attention_overlay(self.inspector.hovered.attention.weights, *self._hover))
        else:
            self.canvas.set_overlay(None)
