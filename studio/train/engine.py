"""The training engine: one loop for every model, headless, reporting through listeners.

A model plugs in through its ``Task``: the typed interface in studio/train/task.py, which
every model module's ``Task`` class provides.

The engine owns everything the three models share: the device, the whole dataset on it,
batching, bf16 autocast, DDP, pause/resume/stop, logging, samples, checkpoints, faults.
"""

from __future__ import annotations

import dataclasses
import gc
import inspect
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

import studio
from studio.data import SpriteSet, grid_image, is_builtin, open_dataset
from studio.errors import CheckpointError, ConfigError, OutputError, TrainingError
from studio.data.files import save_image
from studio.models import model_module, scores
from studio.train.checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint
from studio.train.config import config_from_dict, config_to_dict
from studio.train.devices import pick_device
from studio.train.distributed import Distributed, init_from_environment, shutdown
from studio.train.run import RECORD_FIELDS, RunDir, RunLock, check_out_folder
from studio.train.settings import TrainSettings


# Why the loop stops before a step; under torchrun the ranks agree on the largest.
_GO, _AT_BUDGET, _STOPPED = 0, 1, 2
SCORE_SEED = 777  # the draw the training-time yardstick scores
# The monitor's c2st is a trend, not the figure (`studio score`'s): a fifth of its classifier
# epochs and 3 folds, a few CPU-seconds an evaluation, logged without an interval.
SCORE_CLASSIFIER_EPOCHS = 6
SCORE_CLASSIFIER_FOLDS = 3


@dataclass
class Progress:
    step: int
    total: int
    epoch: int
    epochs: int
    steps_per_second: float
    sprites_per_second: float
    eta_seconds: float
    cpu_seconds: float = 0.0  # the run's training CPU time so far (what cpu_budget counts)
    cpu_budget: float | None = None

    @property
    def fraction(self) -> float:
        return self.step / self.total if self.total else 1.0


class TrainingListener:
    """Receives the engine's events. Override what you need; each is called on the training thread."""

    def on_start(self, trainer: "Trainer") -> None: ...
    def on_metrics(self, record: dict) -> None: ...
    def on_samples(self, step: int, grid: np.ndarray) -> None: ...  # RGB uint8 [h, w, 3]
    def on_progress(self, progress: Progress) -> None: ...
    def on_finished(self, summary: dict) -> None: ...
    def on_failed(self, error: BaseException) -> None: ...



class TrainingControl:
    """Pause, resume and stop from any thread; the loop honours them between two steps."""

    def __init__(self):
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused loop must wake up to stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def wait_while_paused(self) -> None:
        while not self._running.wait(timeout=0.1):
            pass


@dataclass
class _State:
    step: int = 0
    elapsed: float = 0.0  # training seconds, summed over resumes
    cpu_seconds: float = 0.0  # process CPU time of the training loop, summed over resumes
    best: float = math.inf
    last_good: Path | None = None
    extra: dict = field(default_factory=dict)


