"""Panels of the PixelRNN workspace: the sprite browser, the variants and comparison strips,
the model chooser, the Complete controls and the paint colour."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QListView, QListWidget,
                               QListWidgetItem, QProgressBar, QPushButton, QSizePolicy, QSlider, QSpinBox,
                               QTabWidget, QVBoxLayout, QWidget)

from studio.data.palette import Palette
from studio.data.sprites import SpriteSet
from studio.gui.widgets import PaletteView, rgb_to_pixmap, signals_blocked

HELD_OUT_COLOR = QColor("#f2a33a")
VARIANT_SCALE = 4  # a 20×20 variant as an 80×80 thumbnail
COMPARE_CELL = 150  # px per model in the comparison row: room for its name


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
        with signals_blocked(self.list, self.number):
            self._fill(dataset)

    def _fill(self, dataset: SpriteSet) -> None:
        self.list.clear()
        for i in range(len(dataset)):
            held = i in self.held_out
            item = QListWidgetItem(QIcon(rgb_to_pixmap(dataset.rgb(i), 2)),
                                   f"{dataset.label(i)}" + ("  held-out" if held else ""))
            if held:
                item.setForeground(HELD_OUT_COLOR)
            self.list.addItem(item)
        self.number.setRange(0, max(0, len(dataset) - 1))

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
        with signals_blocked(self.number):
            self.number.setValue(row)
        self.spriteChosen.emit(row)


class SpriteStrip(QListWidget):
    """A row of sprite thumbnails, each with a caption and a tooltip; clicking one emits
    ``variantChosen(index)``."""

    variantChosen = Signal(int)

    def __init__(self, caption_lines: int = 1, parent: QWidget | None = None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(QSize(20 * VARIANT_SCALE, 20 * VARIANT_SCALE))
        self.setSpacing(6)
        line = self.fontMetrics().lineSpacing()
        self.setFixedHeight(20 * VARIANT_SCALE + 40 + caption_lines * line)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.sprites = np.zeros((0, 0, 0), np.uint8)
        self.itemClicked.connect(lambda item: self.variantChosen.emit(self.row(item)))

    def show_sprites(self, sprites: np.ndarray, captions: list[str], tooltips: list[str], palette: Palette) -> None:
        self.clear()
        self.sprites = np.asarray(sprites, np.uint8)
        for sprite, caption, tip in zip(self.sprites, captions, tooltips):
            item = QListWidgetItem(QIcon(rgb_to_pixmap(palette.to_rgb(sprite), VARIANT_SCALE)), caption)
            item.setToolTip(tip)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)

    def clear_variants(self) -> None:
        self.clear()
        self.sprites = np.zeros((0, 0, 0), np.uint8)


class VariantStrip(SpriteStrip):
    """One model's completed variants, best first, each captioned with its score."""

    def set_variants(self, sprites: np.ndarray, scores: list[float], palette: Palette,
                     score_name: str = "log p(sprite), nats") -> None:
        """``scores``: each variant's (``score_name``); log p(sprite) is also shown in bits per pixel."""
        pixels = np.asarray(sprites[0]).size if len(sprites) else 1
        if score_name.startswith("log p(sprite)"):
            tips = [f"Variant {k + 1}: log p = {s:.1f} nats ({-s / np.log(2) / pixels:.2f} bits per pixel) for "
                    "the whole completed sprite under the model.\nHigher (closer to 0) = more likely. Click "
                    "to put it on the canvas." for k, s in enumerate(scores)]
        elif score_name.startswith("log p(colours as committed)"):  # diffusion: how sure it was along the way
            tips = [f"Variant {k + 1}: {score_name} = {s:.1f}: how sure the model was of each colour when it "
                    "committed it.\nHigher (closer to 0) = surer. Click to put it on the canvas."
                    for k, s in enumerate(scores)]
        else:
            tips = [f"Variant {k + 1}: {score_name} = {s:.1f}.\nHigher = fits the visible pixels better. "
                    "Click to put it on the canvas." for k, s in enumerate(scores)]
        self.show_sprites(sprites, [f"{k + 1}: {s:.1f}" for k, s in enumerate(scores)], tips, palette)


class CompareStrip(SpriteStrip):
    """The best variant of every model for the same mask: name, own score, seconds."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(caption_lines=2, parent=parent)
        cell = self.iconSize().height() + 8 + 2 * self.fontMetrics().lineSpacing()
        self.setGridSize(QSize(COMPARE_CELL, cell))
        self.setFixedHeight(cell + 24)  # and a scroll bar's room, when the models outgrow the row
        self.setWordWrap(True)

    def set_results(self, results, palette: Palette) -> None:
        """``results``: studio.session.completion.ModelResult of each model, in the chooser's order."""
        elide = lambda text: self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, COMPARE_CELL - 8)
        captions = [f"{elide(r.title)}\n{r.best.score:.1f} · {r.seconds:.2f} s" for r in results]
        tips = [f"{r.title}: the best of {len(r.variants)} variants, in {r.seconds:.2f} s.\n"
                f"{r.score_name} = {r.best.score:.1f} (the model's own score: it ranks this model's "
                "variants, not the models).\nClick to put it on the canvas." for r in results]
        self.show_sprites(np.stack([r.best.sprite for r in results]) if results else np.zeros((0, 0, 0)),
                          captions, tips, palette)


