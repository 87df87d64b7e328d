"""The PixelRNN workspace: mask part of a Pokémon and let PixelRNN complete it.

Two pages. "Complete": pick a dataset sprite (or open an image), mask part of it on the canvas,
press Complete, and choose among the variants the model draws. "Train": the shared
:class:`TrainingPanel` for PixelRNN; when a run there finishes, its best checkpoint becomes the
model the Complete page uses.

The model lives in one place, ``workspace.task`` (a ``studio.models.pixelrnn.Task``, or None:
then Complete is disabled and the page says how to get one). Completions run on a worker thread
(:class:`CompletionJob`); the canvas stays editable meanwhile, and Cancel stops the job between
two pixels.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QHBoxLayout, QLabel, QMessageBox, QPushButton,
                               QSplitter, QTabWidget, QVBoxLayout, QWidget)

from studio.data.errors import DatasetError
from studio.data.sprites import SpriteSet, grid_image, indices_to_image
from studio.gui.canvas import SpriteCanvas
from studio.gui.canvas_model import composite, sprite_from_image
from studio.gui.canvas_tools import CanvasToolBars
from studio.gui.context import StudioContext
from studio.gui.pixelrnn_panels import CompletionBox, PaintColourBox, SpriteBrowser, VariantStrip
from studio.gui.training import PlotSpec, TrainingPanel
from studio.gui.workers import Task as WorkerTask
from studio.gui.widgets import side_column
from studio.gui.workers import run_in_thread
from studio.gui.workspaces import AUTOREGRESSIVE
from studio.session.pretrained import model_title, startup_run
from studio.train.run import default_runs_dir

NO_MODEL_HINT = ("<b>No model yet.</b> Train or open a PixelRNN run to complete: use the "
                 "<i>Train PixelRNN</i> tab, or <i>Open run…</i> below for a run folder.")
LAST_RUN_KEY = "models/pixelrnn"  # QSettings: the model used last, reopened on launch
MASK_HINT = ("2 · Mask the part to fill in: paint with <b>Mask</b>, drag a <b>Rectangle</b>, or "
             "<b>Cover 50 % / 75 %</b>. Or drop an image on the canvas.")
MASK_HIDDEN_HINT = "<b>The mask is hidden</b>: you see the pixels under it. Show mask to edit it again."
EXPORT_SCALE = 16
TRANSFORMER_INTRO = ("<b>Transformer</b> (the course's HW4): a small GPT reads the sprite as a "
                     "400-token sentence and predicts each colour from every earlier one at once, "
                     "through causal self-attention. Its default, <i>2d-copy</i>, also sees the pixel "
                     "above and can copy the sprite's own colours; <i>hw4</i> is the homework's exact "
                     "model. It completes the canvas like PixelRNN.")
TIPS = {"context": "Which earlier pixels each step sees: previous = the one before it (the lecture); "
                   "2d = also the three above; 2d-wide = two pixels out in every earlier direction"}  # a 20×20 canvas exports as 320×320 pixels
INTRO = ("<b>PixelRNN</b> reads a sprite pixel by pixel, row by row, and predicts each colour from "
         "the pixels before it. Train it here, then complete masked sprites on the "
         "<i>Complete a sprite</i> tab.")


class CompletionJob(QObject):
    """One call of ``studio.models.completion.complete`` for the worker thread.

    Created on the GUI thread, so ``progressed`` (emitted from the worker between two pixels)
    is queued to the GUI. ``cancel()`` is thread-safe: the worker sees it before its next step.
    """

    progressed = Signal(int, int)  # (pixels done, pixels in all)

    def __init__(self, task, sprite: np.ndarray, mask: np.ndarray, n_variants: int, temperature: float):
        super().__init__()
        self.task, self.sprite, self.mask = task, sprite.copy(), mask.copy()
        self.n_variants, self.temperature = n_variants, temperature
        self._cancel = threading.Event()
        self.worker: WorkerTask | None = None  # the run_in_thread handle, once started

    def run(self):
        from studio.models.inpainting import completer_for  # any model's run completes

        return completer_for(self.task).complete(self.sprite, self.mask, self.n_variants,
                                                 temperature=self.temperature, progress=self.progressed.emit,
                                                 cancel=self._cancel.is_set)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class PixelRNNWorkspace(QWidget):
    #: The model changed: the new Task, or None.
    modelChanged = Signal(object)
    #: A completion is about to start on its thread (the CompletionJob).
    completionStarted = Signal(object)
    #: A completion ended: the list of Completions, or [] when cancelled or failed.
    completionEnded = Signal(object)

    def __init__(self, context: StudioContext, parent: QWidget | None = None, auto_load: bool = True):
        super().__init__(parent)
        self.context = context
        self.task = None  # the PixelRNN Task completions use; see set_task()
        self.model_description = ""
        self.job: CompletionJob | None = None
        self.variant_mask: np.ndarray | None = None  # the mask the shown variants filled
        self._loading: WorkerTask | None = None

        self.canvas = SpriteCanvas()
        self.canvas.setAcceptDrops(True)
        self.canvas.installEventFilter(self)  # an image dropped on it: see eventFilter
        self.tools = CanvasToolBars(self.canvas, self)
        # One Train tab per autoregressive model: both complete the same canvas the same way.
        plots = [PlotSpec("Loss (cross-entropy, nats)", keys=["loss"]),
                 PlotSpec("Bits per pixel", keys=["bits_per_pixel", "val/bits_per_pixel",
                                                  "val/bits_per_pixel_after_60pct"])]
        self.training = TrainingPanel(context, model="pixelrnn", intro=INTRO, tips=TIPS, plots=plots)
        self.transformer_training = TrainingPanel(context, model="transformer", intro=TRANSFORMER_INTRO,
                                                  plots=plots)
        self.trainers = {"pixelrnn": self.training, "transformer": self.transformer_training}
        self.pages = QTabWidget()
        self.pages.addTab(self._build_complete_page(), "Complete a sprite")
        self.pages.addTab(self.training, "Train PixelRNN")
        self.pages.addTab(self.transformer_training, "Train transformer")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

        self.browser.spriteChosen.connect(self.load_dataset_sprite)
        self.canvas.stateChanged.connect(self._update_complete_button)
        self.canvas.colorPicked.connect(self._choose_paint_color)
        self.paint_box.palette_view.colorClicked.connect(self._choose_paint_color)
        self.variants.variantChosen.connect(self.choose_variant)
        for panel in self.trainers.values():
            panel.trainingFinished.connect(self._on_training_finished)
            panel.open_button.clicked.connect(lambda _=False, p=panel: self._on_training_run_opened(p))
        context.datasetChanged.connect(self.set_dataset)
        self.set_task(None)
        if context.dataset is not None:
            self.set_dataset(context.dataset)
        if auto_load:
            QTimer.singleShot(0, self.open_startup_run)

    # --- layout ------------------------------------------------------------------------------------
    def _build_complete_page(self) -> QWidget:
        self.browser = SpriteBrowser()
        self.open_image_button = QPushButton("Open image…")
        self.open_image_button.setToolTip("Put a picture on the canvas: framed around the creature, "
                                          "resized to the sprite size and mapped to the palette")
        self.open_image_button.clicked.connect(self.choose_image)
        sprite_box = QGroupBox("1 · Pick a sprite")
        sprite_layout = QVBoxLayout(sprite_box)
        sprite_layout.addWidget(self.browser, 1)
        sprite_layout.addWidget(self.open_image_button)

        # Centre: tool bars, the canvas, the variants.
        self.canvas_hint = QLabel(MASK_HINT)
        self.canvas_hint.setStyleSheet("color: gray")
        self.canvas_hint.setWordWrap(True)
        self.show_mask = QPushButton("Hide mask")
        self.show_mask.setCheckable(True)
        self.show_mask.setToolTip("Hide the hatching to see the pixels under the mask")
        self.show_mask.toggled.connect(self._set_mask_hidden)
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.canvas_hint, 1)
        hint_row.addWidget(self.show_mask)
        self.variants = VariantStrip()
        self.variants_caption = QLabel("4 · Variants appear here, best first, with their log-likelihood "
                                       "(nats; closer to 0 = more likely). Click one to put it on the canvas.")
        self.variants_caption.setWordWrap(True)
        self.variants_caption.setStyleSheet("color: gray")
        self.export_canvas_button = QPushButton("Export canvas PNG…")
        self.export_variants_button = QPushButton("Export variants PNG…")
        self.export_canvas_button.clicked.connect(lambda: self._choose_export(self.export_canvas, "sprite.png"))
        self.export_variants_button.clicked.connect(lambda: self._choose_export(self.export_variants,
                                                                                "variants.png"))
        export_row = QHBoxLayout()
        export_row.addWidget(self.variants_caption, 1)
        export_row.addWidget(self.export_canvas_button)
        export_row.addWidget(self.export_variants_button)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.tools.draw_bar)
        centre_layout.addWidget(self.tools.mask_bar)
        centre_layout.addLayout(hint_row)
        centre_layout.addWidget(self.canvas, 1)
        centre_layout.addLayout(export_row)
        centre_layout.addWidget(self.variants)

        # Right: the model, the completion settings, the palette.
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self.model_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_run_button = QPushButton("Open run…")
        self.open_run_button.setToolTip("Complete with another model: the best checkpoint of a run folder "
                                        "of any model (PixelRNN, transformer, VAE or GAN)")
        self.open_run_button.clicked.connect(self.choose_run)
        self.train_button = QPushButton("Train PixelRNN…")
        self.train_button.clicked.connect(lambda: self.pages.setCurrentWidget(self.training))
        model_buttons = QHBoxLayout()
        model_buttons.addWidget(self.open_run_button)
        model_buttons.addWidget(self.train_button)
        model_box = QGroupBox("Model")
        model_layout = QVBoxLayout(model_box)
        model_layout.addWidget(self.model_label)
        model_layout.addLayout(model_buttons)

        self.controls = CompletionBox()
        self.controls.complete_button.clicked.connect(self.start_completion)
        self.controls.cancel_button.clicked.connect(self.cancel_completion)
        self.paint_box = PaintColourBox()

        scroll = side_column((model_box, self.controls, self.paint_box), min_width=290)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(sprite_box)
        splitter.addWidget(centre)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([190, 760, 300])
        page = QWidget()
        QVBoxLayout(page).addWidget(splitter)
        return page

    # --- the sprite on the canvas ---------------------------------------------------------------------
    def set_dataset(self, dataset: SpriteSet) -> None:
        """A new dataset: refill the browser and show its first sprite (the edit history is
        cleared if the palette or size changed, since old steps no longer apply)."""
        self.browser.set_dataset(dataset)
        self.paint_box.set_palette(dataset.palette)
        self.set_paint_color(1 if dataset.num_colors > 1 else 0)
        self.variants.clear_variants()
        self.canvas.set_sprite(dataset.indices[0], dataset.palette, "Load sprite #0",
                               undoable=False)
        self.browser.select(0)
        self._update_complete_button()

    def _set_mask_hidden(self, hidden: bool) -> None:
        self.canvas.set_mask_visible(not hidden)
        self.show_mask.setText("Show mask" if hidden else "Hide mask")
        self.canvas_hint.setText(MASK_HIDDEN_HINT if hidden else MASK_HINT)

    def _new_sprite(self, sprite: np.ndarray, palette, text: str) -> None:
        """Another sprite or image on the canvas: the old variants and the mask view go."""
        self.variants.clear_variants()
        self.variant_mask = None
        self.show_mask.setChecked(False)
        self.canvas.set_sprite(sprite, palette, text)

    def load_dataset_sprite(self, i: int) -> None:
        dataset = self.context.dataset
        if dataset is not None and 0 <= i < len(dataset):
            self._new_sprite(dataset.indices[i], dataset.palette, f"Load sprite {dataset.label(i)}")

    def load_image(self, path: str | Path) -> None:
        """Put an image file on the canvas (undoable); a bad file shows the loader's message."""
        if self.canvas.state is None:
            return
        try:
            sprite = sprite_from_image(path, self.canvas.palette, self.canvas.state.shape)
        except (DatasetError, ValueError) as err:
            QMessageBox.warning(self, "Could not open image", str(err))
            return
        self._new_sprite(sprite, self.canvas.palette, f"Open image {Path(path).name}")

    def eventFilter(self, watched, event) -> bool:
        """An image file dropped on the canvas goes on it, as Open image… does."""
        if watched is self.canvas and event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove) \
                and event.mimeData().hasUrls():
            event.acceptProposedAction()
            return True
        if watched is self.canvas and event.type() == QEvent.Type.Drop and event.mimeData().hasUrls():
            self.load_image(event.mimeData().urls()[0].toLocalFile())
            event.acceptProposedAction()
            return True
        return super().eventFilter(watched, event)

    def choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "",
                                              "Images (*.png *.gif *.jpg *.jpeg *.bmp);;All files (*)")
        if path:
            self.load_image(path)

    def set_paint_color(self, index: int) -> None:
        self.canvas.paint_color = index
        self.paint_box.show_colour(index)

    def _choose_paint_color(self, index: int) -> None:
        """A swatch clicked or a colour picked: choosing a colour is almost always followed by painting."""
        self.set_paint_color(index)
        self.tools.set_tool("paint")

    # --- the model ------------------------------------------------------------------------------------
    def set_task(self, task, description: str = "") -> None:
        """Use ``task`` (a pixelrnn Task) for completions, or None for no model."""
        self.task, self.model_description = task, description
        if task is None:
            self.model_label.setText(NO_MODEL_HINT)
        else:
            self.model_label.setText(f"<b>Ready:</b> {description}")
        self._update_complete_button()
        self.modelChanged.emit(task)

    def load_run(self, path: str | Path) -> WorkerTask:
        """Load a run folder's best checkpoint on a worker thread, then use it."""
        path = Path(path)
        self.model_label.setText(f"Loading {path.name} …")
        if self._loading is not None and not self._loading.done:
            self._loading.cancel()  # the newest request wins
        self._loading = run_in_thread(lambda: _load_pixelrnn_run(path),
                                      lambda result: self._on_loaded(path, *result),
                                      self._on_load_failed, name=f"load {path}", owner=self)
        return self._loading

    def choose_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder to complete with",
                                                  str(self.training.runs_dir or default_runs_dir()))
        if folder:
            self.open_run(folder)

    def open_run(self, path: str | Path, show_settings: bool = True) -> WorkerTask:
        """Complete with the run's model, and show its curves on the Train tab."""
        task = self.load_run(path)
        from studio.train.trained import run_config

        try:
            panel = self.trainers.get(run_config(path)["model"])
        except ValueError:  # load_run reports what is wrong with the folder
            panel = None
        if panel is not None and not panel.is_training():
            panel.open_run(path, show_settings)
        return task

    def open_startup_run(self) -> None:
        """On launch: the model used last, else the newest PixelRNN run, else the shipped one."""
        run = startup_run(AUTOREGRESSIVE, QSettings().value(LAST_RUN_KEY, "", type=str),
                          self.training.runs_dir or default_runs_dir())
        if run is not None and self.task is None:
            self.open_run(run, show_settings=False)

    def _on_loaded(self, path: Path, task, description: str) -> None:
        QSettings().setValue(LAST_RUN_KEY, str(path))
        self.set_task(task, description)

    def _on_load_failed(self, error: BaseException) -> None:
        self.set_task(self.task, self.model_description)  # keep the model we had
        QMessageBox.warning(self, "Could not load the run", _describe(error))

    def _on_training_finished(self, summary: dict) -> None:
        if summary.get("checkpoint") and summary.get("run"):
            self.load_run(summary["run"])

    def _on_training_run_opened(self, panel: TrainingPanel) -> None:
        """A Train tab's own "Open run…" showed a run: complete with it too, if it has a checkpoint."""
        run = panel.run_path
        if run is not None and panel.state == "following" and any(Path(run, "checkpoints").glob("*.pt")):
            self.load_run(run)

    def model_fits(self) -> str | None:
        """None if the model can complete the canvas, else why not (in words)."""
        if self.task is None:
            return "Train or open a PixelRNN run to complete."
        state, palette = self.canvas.state, self.canvas.palette
        if state is None:
            return "No sprite on the canvas yet."
        colours = _task_colours(self.task)
        if not np.array_equal(colours, palette.colors):
            return (f"This model was trained on another palette ({len(colours)} colours; the "
                    f"dataset has {len(palette)}): open the dataset it was trained on.")
        if tuple(self.task.size) != state.shape:
            return f"This model draws {self.task.size[0]}×{self.task.size[1]} sprites, the canvas is " \
                   f"{state.shape[0]}×{state.shape[1]}."
        return None

    # --- completing -------------------------------------------------------------------------------------
    def _update_complete_button(self, *_args) -> None:
        busy = self.job is not None
        problem = self.model_fits()
        if problem is None and not self.canvas.state.mask.any():
            problem = "Mask part of the sprite first, e.g. with Cover 75 %."
        self.controls.complete_button.setEnabled(problem is None and not busy)
        if not busy:
            self.controls.hint.setText(problem or "Press Complete: the model fills the hatched pixels, "
                                                  "keeping the others exactly.")

    def start_completion(self) -> CompletionJob | None:
        """Complete the masked pixels on a worker thread; None if it cannot start now."""
        if self.job is not None or self.model_fits() is not None or not self.canvas.state.mask.any():
            return None
        state = self.canvas.state
        job = CompletionJob(self.task, state.sprite, state.mask, self.controls.n_variants.value(),
                            self.controls.temperature())
        job.progressed.connect(self._on_progress)
        self.job = job
        self.variants.clear_variants()
        self.variant_mask = None
        self.controls.set_running(state.sprite.size)
        self.completionStarted.emit(job)
        job.worker = run_in_thread(job.run, lambda result: self._on_completed(job, result),
                                   lambda error: self._on_completion_failed(job, error),
                                   name="complete", owner=self)
        self.destroyed.connect(job.cancel)  # a closed window stops the worker at its next pixel
        return job

    def cancel_completion(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.controls.cancel_button.setEnabled(False)
            self.controls.hint.setText("Cancelling…")

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if self.job is not None:
            self.controls.show_progress(done, total)

    def _on_completed(self, job: CompletionJob, completions: list) -> None:
        from studio.models.inpainting import completer_for

        self._end_job()
        if self.model_fits() is not None:  # the dataset changed meanwhile: other colours, other size
            self.controls.hint.setText("The dataset changed while completing: press Complete again.")
            self.completionEnded.emit([])
            return
        self.variant_mask = job.mask
        self.variants.set_variants(np.stack([c.sprite for c in completions]),
                                   [c.score for c in completions], self.canvas.palette,
                                   completer_for(self.task).score_name)
        self.controls.hint.setText(f"{len(completions)} variants below, best first. Click one to put it "
                                   "on the canvas; Complete again for new ones.")
        self.completionEnded.emit(completions)

    def _on_completion_failed(self, job: CompletionJob, error: BaseException) -> None:
        from studio.models.completion import Cancelled

        self._end_job()
        self.controls.show_progress(0, 1, "")
        if isinstance(error, Cancelled):
            self.controls.hint.setText("Cancelled. Nothing changed.")
        else:
            self.controls.hint.setText(f"Completion failed: {_describe(error)}")
            self.context.show_message(f"Completion failed: {_describe(error)}", 10000)
        self.completionEnded.emit([])

    def _end_job(self) -> None:
        self.job = None
        self.controls.cancel_button.setEnabled(False)
        self._update_complete_button()

    def choose_variant(self, k: int) -> None:
        """Put variant ``k`` on the canvas (undoable): its pixels where the completion's mask
        was, the canvas's own everywhere else; the mask stays, to try another variant."""
        state = self.canvas.state
        if self.variant_mask is None or not 0 <= k < len(self.variants.sprites) \
                or self.variant_mask.shape != state.shape:
            return
        sprite = composite(state.sprite, self.variants.sprites[k], self.variant_mask)
        self.canvas.apply(state.with_sprite(sprite), f"Use variant {k + 1}")

    # --- export ---------------------------------------------------------------------------------------------
    def export_canvas(self, path: str | Path) -> None:
        """The canvas sprite as a PNG, each pixel EXPORT_SCALE × EXPORT_SCALE (no mask drawn)."""
        indices_to_image(self.canvas.state.sprite, self.canvas.palette, EXPORT_SCALE).save(path)

    def export_variants(self, path: str | Path) -> None:
        """The variants strip as one PNG row, best first."""
        if not len(self.variants.sprites):
            raise ValueError("no variants to export yet: press Complete first")
        grid_image(self.variants.sprites, self.canvas.palette, columns=len(self.variants.sprites),
                   scale=8, gap=1).save(path)

    def _choose_export(self, export, default_name: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export PNG", default_name, "PNG images (*.png)")
        if not path:
            return
        try:
            export(path if path.lower().endswith(".png") else path + ".png")
        except (OSError, ValueError) as err:
            QMessageBox.warning(self, "Could not export", str(err))

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """The window is closing: stop a completion and the training (keeping a checkpoint)."""
        if self.job is not None:
            self.job.cancel()
        return all([panel.shutdown(timeout_ms) for panel in self.trainers.values()])


def _load_pixelrnn_run(path: Path):
    """(task, description) from a run folder's best checkpoint; runs on a worker thread."""
    from studio.train.trained import TrainedRun

    from studio.models.inpainting import completer_for

    run = TrainedRun.open(path)
    completer_for(run.task)  # a ValueError (shown in a dialog) for a model that cannot complete
    return run.task, run.describe(model_title(path))


def _task_colours(task) -> np.ndarray:
    """The palette [K, 3] uint8 a task was trained with, whatever the model."""
    palette = getattr(task, "palette", None)
    if palette is None:  # the VAE keeps it as a tensor only
        return task.palette_rgb.cpu().numpy()
    return np.asarray(getattr(palette, "colors", palette))


def _describe(error: BaseException) -> str:
    if isinstance(error, (ValueError, FileNotFoundError, DatasetError)) or \
            type(error).__name__ == "CheckpointError":
        return str(error)
    return f"{type(error).__name__}: {error}"
