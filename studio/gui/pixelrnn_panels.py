"""Panels of the PixelRNN workspace: the sprite browser, the variants strip, the Complete
controls and the paint colour."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence
from PySide6.QtWidgets import (QFormLayout, QGroupBox, QHBoxLayout, QLabel, QListView, QListWidget,
                               QListWidgetItem, QProgressBar, QPushButton, QSlider, QSpinBox, QVBoxLayout,
                               QWidget)

from studio.data.palette import Palette
from studio.data.sprites import SpriteSet
from studio.gui.widgets import PaletteView, rgb_to_pixmap

HELD_OUT_COLOR = QColor("#f2a33a")
VARIANT_SCALE = 4  # a 20×20 variant as an 80×80 thumbnail


class SpriteBrowser(QWidget):
    """Pick a dataset sprite by number or from a list of thumbnails; held-out ones are marked
    (the models never train on them, so they are the fair test of a completion)."""

    spriteChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.dataset: SpriteSet | None = None
        self.held_out: set[int] = set()
        self.number = QSpinBox()
        self.number.setPrefix("#")
        self.number.setToolTip("The dataset sprite to put on the canvas")
        self.list = QListWidget()
        self.list.setIconSize(QSize(40, 40))
        self.list.setUniformItemSizes(True)
        self.list.setToolTip("Orange: held out — never trained on, so a fair test of the model")
        legend = QLabel("<span style='color:#f2a33a'>■</span> held-out: not trained on")
        legend.setStyleSheet("color: gray")
        row = QHBoxLayout()
        row.addWidget(QLabel("Sprite"))
        row.addWidget(self.number, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.list, 1)
        layout.addWidget(legend)
        self.number.valueChanged.connect(self._on_number)
        self.list.currentRowChanged.connect(self._on_row)

    def set_dataset(self, dataset: SpriteSet) -> None:
        self.dataset = dataset
        self.held_out = {int(i) for i in dataset.split()[1]}
        self.list.blockSignals(True)
        self.list.clear()
        for i in range(len(dataset)):
            held = i in self.held_out
            item = QListWidgetItem(QIcon(rgb_to_pixmap(dataset.rgb(i), 2)),
                                   f"{dataset.label(i)}" + ("  held-out" if held else ""))
            if held:
                item.setForeground(HELD_OUT_COLOR)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.number.blockSignals(True)
        self.number.setRange(0, max(0, len(dataset) - 1))
        self.number.blockSignals(False)

    def select(self, i: int) -> None:
        """Show sprite ``i`` as selected and emit ``spriteChosen(i)``."""
        if self.list.currentRow() != i:
            self.list.setCurrentRow(i)  # → _on_row → spriteChosen
        else:
            self.spriteChosen.emit(i)

    def _on_number(self, i: int) -> None:
        if self.dataset is not None and self.list.currentRow() != i:
            self.list.setCurrentRow(i)  # → _on_row → spriteChosen

    def _on_row(self, row: int) -> None:
        if row < 0:
            return
        self.number.blockSignals(True)
        self.number.setValue(row)
        self.number.blockSignals(False)
        self.spriteChosen.emit(row)


class VariantStrip(QListWidget):
    """Completed variants as a row of thumbnails, best first, each captioned with its
    log-likelihood; clicking one emits ``variantChosen(index)``."""

    variantChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(QSize(20 * VARIANT_SCALE, 20 * VARIANT_SCALE))
        self.setSpacing(6)
        self.setFixedHeight(20 * VARIANT_SCALE + 56)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.sprites = np.zeros((0, 0, 0), np.uint8)
        self.log_likelihoods: list[float] = []
        self.itemClicked.connect(lambda item: self.variantChosen.emit(self.row(item)))

    def set_variants(self, sprites: np.ndarray, log_likelihoods: list[float], palette: Palette,
                     score_name: str = "log p(sprite), nats") -> None:
        """``log_likelihoods``: each variant's score; anything but log p(sprite) is shown by name."""
        self.clear()
        self.sprites = np.asarray(sprites, np.uint8)
        self.log_likelihoods = list(log_likelihoods)
        pixels = self.sprites[0].size if len(self.sprites) else 1
        for k, (sprite, ll) in enumerate(zip(self.sprites, self.log_likelihoods)):
            item = QListWidgetItem(QIcon(rgb_to_pixmap(palette.to_rgb(sprite), VARIANT_SCALE)),
                                   f"{k + 1}: {ll:.1f}")
            bits = -ll / np.log(2) / pixels
            item.setToolTip(f"Variant {k + 1}: log p = {ll:.1f} nats ({bits:.2f} bits per pixel) for "
                            "the whole completed sprite under the model.\nHigher (closer to 0) = more "
                            "likely. Click to put it on the canvas." if score_name.startswith("log p(sprite)")
                            else f"Variant {k + 1}: {score_name} = {ll:.1f}.\nHigher = fits the visible "
                                 "pixels better. Click to put it on the canvas.")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)

    def clear_variants(self) -> None:
        self.clear()
        self.sprites = np.zeros((0, 0, 0), np.uint8)
        self.log_likelihoods = []


