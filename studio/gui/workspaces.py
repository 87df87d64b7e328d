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
    (the VAE's, the diffusion model's). The class sets ``MODEL`` and ``LAST_RUN_KEY``; the
    instance has ``tabs``, ``training`` (its TrainingPanel), ``run_path``, ``run_label`` and
    ``load_run(path)`` (opens the model for the view, on a worker)."""

    MODEL = ""
    LAST_RUN_KEY = ""

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
