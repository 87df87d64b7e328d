"""The Dataset workspace: every sprite on one zoomable sheet; click one to inspect it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel,
                               QPushButton, QVBoxLayout, QWidget)

from studio.data.sprites import SpriteSet
from studio.gui.context import StudioContext
from studio.gui.workspaces import TrainsNothing
from studio.gui.dataset_model import FILTERS, SpriteSheet
from studio.gui.widgets import PaletteView, PixelImageView, group_box, rgb_to_pixmap, side_column, splitter

PREVIEW_SCALE = 8


class DatasetWorkspace(TrainsNothing, QWidget):
    spriteSelected = Signal(int)

    def __init__(self, context: StudioContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.sheet: SpriteSheet | None = None
        self.selected: int | None = None

        # --- left: filter bar over the sheet ------------------------------------------------
        self.filter_box = QComboBox()
        self.filter_box.addItems(FILTERS)
        self.filter_box.setToolTip("Show all sprites, only the training split, or only the held-out "
                                   "sprites (a fixed 10 % the models never train on)")
        self.fit_button = QPushButton("Fit to window")
        self.count_label = QLabel()
        hint = QLabel("Click a sprite to inspect it · wheel to zoom · drag to pan")
        hint.setStyleSheet("color: gray")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:"))
        bar.addWidget(self.filter_box)
        bar.addWidget(self.fit_button)
        bar.addSpacing(12)
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        bar.addWidget(hint)
        self.view = PixelImageView()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.view, 1)

        # --- right: dataset summary, selected sprite, palette -----------------------------------
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dataset_box = group_box("Dataset", self.summary_label)

        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(20 * PREVIEW_SCALE + 8)
        self.preview.setStyleSheet("background: #2b2b2b; border-radius: 4px")
        self.placeholder = QLabel("Click a sprite in the sheet to see it here.")
        self.placeholder.setStyleSheet("color: gray")
        self.placeholder.setWordWrap(True)
        self.detail_labels = {key: QLabel() for key in ("Index", "Label", "Split", "Colours", "Background")}
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        for key, label in self.detail_labels.items():
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            form.addRow(key + ":", label)
        sprite_box = group_box("Selected sprite", self.preview, self.placeholder, form)

        self.palette_view = PaletteView(swatch=15)
        self.palette_caption = QLabel()
        self.palette_caption.setStyleSheet("color: gray")
        self.palette_caption.setWordWrap(True)
        self.palette_box = group_box("Palette", self.palette_view, self.palette_caption)

        scroll = side_column((dataset_box, sprite_box, self.palette_box), min_width=310, margin=6)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter(left, scroll, stretch=(1, 0), sizes=(900, 330)))

        self.filter_box.currentTextChanged.connect(self._rebuild_sheet)
        self.fit_button.clicked.connect(self.view.auto_range)
        self.view.pixelClicked.connect(self._on_pixel_clicked)
        context.datasetChanged.connect(self.set_dataset)
        self._show_details(None)
        if context.dataset is not None:
            self.set_dataset(context.dataset)

    # --- API -------------------------------------------------------------------------------
    def set_dataset(self, dataset: SpriteSet) -> None:
        self.selected = None
        self.summary_label.setText(self._summary_text(dataset))
        self.palette_view.set_colors(dataset.palette.colors)
        self.palette_box.setTitle(f"Palette — {dataset.num_colors} colours")
        self._rebuild_sheet()
        self._show_details(None)

    def set_filter(self, name: str) -> None:
        self.filter_box.setCurrentText(name)

    def select(self, sprite: int | None) -> None:
        """Select dataset sprite ``sprite`` (None clears): highlight it and show its details."""
        self.selected = sprite
        self._update_highlight()
        self._show_details(sprite)
        if sprite is not None:
            self.spriteSelected.emit(sprite)

    # --- internals ---------------------------------------------------------------------------
    def _rebuild_sheet(self, *_args) -> None:
        dataset = self.context.dataset
        if dataset is None:
            return
        self.sheet = SpriteSheet(dataset, self.filter_box.currentText())
        self.view.set_image(self.sheet.render(), auto_range=True)
        self.count_label.setText(f"{len(self.sheet)} of {len(dataset)} sprites")
        self._update_highlight()

    def _update_highlight(self) -> None:
        position = None
        if self.sheet is not None and self.selected is not None:
            position = self.sheet.position_of(self.selected)
        if position is None:
            self.view.clear_highlight()
        else:
            x, y, w, h = self.sheet.cell_rect(position)
            self.view.set_highlight(x - 0.5, y - 0.5, w + 1, h + 1)

    def _on_pixel_clicked(self, x: int, y: int) -> None:
        if self.sheet is None:
            return
        sprite = self.sheet.sprite_at(x, y)
        if sprite is not None:
            self.select(sprite)

    def _show_details(self, sprite: int | None) -> None:
        has = sprite is not None and self.sheet is not None
        self.placeholder.setVisible(not has)
        self.preview.setVisible(has)
        if not has:
            for label in self.detail_labels.values():
                label.setText("—")
            self.palette_view.set_highlighted(None)
            self.palette_caption.setText("Hover a swatch for its index and RGB. Select a sprite to "
                                         "outline the colours it uses.")
            return
        dataset = self.sheet.dataset
        d = self.sheet.details(sprite)
        self.preview.setPixmap(rgb_to_pixmap(dataset.rgb(sprite), PREVIEW_SCALE))
        shown = ", ".join(str(int(c)) for c in d.colors[:12]) + (" …" if len(d.colors) > 12 else "")
        self.detail_labels["Index"].setText(str(d.index))
        self.detail_labels["Label"].setText(d.label)
        self.detail_labels["Split"].setText(d.split)
        self.detail_labels["Colours"].setText(f"{len(d.colors)} — indices {shown}")
        self.detail_labels["Background"].setText(f"{d.background_share:.0%} of pixels (index 0)")
        self.palette_view.set_highlighted(d.colors)
        self.palette_caption.setText(f"Outlined: the {len(d.colors)} colours sprite {d.index} uses. "
                                     "Hover a swatch for its index and RGB.")

    @staticmethod
    def _summary_text(dataset: SpriteSet) -> str:
        train, held = dataset.split()
        background = float(dataset.color_usage()[0]) / max(1, dataset.indices.size)
        source = dataset.source or "—"
        return (f"<b>{dataset.name}</b><br>"
                f"{len(dataset)} sprites · {dataset.height}×{dataset.width} pixels · "
                f"{dataset.num_colors} colours<br>"
                f"Source: {source}<br>"
                f"Split: {len(train)} train / {len(held)} held-out<br>"
                f"Background (index 0): {background:.0%} of all pixels")
