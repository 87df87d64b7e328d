"""The GAN code space workspace: move between codes z of a trained GAN, and check for copies.

- Two endpoint codes A and B (re-roll either); the slider moves z from A to B, along the
  great circle (slerp) or the straight line (lerp), and the middle view shows G(z).
- Play walks a closed loop through random codes (slerp); Export GIF saves that loop.
- "Is it new?" puts generated sprites beside their nearest training sprites with the distance
  (RMS ΔE per pixel, studio/models/gan_signals.py): 0 means a copy of that training sprite.

Decoding happens on a worker thread, all frames at once (the slider's 101 and the walk's), so
moving the slider or playing only swaps images on the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QSlider, QStyle, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from studio.gui.context import StudioContext
from studio.gui.widgets import PixelImageView, export_folder, remember_export_folder, rgb_to_pixmap
from studio.gui.workers import run_in_thread
from studio.session.explorers import GanWalk, LoadedGan
from studio.gui.workspaces import TrainsNothing
from studio.session.pretrained import follow_dataset, model_title, run_fits, startup_run
from studio.session.runs import default_runs_dir

SLIDER_STEPS = 100
WALK_FRAMES, WALK_WAYPOINTS, WALK_MS = 96, 6, 70
COPY_CHECKS = 8  # sprites compared with the training set: the one on screen and 7 new ones
ICON_SCALE = 3
LAST_RUN_KEY = "models/gan-explorer"  # QSettings: the run shown last, reopened on launch


class GanExplorerWorkspace(TrainsNothing, QWidget):
    runLoaded = Signal(str)
    framesReady = Signal()
    copiesChecked = Signal()

    def __init__(self, context: StudioContext, parent: QWidget | None = None, auto_load: bool = True):
        super().__init__(parent)
        self.context = context
        self.walk: GanWalk | None = None  # the codes: endpoints A and B, the walk's seed
        self.line_frames: np.ndarray | None = None  # [SLIDER_STEPS + 1, H, W, 3]
        self.walk_frames: np.ndarray | None = None  # palette indices [WALK_FRAMES, H, W]
        self._walk_index = 0
        self._decode_task = self._open_task = None
        self._build()
        # On launch: the model shown last, else the newest GAN run, else the shipped one.
        run = startup_run("gan", QSettings().value(LAST_RUN_KEY, "", type=str), default_runs_dir())
        if run is not None and auto_load:
            self.open_run(run)
        if auto_load:
            context.datasetChanged.connect(self._follow_dataset)

    def _follow_dataset(self, dataset) -> None:
        """Another dataset open: walk a GAN of its palette (yours, else the shipped one)."""
        current = self.gan.path if self.gan else None
        choice = follow_dataset("gan", dataset, current, QSettings().value(LAST_RUN_KEY, "", type=str),
                                default_runs_dir())
        if choice.path is None:
            self.drop_model()  # the last dataset's GAN draws in another palette
            self.run_label.setText(f"{choice.reason}: train one in the GAN tab (or Train quick models).")
        elif current is None or choice.path.resolve() != Path(current).resolve():
            self.open_run(choice.path)

    # --- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        intro = QLabel("<h3 style='margin:0'>GAN code space</h3><p style='color:gray'>Every code z gives "
                       "a sprite. Slide between two codes, play a walk through many, and check "
                       "whether what the generator makes is new or a copy of a training sprite.</p>")
        intro.setWordWrap(True)
        self.open_button = QPushButton("Open GAN run…")
        self.run_label = QLabel("No GAN run open: train one in the GAN tab, then open it here.")
        self.run_label.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.run_label, 1)

        self.view_a, self.view_b, self.view = PixelImageView(), PixelImageView(), PixelImageView()
        self.reroll_a, self.reroll_b = QPushButton("Re-roll A"), QPushButton("Re-roll B")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setValue(SLIDER_STEPS // 2)
        self.t_label = QLabel()
        self.spherical_box = QCheckBox("Spherical (slerp)")
        self.spherical_box.setChecked(True)
        self.spherical_box.setToolTip("Follow the great circle between A and B, where codes keep the length G "
                                      "was trained on; unticked: the straight line, whose middle is shorter")
        # Icons from the style, not ▶/⏸ characters: many fonts lack ⏸ and draw a box.
        self.play_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play walk")
        self.new_walk_button = QPushButton("New walk")
        self.export_button = QPushButton("Export GIF…")
        self.export_button.setToolTip("Save the walk's loop as an animated GIF")

        line = QGridLayout()
        line.addWidget(QLabel("A"), 0, 0, Qt.AlignmentFlag.AlignCenter)
        line.addWidget(QLabel("G(z)"), 0, 1, Qt.AlignmentFlag.AlignCenter)
        line.addWidget(QLabel("B"), 0, 2, Qt.AlignmentFlag.AlignCenter)
        line.addWidget(self.view_a, 1, 0)
        line.addWidget(self.view, 1, 1)
        line.addWidget(self.view_b, 1, 2)
        line.addWidget(self.reroll_a, 2, 0)
        line.addWidget(self.reroll_b, 2, 2)
        line.setColumnStretch(1, 2)
        line.setColumnStretch(0, 1)
        line.setColumnStretch(2, 1)
        line.setRowStretch(1, 1)
        slider_row = QHBoxLayout()
        slider_row.addWidget(QLabel("A"))
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(QLabel("B"))
        slider_row.addWidget(self.t_label)
        controls = QHBoxLayout()
        for widget in (self.spherical_box, self.play_button, self.new_walk_button, self.export_button):
            controls.addWidget(widget)
        controls.addStretch(1)
        space = QGroupBox("Between two codes, or walking through many")
        space_layout = QVBoxLayout(space)
        space_layout.addLayout(line, 1)
        space_layout.addLayout(slider_row)
        space_layout.addLayout(controls)

        self.check_button = QPushButton("Is it new? Find the nearest training sprites")
        self.check_button.setToolTip("Each sprite beside the training sprite closest to it. Distance: RMS colour "
                                     "difference per pixel (ΔE); 0 = an exact copy, under ~5 = a near copy")
        self.copies = QTableWidget(0, 3)
        self.copies.setHorizontalHeaderLabels(["Generated", "Nearest training sprite", "Distance (ΔE)"])
        self.copies.verticalHeader().hide()
        self.copies.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.copies.setIconSize(rgb_to_pixmap(np.zeros((20, 20, 3), np.uint8), ICON_SCALE).size())
        self.copies.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.copies_note = QLabel("The sprite on screen and 7 new ones, each beside its nearest training sprite.")
        self.copies_note.setWordWrap(True)
        self.copies_note.setStyleSheet("color: gray")
        memo = QGroupBox("Memorisation: new, or a copy?")
        memo_layout = QVBoxLayout(memo)
        memo_layout.addWidget(self.check_button)
        memo_layout.addWidget(self.copies, 1)
        memo_layout.addWidget(self.copies_note)

        body = QHBoxLayout()
        body.addWidget(space, 3)
        body.addWidget(memo, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        self.walk_timer = QTimer(self)
        self.walk_timer.setInterval(WALK_MS)
        self.walk_timer.timeout.connect(self._next_walk_frame)
        self.open_button.clicked.connect(self.choose_run)
        self.reroll_a.clicked.connect(lambda: self.reroll(0))
        self.reroll_b.clicked.connect(lambda: self.reroll(1))
        self.slider.valueChanged.connect(self._show_slider_frame)
        self.spherical_box.toggled.connect(lambda on: self.walk and self.walk.set_spherical(on))
        self.play_button.clicked.connect(lambda: self.set_playing(not self.walk_timer.isActive()))
        self.new_walk_button.clicked.connect(self.new_walk)
        self.export_button.clicked.connect(self.choose_gif)
        self.check_button.clicked.connect(self.check_copies)
        self._set_enabled(False)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.reroll_a, self.reroll_b, self.slider, self.spherical_box, self.play_button,
                       self.new_walk_button, self.export_button, self.check_button):
            widget.setEnabled(enabled)

    # --- opening a run -------------------------------------------------------------------------
    def choose_run(self) -> None:
        start = self.gan.path.parent if self.gan else default_runs_dir()
        folder = QFileDialog.getExistingDirectory(self, "Open a GAN run", str(start))
        if folder:
            self.open_run(folder)

    def open_run(self, path: str | Path, resume: bool = False) -> bool:
        """Walk the code space of a GAN run (loaded on a worker thread); it trains in the GAN tab."""
        self._open(path)
        return True

    def show_checkpoint(self, model: str, path: Path) -> None:
        """Walk the quick GAN from its first checkpoint on, and its newer ones as they come."""
        current = self.gan.path if self.gan else None
        if model == "gan" and (current is None or Path(current) == Path(path)
                               or not run_fits(current, self.context.dataset)):
            self._open(path)

    def _open(self, path: str | Path):
        self.set_playing(False)
        self.run_label.setText(f"Loading {path}…")
        self._open_task = run_in_thread(lambda: LoadedGan(path), on_done=self._loaded, on_error=self._load_failed,
                                        name="open GAN run", owner=self)
        return self._open_task

    def drop_model(self) -> None:
        """Show no GAN (none fits the open dataset) until one is opened."""
        for task in (self._open_task, self._decode_task):
            if task is not None:
                task.cancel()
        self._open_task = self._decode_task = None
        self.set_playing(False)
        self.walk, self.line_frames, self.walk_frames = None, None, None
        for picture in (self.view_a, self.view_b, self.view):
            picture.clear()
        self.copies.setRowCount(0)
        self._set_enabled(False)

    @property
    def gan(self) -> LoadedGan | None:
        return self.walk.gan if self.walk else None

    def _loaded(self, gan: LoadedGan) -> None:
        self.walk = GanWalk(gan, SLIDER_STEPS, WALK_WAYPOINTS, WALK_FRAMES)
        self.walk.changed.connect(lambda _: self._decode())
        self.walk.set_spherical(self.spherical_box.isChecked())
        QSettings().setValue(LAST_RUN_KEY, str(gan.path))
        self.run_label.setText(f"Model: {model_title(gan.path)} · z has {gan.z_dim} dimensions · {gan.data_note}")
        self.run_label.setToolTip(str(gan.path))
        self.check_button.setEnabled(gan.train_sprites is not None)
        self.copies.setRowCount(0)
        self._decode()
        self.runLoaded.emit(str(gan.path))

    def _load_failed(self, error: BaseException) -> None:
        from studio.errors import describe_error

        self.run_label.setText(f"Could not open the run: {describe_error(error)}")
        self.context.show_message(f"Could not open the run: {describe_error(error)}", 0)

    # --- codes → frames (worker thread) ------------------------------------------------------
    def reroll(self, which: int) -> None:
        """A new random code for endpoint A (0) or B (1)."""
        self.walk.reroll(which)

    def new_walk(self) -> None:
        self.walk.new_walk()

    def _decode(self) -> None:
        if self.walk is None:
            return
        if self._decode_task is not None:
            self._decode_task.cancel()
        self._decode_task = run_in_thread(self.walk.frames, on_done=self._frames_done,
                                          on_error=self._load_failed, name="decode codes", owner=self)

    def _frames_done(self, frames) -> None:
        self._decode_task = None
        self.line_frames, self.walk_frames = frames
        self._walk_index = 0
        self.view_a.set_image(self.line_frames[0])
        self.view_b.set_image(self.line_frames[-1])
        self._set_enabled(True)
        self.check_button.setEnabled(self.gan.train_sprites is not None)
        self._show_slider_frame()
        self.framesReady.emit()

    # --- showing ---------------------------------------------------------------------------------
    def current_image(self) -> np.ndarray | None:
        """The RGB sprite in the middle view."""
        if self.walk_timer.isActive() and self.walk_frames is not None:
            return self.gan.palette.to_rgb(self.walk_frames[self._walk_index])
        return None if self.line_frames is None else self.line_frames[self.slider.value()]

    def _show_slider_frame(self) -> None:
        t = self.slider.value() / SLIDER_STEPS
        self.t_label.setText(f"t = {t:.2f}")
        if self.line_frames is not None and not self.walk_timer.isActive():
            self.view.set_image(self.line_frames[self.slider.value()], auto_range=False)

    def set_playing(self, playing: bool) -> None:
        if playing and self.walk_frames is None:
            return
        if playing:
            self.walk_timer.start()
        else:
            self.walk_timer.stop()
            self._show_slider_frame()
        pixmap = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(pixmap))
        self.play_button.setText("Pause walk" if playing else "Play walk")
        self.slider.setEnabled(not playing and self.line_frames is not None)

    def _next_walk_frame(self) -> None:
        self._walk_index = (self._walk_index + 1) % len(self.walk_frames)
        self.view.set_image(self.gan.palette.to_rgb(self.walk_frames[self._walk_index]), auto_range=False)

    # --- export --------------------------------------------------------------------------------
    def choose_gif(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the walk as a GIF", str(export_folder() / "walk.gif"),
                                              "GIF images (*.gif)")
        if path:
            remember_export_folder(path)
            self.export_gif(path)

    def export_gif(self, path: str | Path, scale: int = 4) -> Path:
        saved = self.walk.save_gif(path, self.walk_frames, scale, WALK_MS)
        self.context.show_message(f"Saved a {len(self.walk_frames)}-frame walk to {saved}")
        return saved

    # --- memorisation ------------------------------------------------------------------------------
    def check_copies(self) -> None:
        """The sprite on screen and a few new draws, each beside its nearest training sprite."""
        gan = self.gan
        shown = gan.palette.nearest(self.current_image())[None]
        drawn = self.walk.draw_for_copy_check(COPY_CHECKS - 1)
        self.show_copies(np.concatenate([shown, drawn]))

    def show_copies(self, samples: np.ndarray) -> None:
        """Fill the table: each sample (palette indices), its nearest training sprite, the distance."""
        palette = self.gan.palette
        checks = self.walk.copies(samples)
        self.copies.setRowCount(len(checks))
        for row, check in enumerate(checks):
            left = QTableWidgetItem("on screen" if row == 0 else f"new #{row}")
            left.setIcon(rgb_to_pixmap(palette.to_rgb(check.sample), ICON_SCALE))
            right = QTableWidgetItem(f"#{check.number} of {self.gan.dataset_size}")
            right.setIcon(rgb_to_pixmap(palette.to_rgb(check.nearest), ICON_SCALE))
            distance = QTableWidgetItem(f"{check.distance:.1f} — {check.verdict}")
            for col, item in enumerate((left, right, distance)):
                self.copies.setItem(row, col, item)
            self.copies.setRowHeight(row, 20 * ICON_SCALE + 6)
        self.copiesChecked.emit()

    def copy_rows(self) -> list[tuple[int, float]]:
        """(training sprite number, distance) of each row, as shown."""
        rows = []
        for row in range(self.copies.rowCount()):
            number = int(self.copies.item(row, 1).text().lstrip("#").split()[0])
            rows.append((number, float(self.copies.item(row, 2).text().split()[0])))
        return rows

    def shutdown(self) -> bool:
        self.walk_timer.stop()
        return True
