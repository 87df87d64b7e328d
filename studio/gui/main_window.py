"""The main window: workspace tabs, File/Help menus, and a status bar (device, dataset).

Datasets load on a worker thread (a big image folder takes seconds); the result lands in
the shared StudioContext, which the workspaces follow. The last dataset and a recent list
persist in QSettings.
"""

from __future__ import annotations

import platform
import sys
import traceback
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QApplication, QFileDialog, QLabel, QMainWindow, QMessageBox, QPlainTextEdit,
                               QTabWidget, QWidget)

import studio
from studio.data import BUILTIN, is_builtin
from studio.errors import DatasetError
from studio.gui.context import StudioContext
from studio.gui.dataset_model import dataset_summary
from studio.gui.workers import Job, run_in_thread
from studio.gui.workspaces import RUN_WORKSPACES, WORKSPACES, Workspace, load_workspace
from studio.session import MODEL_NAMES
from studio.session.pretrained import MODEL_TITLES, family_title
from studio.session.quick import QUICK_PRESET, QuickModels

MAX_RECENT = 8
KEY_GEOMETRY = "window/geometry"
KEY_TAB = "window/tab"
IMAGE_SUFFIXES = (".png", ".gif", ".jpg", ".jpeg", ".bmp")
KEY_RECENT = "datasets/recent"
KEY_LAST = "datasets/last"


def load_dataset(path: str):
    """The loader the window calls (on a worker thread); tests may patch it."""
    from studio.data import open_dataset  # imported late: the data package loads torch-free

    return open_dataset(path)


