"""The workspaces the main window shows, in tab order: the one place to plug in a new one.

Each entry is ``(title, "module:ClassName")``. The class is a QWidget constructed as
``ClassName(context)`` with the shared :class:`studio.gui.context.StudioContext`; it reads
``context.dataset`` and follows ``context.datasetChanged``, and it is a :class:`Workspace`:
the things the main window asks of every tab. To add a workspace, write its module under
studio/gui and append one line here. Only list modules that exist: an entry that fails to
import is a bug, and the app reports it instead of hiding the tab.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class Workspace(Protocol):
    """What the main window asks of every workspace."""

    def open_run(self, path: str | Path, resume: bool = False) -> bool:
        """Show a run folder of a model it shows (RUN_WORKSPACES) and, with ``resume``, continue
        training it from its checkpoint; False where it cannot (it said why)."""

    def is_training(self) -> bool:
        """A run of this workspace trains now: closing the window stops it, keeping a checkpoint."""

    def shutdown(self) -> bool:
        """The window is closing: stop what runs (keeping checkpoints); True once nothing does."""

    def show_training(self, model: str) -> bool:
        """Show where ``model`` trains in this workspace (its Train tab); False if it does not."""

    def training_panels(self) -> dict:
        """{model: its Train tab} of the models this workspace trains (Train quick models
        trains through them, so each tab shows its run live)."""

    def show_checkpoint(self, model: str, path: Path) -> None:
        """A run of ``model`` at ``path`` wrote a newer checkpoint while quick models train:
        show it if this view shows that run, or has no model that fits the open dataset."""

WORKSPACES: list[tuple[str, str]] = [
    ("Dataset", "studio.gui.dataset_workspace:DatasetWorkspace"),
    ("GAN", "studio.gui.gan_workspace:GanWorkspace"),
    ("PixelRNN", "studio.gui.completion_workspace:CompletionWorkspace"),
    ("VAE", "studio.gui.vae_workspace:VaeWorkspace"),
    ("Diffusion", "studio.gui.diffusion_workspace:DiffusionWorkspace"),
    ("GAN code space", "studio.gui.gan_explorer:GanExplorerWorkspace"),
    ("Toy GAN", "studio.gui.toygan_workspace:ToyGanWorkspace"),
    ("Real or fake?", "studio.gui.quiz_workspace:RealOrFakeWorkspace"),
    ("Runs", "studio.gui.runs_workspace:RunsWorkspace"),
]


class ViewAndTrainTab:
    """The Workspace protocol for a workspace with a view of one run's model and a Train tab
    (the VAE's, the diffusion model's), and what building one takes. The class sets ``MODEL``
    and ``LAST_RUN_KEY``; the instance has ``context``, ``run_path``, ``load_run(path)`` (opens
    the model for the view, on a worker), ``has_model()``, ``drop_model()`` (show none: no model
    fits the open dataset) and ``_set_enabled(on)`` (the view's controls), and builds ``tabs``
    and ``training`` (its TrainingPanel) with ``_add_tabs``, the view's tab with ``_view_page``."""

    MODEL = ""
    LAST_RUN_KEY = ""

    # --- building it ---------------------------------------------------------------------------
    def _add_tabs(self, view, view_title: str, auto_load: bool, **panel_options) -> None:
        """The view's tab and a Train tab for MODEL (``panel_options``: the TrainingPanel's),
        filling the workspace. The view's controls start off; with ``auto_load`` the startup run
        is opened once the event loop runs, and the view follows the open dataset."""
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QTabWidget, QVBoxLayout

        from studio.gui.training import TrainingPanel

        self.tabs = QTabWidget()
        self.tabs.addTab(view, view_title)
        self.training = TrainingPanel(self.context, model=self.MODEL, **panel_options)
        self.training.trainingFinished.connect(self._on_training_finished)
        self.tabs.addTab(self.training, "Train")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self._set_enabled(False)
        if auto_load:
            QTimer.singleShot(0, self.load_startup_run)
            self.context.datasetChanged.connect(self.follow_dataset)

    def _view_page(self, body):
        """The view's tab: a row that says which run it shows (``run_label``) with Open run…
        (``open_button``), above ``body``."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

        from studio.session.pretrained import family_title

        self.run_label = QLabel(f"No {family_title(self.MODEL)} run loaded: open one, or train one in the Train tab.")
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open run…")
        self.open_button.setToolTip(f"A run folder written by `studio train {self.MODEL}` or the Train tab")
        self.open_button.clicked.connect(self.choose_run)
        row = QHBoxLayout()
        row.addWidget(self.run_label, 1)
        row.addWidget(self.open_button)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(body, 1)
        return page

    def _ask_run_folder(self) -> str:
        """A run folder the user picks (from beside the run shown, else the runs folder); "" if none."""
        from PySide6.QtWidgets import QFileDialog

        from studio.session.pretrained import family_title

        start = str(self.run_path.parent if self.run_path else self.training.session.runs_folder)
        return QFileDialog.getExistingDirectory(self, f"Open a {family_title(self.MODEL)} run folder", start)

    # --- the run shown -------------------------------------------------------------------------
    def load_startup_run(self) -> None:
        """On launch: the run shown last, else the newest run of MODEL, else the shipped one."""
        from PySide6.QtCore import QSettings

        from studio.session.pretrained import startup_run

        path = startup_run(self.MODEL, QSettings().value(self.LAST_RUN_KEY, "", type=str),
                           self.training.session.runs_folder)
        if path is not None and not self.has_model():
            self.open_run(path, show_settings=False)

    def _on_training_finished(self, summary: dict) -> None:
        """A training that wrote a checkpoint ended: show its run's model in the view."""
        if summary.get("checkpoint") and summary.get("run"):
            self.load_run(summary["run"])

    def open_run(self, path: str | Path, resume: bool = False, show_settings: bool = True) -> bool:
        """Show the run's model in the view and its curves on the Train tab (continuing its
        training there with ``resume``)."""
        self.load_run(path)
        if not self.training.is_training():
            if resume:
                self.tabs.setCurrentWidget(self.training)
            self.training.open_run(path, resume, show_settings)
        return True

    def is_training(self) -> bool:
        return self.training.is_training()

    def shutdown(self) -> bool:
        return self.training.shutdown()

    def show_training(self, model: str) -> bool:
        if model == self.MODEL:
            self.tabs.setCurrentWidget(self.training)
        return model == self.MODEL

    def training_panels(self) -> dict:
        return {self.MODEL: self.training}

    def follow_dataset(self, dataset) -> None:
        """Another dataset open: show a model of its palette (yours, else the shipped one), or
        say that none fits."""
        from PySide6.QtCore import QSettings

        from studio.session.pretrained import follow_dataset

        if self.is_training():
            return
        choice = follow_dataset(self.MODEL, dataset, self.run_path, QSettings().value(self.LAST_RUN_KEY, "", type=str),
                                self.training.session.runs_folder)
        if choice.path is None:
            self.drop_model()  # the last dataset's model cannot draw this one's sprites
            self.run_label.setText(f"{choice.reason}: train one in the Train tab (or Train quick models).")
        elif self.run_path is None or choice.path.resolve() != self.run_path.resolve():
            self.open_run(choice.path, show_settings=False)


class TrainsNothing:
    """The Workspace protocol's answers for a workspace that trains nothing and opens no run
    itself (the Runs list hands a run to its model's workspace)."""

    def open_run(self, path: str | Path, resume: bool = False) -> bool:
        return False

    def is_training(self) -> bool:
        return False

    def shutdown(self) -> bool:
        return True

    def show_training(self, model: str) -> bool:
        return False

    def training_panels(self) -> dict:
        return {}

    def show_checkpoint(self, model: str, path: Path) -> None:
        pass


#: Which workspace shows a run of each model (File → Open run, `studio RUN_DIR`, Runs → Open):
#: its ``open_run(path)``. A raster model (PixelRNN, transformer) goes to the completion
#: workspace, which trains both and completes sprites with any model.
RUN_WORKSPACES: dict[str, str] = {
    "gan": "GAN",
    "pixelrnn": "PixelRNN",
    "transformer": "PixelRNN",
    "vae": "VAE",
    "diffusion": "Diffusion",
}


def load_workspace(spec: str) -> type:
    """``"package.module:ClassName"`` → the class."""
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def workspace_titles() -> list[str]:
    return [title for title, _ in WORKSPACES]
