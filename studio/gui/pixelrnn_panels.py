"""Side panels of the PixelRNN workspace: the dataset sprite browser and the variants strip."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QSpinBox,
                               QVBoxLayout, QWidget)

from studio.data.palette import Palette
from studio.data.sprites import SpriteSet
from studio.gui.widgets import rgb_to_pixmap

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

    def set_variants(self, sprites: np.ndarray, log_likelihoods: list[float], palette: Palette) -> None:
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
                            "likely. Click to put it on the canvas.")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)

    def clear_variants(self) -> None:
        self.clear()
        self.sprites = np.zeros((0, 0, 0), np.uint8)
        self.log_likelihoods = []
