"""The VAE workspace: explore a trained VAE's 10-D code two dimensions at a time, or train one.

Explore: two combo boxes pick the dimensions (each labelled with its KL, the most informative
first); two sliders and a 2-D pad move along them; the other dimensions come from zeros, a
seeded random draw (re-roll) or a dataset sprite's code m (shown beside its reconstruction).
The decoded sprite follows the sliders; an N×N grid shows the lecture's picture (click a cell
to go there). Export the sprite or the grid as PNG, a walk between two sprites as a GIF.

One decode plus its RGB lookup takes about a millisecond on a CPU with the conv decoder, but
tens of milliseconds with the default's autoregressive one (400 pixel steps), and the grid's
N² decodes several tenths of a second (benchmarks/vae_decode.py), which would freeze the window
while training shares the cores. So both run on a worker thread, at most one call each at a
time (workers.Latest): slider events are coalesced to one request per event-loop pass, and a
drag never queues decodes the user has moved past. The grid is redrawn only when the
dimensions, the fixed code or N change.

Train: the shared TrainingPanel with reconstruction, KL and ELBO plots; a finished run is
loaded into the explorer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPushButton, QSizePolicy, QSlider, QSpinBox, QVBoxLayout, QWidget)

from studio.gui.context import StudioContext
from studio.gui.latent_pad import LatentPad
from studio.gui.training import PlotSpec
from studio.gui.widgets import PixelImageView, group_box, rgb_to_pixmap, signals_blocked, splitter
from studio.gui.widgets import export_folder, remember_export_folder
from studio.gui.workers import Latest, run_in_thread
from studio.session.explorers import FIX_LABELS, FIX_MODES, LatentState, open_vae
from studio.gui.workspaces import ViewAndTrainTab
from studio.session.pretrained import model_title, run_fits
from studio.session.trained import uses_dataset

SLIDER_STEPS = 100  # slider ticks per unit of the code
EXTENT = 3.0
THUMB_SCALE = 4
LAST_RUN_KEY = "models/vae"  # QSettings: the run the explorer showed last, reopened on launch

PLOTS = [
    PlotSpec("Loss terms (nats per sprite)", keys=["recon", "kl", "loss"]),
    PlotSpec("Bound on −log p(x) (bits per pixel)",
             keys=["elbo_bits_per_pixel", "val/elbo_bits_per_pixel", "val/recon_bits_per_pixel",
                   "val/kl_bits_per_pixel"],
             labels={"elbo_bits_per_pixel": "−ELBO (train)", "val/elbo_bits_per_pixel": "−ELBO (held out)",
                     "val/recon_bits_per_pixel": "reconstruction (held out)",
                     "val/kl_bits_per_pixel": "KL (held out)"}),
]
INTRO = ("<b>VAE</b>: the encoder maps a sprite to a 10-D code c = m + exp(σ/2)·e; the decoder maps the "
         "code back to a colour per pixel. The KL term keeps codes near N(0, I), so decoding a random "
         "code gives a sprite. Watch reconstruction fall and KL rise as the code starts to carry information.")


class VaeWorkspace(ViewAndTrainTab, QWidget):
    MODEL = "vae"
    LAST_RUN_KEY = LAST_RUN_KEY

    #: Emitted (with the run folder) once a run is loaded into the explorer.
    runLoaded = Signal(str)
    #: Emitted (with the message) when a run could not be loaded.
    runFailed = Signal(str)

    def __init__(self, context: StudioContext, parent: QWidget | None = None, auto_load: bool = True):
        super().__init__(parent)
        self.context = context
        self.state = LatentState()  # dims, point, fixed code: the view mirrors it
        self.run_path: Path | None = None
        self._image: np.ndarray | None = None
        self._grid_n = 0
        self._render_pending = False  # a render is scheduled for this event-loop pass
        self._renderer = Latest(self._show_decoded, self._decode_failed, name="decode the code", owner=self)
        self._gridder = Latest(self._show_grid, self._decode_failed, name="decode the grid", owner=self)
        self._load_task = None

        self._add_tabs(self._build_explorer(), "Explore", auto_load, plots=PLOTS, intro=INTRO)
        self.state.changed.connect(self._on_state)

    # --- layout ----------------------------------------------------------------------------------
    def _build_explorer(self) -> QWidget:
        # Left: which dimensions, and where on them.
        self.x_box, self.y_box = QComboBox(), QComboBox()
        self.x_slider, self.y_slider = self._slider(), self._slider()
        self.x_value, self.y_value = QLabel("0.00"), QLabel("0.00")
        for box in (self.x_box, self.y_box):
            box.setToolTip("Dimensions are listed with their KL (nats, averaged over the dataset): "
                           "near 0 means the decoder ignores that dimension")
            box.currentIndexChanged.connect(self._on_dims_changed)
        self.x_slider.valueChanged.connect(lambda: self.state.set_values(*self.values()))
        self.y_slider.valueChanged.connect(lambda: self.state.set_values(*self.values()))
        dims = QGridLayout()
        dims.setColumnStretch(1, 1)
        for row, (name, box, slider, value) in enumerate((("→ x", self.x_box, self.x_slider, self.x_value),
                                                          ("↑ y", self.y_box, self.y_slider, self.y_value))):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            value.setMinimumWidth(44)
            dims.addWidget(QLabel(name), 2 * row, 0)
            dims.addWidget(box, 2 * row, 1, 1, 2)
            dims.addWidget(slider, 2 * row + 1, 0, 1, 2)
            dims.addWidget(value, 2 * row + 1, 2)
        self.pad = LatentPad(EXTENT)
        self.pad.moved.connect(self._on_pad)
        dims_box = QGroupBox("Two dimensions to move along")
        dims_layout = QVBoxLayout(dims_box)
        dims_layout.addLayout(dims)
        dims_layout.addWidget(self.pad, 1)

        self.fix_box = QComboBox()
        for mode in FIX_MODES:
            self.fix_box.addItem(FIX_LABELS[mode], mode)
        self.fix_box.setToolTip("Where the other dimensions come from")
        self.fix_box.currentIndexChanged.connect(self._on_fix_changed)
        self.reroll_button = QPushButton("Re-roll")
        self.reroll_button.setToolTip("Draw the other dimensions again from N(0, I)")
        self.reroll_button.clicked.connect(self.reroll)
        self.sprite_spin = QSpinBox()
        self.sprite_spin.setToolTip("The dataset sprite whose code m fixes the other dimensions")
        self.sprite_spin.valueChanged.connect(self._on_sprite_changed)
        self.original_label, self.recon_label = QLabel(), QLabel()
        for label, tip in ((self.original_label, "the dataset sprite"),
                           (self.recon_label, "its reconstruction: decode(m)")):
            label.setFixedSize(20 * THUMB_SCALE + 4, 20 * THUMB_SCALE + 4)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("background: #2b2b2b; border-radius: 3px")
            label.setToolTip(tip.capitalize())
        fix_row = QHBoxLayout()
        fix_row.addWidget(self.fix_box, 1)
        fix_row.addWidget(self.reroll_button)
        sprite_row = QHBoxLayout()
        sprite_row.addWidget(QLabel("Sprite:"))
        sprite_row.addWidget(self.sprite_spin)
        sprite_row.addStretch(1)
        thumbs = QGridLayout()
        thumbs.addWidget(self.original_label, 0, 0)
        thumbs.addWidget(self.recon_label, 0, 1)
        thumbs.addWidget(_caption("original"), 1, 0)
        thumbs.addWidget(_caption("reconstruction"), 1, 1)
        fix_group = group_box("The other dimensions", fix_row, sprite_row, thumbs)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(dims_box, 1)
        left_layout.addWidget(fix_group)
        left.setMinimumWidth(280)
        left.setMaximumWidth(360)

        # Middle: the decoded sprite and the exports.
        self.sprite_view = PixelImageView()
        self.sprite_view.setMinimumSize(220, 220)
        self.code_label = QLabel()
        self.code_label.setWordWrap(True)
        self.code_label.setStyleSheet("color: gray; font-family: monospace")
        self.save_sprite_button = QPushButton("Save sprite PNG…")
        self.save_sprite_button.clicked.connect(self.save_sprite)
        self.walk_from, self.walk_to, self.walk_steps = QSpinBox(), QSpinBox(), QSpinBox()
        self.walk_steps.setRange(2, 60)
        self.walk_steps.setValue(12)
        self.save_walk_button = QPushButton("Save walk GIF…")
        self.save_walk_button.setToolTip("Decode a straight line between the two sprites' codes")
        self.save_walk_button.clicked.connect(self.save_walk)
        walk_form = QFormLayout()
        walk_form.addRow("From sprite:", self.walk_from)
        walk_form.addRow("To sprite:", self.walk_to)
        walk_form.addRow("Steps:", self.walk_steps)
        walk_box = group_box("Walk between two sprites", walk_form, self.save_walk_button)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(_caption("Decoded sprite (follows the sliders)"))
        middle_layout.addWidget(self.sprite_view, 1)
        middle_layout.addWidget(self.code_label)
        middle_layout.addWidget(self.save_sprite_button)
        middle_layout.addWidget(walk_box)

        # Right: the lecture's grid over the two dimensions.
        self.grid_size = QSpinBox()
        self.grid_size.setRange(3, 21)
        self.grid_size.setValue(9)
        self.grid_size.setToolTip("Cells per side; the grid spans [-3, 3] on both dimensions")
        self.grid_size.valueChanged.connect(self._refresh_grid)
        self.save_grid_button = QPushButton("Save grid PNG…")
        self.save_grid_button.clicked.connect(self.save_grid)
        grid_bar = QHBoxLayout()
        grid_bar.addWidget(QLabel("Grid:"))
        grid_bar.addWidget(self.grid_size)
        grid_bar.addWidget(QLabel("cells per side"))
        grid_bar.addStretch(1)
        grid_bar.addWidget(self.save_grid_button)
        self.grid_view = PixelImageView()
        self.grid_view.pixelClicked.connect(self._on_grid_click)
        self.grid_caption = _caption("x grows to the right, y grows upwards; click a cell to go there")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(grid_bar)
        right_layout.addWidget(self.grid_view, 1)
        right_layout.addWidget(self.grid_caption)

        page = self._view_page(splitter(left, middle, right, stretch=(0, 2, 3)))
        self._controls = [self.x_box, self.y_box, self.x_slider, self.y_slider, self.pad, self.fix_box,
                          self.reroll_button, self.sprite_spin, self.save_sprite_button, self.walk_from,
                          self.walk_to, self.walk_steps, self.save_walk_button, self.grid_size,
                          self.save_grid_button]
        return page

    def _slider(self) -> QSlider:
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(int(-EXTENT * SLIDER_STEPS), int(EXTENT * SLIDER_STEPS))
        slider.setPageStep(SLIDER_STEPS // 2)
        return slider

    def _set_enabled(self, on: bool) -> None:
        for widget in self._controls:
            widget.setEnabled(on)
        if on:
            self._update_fix_widgets()

    # --- loading a run ---------------------------------------------------------------------------
    def choose_run(self) -> None:
        folder = self._ask_run_folder()
        if folder:
            self.load_run(folder)

    def show_checkpoint(self, model: str, path: Path) -> None:
        """Explore the quick VAE from its first checkpoint on, and its newer ones as they come."""
        if model == "vae" and (self.explorer is None or self.run_path is None or self.run_path == Path(path)
                               or not run_fits(self.run_path, self.context.dataset)):
            self.load_run(path)

    def has_model(self) -> bool:
        return self.explorer is not None

    def drop_model(self) -> None:
        if self._load_task is not None:
            self._load_task.cancel()
        self.run_path = None
        self.state.clear()  # → "explorer": the pictures go; decodes still running are of a model gone
        self._set_enabled(False)

    def load_run(self, path: str | Path):
        """Load a run on a worker thread; returns the task (its ``finished``/``failed`` signals)."""
        path = Path(path)
        self.run_label.setText(f"Loading {path} …")
        dataset = self.context.dataset
        # Reuse the open dataset when it is the run's; otherwise the run reopens its own.
        sprites = dataset if dataset is not None and uses_dataset(path, dataset) else None
        if self._load_task is not None:
            self._load_task.cancel()
        self._load_task = run_in_thread(lambda: open_vae(path, sprites=sprites),
                                        on_done=lambda explorer: self.set_explorer(explorer, path),
                                        on_error=lambda err: self._on_load_failed(path, err),
                                        name="load VAE run", owner=self)
        return self._load_task

    def _on_load_failed(self, path: Path, err: BaseException) -> None:
        # The loader's messages name the folder already.
        message = f"Could not load the run: {str(err).splitlines()[0] if str(err) else type(err).__name__}"
        self.run_label.setText(message)
        self.context.show_message(message)
        self.runFailed.emit(message)

    @property
    def explorer(self):
        """The :class:`~studio.models.latent.LatentExplorer` shown, or None."""
        return self.state.explorer

    def set_explorer(self, explorer, path: str | Path | None = None) -> None:
        """Show a loaded VAE explorer (``open_vae``'s, on the GUI thread)."""
        self.run_path = Path(path) if path else None
        n = len(explorer.sprites)
        self.run_label.setText(f"Model: {model_title(path)}  ·  {explorer.latent_dim}-D code  ·  {n} sprites"
                               if path else f"{explorer.latent_dim}-D code · {n} sprites")
        if path:
            QSettings().setValue(LAST_RUN_KEY, str(path))
        self.run_label.setToolTip(str(path or ""))
        kl = explorer.dimension_kl()
        with signals_blocked(self.x_box, self.y_box, self.sprite_spin, self.walk_from, self.walk_to):
            for box in (self.x_box, self.y_box):
                box.clear()
                for d in explorer.informative_dims():  # most informative first: the useful ones on top
                    box.addItem(f"dim {d}  (KL {kl[d]:.2f})", d)
            for spin in (self.sprite_spin, self.walk_from, self.walk_to):
                spin.setRange(0, n - 1)
        self.walk_to.setValue(min(n - 1, 1))
        self.state.set_explorer(explorer)  # → "dims", "base", "point": the widgets follow
        self._set_enabled(True)
        self.runLoaded.emit(str(path) if path else "")

    def _on_training_finished(self, summary: dict) -> None:
        super()._on_training_finished(summary)
        if summary.get("checkpoint") and summary.get("run"):
            self.context.show_message(f"Loaded the new VAE run into the explorer: {summary['run']}")

    # --- the state, mirrored ---------------------------------------------------------------------
    def dims(self) -> tuple[int, int]:
        return self.state.dims

    def values(self) -> tuple[float, float]:
        return self.x_slider.value() / SLIDER_STEPS, self.y_slider.value() / SLIDER_STEPS

    def current_code(self) -> np.ndarray:
        return self.state.code()

    def current_image(self) -> np.ndarray | None:
        """The decoded sprite shown now, uint8 RGB [H, W, 3]."""
        return self._image

    def fixed_description(self) -> str:
        return self.state.description()

    def set_values(self, x: float, y: float) -> None:
        """Move to (x, y) in code units (sliders and pad follow)."""
        self.state.set_values(x, y)

    def _on_state(self, what: str) -> None:
        state = self.state
        if what == "explorer" and state.explorer is None:
            self._image, self._grid_n = None, 0
            for picture in (self.sprite_view, self.grid_view):
                picture.clear()
            for label in (self.original_label, self.recon_label):
                label.clear()
            self.code_label.setText("")
        elif what == "dims":
            with signals_blocked(self.x_box, self.y_box):
                for box, d in zip((self.x_box, self.y_box), state.dims):
                    box.setCurrentIndex(box.findData(d))
            self.pad.set_axis_labels(f"dim {state.dims[0]}", f"dim {state.dims[1]}")
            self._refresh_grid()
        elif what == "base":
            self._show_sprite_pair()
            self._refresh_grid()
        elif what == "point":
            with signals_blocked(self.x_slider, self.y_slider):
                for slider, v in zip((self.x_slider, self.y_slider), state.values):
                    slider.setValue(round(v * SLIDER_STEPS))
            self._on_slider()

    # --- reactions -------------------------------------------------------------------------------
    def _on_dims_changed(self) -> None:
        if self.explorer is None or self.x_box.currentIndex() < 0 or self.y_box.currentIndex() < 0:
            return
        moved = 1 if self.sender() is self.y_box else 0
        self.state.set_dims(self.x_box.currentData(), self.y_box.currentData(), moved)

    def _on_fix_changed(self) -> None:
        self._update_fix_widgets()
        self.state.set_mode(self.fix_box.currentData())

    def _update_fix_widgets(self) -> None:
        mode = self.fix_box.currentData()
        self.reroll_button.setEnabled(self.explorer is not None and mode == "random")
        self.sprite_spin.setEnabled(self.explorer is not None and mode == "sprite")

    def reroll(self) -> None:
        self.state.reroll()

    def _on_sprite_changed(self) -> None:
        self.state.set_sprite(self.sprite_spin.value())
        if self.state.mode != "sprite":
            self._show_sprite_pair()

    def _show_sprite_pair(self) -> None:
        if self.explorer is None:
            return
        i = self.sprite_spin.value()
        palette = self.explorer.palette
        self.original_label.setPixmap(rgb_to_pixmap(palette.to_rgb(self.explorer.sprites.indices[i]), THUMB_SCALE))
        self.recon_label.setPixmap(rgb_to_pixmap(palette.to_rgb(self.explorer.reconstruct(i)), THUMB_SCALE))

    def _on_slider(self) -> None:
        x, y = self.values()
        self.x_value.setText(f"{x:+.2f}")
        self.y_value.setText(f"{y:+.2f}")
        self.pad.set_point(x, y)
        self._schedule_render()

    def _on_pad(self, x: float, y: float) -> None:
        self.state.set_values(x, y)

    def _schedule_render(self) -> None:
        # Coalesce: however many slider/pad events arrive in one pass, decode once.
        if not self._render_pending:
            self._render_pending = True
            QTimer.singleShot(0, self.render_now)

    def render_now(self) -> None:
        """Decode the current code on the worker (what the coalescing timer calls); the sprite
        is shown when it is ready (``drawing()`` is False once everything asked for is shown)."""
        self._render_pending = False
        if self.explorer is None:
            return
        explorer, code = self.explorer, self.state.code()
        self._renderer.request(lambda: (explorer, code, explorer.decode_rgb(code)))

    def _show_decoded(self, result) -> None:
        explorer, code, image = result
        if explorer is not self.explorer:  # a decode of the previous run's model
            return
        self._image = image
        self.sprite_view.set_image(image, auto_range=False)
        x, y = self.dims()
        self.code_label.setText(f"dim {x} = {code[x]:+.2f}, dim {y} = {code[y]:+.2f}; "
                                f"others: {self.fixed_description()}")
        self._highlight_cell()

    def drawing(self) -> bool:
        """A decode of the sprite or the grid is scheduled, running or waiting."""
        return self._render_pending or self._renderer.busy or self._gridder.busy

    def _refresh_grid(self) -> None:
        if self.explorer is None:
            return
        explorer, dims, base, n = self.explorer, self.state.dims, self.state.base, self.grid_size.value()
        self._gridder.request(lambda: (explorer, n, dims, explorer.grid(dims, base, n=n, extent=EXTENT)))

    def _show_grid(self, result) -> None:
        from studio.data import grid_image

        explorer, n, (x, y), sprites = result
        if explorer is not self.explorer:
            return
        self._grid_n = n
        self.grid_view.set_image(np.asarray(grid_image(sprites, explorer.palette, columns=n)))
        self.grid_caption.setText(f"dim {x} grows to the right, dim {y} upwards, from −3 to 3; "
                                  "click a cell to move the sliders there")
        self._highlight_cell()

    def _decode_failed(self, error: BaseException) -> None:
        from studio.errors import describe_error

        self.context.show_message(f"Could not decode the code: {describe_error(error)}", 0)

    def grid_cell_rect(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of a grid cell in the grid image's pixels."""
        return self.state.cell_rect(row, col)

    def _highlight_cell(self) -> None:
        if self.explorer is not None and self._grid_n:
            self.grid_view.set_highlight(*self.state.cell_rect(*self.state.current_cell(self._grid_n, EXTENT)))

    def _on_grid_click(self, px: int, py: int) -> None:
        if self.explorer is not None and self._grid_n:
            self.state.go_to_cell(*self.state.cell_at(px, py, self._grid_n), self._grid_n, EXTENT)

    # --- export ----------------------------------------------------------------------------------
    def _ask_path(self, title: str, name: str, pattern: str) -> str:
        start = str(export_folder() / name)
        path, _ = QFileDialog.getSaveFileName(self, title, start, pattern)
        if path:
            remember_export_folder(path)
        return path

    def save_sprite(self, path: str | None = None, scale: int = 8) -> None:
        path = path or self._ask_path("Save the decoded sprite", "sprite.png", "PNG images (*.png)")
        if path and self.explorer is not None:
            self.state.save_sprite(path, scale)
            self.context.show_message(f"Saved the sprite to {path}")

    def save_grid(self, path: str | None = None, scale: int = 4) -> None:
        path = path or self._ask_path("Save the latent grid", "latent_grid.png", "PNG images (*.png)")
        if path and self.explorer is not None:
            n = self.grid_size.value()
            self.state.save_grid(path, n, EXTENT, scale)
            self.context.show_message(f"Saved the {n}×{n} grid to {path}")

    def save_walk(self, path: str | None = None) -> None:
        path = path or self._ask_path("Save the walk", "walk.gif", "GIF animations (*.gif)")
        if path and self.explorer is not None:
            a, b = self.walk_from.value(), self.walk_to.value()
            self.state.save_walk(path, a, b, self.walk_steps.value())
            self.context.show_message(f"Saved the walk from sprite {a} to {b} to {path}")


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: gray")
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return label