class CompletionResults(QTabWidget):
    """Below the canvas: the chosen model's variants on one tab, every model's best on the
    other (shown when a comparison ends), the export buttons in the tab bar's corner."""

    def __init__(self, variants_hint: str, compare_hint: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.variants, self.compared = VariantStrip(), CompareStrip()
        self.variants_caption, self.compare_caption = QLabel(variants_hint), QLabel(compare_hint)
        self.variants_page = self._page(self.variants_caption, self.variants)
        self.compare_page = self._page(self.compare_caption, self.compared)
        self.addTab(self.variants_page, "4 · Variants")
        self.addTab(self.compare_page, "5 · All models")
        self.export_canvas_button = QPushButton("Export canvas…")
        self.export_canvas_button.setToolTip("Save the canvas sprite as a PNG (16× size, no mask)")
        self.export_variants_button = QPushButton("Export variants…")
        self.export_variants_button.setToolTip("Save the variants as one PNG row, best first")
        corner = QWidget()
        buttons = QHBoxLayout(corner)
        buttons.setContentsMargins(0, 0, 0, 2)
        buttons.addWidget(self.export_canvas_button)
        buttons.addWidget(self.export_variants_button)
        self.setCornerWidget(corner, Qt.Corner.TopRightCorner)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)  # the canvas stretches

    @staticmethod
    def _page(caption: QLabel, strip: QWidget) -> QWidget:
        caption.setWordWrap(True)
        caption.setStyleSheet("color: gray")
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(caption)
        layout.addWidget(strip)
        layout.addStretch(1)  # the shorter page keeps its caption on its strip
        return page


class ModelBox(QGroupBox):
    """Which model completes: a chooser over the loaded models, the chosen one in words, and
    buttons to open or train another. A view over studio.session.completion.CompletionModels."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Model", parent)
        self.chooser = QComboBox()
        self.chooser.setToolTip("The model that completes the mask: the built-in ones and every run you opened")
        self.chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_run_button = QPushButton("Open run…")
        self.open_run_button.setToolTip("Complete with another model: the best checkpoint of a run folder "
                                        "of any model (PixelRNN, transformer, diffusion, VAE or GAN)")
        self.train_button = QPushButton("Train PixelRNN…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_run_button)
        buttons.addWidget(self.train_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.chooser)
        layout.addWidget(self.label)
        layout.addLayout(buttons)

    def show_models(self, models) -> None:
        """Refill the chooser from ``models`` (CompletionModels), its current one selected."""
        with signals_blocked(self.chooser):
            self.chooser.clear()
            for k, m in enumerate(models.models):
                self.chooser.addItem(m.title)
                self.chooser.setItemData(k, m.description, Qt.ItemDataRole.ToolTipRole)
            self.chooser.setCurrentIndex(-1 if models.index is None else models.index)
        self.chooser.setEnabled(bool(models.models))


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
        self.compare_button = QPushButton("Compare all models")
        self.compare_button.setToolTip("Complete the same mask with every model in the chooser, one after "
                                       "another: the best variant of each, with its score and time, below")
        self.race_button = QPushButton("Race: raster order vs diffusion")
        self.race_tip = ("Fill the same mask pixel by pixel in raster order (PixelRNN or the "
                         "transformer) and a few pixels a step in confidence order (diffusion), "
                         "replayed side by side with the time each took")
        self.race_button.setToolTip(self.race_tip)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(IDLE_PROGRESS)  # "pixel %v / %m" while completing
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: gray")
        # Room for three lines whatever it says, so the boxes below never jump as it changes.
        self.hint.setFixedHeight(3 * self.hint.fontMetrics().lineSpacing() + 4)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        form = QFormLayout()
        form.addRow("Temperature", temperature_row)
        form.addRow("Variants", self.n_variants)
        buttons = QHBoxLayout()
        buttons.addWidget(self.complete_button, 2)
        buttons.addWidget(self.cancel_button, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.compare_button)
        layout.addWidget(self.race_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.hint)

    def temperature(self) -> float:
        return self.temperature_slider.value() / 100

    def set_running(self, total: int) -> None:
        self.show_progress(0, total)
        self.hint.setText("Completing… the canvas stays editable.")
        self.complete_button.setEnabled(False)
        self.compare_button.setEnabled(False)
        self.race_button.setEnabled(False)
        self.cancel_button.setEnabled(True)

    def show_progress(self, done: int, total: int, text: str = "pixel %v / %m") -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(text)


#: What the progress bar says between completions (never an empty box that looks like a text field).
IDLE_PROGRESS = "Not completing: mask part of the sprite, then Complete"


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