class Trainer:
    """Trains one model into one run folder, which it holds locked (:class:`RunLock`) from
    construction until training returns: one run, one writer. A fresh Trainer refuses a folder
    that already holds a run; :meth:`resume` continues one."""

    def __init__(self, model: str, config, sprites: SpriteSet, settings: TrainSettings | None = None,
                 run_dir: str | Path | None = None, listeners=(), control: TrainingControl | None = None,
                 *, resuming: bool = False):
        self.model = model
        self.config = config
        self.sprites = sprites
        self.settings = settings or TrainSettings()
        self.listeners = list(listeners)
        self.control = control or TrainingControl()
        self.notices: list[str] = []  # things the user should know (a take-over, a fallback)
        self.dist: Distributed = init_from_environment(self.settings.device)
        self.device = self._device()
        # Only rank 0 writes the run; the others train their slice of each batch.
        self.run = RunDir(run_dir) if run_dir is not None and self.dist.is_main else None
        # What the run folder was: "a new folder", "an empty folder" (a file, another run or a
        # folder of the user's files is refused before anything is written), or "a run, resumed".
        self.out_kind = "a run, resumed" if resuming else \
            check_out_folder(self.run.path, model) if self.run is not None else ""
        self.lock = RunLock(self.run.path) if self.run is not None else None
        if self.lock is not None:
            self.lock.acquire()
            if self.lock.took_over:
                self.notices.append(f"{self.run.path}: took over the lock of {self.lock.took_over}, "
                                    "which is gone")
        try:
            if self.run is not None and not resuming and self.run.has_content():
                raise TrainingError("the folder already holds a run", self.run.path,
                                    hint="continue it with --resume, or choose another --out")
            self._build()
        except BaseException:
            self.release()
            if self.run is not None and not resuming:
                self.run.remove_if_unused()
            raise

    def _build(self) -> None:
        config, sprites = self.config, self.sprites
        self.state = _State()
        self._cpu_start = time.process_time()  # process_time() when cpu_seconds was 0
        self._real_sets = None  # (train, held-out) indices on the CPU, for the yardstick
        torch.manual_seed(self.settings.seed)
        try:
            self.task = model_module(self.model).Task(config, sprites.palette.colors,
                                                      (sprites.height, sprites.width), self.device)
        except torch.cuda.OutOfMemoryError:
            raise
        except (ValueError, TypeError, RuntimeError) as err:  # the model's checks; torch's (a width of 0)
            raise ConfigError(f"the {self.model} config cannot build a model: {str(err).splitlines()[0]}") from None
        self.nets = self._wrap_nets()
        # The whole dataset lives on the device: it is tiny, so no loader and no per-batch copies.
        data = torch.from_numpy(sprites.indices).long().to(self.device)
        train_idx, held_idx = sprites.split(self.settings.held_out)
        self.train_data, self.held_data = data[torch.from_numpy(train_idx).to(self.device)], \
            data[torch.from_numpy(held_idx).to(self.device)]
        if len(self.train_data) == 0:
            raise TrainingError(f"the dataset {sprites.name!r} has no training sprites")

    # --- construction ------------------------------------------------------------------
    @classmethod
    def resume(cls, run_dir: str | Path, listeners=(), control=None, **settings_overrides) -> "Trainer":
        """Continue a run from its newest checkpoint that loads, with the data and config it was
        made with. Newer checkpoints that do not load (truncated, corrupt, another model's) are
        renamed ``*.pt.unusable`` and reported in ``trainer.notices``; the log is cut back to the
        checkpoint's step, so no step is logged twice."""
        run = RunDir(run_dir)
        saved = run.config()
        overrides = {k: v for k, v in settings_overrides.items() if v is not None}
        trained_batch = saved["train"].get("batch_size", TrainSettings.batch_size)
        if overrides.get("batch_size", trained_batch) != trained_batch:
            # A step is one batch: another size would change what the run's steps and epochs mean.
            raise TrainingError(f"the run trains with batch size {trained_batch}; "
                                f"resuming with {overrides['batch_size']} would change what its steps "
                                "and epochs count", run.path,
                                hint="resume without --batch-size, or start a new run")
        # Step and CPU caps belong to the session that set them: resuming continues to the
        # run's end unless a new cap is given.
        settings = dataclasses.replace(
            config_from_dict(TrainSettings, {**saved["train"], "max_steps": None, "cpu_budget": None},
                             source=str(run.config_path)), **overrides)
        module = model_module(saved["model"])
        config = config_from_dict(module.Config, saved["model_config"], source=str(run.config_path))
        sprites = open_dataset(saved["data"]["source"], **saved["data"].get("options", {}))
        expected = (saved["data"]["num_colors"], *saved["data"]["size"])
        if (sprites.num_colors, sprites.height, sprites.width) != tuple(expected):
            raise TrainingError(f"the run was trained on {expected[1]}×{expected[2]} sprites "
                                f"with {expected[0]} colours, but {saved['data']['source']} now has "
                                f"{sprites.height}×{sprites.width} with {sprites.num_colors}", run.path)
        trainer = cls(saved["model"], config, sprites, settings, run.path, listeners, control, resuming=True)
        try:
            if "train" in saved["data"] and len(trainer.train_data) != saved["data"]["train"]:
                raise TrainingError(f"the run trained on {saved['data']['train']} sprites, but "
                                    f"{saved['data']['source']} now gives {len(trainer.train_data)}: its "
                                    "steps and epochs would no longer match", run.path,
                                    hint="restore the dataset, or start a new run")
            trainer._load_newest(run)
            torn, later = run.truncate_metrics(trainer.state.step)
            if torn or later:
                trainer.notices.append(f"{run.metrics_path}: cut back to step {trainer.state.step} "
                                       f"({later} later record(s) and {torn} torn line(s) removed)")
        except BaseException:
            trainer.release()
            raise
        return trainer

    def _load_newest(self, run: RunDir) -> None:
        candidates = run.step_checkpoints()[::-1] + ([run.best_checkpoint] if run.best_checkpoint.is_file() else [])
        if not candidates:
            raise TrainingError("no checkpoint to resume from", run.path,
                                hint="start a new run into another folder")
        failures = []
        for path in candidates:
            try:
                self.load(path)
            except CheckpointError as err:
                failures.append((path, err))
                continue
            for bad, err in failures:
                aside = ""
                if bad != run.best_checkpoint:  # out of the way, so pruning never keeps it over good ones
                    bad.replace(bad.with_name(bad.name + ".unusable"))
                    aside = f"; set aside as {bad.name}.unusable"
                self.notices.append(f"{err}{aside}; resuming from {path.name} (step {self.state.step})")
            return
        raise TrainingError(f"no checkpoint of the run loads ({failures[0][1]})", run.path,
                            hint="start a new run")

    def _device(self) -> torch.device:
        if self.dist.enabled and torch.cuda.is_available() and (self.settings.device or "cuda").startswith("cuda"):
            return torch.device("cuda", self.dist.local_rank)
        return pick_device(self.settings.device)

    def _wrap_nets(self) -> dict:
        nets = {}
        for name, module in self.task.modules().items():
            trained = any(p.requires_grad for p in module.parameters())
            if trained and self.dist.enabled:
                # Buffers (e.g. spectral-norm vectors) stay per rank: broadcasting them on every
                # forward would overwrite the ones updated by a previous call in the same step.
                module = torch.nn.parallel.DistributedDataParallel(
                    module, device_ids=[self.device.index] if self.device.type == "cuda" else None,
                    **_no_forward_buffer_sync())
            if trained and self.settings.compile:
                module = torch.compile(module)
            nets[name] = module
        return nets

    def close(self) -> None:
        """Leave the process group (under torchrun). The DDP wrappers go first, while the group
        still exists: left to interpreter exit, their teardown raced the group's and a rank
        could abort ("terminate called without an active exception") after a finished run."""
        self.release()
        self.nets = {}
        gc.collect()
        shutdown(self.dist)

    # --- the run's description ---------------------------------------------------------
    def describe(self) -> dict:
        return {
            "model": self.model,
            "model_config": config_to_dict(self.config),
            "train": dataclasses.asdict(self.settings),
            "data": {
                "source": _absolute_source(self.sprites.source or self.sprites.name),
                "name": self.sprites.name,
                "size": [self.sprites.height, self.sprites.width],
                "num_colors": self.sprites.num_colors,
                "train": len(self.train_data),
                "held_out": len(self.held_data),
                "palette": self.sprites.palette.colors.tolist(),
            },
            "device": str(self.device),
            "world_size": self.dist.world_size,
            "studio_version": studio.__version__,
        }

    @property
    def steps_per_epoch(self) -> int:
        return max(1, len(self.train_data) // self.settings.batch_size)

    @property
    def total_steps(self) -> int:
        total = self.settings.epochs * self.steps_per_epoch
        return min(total, self.settings.max_steps) if self.settings.max_steps else total

    # --- checkpoints ---------------------------------------------------------------------
    def checkpoint_state(self) -> dict:
        rng = {"torch": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        return {
            "format": CHECKPOINT_FORMAT,
            "model": self.model,
            "config": self.describe(),
            "step": self.state.step,
            "elapsed": self.state.elapsed,
            "cpu_seconds": self.state.cpu_seconds,
            "best": self.state.best,
            "modules": {k: m.state_dict() for k, m in self.task.modules().items()},
            "optimizers": {k: o.state_dict() for k, o in self.task.optimizers().items()},
            "rng": rng,
        }

    def load(self, path: str | Path) -> None:
        path = Path(path)
        state = load_checkpoint(path, map_location=self.device)
        if state.get("model") != self.model:
            raise CheckpointError(f"a {state.get('model')} checkpoint, not {self.model}", path)
        try:
            for name, module in self.task.modules().items():
                module.load_state_dict(state["modules"][name])
            for name, optimizer in self.task.optimizers().items():
                optimizer.load_state_dict(state["optimizers"][name])
            torch.set_rng_state(state["rng"]["torch"].cpu())
            if "cuda" in state["rng"] and self.device.type == "cuda":
                torch.cuda.set_rng_state(state["rng"]["cuda"].cpu(), self.device)
            step, elapsed, best = int(state["step"]), float(state["elapsed"]), float(state["best"])
            cpu_seconds = float(state.get("cpu_seconds", 0.0))
        except (KeyError, RuntimeError, ValueError, TypeError, AttributeError) as err:
            raise CheckpointError(f"does not fit this {self.model} model: "
                                  f"{str(err).splitlines()[0][:160] if str(err) else type(err).__name__}",
                                  path) from None
        self.state.step, self.state.elapsed, self.state.best = step, elapsed, best
        self.state.last_good, self.state.cpu_seconds = path, cpu_seconds

    def _save(self, path: Path | None = None) -> Path | None:
        if self.run is None:
            return None
        try:
            path = save_checkpoint(self.checkpoint_state(), path or self.run.step_checkpoint(self.state.step))
        except OutputError as err:  # a full disk, say: the file was not written, the previous one is intact
            kept = f"the last good checkpoint, {self.state.last_good.name}, is kept" if self.state.last_good \
                else "no checkpoint had been written yet"
            raise OutputError(f"{err.message}; {kept}", err.path,
                              hint=(err.hint + ", then resume") if err.hint else "then resume") from None
        if path != self.run.best_checkpoint:
            self.state.last_good = path
            self.run.prune_checkpoints(self.settings.keep_checkpoints)
        return path

    # --- the loop ----------------------------------------------------------------------------
    def run_training(self) -> dict:
        """Train until done, stopped or ``max_steps``; returns a summary. Raises on failure."""
        try:
            if self.lock is not None:
                self.lock.acquire()  # again, if an earlier run_training of this trainer released it
            return self._loop()
        except torch.cuda.OutOfMemoryError:
            error = TrainingError(f"the GPU ran out of memory at batch size {self.settings.batch_size}; "
                                  f"try a smaller batch size (e.g. --batch-size "
                                  f"{max(1, self.settings.batch_size // 2)})")
            self._emit("on_failed", error)
            raise error from None
        except BaseException as error:
            self._emit("on_failed", error)
            raise
        finally:
            self.release()

    def release(self) -> None:
        """Let another process write the run (training has returned, or never started)."""
        if self.lock is not None:
            self.lock.release()

    def _loop(self) -> dict:
        s, spe, total = self.settings, self.steps_per_epoch, self.total_steps
        if self.run is not None:
            self.run.create(self.describe())
        writer = _tensorboard_writer(self.run) if s.tensorboard and self.run else None
        self._emit("on_start", self)
        autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=s.amp and self.device.type == "cuda")
        order, metrics, record, logged_step = None, None, None, -1
        window_start, window_steps = time.perf_counter(), 0
        status = "finished"
        self._cpu_start = time.process_time() - self.state.cpu_seconds
        while self.state.step < total:
            self.control.wait_while_paused()
            stop = _STOPPED if self.control.stop_requested else \
                _AT_BUDGET if s.cpu_budget is not None and self.state.cpu_seconds >= s.cpu_budget else _GO
            stop = self.dist.agree(stop, self.device)  # under torchrun every rank stops after the same step
            if stop != _GO:
                status = {_STOPPED: "stopped", _AT_BUDGET: "stopped at the CPU budget"}[stop]
                break
            epoch, within = divmod(self.state.step, spe)
            if order is None or within == 0:
                order = self._epoch_order(epoch)
            idx = order[within * s.batch_size:(within + 1) * s.batch_size]
            if self.dist.enabled:  # each rank takes its slice of the same global batch
                idx = idx[self.dist.rank::self.dist.world_size]
            t0 = time.perf_counter()
            with autocast:
                metrics = self.task.train_step(self.nets, self.train_data[idx])
            self.state.step += 1
            self.state.cpu_seconds = time.process_time() - self._cpu_start
            step = self.state.step
            window_steps += 1
            if step % s.log_every == 0 or step == total:
                record, logged_step = self._log(metrics, writer), step
                now = time.perf_counter()
                self._progress(window_steps / max(now - window_start, 1e-9))
                window_start, window_steps = now, 0
            self.state.elapsed += time.perf_counter() - t0
            # A first grid at step 1: what the untrained model draws, at once, not minutes later.
            if s.sample_every and (step % s.sample_every == 0 or step == 1):
                self._samples()
            if step % spe == 0:
                done_epochs = step // spe
                if s.eval_every and done_epochs % s.eval_every == 0:
                    self._evaluate(writer)
                if s.checkpoint_every and done_epochs % s.checkpoint_every == 0 and step != total:
                    if logged_step != step:  # logging checks the loss is finite before we keep it
                        record, logged_step = self._log(metrics, writer), step
                    self._save()
        if status == "finished" and total < s.epochs * spe:
            status = "stopped at max_steps"
        if metrics is not None and logged_step != self.state.step:
            record = self._log(metrics, writer)
        checkpoint = self._save()
        self._samples()
        if writer is not None:
            writer.close()
        summary = {"status": status, "step": self.state.step, "total": total,
                   "checkpoint": str(checkpoint) if checkpoint else None,
                   "run": str(self.run.path) if self.run else None,
                   "metrics": record or {}}
        self._emit("on_finished", summary)
        return summary

    def _epoch_order(self, epoch: int) -> torch.Tensor:
        # A permutation that depends only on (seed, epoch): resuming mid-epoch replays it exactly.
        g = torch.Generator().manual_seed(self.settings.seed * 1_000_003 + epoch)
        return torch.randperm(len(self.train_data), generator=g).to(self.device)

    def _log(self, metrics: dict, writer) -> dict:
        names = list(metrics)
        values = self.dist.mean(torch.stack([torch.as_tensor(metrics[k], dtype=torch.float32,
                                                             device=self.device) for k in names]))
        record = {"step": self.state.step, "epoch": round(self.state.step / self.steps_per_epoch, 4),
                  "time": round(self.state.elapsed, 3), "cpu": round(self.state.cpu_seconds, 3)}
        record.update(zip(names, values.tolist()))
        self._check_finite(record)
        self._record(record, writer)
        return record

    def _record(self, record: dict, writer) -> None:
        if self.run is not None:
            self.run.append_metrics(record)
        if writer is not None:
            for k, v in record.items():
                if k not in RECORD_FIELDS:
                    writer.add_scalar(k, v, record["step"])
        self._emit("on_metrics", record)

    def _check_finite(self, record: dict) -> None:
        bad = [k for k, v in record.items() if isinstance(v, float) and not math.isfinite(v)]
        if bad:
            kept = f"the last good checkpoint is kept: {self.state.last_good}" if self.state.last_good \
                else "no checkpoint had been written yet"
            raise TrainingError(f"training diverged: {', '.join(bad)} became "
                                f"{record[bad[0]]} at step {self.state.step}; {kept}. "
                                f"Try a lower learning rate.")

    def _progress(self, steps_per_second: float) -> None:
        s = self.settings
        remaining = self.total_steps - self.state.step
        self._emit("on_progress", Progress(
            step=self.state.step, total=self.total_steps,
            epoch=self.state.step // self.steps_per_epoch, epochs=s.epochs,
            steps_per_second=steps_per_second,
            sprites_per_second=steps_per_second * s.batch_size,
            eta_seconds=remaining / steps_per_second if steps_per_second > 0 else math.inf,
            cpu_seconds=self.state.cpu_seconds, cpu_budget=s.cpu_budget))

    def _evaluate(self, writer) -> None:
        if not self.dist.is_main or len(self.held_data) == 0:
            return
        for module in self.task.modules().values():
            module.eval()
        with torch.no_grad():
            metrics = self.task.evaluate(self.held_data)
            epoch = self.state.step // self.steps_per_epoch
            if self.settings.score_every and epoch % self.settings.score_every == 0:
                metrics = {**metrics, **self._yardstick()}
        for module in self.task.modules().values():
            module.train()
        if not metrics:
            return
        record = {"step": self.state.step, "epoch": round(self.state.step / self.steps_per_epoch, 4),
                  "time": round(self.state.elapsed, 3), "cpu": round(self.state.cpu_seconds, 3)}
        record.update({f"val/{k}": float(v) for k, v in metrics.items()})
        self._record(record, writer)
        key = self.task.selection_metric
        if key and key in metrics and metrics[key] < self.state.best:
            self.state.best = float(metrics[key])
            self._save(self.run.best_checkpoint if self.run else None)

    def _yardstick(self) -> dict[str, float]:
        """scores.score_samples of score_count samples (the same seed each time, so two
        evaluations differ only by the model), with a cheap classifier. Its CPU time moves
        the CPU clock's origin: the run's `cpu` and its budget count training only."""
        if min(len(self.train_data), self.settings.score_count) < SCORE_CLASSIFIER_FOLDS:
            return {}  # too few sprites to cross-validate a classifier on
        started = time.process_time()
        if self._real_sets is None:
            self._real_sets = self.train_data.cpu().numpy(), self.held_data.cpu().numpy()
        samples = self.task.draw(self.settings.score_count, seed=SCORE_SEED)
        result = scores.score_samples(samples, *self._real_sets, self.sprites.palette,
                                      n=self.settings.score_count, classifier_epochs=SCORE_CLASSIFIER_EPOCHS,
                                      folds=SCORE_CLASSIFIER_FOLDS)
        self._cpu_start += time.process_time() - started
        return {k: v for k, v in result.items() if k not in ("c2st_low", "c2st_high")}

    def _samples(self) -> None:
        if not self.dist.is_main or not self.settings.sample_count:
            return
        was_training = {k: m.training for k, m in self.task.modules().items()}
        for module in self.task.modules().values():
            module.eval()
        with torch.no_grad():
            sprites = self.task.sample(self.settings.sample_count)
        for k, m in self.task.modules().items():
            m.train(was_training[k])
        image = grid_image(np.asarray(sprites), self.sprites.palette, columns=8)
        if self.run is not None:
            save_image(image, self.run.samples_dir / f"step_{self.state.step:07d}.png")
        self._emit("on_samples", self.state.step, np.asarray(image))

    def _emit(self, event: str, *args) -> None:
        if event != "on_failed" and not self.dist.is_main:
            return
        for listener in self.listeners:
            getattr(listener, event)(*args)


def _absolute_source(source: str) -> str:
    """A dataset path as an absolute one (resume and eval then work from any folder); built-in
    specs stay as they are."""
    return source if is_builtin(source) else str(Path(source).expanduser().resolve())


def _no_forward_buffer_sync() -> dict:
    """DDP's option for "do not broadcast buffers on each forward": newer torch renamed it."""
    params = inspect.signature(torch.nn.parallel.DistributedDataParallel.__init__).parameters
    return {"forward_sync_buffers": False} if "forward_sync_buffers" in params else {"broadcast_buffers": False}


def _tensorboard_writer(run: RunDir):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # the optional `tensorboard` extra is not installed
        return None
    return SummaryWriter(str(run.path / "tensorboard"))
