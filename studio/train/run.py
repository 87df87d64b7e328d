"""A run is a folder that outlives the process (as in TensorBoard / Lightning):

    RUN/config.json        everything needed to rebuild the model and continue
    RUN/metrics.jsonl      one JSON object per logged step, append-only; any viewer can follow it
    RUN/samples/*.png      sample grids at intervals
    RUN/checkpoints/*.pt   step_XXXXXXX.pt (the last few kept), best.pt
    RUN/.writer.lock       held (an OS file lock) by the one process writing the run; holds its PID

One run, one writer: a process takes :class:`RunLock` before it writes anything, so two
trainings can never interleave their steps in one folder.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import socket
import time
from pathlib import Path

import filelock

from studio.data.files import write_bytes, write_text
from studio.errors import (ConfigError, OutputError, RunActionError, RunInUseError, RunNotFoundError,
                           TrainingError, from_os_error)

_STEP_CHECKPOINT = re.compile(r"step_(\d+)\.pt$")
RUNS_DIR_ENV = "STUDIO_RUNS_DIR"
LOCK_FILE = ".writer.lock"
MAX_CONFIG_BYTES = 16 << 20  # config.json holds a palette and a few settings: kilobytes
#: Damaged lines of metrics.jsonl named one by one in one read; more are counted.
NAMED_DAMAGED_LINES = 10
#: The bookkeeping fields of every record in metrics.jsonl; all its other keys are metrics.
RECORD_FIELDS = ("step", "epoch", "time", "cpu")


def default_runs_dir() -> Path:
    """Where the app puts new runs: $STUDIO_RUNS_DIR, else the user's data folder (…/pokemon-studio/runs)."""
    if os.environ.get(RUNS_DIR_ENV):
        return Path(os.environ[RUNS_DIR_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("pokemon-studio")) / "runs"


def new_run_path(model: str, root: str | Path | None = None) -> Path:
    """A fresh ``ROOT/MODEL-YYYYmmdd-HHMMSS`` folder name (suffixed -2, -3 … if taken)."""
    base = Path(root) if root is not None else default_runs_dir()
    stem = f"{model}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base / stem, 1
    while path.exists():
        n += 1
        path = base / f"{stem}-{n}"
    return path


#: The longest run name (a folder name; file systems allow 255 bytes).
MAX_RUN_NAME = 100
#: Characters a run name may not hold: path separators, and what Windows refuses in a name.
_FORBIDDEN_IN_NAME = '/\\<>:"|?*'


def check_run_name(name: str) -> str:
    """``name`` (stripped) if it can name a run folder, else a :class:`RunActionError` saying why:
    empty, too long, a path separator, a control character, "." or "..", a leading dot (hidden)."""
    name = name.strip()
    shown = repr(name) if len(name) <= 40 else repr(name[:37] + "...")
    if not name:
        raise RunActionError("a run name cannot be empty")
    if len(name) > MAX_RUN_NAME or len(name.encode("utf-8", "surrogatepass")) > 255:
        raise RunActionError(f"{shown}: a run name has at most {MAX_RUN_NAME} characters, this one {len(name)}")
    if not all(ch.isprintable() or ch == " " for ch in name):
        raise RunActionError(f"{shown}: a run name cannot hold control characters (a newline, a tab, "
                             "a terminal escape)")
    bad = sorted(set(name) & set(_FORBIDDEN_IN_NAME))
    if bad:
        raise RunActionError(f"{shown}: a run name cannot hold {' '.join(bad)} (a path separator or a "
                             "character file systems refuse)")
    if name.startswith("."):
        raise RunActionError(f"{shown}: a run name cannot start with a dot (the folder would be hidden)")
    return name


def check_out_folder(path: str | Path, model: str) -> str:
    """What a new run's folder is: "a new folder" or "an empty folder". Anything else is refused
    with one line saying what it is: a file, a folder holding a run (resume it instead), or a
    folder of other files (the run's files would mix with the user's). Nothing is created."""
    path = Path(path)
    try:
        if not path.exists():
            if path.is_symlink():
                raise OutputError("a link to something that does not exist", path,
                                  hint="give --out a new or empty folder")
            for parent in path.parents:  # the nearest that exists must be a folder
                if parent.exists():
                    if not parent.is_dir():
                        raise OutputError("is a file, not a folder", parent, hint="choose another --out")
                    break
            if not all(ch.isprintable() or ch == " " for ch in path.name) or len(path.name) > MAX_RUN_NAME:
                raise OutputError("a run folder's name must be at most "
                                  f"{MAX_RUN_NAME} characters without control characters", path.parent,
                                  hint="choose a plain name for --out")
            return "a new folder"
        if not path.is_dir():
            raise OutputError("is a file, not a folder", path, hint="give --out a new or empty folder")
        others = sorted(p.name for p in path.iterdir() if p.name != LOCK_FILE)
    except OSError as err:
        raise from_os_error(err, path) from None
    if not others:
        return "an empty folder"
    run = RunDir(path)
    if run.has_content():
        try:
            saved = json.loads(run.config_path.read_bytes()).get("model")
        except (OSError, ValueError, AttributeError):
            saved = None
        other = f"; it is a {saved} run, not {model}" if isinstance(saved, str) and saved.isidentifier() \
            and saved != model else ""
        raise TrainingError("the folder already holds a run", path,
                            hint=f"continue it with --resume, or choose another --out{other}")
    example = others[0] if len(others[0]) <= 40 else others[0][:37] + "..."
    raise OutputError(f"the folder holds {len(others)} other file(s) (e.g. {example!r}) and is not a run",
                      path, hint="give --out a new or empty folder, so the run's files do not mix with yours")


def _inside(name: str) -> property:
    """A RunDir's path to ``name`` in its folder."""
    return property(lambda run: run.path / name, doc=f"the run folder's {name}")


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    # --- layout ----------------------------------------------------------------------
    config_path = _inside("config.json")
    metrics_path = _inside("metrics.jsonl")
    samples_dir = _inside("samples")
    checkpoints_dir = _inside("checkpoints")

    @property
    def best_checkpoint(self) -> Path:
        return self.checkpoints_dir / "best.pt"

    def exists(self) -> bool:
        return self.config_path.is_file()

    # --- writing -----------------------------------------------------------------------
    def create(self, config: dict) -> "RunDir":
        try:
            self.samples_dir.mkdir(parents=True, exist_ok=True)
            self.checkpoints_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise from_os_error(err) from None
        write_text(self.config_path, json.dumps(config, indent=2) + "\n")
        return self

    def has_content(self) -> bool:
        """True when the folder already holds a run (or the start of one)."""
        return any(p.exists() for p in (self.config_path, self.metrics_path, self.checkpoints_dir,
                                        self.samples_dir))

    def remove_if_unused(self) -> None:
        """Remove the folder if it holds nothing but a lock file (a start that failed)."""
        try:
            if {p.name for p in self.path.iterdir()} <= {LOCK_FILE}:
                (self.path / LOCK_FILE).unlink(missing_ok=True)
                self.path.rmdir()
        except OSError:
            pass

    def append_metrics(self, record: dict) -> None:
        # One line per write, flushed at once, so a follower never reads half an object
        # for long and a crash loses at most the line being written (resume cuts it off).
        try:
            with self.metrics_path.open("a") as f:
                f.write(json.dumps(record, allow_nan=True) + "\n")
        except OSError as err:
            raise from_os_error(err, self.metrics_path) from None

    def truncate_metrics(self, step: int) -> tuple[int, int]:
        """Keep the log true to a checkpoint at ``step``: drop a torn tail (a line cut by a crash,
        without its newline) and every record past ``step`` (the checkpoint does not have them),
        atomically. A damaged line before the tail stays as it is (readers skip it, naming it):
        its bytes are not the studio's to throw away. Returns (torn lines dropped, later records
        dropped)."""
        try:
            raw = self.metrics_path.read_bytes()
        except FileNotFoundError:
            return 0, 0
        except OSError as err:
            raise from_os_error(err, self.metrics_path) from None
        kept, torn, later = [], 0, 0
        lines = raw.split(b"\n")
        # The last piece is what follows the final newline: empty, or a line cut short.
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            if i == len(lines) - 1:
                torn += 1
                continue
            record, _ = parse_record(line)
            if record is not None and record["step"] > step:
                later += 1
            else:
                kept.append(line + b"\n")
        if torn or later:
            write_bytes(self.metrics_path, b"".join(kept))
        return torn, later

    def step_checkpoint(self, step: int) -> Path:
        return self.checkpoints_dir / f"step_{step:07d}.pt"

    def prune_checkpoints(self, keep: int) -> None:
        for old in self.step_checkpoints()[:-keep] if keep > 0 else []:
            old.unlink(missing_ok=True)

    # --- reading -----------------------------------------------------------------------
    def config(self) -> dict:
        """config.json, checked: its structure here, the model's and the training's fields by
        their dataclasses. Every problem is a ConfigError naming the file."""
        if not self.config_path.is_file():
            raise RunNotFoundError("not a run folder (no config.json)", self.path,
                                   hint="choose a folder a training wrote")
        try:
            if self.config_path.stat().st_size > MAX_CONFIG_BYTES:
                raise ConfigError("too large for a run's config.json", self.config_path)
            saved = json.loads(self.config_path.read_bytes().decode("utf-8-sig"), parse_constant=_nan_constant)
        except json.JSONDecodeError as err:
            raise ConfigError(f"malformed JSON: {err.msg}", self.config_path, err.lineno,
                              hint="the file is damaged; restore it or start a new run") from None
        except (UnicodeDecodeError, RecursionError):
            raise ConfigError("not a JSON text file", self.config_path) from None
        except OSError as err:
            raise ConfigError(f"cannot read it ({err.strerror or err})", self.config_path) from None
        check_run_config(saved, self.config_path)
        return saved

    def metrics(self) -> list[dict]:
        return MetricsFollower(self.metrics_path).poll()

    def step_checkpoints(self) -> list[Path]:
        found = [p for p in self.checkpoints_dir.glob("step_*.pt") if _STEP_CHECKPOINT.search(p.name)]
        return sorted(found, key=lambda p: int(_STEP_CHECKPOINT.search(p.name).group(1)))

    def latest_checkpoint(self) -> Path | None:
        found = self.step_checkpoints()
        return found[-1] if found else None

    def checkpoint(self, which: str = "best") -> Path:
        """``best`` (falls back to the latest), ``last``, or a file name in checkpoints/."""
        if which == "best" and self.best_checkpoint.is_file():
            return self.best_checkpoint
        if which in ("best", "last"):
            latest = self.latest_checkpoint()
            if latest is None:
                raise RunNotFoundError("the run has no checkpoint yet", self.path,
                                       hint="train it first, or wait for its first checkpoint")
            return latest
        path = self.checkpoints_dir / which
        if Path(which).name != which or not path.is_file():
            names = ", ".join(["best", "last", *(p.name for p in self.step_checkpoints())])
            raise RunNotFoundError(f"no checkpoint {which!r}", self.checkpoints_dir, hint=f"choose one of {names}")
        return path

    def sample_grids(self) -> list[Path]:
        return sorted(self.samples_dir.glob("step_*.png"))


class MetricsFollower:
    """Reads new records from a metrics.jsonl being written by another process.

    Remembers its byte offset; a trailing line without its newline is left for the next poll.
    A damaged line (not UTF-8, not JSON, JSON but not a record: see :func:`parse_record`),
    wherever it is, is skipped and named once as ``file:line`` (the ``studio`` logger, which
    the CLI prints as a note); ``damaged`` lists those this follower skipped.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.offset = 0
        self.lines = 0  # complete lines read so far: the next one is line lines + 1
        self.damaged: list[str] = []

    def poll(self) -> list[dict]:
        try:
            with self.path.open("rb") as f:
                size = os.fstat(f.fileno()).st_size
                if self.offset > size:
                    # A resume cut the log back to its checkpoint: continue from the new end, not
                    # from past it (where the next records would be read from mid-line or missed).
                    self.offset = size
                    self.lines = f.read(size).count(b"\n")
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        except OSError as err:  # a folder named metrics.jsonl, no permission: the run lists without curves
            self._skip(0, f"cannot read it ({err.strerror or err})")
            return []
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        records, skipped = [], 0
        for raw in chunk[:end].split(b"\n")[:-1]:
            self.lines += 1
            if raw.strip():
                record, problem = parse_record(raw)
                if problem is None:
                    records.append(record)
                elif skipped < NAMED_DAMAGED_LINES:
                    skipped += 1
                    self._skip(self.lines, problem)
                else:
                    skipped += 1
        if skipped > NAMED_DAMAGED_LINES:  # a file of garbage: named once, not line by line
            self._skip(0, f"{skipped - NAMED_DAMAGED_LINES} more damaged lines")
        return records

    def _skip(self, line: int, problem: str) -> None:
        where = f"{self.path}:{line}" if line else str(self.path)
        if len(self.damaged) < 100:
            self.damaged.append(f"{where}: {problem}")
        report_damaged(self.path, line, problem)


def parse_record(line: bytes) -> tuple[dict | None, str | None]:
    """One line of metrics.jsonl as (record, None), or (None, what is wrong with it). A record is
    a JSON object with a whole-number ``step`` of 0 or more whose values are all numbers (NaN
    and infinities too: a diverged loss is logged as it was)."""
    try:
        record = json.loads(line.decode("utf-8"), parse_constant=_nan_constant)
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except (json.JSONDecodeError, RecursionError):
        return None, "not JSON (a line cut short or damaged)"
    if not isinstance(record, dict):
        return None, f"JSON but not an object ({type(record).__name__})"
    step = record.get("step")
    if not _is_int(step) or step < 0:
        return None, "an object without a whole-number step"
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in record.values()):
        return None, "an object with a value that is not a number"
    return record, None


_reported: set[tuple[str, int]] = set()
_log = logging.getLogger("studio")


def report_damaged(path: Path, line: int, problem: str) -> None:
    """Say once per process that ``path``'s ``line`` is damaged and skipped (a list refreshed every
    few seconds must not repeat it)."""
    key = (str(path), line or problem)
    if key in _reported:
        return
    if len(_reported) < 10_000:
        _reported.add(key)
    _log.warning("%s: %s; skipped", f"{path}:{line}" if line else path, problem)


def _nan_constant(name: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]


def list_runs(folder: str | Path) -> list[RunDir]:
    """Run folders directly under ``folder`` (or ``folder`` itself), newest first."""
    folder = Path(folder)
    candidates = [folder] if (folder / "config.json").is_file() else sorted(folder.glob("*/"))
    runs = [RunDir(p) for p in candidates if (p / "config.json").is_file()]
    return sorted(runs, key=lambda r: r.config_path.stat().st_mtime, reverse=True)




def check_run_config(saved, source) -> None:
    """The structure of a run's config.json, and its model's and training's fields (by type).
    An older run's model config is put in this version's terms on the way (in ``saved``:
    train.config.saved_model_config), or refused when this version cannot rebuild its model."""
    from studio.models import MODEL_NAMES, model_module
    from studio.train.config import config_from_dict, saved_model_config
    from studio.train.settings import TrainSettings

    def need(ok: bool, what: str):
        if not ok:
            raise ConfigError(what, source, hint="the file is damaged; restore it or start a new run")

    need(isinstance(saved, dict), "expected a JSON object")
    for key, kind in (("model", str), ("model_config", dict), ("train", dict), ("data", dict)):
        need(key in saved, f"the key {key!r} is missing")
        need(isinstance(saved[key], kind), f"{key!r} must be {'text' if kind is str else 'an object'}")
    need(saved["model"] in MODEL_NAMES, f"unknown model {saved['model']!r} (known: {', '.join(MODEL_NAMES)})")
    data = saved["data"]
    for key in ("source", "size", "num_colors", "palette"):
        need(key in data, f"the key 'data.{key}' is missing")
    need(isinstance(data["source"], str), "'data.source' must be text")
    size, k = data["size"], data["num_colors"]
    need(isinstance(size, list) and len(size) == 2 and all(_is_int(v) and 1 <= v <= 4096 for v in size),
         f"'data.size' must be [height, width], got {str(size)[:40]}")
    need(_is_int(k) and 1 <= k <= 256, f"'data.num_colors' must be 1..256, got {str(k)[:40]}")
    palette = data["palette"]
    need(isinstance(palette, list) and len(palette) == k and all(
        isinstance(c, list) and len(c) == 3 and all(_is_int(v) and 0 <= v <= 255 for v in c) for c in palette),
        f"'data.palette' must be {k} colours [r, g, b] of 0..255")
    need(isinstance(data.get("options", {}), dict), "'data.options' must be an object")
    saved["model_config"] = saved_model_config(saved["model"], saved["model_config"], source)
    config_from_dict(model_module(saved["model"]).Config, saved["model_config"], source=str(source))
    config_from_dict(TrainSettings, saved["train"], source=str(source))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def writer_of(folder: str | Path) -> str | None:
    """"PID 1234" of the process writing the run at ``folder`` now (this one included), or None.
    Tries the lock (flock, as :class:`RunLock` takes it) on a read-only descriptor: nothing is
    written and nothing is taken over."""
    path = Path(folder) / LOCK_FILE
    try:
        import fcntl
    except ImportError:  # Windows: no probe without taking the lock
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None  # no lock file: nobody has written this run since it was made
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return RunLock(folder).holder()
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class RunLock:
    """One writer per run folder, for as long as it writes (GUI and CLI alike).

    An OS lock (``filelock``: flock / LockFileEx) on ``RUN/.writer.lock``, which holds the
    writer's PID so a refusal can name it. The OS drops the lock when its process dies, however
    it dies, so a stale lock (kill -9, a crash, a power cut) is simply taken over; the PID left
    in the file says whose it was (:attr:`took_over`).
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self.took_over: str | None = None  # the holder a stale lock named, once taken over
        self._lock = filelock.FileLock(self.path, timeout=0, thread_local=False, on_acquired=self._claim)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self) -> "RunLock":
        if self.held:
            return self
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except filelock.Timeout:
            raise RunInUseError(f"another process ({self.holder()}) is writing this run", self.folder,
                                hint="wait for it to finish or stop it, or choose another --out") from None
        except OSError as err:
            raise from_os_error(err, self.path) from None
        return self

    def release(self) -> None:
        if not self.held:
            return
        try:  # a clean end leaves no PID behind, so the next writer does not report a take-over
            os.truncate(self.path, 0)
        except OSError:
            pass
        self._lock.release(force=True)

    def held_elsewhere(self) -> bool:
        """Whether another process holds the lock now: a run being written (a `studio train`
        elsewhere, another window). Reads only; False where the OS cannot tell (not POSIX)."""
        try:
            import fcntl
        except ImportError:
            return False
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False  # no lock file: nobody has written the run yet, or it ended cleanly long ago
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return not self.held  # our own lock is not "elsewhere"
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    def holder(self) -> str:
        """'PID 1234 on host' of the process that wrote the lock file."""
        try:
            text = self.path.read_text(errors="replace").strip()
        except OSError:
            text = ""
        pid, _, host = text.partition(" ")
        return f"PID {pid}" + (f" on {host}" if host and host != socket.gethostname() else "") \
            if pid.isdigit() else "PID unknown"

    def _claim(self, fd: int) -> None:
        # Called with the lock held: whatever PID is still in the file is a process that died.
        previous = os.pread(fd, 256, 0).decode(errors="replace").strip()
        if previous.partition(" ")[0].isdigit():
            self.took_over = f"PID {previous.partition(' ')[0]}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
