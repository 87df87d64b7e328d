"""Stop training on the signals that end a process: SIGINT (Ctrl-C), SIGTERM (Slurm's
pre-emption, ``docker stop``, ``timeout``, ``kill``) and SIGHUP (the terminal was closed).

    with SignalStop([control]):          # the CLI, around building and running the trainer
        trainer.run_training()

The first signal asks every watched :class:`~studio.train.engine.TrainingControl` to stop after
the step it is in: the engine logs that step, writes a checkpoint (atomically), closes its log
and returns, and the command exits 0. A run on a cluster then loses nothing on pre-emption.
A second signal aborts at once (``abort``: raise :class:`SignalAbort`, the CLI's exit
128 + signal, or die by the signal, the GUI's).

Copies of one signal count as one: ``timeout`` and Slurm signal the process and its process
group, and torchrun forwards to every rank what it got itself, so a rank may get the same
SIGTERM twice within milliseconds. Only a signal :data:`GRACE_SECONDS` or more after the first
aborts.

Qt-free: the GUI installs one in ``run_app`` (its ``on_first`` quits the app, whose window
waits for the trainings to write their checkpoints) and each training worker watches its
control with :func:`watch` while it runs.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Callable

#: The signals that stop training, those this platform has.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
#: A signal this soon after the first is a copy of it (the process group's, torchrun's), not a second request.
GRACE_SECONDS = 1.0


class SignalAbort(KeyboardInterrupt):
    """A second stop signal: quit at once. ``exit_code`` is the shell's 128 + the signal."""

    def __init__(self, signum: int):
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(signal_name(signum))


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def raise_abort(signum: int) -> None:
    """The CLI's abort: raise in the main thread, so ``studio.cli.main`` exits 128 + signum
    (130 for a second Ctrl-C, as before) and atomic writes under way remove their temporary file."""
    raise SignalAbort(signum)


def die_by_signal(signum: int) -> None:
    """The GUI's abort: the signal's own default action, at once (a second Ctrl-C, SIGTERM or
    SIGHUP ends the app even while its window waits for a training to stop)."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


class SignalStop:
    """While installed, the stop signals stop every watched control; see the module's doc.

    ``on_first(signum)`` runs after the controls were told to stop (the GUI quits its app there);
    ``message``: say on stderr what happens (torchrun's other ranks stay quiet)."""

    def __init__(self, controls=(), *, on_first: Callable[[int], None] | None = None,
                 abort: Callable[[int], None] = raise_abort, message: bool = True):
        self._controls = list(controls)
        self._lock = threading.Lock()
        self.on_first, self.abort, self.message = on_first, abort, message
        self.received: int | None = None  # the first stop signal, once one came
        self._first_at = 0.0
        self._previous: dict[int, object] = {}
        self._outer: SignalStop | None = None

    # --- the controls --------------------------------------------------------------------------
    def watch(self, control) -> None:
        """Stop ``control`` on the next signal (at once if one already came)."""
        with self._lock:
            self._controls.append(control)
        if self.received is not None:
            control.stop()

    def unwatch(self, control) -> None:
        with self._lock:
            self._controls = [c for c in self._controls if c is not control]

    # --- installing ------------------------------------------------------------------------------
    def install(self) -> "SignalStop":
        """Take over the stop signals (main thread only, as Python's ``signal.signal``)."""
        global _installed
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        self._outer, _installed = _installed, self
        return self

    def uninstall(self) -> None:
        global _installed
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous = {}
        if _installed is self:
            _installed = self._outer

    def __enter__(self) -> "SignalStop":
        return self.install()

    def __exit__(self, *exc) -> None:
        self.uninstall()

    # --- the handler (runs on the main thread, between two bytecodes) ------------------------------
    def _handle(self, signum: int, frame) -> None:
        now = time.monotonic()
        if self.received is None:
            self.received, self._first_at = signum, now
            with self._lock:
                controls = list(self._controls)
            for control in controls:
                control.stop()
            if self.message:
                again = "Ctrl-C" if signum == signal.SIGINT else signal_name(signum)
                _say(f"\nstudio: {signal_name(signum)}: stopping after this step and writing a checkpoint "
                     f"({again} again to quit at once)")
            if self.on_first is not None:
                self.on_first(signum)
            return
        if now - self._first_at < GRACE_SECONDS:
            return  # a copy of the first signal (the process group's, or torchrun's forward)
        if self.message:
            _say(f"\nstudio: {signal_name(signum)} again: quitting at once; the run keeps its last checkpoint")
        self.abort(signum)


_installed: SignalStop | None = None


def watch(control) -> None:
    """Stop ``control`` on the installed handler's signal (a no-op when none is installed, as
    in tests or a notebook, where nothing has taken the signals over)."""
    if _installed is not None:
        _installed.watch(control)


def unwatch(control) -> None:
    if _installed is not None:
        _installed.unwatch(control)


def _say(text: str) -> None:
    """A line on stderr, if there still is one: after SIGHUP the terminal may be gone (EIO)."""
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
