"""A training as a user sees it, Qt-free: what to train, where the run goes, the one control
(pause / resume / stop / follow) and the monitor's state. The Train button, `studio train` and
the tests all drive training through it, so a run lands in the same place whoever starts it:

    session = TrainingSession("gan")                       # runs go to default_runs_dir()
    session.monitor.progress_changed.connect(show)         # psygnal: see session/monitor.py
    session.train(dataset, session.config("crisp"), session.settings("crisp"))
    session.pause(); session.resume(); session.stop()
    session.resume()        # a stopped or opened run continues from its latest checkpoint
    session.follow(path)    # a run another process writes, read as it grows

How long work runs is its owner's choice, made once: ``runner(work)`` runs ``work()`` (the CLI:
here, blocking until the run ends; the GUI: on its training thread), and ``deliver(call)``
brings each event the engine reports on the training thread back to the thread the session
lives on (the CLI: at once; the GUI: queued to its event loop). So the monitor's signals fire
on the session's own thread, wherever the training runs.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Callable

from studio.errors import TrainingError
from studio.models import model_module
from studio.session.monitor import TrainingMonitor, WarningRule
from studio.train.config import config_from_dict, resolve_config
from studio.train.devices import available_devices, describe_device, training_threads
from studio.train.engine import Trainer, TrainingControl, TrainingListener
from studio.train import signals
from studio.train.signals import SignalStop, die_by_signal  # the CLI and the app install one around training
from studio.train.run import default_runs_dir, new_run_path
from studio.train.settings import TrainSettings, default_settings

__all__ = ["SignalStop", "TrainingSession", "WarningRule", "available_devices", "describe_device", "die_by_signal",
           "training_threads"]


class TrainingSession:
    def __init__(self, model: str, runs_dir: str | Path | None = None, warnings: list[WarningRule] = (), *,
                 runner: Callable[[Callable[[], None]], None] | None = None,
                 deliver: Callable[[Callable[[], None]], None] | None = None):
        self.model = model
        self.module = model_module(model)
        self.runs_dir = Path(runs_dir) if runs_dir is not None else None  # None: default_runs_dir()
        self.monitor = TrainingMonitor(model, warnings)
        self.summary: dict | None = None  # the last run's, once it returned
        self._runner = runner or (lambda work: work())
        self._deliver = deliver or (lambda call: call())
        self._control: TrainingControl | None = None  # the run training in this process
        self._returned = threading.Event()
        self._returned.set()

    # --- what to train ------------------------------------------------------------------------
    @property
    def presets(self) -> dict:
        """The model's named configs, the default first."""
        return self.module.CONFIGS

    @property
    def default_preset(self) -> str:
        return next(iter(self.presets))

    @property
    def config_class(self) -> type:
        return self.module.Config

    @property
    def config_fields(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self.module.Config)]

    def config_from_dict(self, fields: dict, source: str = "config"):
        """The model's Config from saved fields (a run's config.json, remembered settings);
        ConfigError naming ``source`` when they do not make one."""
        return config_from_dict(self.module.Config, fields, source=source)

    def config(self, preset_or_file: str | None = None):
        """A named preset's Config, or one read from a JSON/TOML file (ConfigError naming it)."""
        return resolve_config(self.model, preset_or_file)

    def settings(self, preset: str | None = None, **overrides) -> TrainSettings:
        """The TrainSettings ``preset`` comes with (its epochs, budget, ...), then ``overrides``."""
        return default_settings(self.model, preset, **overrides)

    @property
    def runs_folder(self) -> Path:
        """The folder new runs go into: ``runs_dir``, else $STUDIO_RUNS_DIR or the user data folder."""
        return self.runs_dir or default_runs_dir()

    def run_folder(self) -> Path:
        """Where the next new run goes: a fresh MODEL-TIMESTAMP folder in the runs folder."""
        return new_run_path(self.model, self.runs_folder)

    # --- the one control -----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A run of this session is training, paused or stopping."""
        return self.monitor.busy

    def train(self, dataset, config=None, settings: TrainSettings | None = None,
              out: str | Path | None = None) -> Path:
        """Start a new run of ``config`` on ``dataset`` into ``out`` (default: :meth:`run_folder`);
        returns its folder (the runner decides whether this returns before the run ends)."""
        self._refuse_if_busy()
        config = config if config is not None else self.config()
        settings = settings or self.settings()
        run_path = Path(out) if out is not None else self.run_folder()
        self._start(lambda listeners, control: Trainer(self.model, config, dataset, settings, run_path,
                                                       listeners, control), run_path, clear=True)
        return run_path

    def resume(self, path: str | Path | None = None, **overrides) -> Path | None:
        """Continue a paused run; else the run at ``path`` (default: the stopped or opened one
        the monitor shows) from its latest checkpoint. TrainingError says why it cannot."""
        m = self.monitor
        if m.phase == "paused" and self._control is not None:
            self._control.resume()
            m.resume()
            return m.run_path
        self._refuse_if_busy()
        if path is None:
            problem = m.resume_problem()
            if problem:
                raise TrainingError(problem)
            path = m.resumable
            if m.phase == "following":
                m.reload_until_checkpoint()
        path = Path(path)
        self._start(lambda listeners, control: Trainer.resume(path, listeners, control, **overrides), path,
                    clear=m.run_path is None or Path(m.run_path).resolve() != path.resolve())
        return path

    def pause(self) -> None:
        if self._control is not None and self.monitor.can("pause"):
            self._control.pause()
            self.monitor.pause()

    def stop(self) -> None:
        """Stop after the current step; the engine then writes a checkpoint and final samples."""
        if self._control is not None and self.monitor.can("stop"):
            self._control.stop()
            self.monitor.stopping()

    def follow(self, path: str | Path) -> dict:
        """Show a run folder, following it while another process writes it; its config.json."""
        self._refuse_if_busy()
        return self.monitor.follow(path)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run training in this process has returned (True), at most ``timeout``
        seconds; only for shutting down."""
        return self._returned.wait(timeout)

    def shutdown(self, timeout: float = 30.0) -> bool:
        """Stop training (keeping a checkpoint) and wait for it, bounded; True if nothing runs."""
        self.monitor.stop_following()
        self.stop()
        return self.wait(timeout)

    # --- the run, on the runner's thread --------------------------------------------------------
    def _refuse_if_busy(self) -> None:
        if self.busy or not self._returned.is_set():
            raise TrainingError("a run is training: stop it first")

    def _start(self, make_trainer, run_path: Path, clear: bool) -> None:
        control = self._control = TrainingControl()
        self.summary = None
        self._returned.clear()
        self.monitor.launched(run_path, clear=clear)
        relay = _Relay(self._deliver, self.monitor)

        def work() -> None:
            signals.watch(control)  # SIGTERM, SIGHUP, Ctrl-C stop it with a checkpoint (train/signals.py)
            try:
                trainer = make_trainer([relay], control)
                try:
                    summary = trainer.run_training()
                finally:
                    trainer.close()
                self._deliver(lambda: self._finished(control, summary))
            except BaseException as error:
                self._deliver(lambda error=error: self._failed(control, error))
                raise
            finally:
                signals.unwatch(control)
                self._returned.set()

        self._runner(work)

    def _finished(self, control: TrainingControl, summary: dict) -> None:
        if control is self._control:
            self._control = None
        self.summary = summary
        self.monitor.finished(summary)

    def _failed(self, control: TrainingControl, error: BaseException) -> None:
        from studio.errors import describe_error

        if control is self._control:
            self._control = None
        self.monitor.failed(describe_error(error))


class _Relay(TrainingListener):
    """The engine's listener, on the training thread: hands each event to the monitor through
    ``deliver``, so the monitor changes on the session's thread only."""

    def __init__(self, deliver, monitor: TrainingMonitor):
        self.deliver, self.monitor = deliver, monitor

    def on_start(self, trainer) -> None:
        info = {"run": str(trainer.run.path) if trainer.run else None,
                "out_kind": trainer.out_kind,  # a new folder, an empty one, a run resumed
                "step": trainer.state.step, "total": trainer.total_steps,
                "epochs": trainer.settings.epochs, "batch_size": trainer.settings.batch_size,
                "cpu_budget": trainer.settings.cpu_budget, "cpu_seconds": trainer.state.cpu_seconds,
                "device": describe_device(str(trainer.device)),  # the same words as the status bar's
                "config": trainer.describe(),
                "notices": list(trainer.notices)}  # e.g. a resume that fell back to an older checkpoint
        self.deliver(lambda: self.monitor.started(info))

    def on_metrics(self, record: dict) -> None:
        record = dict(record)
        self.deliver(lambda: self.monitor.add_record(record))

    def on_samples(self, step: int, grid) -> None:
        self.deliver(lambda: self.monitor.set_samples(step, grid))

    def on_progress(self, progress) -> None:
        self.deliver(lambda: self.monitor.on_progress(progress))

    # finished and failed reach the session from its work(), after the trainer has returned.
