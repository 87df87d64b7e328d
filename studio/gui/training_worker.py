"""The training engine on a QThread, reporting through Qt signals (see studio/gui/training.py).

    worker = TrainingWorker.fresh("gan", config, sprites, settings, run_dir)   # or .resume(run_dir, ...)
    worker.metrics.connect(...); worker.finished.connect(...)
    worker.start()            # returns at once; the Trainer is built and run on the thread
    worker.pause() / worker.resume() / worker.stop()
    worker.wait(ms)           # only at shutdown: True once the thread has ended

All signals are emitted on the training thread; Qt queues them to the receivers' (GUI)
thread, so slots may touch widgets. The GUI thread never waits on training except in
``wait()``, which ``TrainingPanel.shutdown()`` calls when the window closes.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Callable

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from studio.data.errors import StudioError, describe_error
from studio.train.engine import Trainer, TrainingControl, TrainingListener

__all__ = ["TrainingWorker", "describe_error"]


class _SignalListener(TrainingListener):
    """The engine's listener: forwards every event to the worker's signals (thread-safe)."""

    def __init__(self, worker: "TrainingWorker"):
        self.worker = worker

    def on_start(self, trainer: Trainer) -> None:
        import torch

        from studio.train.devices import describe_device

        if trainer.device.type == "cpu":
            n = torch.get_num_threads()
            device = f"CPU, {n} thread{'s' if n != 1 else ''}"
        else:
            device = describe_device(str(trainer.device))
        self.worker.started.emit({
            "run": str(trainer.run.path) if trainer.run else None,
            "step": trainer.state.step, "total": trainer.total_steps,
            "epochs": trainer.settings.epochs, "batch_size": trainer.settings.batch_size,
            "device": device,
            "config": trainer.describe(),
            "notices": list(trainer.notices),  # e.g. a resume that fell back to an older checkpoint
        })

    def on_metrics(self, record: dict) -> None:
        self.worker.metrics.emit(dict(record))

    def on_samples(self, step: int, grid) -> None:
        self.worker.samples.emit(step, grid)

    def on_progress(self, progress) -> None:
        self.worker.progress.emit(progress)

    # finished / failed are emitted by the worker itself, after the trainer has returned.


class TrainingWorker(QObject):
    """One training run on its own QThread. Build with :meth:`fresh` or :meth:`resume`."""

    #: {run, step, total, epochs, batch_size, device, config}: the trainer is built and starts.
    started = Signal(object)
    #: one logged record {"step", "epoch", "time", <metric>: float, ...} ("val/..." at epoch ends)
    metrics = Signal(object)
    #: (step, RGB uint8 grid [h, w, 3]) of samples from the model's fixed codes
    samples = Signal(int, object)
    #: a studio.train.engine.Progress (step, total, steps/s, sprites/s, ETA)
    progress = Signal(object)
    #: the engine's summary {status, step, total, checkpoint, run, metrics}
    finished = Signal(object)
    #: a message for the user; the traceback went to stderr
    failed = Signal(str)

    def __init__(self, make_trainer: Callable[[list, TrainingControl], Trainer], parent=None):
        super().__init__(parent)
        self._make_trainer = make_trainer
        self.control = TrainingControl()
        self.returned = False  # set once the training function has returned, on its thread
        self.qthread = QThread()
        self.qthread.setObjectName("training")
        self.moveToThread(self.qthread)
        self.qthread.started.connect(self._run)

    @classmethod
    def fresh(cls, model: str, config, sprites, settings, run_dir) -> "TrainingWorker":
        return cls(lambda listeners, control: Trainer(model, config, sprites, settings, run_dir,
                                                      listeners, control))

    @classmethod
    def resume(cls, run_dir, **settings_overrides) -> "TrainingWorker":
        """Continue ``run_dir`` from its latest checkpoint (overrides: epochs, max_steps, ...)."""
        return cls(lambda listeners, control: Trainer.resume(run_dir, listeners, control,
                                                             **settings_overrides))

    # --- control, from any thread ----------------------------------------------------------
    def start(self) -> None:
        _keeper().keep(self)
        self.qthread.start()

    def pause(self) -> None:
        self.control.pause()

    def resume_training(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        """Stop after the current step; the engine then writes a checkpoint and final samples."""
        self.control.stop()

    @property
    def paused(self) -> bool:
        return self.control.paused

    def is_running(self) -> bool:
        return self.qthread.isRunning()

    def wait(self, timeout_ms: int) -> bool:
        """Block until the thread ended (shutdown only). True if it did within the time."""
        return self.qthread.wait(timeout_ms)

    # --- on the training thread ---------------------------------------------------------------
    @Slot()
    def _run(self) -> None:
        import torch

        # Leave the GUI a core: torch's intra-op pool would otherwise take every one.
        torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
        # Hand the GIL over every 1 ms instead of 5: the training loop's Python stretches
        # (optimiser steps, logging, evaluation) then delay a GUI event by 1 ms, not 5+
        # (benchmarks/gui_stall.py measures it).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        try:
            trainer = self._make_trainer([_SignalListener(self)], self.control)
            summary = trainer.run_training()
        except BaseException as error:  # noqa: BLE001 - every failure must reach the user
            if not isinstance(error, StudioError):  # a bug: keep its traceback for the report
                print(traceback.format_exc(), file=sys.stderr)
            self.failed.emit(describe_error(error))
        else:
            self.finished.emit(summary)
        finally:
            self.returned = True
            self.qthread.quit()


class _Keeper(QObject):
    """Holds every worker whose thread may still be running, whatever becomes of the widget
    that started it: Qt aborts the whole process when a running QThread is destroyed."""

    def __init__(self):
        super().__init__()
        self.workers: set[TrainingWorker] = set()

    def keep(self, worker: "TrainingWorker") -> None:
        self.workers.add(worker)
        # Queued to this (GUI-thread) object: the release runs after the thread's last signal.
        worker.qthread.finished.connect(self._release, Qt.ConnectionType.QueuedConnection)

    @Slot()
    def _release(self) -> None:
        ending = {w for w in self.workers if not w.qthread.isRunning()}
        self.workers -= ending
        if any(w.returned for w in self.workers):
            QTimer.singleShot(50, self._release)  # a thread between its last signal and its end


_KEEPER: _Keeper | None = None


def _keeper() -> _Keeper:
    global _KEEPER
    if _KEEPER is None:  # created on first use, on the GUI thread that starts workers
        _KEEPER = _Keeper()
    return _KEEPER