class MainWindow(QMainWindow):
    #: (path, SpriteSet) after a dataset opened and became current.
    datasetLoaded = Signal(str, object)
    #: (path, message) after opening failed; the previous dataset stays.
    datasetFailed = Signal(str, str)

    def __init__(self, path: str | None = None, context: StudioContext | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context or StudioContext(self)
        # The title is the open dataset: Qt adds the app's display name after it.
        self.setAcceptDrops(True)  # a folder dropped on the window opens it
        self.resize(1280, 800)
        self._task: Job | None = None
        self._device_text: str | None = None

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.workspaces: dict[str, QWidget] = {}
        for title, spec in WORKSPACES:
            self.workspaces[title] = widget = self._make_workspace(title, spec)
            self.tabs.addTab(widget, title)
        self.setCentralWidget(self.tabs)

        self._build_menus()
        self._restore_window()
        self.dataset_label = QLabel("No dataset")
        self.device_label = QLabel("Device: …")
        self.device_label.setToolTip("Where training runs (CUDA GPU, Apple MPS or the CPU)")
        for label in (self.dataset_label, self.device_label):
            label.setContentsMargins(8, 0, 8, 0)
        self.statusBar().addPermanentWidget(self.dataset_label)
        self.statusBar().addPermanentWidget(self.device_label)
        self.context.statusMessage.connect(self.statusBar().showMessage)
        self.context.datasetChanged.connect(self._on_dataset_changed)
        self.context.runRequested.connect(self._on_run_requested)
        self.context.trainingRequested.connect(self.show_training)
        self.context.quickModelsRequested.connect(self.train_quick_models)
        self.quick: QuickModels | None = None
        # torch's first import takes a second or two: find the device off the GUI thread.
        self._device_task = run_in_thread(_describe_device, self._set_device_text,
                                          lambda err: self._set_device_text(f"unknown ({err})"),
                                          owner=self)

        # Open after the window is up, so a slow first load never delays showing it.
        if path and (Path(path) / "config.json").is_file():  # a training run: show it on the last dataset
            run_path, path = str(path), None
            QTimer.singleShot(0, lambda: self.open_run(run_path))
        if path:
            QTimer.singleShot(0, lambda: self.open_dataset(str(path), fallback=True, quiet=False))
        else:
            last = QSettings().value(KEY_LAST, BUILTIN, type=str) or BUILTIN
            QTimer.singleShot(0, lambda: self.open_dataset(last, fallback=True, quiet=True))

    # --- workspaces ------------------------------------------------------------------------
    def _make_workspace(self, title: str, spec: str) -> QWidget:
        try:
            return load_workspace(spec)(self.context)
        except Exception:  # noqa: BLE001 - a broken workspace must not take the app down
            text = traceback.format_exc()
            print(f"studio: workspace {title!r} ({spec}) failed to load:\n{text}", file=sys.stderr)
            error = QPlainTextEdit(f"The {title} workspace failed to load:\n\n{text}")
            error.setReadOnly(True)
            return error

    def show_workspace(self, title: str) -> QWidget:
        widget = self.workspaces[title]
        self.tabs.setCurrentWidget(widget)
        return widget

    # --- menus ---------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_folder_action = file_menu.addAction("Open dataset &folder…", self.choose_folder)
        self.open_folder_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_folder_action.setStatusTip("A course folder with pixel_color.txt + colormap.txt, "
                                             "or a folder of sprite images")
        self.open_file_action = file_menu.addAction("Open &pixel_color.txt…", self.choose_file)
        self.open_file_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_builtin_action = file_menu.addAction("Open &built-in dataset",
                                                       lambda: self.open_dataset(BUILTIN))
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        file_menu.addSeparator()
        self.open_run_action = file_menu.addAction("Open training &run…", self.choose_run)
        self.open_run_action.setStatusTip("Show a run folder (live while `studio train` writes it)")
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        train_menu = self.menuBar().addMenu("&Train")
        self.quick_action = train_menu.addAction("Train &quick models on this dataset", lambda: self.train_quick_models())
        self.quick_action.setToolTip("Every family's quick preset, one after another: each view shows its model "
                                     "from the first checkpoint and picks up better ones as they come")
        self.stop_quick_action = train_menu.addAction("&Stop quick models", self.stop_quick_models)
        self.stop_quick_action.setEnabled(False)

        help_menu = self.menuBar().addMenu("&Help")
        self.guide_action = help_menu.addAction("&Guide to this workspace", self.show_guide)
        self.guide_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        help_menu.addSeparator()
        help_menu.addAction("&About", self.show_about)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a dataset folder", self._start_dir())
        if folder:
            self.open_dataset(folder)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open pixel_color.txt", self._start_dir(),
                                              "Sprite files (pixel_color.txt *.txt);;All files (*)")
        if path:
            self.open_dataset(path)

    def _start_dir(self) -> str:
        for entry in self.recent_datasets():
            return str(Path(entry).parent)
        return str(Path.home())

    # --- training runs: handed to the workspace that trains that model -------------------------
    def choose_run(self) -> None:
        from studio.session.runs import default_runs_dir

        folder = QFileDialog.getExistingDirectory(self, "Open a training run", str(default_runs_dir()))
        if folder:
            self.open_run(folder)

    def open_run(self, path: str, resume: bool = False) -> QWidget | None:
        """Show a run folder in the workspace for its model (workspaces.RUN_WORKSPACES) and,
        with ``resume``, continue training it there."""
        from studio.errors import RunError
        from studio.session.runs import run_model, run_writer

        try:
            model = run_model(path)
        except RunError as err:
            QMessageBox.critical(self, "Could not open run", str(err))
            return None
        widget = self.workspaces.get(RUN_WORKSPACES.get(model))
        if not isinstance(widget, Workspace):  # none, or one that failed to load
            QMessageBox.critical(self, "Could not open run", f"{path}: no workspace shows {model!r} runs")
            return None
        self.tabs.setCurrentWidget(widget)
        widget.open_run(path, resume=resume)
        if run_writer(path):  # training elsewhere now: show its curves, followed live
            widget.show_training(model)
        return widget

    # --- help, drag and drop, what the window remembers ---------------------------------------
    def guide_text(self, title: str | None = None) -> str:
        from studio.gui.guides import GUIDES

        title = title or self.tabs.tabText(self.tabs.currentIndex())
        return GUIDES.get(title, f"<h3>{title}</h3><p>No guide for this workspace yet.</p>")

    def show_guide(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Guide", self.guide_text(), parent=self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.exec()

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            self.open_dropped(url.toLocalFile())
        event.acceptProposedAction()

    def open_dropped(self, path: str) -> None:
        """A dropped run folder opens in its workspace, another folder as a dataset, an image
        onto the PixelRNN canvas."""
        target = Path(path)
        if (target / "config.json").is_file():
            self.open_run(str(target))
        elif target.is_dir() or target.name == "pixel_color.txt":
            self.open_dataset(str(target))
        elif target.suffix.lower() in IMAGE_SUFFIXES:
            self.show_workspace("PixelRNN").load_image(target)

    def _restore_window(self) -> None:
        settings = QSettings()
        geometry = settings.value(KEY_GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.tabs.setCurrentIndex(settings.value(KEY_TAB, 0, type=int))

    def _on_run_requested(self, path: str, resume: bool) -> None:
        self.open_run(path, resume)

    def show_training(self, model: str) -> None:
        """The tab (and page) where ``model`` trains."""
        widget = self.workspaces.get(RUN_WORKSPACES.get(model))
        if isinstance(widget, Workspace):
            self.tabs.setCurrentWidget(widget)
            widget.show_training(model)

    # --- quick models ----------------------------------------------------------------------------
    def train_quick_models(self, cpu_minutes: float | None = None) -> None:
        """Train every family's quick preset on the open dataset, one after another, through
        the Train tabs (session/quick.py); each view shows its model from its first checkpoint.
        ``cpu_minutes``: each family's budget (default: its quick preset's)."""
        if self.context.dataset is None or (self.quick is not None and self.quick.running):
            return
        workspaces = [w for w in self.workspaces.values() if isinstance(w, Workspace)]
        panels = {m: p for w in workspaces for m, p in w.training_panels().items()}
        self.quick = QuickModels({m: p.session for m, p in panels.items()}, cpu_minutes=cpu_minutes)
        self.quick.model_started.connect(lambda model, run: self.statusBar().showMessage(
            f"Quick models: training {family_title(model)} ({QUICK_PRESET}); its views update at each checkpoint"))
        self.quick.checkpoint_written.connect(self._show_checkpoint)
        self.quick.all_done.connect(self._quick_done)
        self.quick_action.setEnabled(False)
        self.stop_quick_action.setEnabled(True)
        self.statusBar().showMessage(f"Quick models: {self.quick.plan()}")
        self.quick.start(self.context.dataset)

    def _show_checkpoint(self, model: str, run) -> None:
        """A quick model's newer checkpoint: every view that shows it (or nothing fitting) reopens it."""
        for widget in self.workspaces.values():
            if isinstance(widget, Workspace):
                widget.show_checkpoint(model, run)

    def stop_quick_models(self) -> None:
        if self.quick is not None:
            self.quick.stop()

    def _quick_done(self, results: list) -> None:
        self.quick_action.setEnabled(True)
        self.stop_quick_action.setEnabled(False)
        self.statusBar().showMessage("Quick models: " + "; ".join(f"{family_title(m)} {how}" for m, how in results),
                                     15000)

    def closeEvent(self, event) -> None:
        settings = QSettings()
        settings.setValue(KEY_GEOMETRY, self.saveGeometry())
        settings.setValue(KEY_TAB, self.tabs.currentIndex())
        # Workspaces that run training stop it (keeping a checkpoint) and wait for their threads.
        workspaces = [w for w in self.workspaces.values() if isinstance(w, Workspace)]
        notice = None
        if any(w.is_training() for w in workspaces):  # say why closing takes a moment
            from PySide6.QtWidgets import QProgressDialog

            from studio.session.monitor import STOPPING_TEXT

            notice = QProgressDialog(f"{STOPPING_TEXT}\nThe window closes once it is written.", "", 0, 0, self)
            notice.setWindowTitle("Closing")
            notice.setCancelButton(None)
            notice.setMinimumDuration(0)
            notice.show()
            self.statusBar().showMessage(STOPPING_TEXT)
            for _ in range(3):  # paint it before the wait
                QApplication.processEvents()
        for widget in workspaces:
            widget.shutdown()
        if notice is not None:
            notice.close()
        super().closeEvent(event)

    # --- recent list (QSettings) -----------------------------------------------------------------
    def recent_datasets(self) -> list[str]:
        """Remembered dataset paths, newest first; ones that vanished from disk are dropped."""
        settings = QSettings()
        entries = settings.value(KEY_RECENT, [], type=list) or []
        alive = [str(e) for e in entries if e and Path(str(e)).exists()]
        if alive != entries:
            settings.setValue(KEY_RECENT, alive)
        return alive

    def _remember(self, path: str) -> None:
        settings = QSettings()
        settings.setValue(KEY_LAST, path)
        if not is_builtin(path):
            entries = [e for e in self.recent_datasets() if e != path]
            settings.setValue(KEY_RECENT, ([path] + entries)[:MAX_RECENT])
        settings.sync()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        entries = self.recent_datasets()
        for entry in entries:
            self.recent_menu.addAction(entry, lambda e=entry: self.open_dataset(e))
        if not entries:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", self._clear_recent)

    def _clear_recent(self) -> None:
        QSettings().setValue(KEY_RECENT, [])

    # --- opening ------------------------------------------------------------------------------------
    def open_dataset(self, path: str, fallback: bool = False, quiet: bool = False) -> Job:
        """Load ``path`` (or "builtin") on a worker thread, then make it the current dataset.

        On failure the previous dataset stays and the loader's message is shown in a dialog,
        unless ``quiet``. With ``fallback`` a failure opens the built-in dataset instead.
        """
        path = str(path) if is_builtin(path) else str(Path(path).expanduser().resolve())
        if self._task is not None and not self._task.done:
            self._task.cancel()  # the newest request wins
        self.statusBar().showMessage(f"Loading {path} …")
        self._task = run_in_thread(lambda: load_dataset(path),
                                   lambda ds: self._on_loaded(path, ds),
                                   lambda err: self._on_failed(path, err, fallback, quiet),
                                   name=f"open {path}", owner=self)
        return self._task

    def _on_loaded(self, path: str, dataset) -> None:
        self._remember(path)
        self.context.set_dataset(dataset)
        self.statusBar().showMessage(f"Opened {dataset_summary(dataset)}", 5000)
        self.datasetLoaded.emit(path, dataset)

    def _on_failed(self, path: str, err: BaseException, fallback: bool, quiet: bool) -> None:
        if isinstance(err, (DatasetError, OSError)):
            message = str(err)
        else:  # a bug rather than bad input: keep the type and the traceback for the report
            message = f"{type(err).__name__}: {err}"
            print(getattr(err, "traceback_text", message), file=sys.stderr)
        if fallback and not is_builtin(path):
            self.statusBar().showMessage(f"Could not open {path}; opened the built-in dataset instead", 10000)
            if not quiet:
                QMessageBox.critical(self, "Could not open dataset", message)
            self.open_dataset(BUILTIN)
        else:
            self.statusBar().showMessage(f"Could not open {path}", 10000)
            if not quiet:
                QMessageBox.critical(self, "Could not open dataset", message)
        self.datasetFailed.emit(path, message)

    def _on_dataset_changed(self, dataset) -> None:
        self.dataset_label.setText(dataset_summary(dataset))
        self.dataset_label.setToolTip(dataset.source or dataset.name)
        self.setWindowTitle(dataset.name)

    # --- device and About -------------------------------------------------------------------------
    def _set_device_text(self, text: str) -> None:
        self._device_text = text
        self.device_label.setText(f"Device: {text}")

    def device_text_ready(self) -> bool:
        return self._device_text is not None

    def device_text(self) -> str:
        if self._device_text is None:
            self._device_text = _describe_device()
        return self._device_text

    def about_text(self) -> str:
        import PySide6
        import torch
        from PySide6.QtCore import qVersion

        return (f"<h3>Pokémon Generation Studio {studio.__version__}</h3>"
                f"<p>Learn generative models — {', '.join(MODEL_TITLES.get(m, m) for m in MODEL_NAMES)} — "
                "on 20×20 palette sprites, after the lecture on unsupervised generation and its "
                "exercise “Pokémon creation”.</p>"
                f"<p>torch {torch.__version__}<br>Qt {qVersion()} (PySide6 {PySide6.__version__})<br>"
                f"Python {platform.python_version()}<br>"
                f"Training device: {self.device_text()}</p>")

    def show_about(self) -> None:
        QMessageBox.about(self, "About Pokémon Generation Studio", self.about_text())


def _describe_device() -> str:
    from studio.session.training import describe_device

    return describe_device()
