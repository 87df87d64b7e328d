"""The training engine on a worker thread, reporting through Qt signals (see studio/gui/training.py).

    worker = TrainingWorker.fresh("gan", config, sprites, settings, run_dir)   # or .resume(run_dir, ...)
    worker.event.connect(lambda name, args: ...)   # ("metrics", (record,)), ("finished", (summary,)) ...
    worker.start()            # returns at once; the Trainer is built and run on the thread
    worker.pause() / worker.resume() / worker.stop()
    worker.wait(ms)           # only at shutdown: True once training has returned

It runs through the studio's one worker mechanism, ``studio.gui.workers.run_in_thread``, on
a pool of its own (a long run never holds up dataset loads or completions), so no QThread
object has to be kept alive. All signals are emitted on the training thread; Qt queues them
to the receivers' (GUI) thread, so slots may touch widgets. The GUI thread never waits on
training except in ``wait()``, which ``TrainingPanel.shutdown()`` calls when the window closes.
"""

from __future__ import annotations

import sys
import threading
import traceback
from typing import Callable

from PySide6.QtCore import QObject, QThreadPool, Signal

from studio.errors import StudioError, describe_error
from studio.gui.workers import run_in_thread
from studio.train import signals
from studio.train.engine import Trainer, TrainingControl, TrainingListener

__all__ = ["TrainingWorker", "describe_error"]


class _SignalListener(TrainingListener):
    """The engine's listener: forwards every event to the worker's signals (thread-safe)."""

    def __init__(self, worker: "TrainingWorker"):
        self.worker = worker

    def on_start(self, trainer: Trainer) -> None:
        from studio.train.devices import describe_device

        device = describe_device(str(trainer.device))  # the same words as the status bar's
        self.worker.event.emit("started", ({
            "run": str(trainer.run.path) if trainer.run else None,
            "step": trainer.state.step, "total": trainer.total_steps,
            "epochs": trainer.settings.epochs, "batch_size": trainer.settings.batch_size,
            "device": device,
            "config": trainer.describe(),
            "notices": list(trainer.notices),  # e.g. a resume that fell back to an older checkpoint
        },))

    def on_metrics(self, record: dict) -> None:
        self.worker.event.emit("metrics", (dict(record),))

    def on_samples(self, step: int, grid) -> None:
        self.worker.event.emit("samples", (step, grid))

    def on_progress(self, progress) -> None:
        self.worker.event.emit("progress", (progress,))

    # finished / failed are emitted by the worker itself, after the trainer has returned.


class TrainingWorker(QObject):
    """One training run on a worker thread. Build with :meth:`fresh` or :meth:`resume`.

    Everything the run reports arrives as one signal, ``event(name, args)``, queued to the GUI
    thread, where the panel hands it to its TrainingMonitor:

    - ``started`` ({run, step, total, epochs, batch_size, device, config},): the trainer is built
    - ``metrics`` (record,): one logged record ("val/..." keys at epoch ends)
    - ``samples`` (step, RGB uint8 grid [h, w, 3]): samples from the model's fixed codes
    - ``progress`` (studio.train.engine.Progress,)
    - ``finished`` (the engine's summary {status, step, total, checkpoint, run, metrics},)
    - ``failed`` (a message for the user,): the traceback went to stderr
    """

    event = Signal(str, object)

    def __init__(self, make_trainer: Callable[[list, TrainingControl], Trainer], parent=None):
        super().__init__(parent)
        self._make_trainer = make_trainer
        self.control = TrainingControl()
        self._started = False
        self._returned = threading.Event()  # set once training has returned, on its thread

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
        self._started = True
        run_in_thread(self._run, name="training", pool=training_pool())

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
        return self._started and not self._returned.is_set()

    def wait(self, timeout_ms: int) -> bool:
        """Block until training returned (shutdown only). True if it did within the time."""
        return not self._started or self._returned.wait(timeout_ms / 1000)

    # --- on the training thread ---------------------------------------------------------------
    def _run(self) -> None:
        import torch

        from studio.train.devices import training_threads

        # Leave the GUI a core: torch's intra-op pool would otherwise take every one.
        torch.set_num_threads(training_threads())
        # Hand the GIL over every 1 ms instead of 5: the training loop's Python stretches
        # (optimiser steps, logging, evaluation) then delay a GUI event by 1 ms, not 5+
        # (benchmarks/gui_stall.py measures it).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        signals.watch(self.control)  # SIGTERM, SIGHUP, Ctrl-C stop it with a checkpoint (app.py)
        try:
            trainer = self._make_trainer([_SignalListener(self)], self.control)
            summary = trainer.run_training()
        except BaseException as error:  # noqa: BLE001 - every failure must reach the user
            if not isinstance(error, StudioError):  # a bug: keep its traceback for the report
                print(traceback.format_exc(), file=sys.stderr)
            self.event.emit("failed", (describe_error(error),))
        else:
            self.event.emit("finished", (summary,))
        finally:
            signals.unwatch(self.control)
            self._returned.set()


_POOL: QThreadPool | None = None


def training_pool() -> QThreadPool:
    """The threads training runs on: one per workspace that may train at once."""
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(4)
    return _POOL
