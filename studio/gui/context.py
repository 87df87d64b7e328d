"""StudioContext: the state every workspace shares: the open dataset, and requests to the window.

Workspaces get the context in their constructor and listen to its signals instead of
talking to each other or to the main window, so adding a workspace touches no other one.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from studio.data.sprites import SpriteSet


class StudioContext(QObject):
    #: Emitted with the new SpriteSet after the open dataset changed.
    datasetChanged = Signal(object)
    #: A short transient message for the status bar (text, timeout in ms; 0 = until replaced).
    statusMessage = Signal(str, int)
    #: (run folder, resume): show the run in the workspace for its model (and continue it).
    runRequested = Signal(str, bool)
    #: a model ("vae", "gan", ...): show where it trains.
    trainingRequested = Signal(str)
    #: Train quick models of every family on the open dataset (no model fits it).
    quickModelsRequested = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._dataset: SpriteSet | None = None

    @property
    def dataset(self) -> SpriteSet | None:
        """The open SpriteSet, or None while the first one is still loading."""
        return self._dataset

    def set_dataset(self, dataset: SpriteSet) -> None:
        self._dataset = dataset
        self.datasetChanged.emit(dataset)

    def show_message(self, text: str, timeout_ms: int = 5000) -> None:
        self.statusMessage.emit(text, timeout_ms)

    def request_run(self, path: str, resume: bool = False) -> None:
        self.runRequested.emit(path, resume)

    def request_training(self, model: str) -> None:
        self.trainingRequested.emit(model)

    def request_quick_models(self) -> None:
        self.quickModelsRequested.emit()
