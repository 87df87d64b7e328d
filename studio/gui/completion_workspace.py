"""The completion workspace: mask part of a Pokémon and let any model complete it.

Three pages. "Complete a sprite": pick a dataset sprite (or open an image), mask part of it on
the canvas, press Complete, and choose among the variants the model draws. "Train PixelRNN"
and "Train transformer": the shared :class:`TrainingPanel`; when a run there finishes, its
best checkpoint becomes the model the Complete page uses.

What completes lives below this view, in ``workspace.models`` (a Qt-free
:class:`studio.session.completion.CompletionModels`: the built-in PixelRNN, transformer, diffusion,
VAE and GAN, every run opened here, the chosen one, the running job): the chooser picks the one Complete
uses (``workspace.task`` is its Task, or None: then Complete is disabled and the page says how
to get one); *Compare all models* fills the same mask with each of them and shows the best of
each in one row; *Race* fills it in raster order and with diffusion, replayed side by side
(studio.session.race, gui/race_panel.py). Jobs run on a worker thread; the canvas stays editable meanwhile, and Cancel
stops the job between two steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QSettings, QTimer, Signal
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QHBoxLayout, QLabel, QMessageBox, QPushButton,
                               QTabWidget, QVBoxLayout, QWidget)

from studio.data.sprites import SpriteSet, grid_image, indices_to_image
from studio.errors import DatasetError, RunError, describe_error
from studio.gui.beliefs_panel import ModelThoughts, ThoughtsBox
from studio.gui.canvas import SpriteCanvas
from studio.gui.canvas_model import composite, sprite_from_image
from studio.gui.canvas_tools import CanvasToolBars
from studio.gui.completion_panels import CompletionBox, CompletionResults, ModelBox, PaintColourBox, SpriteBrowser
from studio.gui.context import StudioContext
from studio.gui.race_panel import RacePanel
from studio.gui.training import PlotSpec, TrainingPanel
from studio.gui.widgets import export_folder, remember_export_folder, side_column, splitter
from studio.gui.workers import GuiThread, report_bug, run_in_thread
from studio.session.completion import Cancelled, CompletionJob, CompletionModel, CompletionModels
from studio.session.pretrained import MODEL_TITLES, startup_run
from studio.session.race import CompletionRace, race_entrants
from studio.session.runs import run_model

NO_MODEL_HINT = ("<b>No model yet.</b> Train or open a PixelRNN run to complete: use the "
                 "<i>Train PixelRNN</i> tab, or <i>Open run…</i> below for a run folder of any model.")
VARIANTS_HINT = "The chosen model's variants appear here, best first, with its score. Click one to use it."
COMPARE_HINT = ("<i>Compare all models</i> fills the same mask with every model in the chooser: the best "
                "variant of each appears here, with its score and time. Click one to use it.")
LAST_RUN_KEY = "models/pixelrnn"  # QSettings: the model used last, reopened on launch
MASK_HINT = ("2 · Mask the part to fill in: paint with <b>Mask</b>, drag a <b>Rectangle</b>, or "
             "<b>Cover 50 % / 75 %</b>. Or drop an image on the canvas.")
MASK_HIDDEN_HINT = "<b>The mask is hidden</b>: you see the pixels under it. Show mask to edit it again."
EXPORT_SCALE = 16
RACE_HINT = ("<i>Race</i> fills the mask in raster order (PixelRNN or the transformer, pixel by pixel) and "
             "with diffusion (a few pixels a step, the surest first), replayed side by side at the times "
             "each reached each frame.")
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


class CompletionWorkspace(QWidget):
    #: The model changed: the new Task, or None.
    modelChanged = Signal(object)
    #: A completion is about to start on its thread (the session's CompletionJob).
    completionStarted = Signal(object)
    #: A completion ended: the list of Variants, or [] when cancelled or failed.
    completionEnded = Signal(object)
    #: A comparison ended: a ModelResult per model, or [] when cancelled or failed.
    comparisonEnded = Signal(object)
    #: a race's frames arrived and its replay started (the CompletionRace), or it failed (None)
    raceEnded = Signal(object)

    def __init__(self, context: StudioContext, parent: QWidget | None = None, auto_load: bool = True):
        super().__init__(parent)
        self.context = context
        post = GuiThread(self).post
        # The chooser's models, the chosen one, the running job; work on a worker thread.
        self.models = CompletionModels(runner=lambda work: run_in_thread(work, on_error=report_bug, owner=self),
                                       deliver=post)
        self._post = post
        self.race = CompletionRace()
        self._race_job = None  # the race being run on a worker, or None

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
        self.compared.variantChosen.connect(self.choose_compared)
        self.model_box.chooser.activated.connect(self.models.choose)
        self.models.changed.connect(self._on_models_changed)
        self.models.job_ended.connect(self._on_job_ended)
        self.models.open_failed.connect(self._on_open_failed)
        for panel in self.trainers.values():
            panel.trainingFinished.connect(self._on_training_finished)
            panel.open_button.clicked.connect(lambda _=False, p=panel: self._on_training_run_opened(p))
        context.datasetChanged.connect(self.set_dataset)
        self._on_models_changed("models")
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
        self.canvas_hint.setFixedHeight(2 * self.canvas_hint.fontMetrics().lineSpacing() + 4)  # no jumps
        self.show_mask = QPushButton("Hide mask")
        self.show_mask.setCheckable(True)
        self.show_mask.setToolTip("Hide the hatching to see the pixels under the mask")
        self.show_mask.toggled.connect(self._set_mask_hidden)
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.canvas_hint, 1)
        hint_row.addWidget(self.show_mask)
        self.results = CompletionResults(VARIANTS_HINT, COMPARE_HINT)
        self.variants, self.compared = self.results.variants, self.results.compared
        self.variants_caption, self.compare_caption = self.results.variants_caption, self.results.compare_caption
        self.export_canvas_button = self.results.export_canvas_button
        self.export_variants_button = self.results.export_variants_button
        self.export_canvas_button.clicked.connect(lambda: self._choose_export(self.export_canvas, "sprite.png"))
        self.export_variants_button.clicked.connect(lambda: self._choose_export(self.export_variants,
                                                                                "variants.png"))
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.tools.draw_bar)
        centre_layout.addWidget(self.tools.mask_bar)
        centre_layout.addLayout(hint_row)
        centre_layout.addWidget(self.canvas, 1)
        centre_layout.addWidget(self.results)
        self.race_panel = RacePanel(self.race, RACE_HINT)
        self.results.addTab(self.race_panel, "6 · Race")

        # Right: the model, the completion settings, the palette.
        self.model_box = ModelBox()
        self.model_label = self.model_box.label
        self.model_box.open_run_button.clicked.connect(self.choose_run)
        self.model_box.train_button.clicked.connect(self.train_chosen_model)

        self.controls = CompletionBox()
        self.controls.complete_button.clicked.connect(self.start_completion)
        self.controls.compare_button.clicked.connect(self.start_comparison)
        self.controls.race_button.clicked.connect(self.start_race)
        self.controls.cancel_button.clicked.connect(self.cancel_completion)
        self.paint_box = PaintColourBox()
        self.thoughts_box = ThoughtsBox()
        self.thoughts = ModelThoughts(self.canvas, self.thoughts_box, self)
        self._thoughts_model = None  # (task, problem) the thoughts box looks through

        scroll = side_column((self.model_box, self.controls, self.thoughts_box, self.paint_box), min_width=290)

        page = QWidget()
        QVBoxLayout(page).addWidget(splitter(sprite_box, centre, scroll, stretch=(0, 1, 0), sizes=(190, 760, 300)))
        return page

    # --- the sprite on the canvas ---------------------------------------------------------------------
    def set_dataset(self, dataset: SpriteSet) -> None:
        """A new dataset: refill the browser and show its first sprite (the edit history is
        cleared if the palette or size changed, since old steps no longer apply)."""
        self.browser.set_dataset(dataset)
        self.paint_box.set_palette(dataset.palette)
        self.race_panel.set_palette(dataset.palette)
        self.set_paint_color(1 if dataset.num_colors > 1 else 0)
        self.models.set_canvas(dataset.palette.colors, (dataset.height, dataset.width))
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
        self.models.clear_results()
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
    @property
    def task(self):
        """The chosen model's Task, which Complete uses, or None."""
        return None if self.models.current is None else self.models.current.task

    def set_task(self, task, description: str = "") -> None:
        """Complete with ``task`` (any model's Task made in code), or with none (None)."""
        if task is None:
            self.models.choose(None)
        else:
            self.models.add(CompletionModel.of_task(task, description))

    def _on_models_changed(self, what: str) -> None:
        """The session's models changed: mirror the chooser, the label, the strips, the buttons."""
        if what in ("models", "current", "canvas"):
            self.model_box.show_models(self.models)
            self._show_model()
            self._show_thoughts_model()
        if what in ("current", "variants"):  # another model: the old one's variants went
            self._show_variants()
        if what == "comparison":
            self._show_comparison()
        self._update_complete_button()
        if what == "current":
            self.modelChanged.emit(self.task)

    def _show_thoughts_model(self) -> None:
        """What the model thinks looks through the chosen model, where it fits the canvas."""
        current = self.models.current
        task = current.task if current is not None else None
        problem = self.models.problem() if current is not None else None
        if (task, problem) != self._thoughts_model:
            self._thoughts_model = (task, problem)
            self.thoughts.set_model(task, current.title if current is not None else "", problem)

    def train_chosen_model(self) -> None:
        """Where the chosen model's family trains: a Train tab here, or the VAE or GAN workspace."""
        model = self.models.current.model if self.models.current is not None else "pixelrnn"
        if model in self.trainers:
            self.pages.setCurrentWidget(self.trainers[model])
        else:
            self.context.request_training(model)

    def _show_model(self) -> None:
        current, problem = self.models.current, self.models.problem()
        family = current.model if current is not None else "pixelrnn"
        self.model_box.train_button.setText(f"Train {MODEL_TITLES.get(family, family)}…")
        if current is None:
            self.model_label.setText(NO_MODEL_HINT)
        elif problem is not None and self.models.shape is not None:
            self.model_label.setText(f"<b>Cannot complete this dataset:</b> {current.description}. {problem}")
        else:
            self.model_label.setText(f"<b>Ready:</b> {current.description}")

    @property
    def job(self) -> CompletionJob | None:
        """The completion running now, or None."""
        return self.models.job

    def load_run(self, path: str | Path) -> None:
        """Open a run folder's best checkpoint (on a worker thread), then complete with it."""
        self.model_label.setText(f"Loading {Path(path).name} …")
        self.models.open_runs([path], choose=path)

    def choose_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder to complete with",
                                                  str(self.training.session.runs_folder))
        if folder:
            self.open_run(folder)

    def open_run(self, path: str | Path, resume: bool = False, show_settings: bool = True) -> bool:
        """Complete with the run's model, and show its curves on its Train tab (raster models),
        continuing its training there with ``resume``."""
        self.load_run(path)  # it reports what is wrong with a folder that is no run
        panel = self._show_curves(path, show_settings)
        if resume and panel is not None:
            self.pages.setCurrentWidget(panel)
            panel.resume()
        return True

    def _show_curves(self, path, show_settings: bool) -> TrainingPanel | None:
        """The Train tab of the run's model showing its curves; None for a VAE or GAN run."""
        try:
            panel = self.trainers.get(run_model(path))
        except RunError:
            return None
        if panel is not None and not panel.is_training():
            panel.open_run(path, show_settings=show_settings)
        return panel

    def is_training(self) -> bool:
        return any(panel.is_training() for panel in self.trainers.values())

    def training_panels(self) -> dict:
        return dict(self.trainers)

    def show_checkpoint(self, model: str, path: Path) -> None:
        self.models.show_checkpoint(path)

    def show_training(self, model: str) -> bool:
        if model in self.trainers:
            self.pages.setCurrentWidget(self.trainers[model])
        return model in self.trainers

    def open_startup_run(self) -> None:
        """On launch: complete with the model used last, else the newest PixelRNN or transformer
        run, else the shipped one; the other shipped models join the chooser."""
        if self.task is not None:
            return
        run = self.models.open_startup(QSettings().value(LAST_RUN_KEY, "", type=str),
                                       self.training.session.runs_folder)
        if run is not None:
            self.model_label.setText(f"Loading {Path(run).name} …")
            self._show_curves(run, show_settings=False)
        for model, panel in self.trainers.items():  # each Train tab shows its model's run
            if panel.run_path is None and not panel.is_training():
                shown = startup_run(model, None, panel.session.runs_folder)
                if shown is not None:
                    panel.open_run(shown, show_settings=False)

    def _on_open_failed(self, path: Path, error: BaseException, chosen: bool) -> None:
        if chosen:
            self._show_model()  # keep the model we had
            QMessageBox.warning(self, "Could not load the run", describe_error(error))
        else:
            self.context.show_message(f"Could not load {path}: {describe_error(error)}", 10000)

    def _on_training_finished(self, summary: dict) -> None:
        if summary.get("checkpoint") and summary.get("run"):
            self.load_run(summary["run"])

    def _on_training_run_opened(self, panel: TrainingPanel) -> None:
        """A Train tab's own "Open run…" showed a run: complete with it too, if it has a checkpoint."""
        run = panel.run_path
        if run is not None and panel.state == "following" and any(Path(run, "checkpoints").glob("*.pt")):
            self.load_run(run)

    def model_fits(self) -> str | None:
        """None if the chosen model can complete the canvas, else why not (in words)."""
        return self.models.problem()

    # --- completing -------------------------------------------------------------------------------------
    def _update_complete_button(self, *_args) -> None:
        busy = self.job is not None
        problem = self.model_fits()
        masked = self.canvas.state is not None and bool(self.canvas.state.mask.any())
        if problem is None and not masked:
            problem = "Mask part of the sprite first, e.g. with Cover 75 %."
        self.controls.complete_button.setEnabled(problem is None and not busy)
        self.controls.compare_button.setEnabled(masked and not busy and bool(self.models.fitting()[0]))
        race_problem = self.race_problem()
        self.controls.race_button.setEnabled(masked and not busy and self._race_job is None and race_problem is None)
        self.controls.race_button.setToolTip(race_problem or self.controls.race_tip)
        if not busy:
            self.controls.hint.setText(problem or "Press Complete: the model fills the hatched pixels, "
                                                  "keeping the others exactly.")

    def start_completion(self) -> CompletionJob | None:
        """Complete the masked pixels with the chosen model on a worker thread; None if it
        cannot start now."""
        return self._start(comparing=False)

    def start_comparison(self) -> CompletionJob | None:
        """Complete the masked pixels with every model that fits the canvas, one after another
        on a worker thread; None if it cannot start now."""
        return self._start(comparing=True)

    def _start(self, comparing: bool) -> CompletionJob | None:
        state = self.canvas.state
        if state is None:
            return None
        job = self.models.start(state.sprite, state.mask, self.controls.n_variants.value(),
                                self.controls.temperature(), comparing, before=self._hook_job)
        if job is not None:
            self.controls.set_running(state.sprite.size)
        return job

    def _hook_job(self, job: CompletionJob) -> None:
        """Before it runs: its progress (reported on the worker thread) is shown on this one,
        and embedders hear of it."""
        job.progressed.connect(lambda done, total: self._post(lambda: self._on_progress(job, done, total)))
        job.model_started.connect(lambda i: self._post(lambda: self._on_model_started(job, i)))
        self.destroyed.connect(job.cancel)  # a closed window stops the worker at its next step
        self.completionStarted.emit(job)

    def cancel_completion(self) -> None:
        if self.job is not None:
            self.models.cancel()
            self.controls.cancel_button.setEnabled(False)
            self.controls.hint.setText("Cancelling…")

    # --- the race ---------------------------------------------------------------------------------------
    def race_problem(self) -> str | None:
        """None if the canvas has a raster and a diffusion model to race, else why not."""
        try:
            race_entrants(self.models.fitting()[0], self.models.current)
        except ValueError as err:
            return str(err)
        return None

    def start_race(self):
        """Fill the masked pixels with a raster and a diffusion model on a worker, then replay
        them side by side (the race panel); the job, or None if it cannot start now."""
        state = self.canvas.state
        if state is None or not state.mask.any() or self._race_job is not None or self.job is not None:
            return None
        try:
            self.race.set_entrants(race_entrants(self.models.fitting()[0], self.models.current))
        except ValueError as err:
            self.controls.hint.setText(str(err))
            return None
        race, sprite, mask = self.race, state.sprite.copy(), state.mask.copy()
        n, temperature = self.controls.n_variants.value(), self.controls.temperature()
        self.results.setCurrentWidget(self.race_panel)
        self.controls.hint.setText(f"Racing {' against '.join(m.title for m in race.entrants)}… each fills the "
                                   "mask on its own, then both are replayed.")
        self._race_job = run_in_thread(lambda: race.run(sprite, mask, n, temperature=temperature),
                                       self._on_race_done, self._on_race_failed, name="race", owner=self)
        self._update_complete_button()
        return self._race_job

    def _on_race_done(self, frames) -> None:
        self._race_job = None
        self.race.set_frames(frames)  # → the panel replays it
        self._update_complete_button()
        self.controls.hint.setText("The race is replayed below, slowed down, at the times each model reached "
                                   "each frame; the clocks count real seconds.")
        self.raceEnded.emit(self.race)

    def _on_race_failed(self, error: BaseException) -> None:
        self._race_job = None
        self.controls.hint.setText(f"The race failed: {describe_error(error)}")
        report_bug(error)
        self._update_complete_button()
        self.raceEnded.emit(None)

    def _on_model_started(self, job: CompletionJob, i: int) -> None:
        if job is self.job and job.comparing and not job.cancelled:
            self.controls.hint.setText(f"Comparing: {job.models[i].title} ({i + 1} of {len(job.models)})… "
                                       "the canvas stays editable.")
        self._unit = job.unit(i)

    def _on_progress(self, job: CompletionJob, done: int, total: int) -> None:
        if job is self.job:
            self.controls.show_progress(done, total, f"{getattr(self, '_unit', 'pixel')} %v / %m")

    def _on_job_ended(self, job: CompletionJob) -> None:
        self.controls.cancel_button.setEnabled(False)
        self._update_complete_button()
        ended = self.comparisonEnded if job.comparing else self.completionEnded
        if isinstance(job.error, Cancelled):
            self.controls.show_progress(0, 1, "")
            self.controls.hint.setText("Cancelled. Nothing changed.")
            ended.emit([])
        elif job.error is not None:
            self.controls.show_progress(0, 1, "")
            self.controls.hint.setText(f"Completion failed: {describe_error(job.error)}")
            self.context.show_message(f"Completion failed: {describe_error(job.error)}", 10000)
            ended.emit([])
        elif job.comparing:
            self.controls.hint.setText(f"{len(job.results)} models compared below. Click one to put it on the "
                                       "canvas.")
            ended.emit(job.results)
        else:
            self.controls.hint.setText(f"{len(job.results[0].variants)} variants below, best first. Click one "
                                       "to put it on the canvas; Complete again for new ones.")
            ended.emit(job.results[0].variants)

    def _show_variants(self) -> None:
        result = self.models.variants
        if result is None:
            self.variants.clear_variants()
            self.variants_caption.setText(VARIANTS_HINT)
            return
        self.variants.set_variants(np.stack([v.sprite for v in result.variants]),
                                   [v.score for v in result.variants], self.canvas.palette, result.score_name)
        better = "closer to 0 = more likely" if result.score_name.startswith("log p") else "higher = better"
        self.variants_caption.setText(f"<b>{result.title}</b>: {len(result.variants)} variants in "
                                      f"{result.seconds:.2f} s, best first by {result.score_name} ({better}).")
        self.results.setCurrentWidget(self.results.variants_page)

    def _show_comparison(self) -> None:
        results = self.models.comparison
        self.compared.set_results(results, self.canvas.palette)
        if not results:
            self.compare_caption.setText(COMPARE_HINT)
            return
        _, skipped = self.models.fitting()
        left_out = f" Left out (another palette or size): {', '.join(skipped)}." if skipped else ""
        self.compare_caption.setText(
            f"<b>Every model</b>'s best of {len(results[0].variants)}: its own score (not comparable across "
            f"models) · seconds; {sum(r.seconds for r in results):.2f} s in all.{left_out}")
        self.results.setCurrentWidget(self.results.compare_page)

    def choose_variant(self, k: int) -> None:
        """Put variant ``k`` on the canvas (undoable): its pixels where the completion's mask
        was, the canvas's own everywhere else; the mask stays, to try another variant."""
        result = self.models.variants
        if result is not None and 0 <= k < len(result.variants):
            self._use(result.variants[k].sprite, result.mask, f"Use variant {k + 1}")

    def choose_compared(self, k: int) -> None:
        """Put model ``k``'s best variant of the comparison on the canvas, as a variant."""
        results = self.models.comparison
        if 0 <= k < len(results):
            self._use(results[k].best.sprite, results[k].mask, f"Use {results[k].title}'s best")

    def _use(self, sprite: np.ndarray, mask: np.ndarray, text: str) -> None:
        state = self.canvas.state
        if state is not None and mask.shape == state.shape:
            self.canvas.apply(state.with_sprite(composite(state.sprite, sprite, mask)), text)

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
        path, _ = QFileDialog.getSaveFileName(self, "Export PNG", str(export_folder() / default_name),
                                              "PNG images (*.png)")
        if not path:
            return
        remember_export_folder(path)
        try:
            export(path if path.lower().endswith(".png") else path + ".png")
        except (OSError, ValueError) as err:
            QMessageBox.warning(self, "Could not export", str(err))

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """The window is closing: stop a completion and the training (keeping a checkpoint)."""
        if self.job is not None:
            self.job.cancel()
        return all([panel.shutdown(timeout_ms) for panel in self.trainers.values()])
