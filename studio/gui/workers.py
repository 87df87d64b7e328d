"""Run a function off the GUI thread and get its result back on the GUI thread.

    job = run_in_thread(load, on_done=show, on_error=complain)

``load()`` runs on a QThreadPool thread; ``on_done(result)`` or ``on_error(exception)`` is
then called on the GUI thread (queued signals), so callbacks may touch widgets. The returned
:class:`Job` also has ``finished(object)`` / ``failed(object)`` signals to wait on in tests
(``with qtbot.waitSignal(job.finished): ...``) and a ``cancel()`` that drops the callbacks
(the function itself still runs to its end: Python threads cannot be killed). Pass
``owner=widget`` to cancel automatically when that widget is destroyed.
"""

from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

# Tasks in flight, so their QObject (which receives the queued result) outlives the
# caller's reference; each removes itself once it has reported.
_running: set["Job"] = set()


class Job(QObject):
    """The GUI-thread end of one background call."""

    finished = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception it raised (with .__traceback__)

    def __init__(self, name: str = "", parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.cancelled = False
        self.done = False

    def cancel(self) -> None:
        """Ignore the result: no callback and no signal will fire for this job."""
        self.cancelled = True

    # Connected with a queued connection from the pool thread: these run on the GUI thread.
    @Slot(object)
    def _deliver_result(self, result: Any) -> None:
        self._finish()
        if not self.cancelled:
            self.finished.emit(result)

    @Slot(object)
    def _deliver_error(self, error: BaseException) -> None:
        self._finish()
        if not self.cancelled:
            self.failed.emit(error)

    def _finish(self) -> None:
        self.done = True
        _running.discard(self)


class _Relay(QObject):
    """Emitted from the pool thread; Qt queues the emission to the Job's (GUI) thread."""

    result = Signal(object)
    error = Signal(object)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay):
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as err:  # noqa: BLE001 - every failure must reach the GUI
            err.traceback_text = traceback.format_exc()
            self._emit(self._relay.error, err)
        else:
            self._emit(self._relay.result, result)

    @staticmethod
    def _emit(signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the app is shutting down and the relay is gone: nobody to tell
            pass


def run_in_thread(fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
                  on_error: Callable[[BaseException], None] | None = None,
                  name: str = "", owner: QObject | None = None,
                  pool: QThreadPool | None = None) -> Job:
    """Start ``fn()`` on a worker thread; see the module docstring.

    With ``owner`` (usually the widget whose methods are the callbacks), the job is
    cancelled when the owner is destroyed, so a late result never reaches a dead widget.
    """
    job = Job(name)
    if owner is not None:
        owner.destroyed.connect(job.cancel)
    relay = _Relay()  # created here, so it lives in the GUI thread like the job
    relay.result.connect(job._deliver_result)
    relay.error.connect(job._deliver_error)
    job._relay = relay  # keep it alive as long as the job
    if on_done is not None:
        job.finished.connect(on_done)
    if on_error is not None:
        job.failed.connect(on_error)
    _running.add(job)
    (pool or QThreadPool.globalInstance()).start(_Runnable(fn, relay))
    return job


class Latest:
    """At most one call in flight, for a view that follows a fast input (a slider drag) with
    work slower than the input's events: a request made while a call runs waits, and a newer
    one replaces it, so a drag never queues decodes the user has already moved past. Each
    finished call is delivered (the view keeps up with the drag), then the waiting one starts.

        latest = Latest(show, on_error=complain, owner=widget)
        latest.request(lambda: decode(code))
    """

    def __init__(self, on_done: Callable[[Any], None], on_error: Callable[[BaseException], None] | None = None,
                 name: str = "", owner: QObject | None = None, pool: QThreadPool | None = None):
        self._on_done, self._on_error, self._name, self._owner = on_done, on_error, name, owner
        self._pool = pool
        self._running: Job | None = None
        self._waiting: Callable[[], Any] | None = None
        self._ignore_running = False  # cancel(): the running call's result is no longer wanted

    @property
    def busy(self) -> bool:
        """A call is running or waiting: what the view shows is not the newest request's yet."""
        return self._running is not None or self._waiting is not None

    def request(self, fn: Callable[[], Any]) -> None:
        if self._running is not None:
            self._waiting = fn
        else:
            self._ignore_running = False
            self._running = run_in_thread(fn, self._finished, self._failed, name=self._name, owner=self._owner,
                                          pool=self._pool)

    def cancel(self) -> None:
        """Forget the waiting request and the running call's result (the call itself runs on)."""
        self._waiting = None
        self._ignore_running = self._running is not None

    def _next(self) -> bool:
        """Start the waiting request, if any; → whether the call that ended is still wanted."""
        wanted = not self._ignore_running
        self._running = None
        if self._waiting is not None:
            fn, self._waiting = self._waiting, None
            self.request(fn)
        return wanted

    def _finished(self, result: Any) -> None:
        if self._next():
            self._on_done(result)

    def _failed(self, error: BaseException) -> None:
        if self._next() and self._on_error is not None:
            self._on_error(error)


class GuiThread(QObject):
    """Calls made on any thread, run on the GUI thread while ``owner`` lives: ``post(call)``
    from a worker queues ``call()`` to the event loop (a direct call when already on the GUI
    thread); once the owner is destroyed, what is still queued is dropped. It is how a Qt-free
    session object hears from work on another thread, for the view that owns it:
    ``TrainingSession(deliver=GuiThread(self).post)``."""

    _call = Signal(object)

    def __init__(self, owner: QObject):
        super().__init__(owner)
        self._call.connect(self._run)

    def post(self, call: Callable[[], Any]) -> None:
        try:
            self._call.emit(call)
        except RuntimeError:  # the owner is gone: nobody left to tell
            pass

    @Slot(object)
    def _run(self, call: Callable[[], Any]) -> None:
        call()


_TRAINING_POOL: QThreadPool | None = None
_VIEW_POOL: QThreadPool | None = None


def view_pool() -> QThreadPool:
    """One thread for work a view does on its own account, to follow the user (what the model
    thinks of the canvas after an edit): it never takes the global pool's threads from the jobs
    a user started (a completion, opening runs), however long it runs."""
    global _VIEW_POOL
    if _VIEW_POOL is None:
        _VIEW_POOL = QThreadPool()
        _VIEW_POOL.setMaxThreadCount(1)
    return _VIEW_POOL


def run_training(work: Callable[[], Any]) -> Job:
    """The GUI's runner for a TrainingSession: ``work()`` on a pool of its own (a long run never
    holds up dataset loads or completions), leaving the GUI a core and the GIL every 1 ms."""
    global _TRAINING_POOL
    if _TRAINING_POOL is None:
        _TRAINING_POOL = QThreadPool()
        _TRAINING_POOL.setMaxThreadCount(4)  # one per workspace that may train at once

    def train():
        import sys

        import torch

        from studio.session.training import training_threads

        torch.set_num_threads(training_threads())
        # The training loop's Python stretches (optimiser steps, logging, evaluation) then
        # delay a GUI event by 1 ms, not 5+ (benchmarks/gui_stall.py measures it).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        return work()

    # The session has already shown a failure; a bug's traceback still goes to stderr.
    return run_in_thread(train, on_error=report_bug, name="training", pool=_TRAINING_POOL)


def report_bug(error: BaseException) -> None:
    import sys

    from studio.errors import StudioError

    if not isinstance(error, StudioError):
        print(getattr(error, "traceback_text", repr(error)), file=sys.stderr)