class CompletionBox(QGroupBox):
    """Temperature, number of variants, Complete / Cancel, a progress bar and a hint line.
    The workspace connects the buttons and decides when they are enabled."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("3 · Complete", parent)
        self.temperature_slider = QSlider(Qt.Orientation.Horizontal)
        self.temperature_slider.setRange(10, 200)  # hundredths
        self.temperature_slider.setValue(100)
        self.temperature_slider.setToolTip("Below 1: safer, more typical colours. Above 1: wilder "
                                           "variants. 1 samples the model as trained.")
        self.temperature_label = QLabel("1.00")
        self.temperature_label.setMinimumWidth(32)
        self.temperature_slider.valueChanged.connect(lambda v: self.temperature_label.setText(f"{v / 100:.2f}"))
        temperature_row = QHBoxLayout()
        temperature_row.addWidget(self.temperature_slider, 1)
        temperature_row.addWidget(self.temperature_label)
        self.n_variants = QSpinBox()
        self.n_variants.setRange(1, 16)
        self.n_variants.setValue(8)
        self.n_variants.setToolTip("How many different completions to draw")
        self.complete_button = QPushButton("Complete")
        self.complete_button.setDefault(True)
        self.complete_button.setMinimumHeight(34)
        self.complete_button.setStyleSheet("font-weight: bold")
        self.complete_button.setShortcut(QKeySequence("Ctrl+Return"))
        self.complete_button.setToolTip("Fill the masked pixels with the model  [Ctrl+Enter]")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setFormat("")  # "pixel %v / %m" while completing
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: gray")
        form = QFormLayout()
        form.addRow("Temperature", temperature_row)
        form.addRow("Variants", self.n_variants)
        buttons = QHBoxLayout()
        buttons.addWidget(self.complete_button, 2)
        buttons.addWidget(self.cancel_button, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.hint)

    def temperature(self) -> float:
        return self.temperature_slider.value() / 100

    def set_running(self, total: int) -> None:
        self.show_progress(0, total)
        self.hint.setText("Completing… the canvas stays editable.")
        self.complete_button.setEnabled(False)
        self.cancel_button.setEnabled(True)

    def show_progress(self, done: int, total: int, text: str = "pixel %v / %m") -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(text)


class PaintColourBox(QGroupBox):
    """The palette to paint with, and the chosen colour's swatch and index."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Paint colour", parent)
        self.palette: Palette | None = None
        self.palette_view = PaletteView(swatch=14)
        self.swatch = QLabel()
        self.caption = QLabel()
        self.caption.setStyleSheet("color: gray")
        row = QHBoxLayout()
        row.addWidget(self.swatch)
        row.addWidget(self.caption, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.palette_view)

    def set_palette(self, palette: Palette) -> None:
        self.palette = palette
        self.palette_view.set_colors(palette.colors)

    def show_colour(self, index: int) -> None:
        if self.palette is None:
            return
        self.swatch.setPixmap(rgb_to_pixmap(self.palette.colors[index][None, None], 22))
        r, g, b = (int(v) for v in self.palette.colors[index])
        self.caption.setText(f"index {index} · #{r:02x}{g:02x}{b:02x}\nclick a swatch to paint with it")
