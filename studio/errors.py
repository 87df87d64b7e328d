"""The errors the studio expects: bad input the user can fix. Everything else is a bug.

Every one of them is a :class:`StudioError`, so one place in the CLI (``studio.cli.main``) and
one in the GUI turn them into a line or a dialog, and anything else keeps its traceback.
``str(err)`` is that line: ``<file>[, line N]: <what is wrong> (<what to do>)``.
"""

from __future__ import annotations

import errno
from pathlib import Path


class StudioError(Exception):
    """An error the user can fix; the message names the file and says what to do."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 hint: str | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.message, self.hint = message, hint
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message + (f" ({hint})" if hint else ""))


class DatasetError(StudioError, ValueError):
    """Bad dataset input. ``str(err)`` is a message fit for a dialog: file, line, what is wrong."""


class ConfigError(StudioError, ValueError):
    """A config (a run's config.json, a config file, a setting) that cannot be used."""


class OutputError(StudioError):
    """A file the studio was asked to write and cannot (format, folder, permissions, full disk)."""


class CheckpointError(StudioError, RuntimeError):
    """A checkpoint that cannot be used; the message names the file."""


class TrainingError(StudioError, RuntimeError):
    """Training cannot go on; the message says why and what to do."""


class RunError(ConfigError):
    """A run folder that cannot be opened; the message names the file and says why."""


class RunNotFoundError(StudioError, FileNotFoundError):
    """A folder that is not a run, or a run without the checkpoint asked for."""


class RunInUseError(StudioError):
    """Another process is writing the run."""


class RunActionError(StudioError, ValueError):
    """A run cannot be renamed, deleted or restored as asked: the name is not a usable folder
    name (empty, too long, a path separator, a control character), the folder is not a run in
    a runs folder the list reads, or the name is taken. Nothing was moved."""


# What to do about the operating-system errors a user can meet while the studio writes or reads.
_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free some space and try again",
    errno.EDQUOT: "the disk quota is used up: free some space and try again",
    errno.EFBIG: "the file is larger than this system allows",
    errno.EACCES: "check the permissions, or choose another place",
    errno.EPERM: "check the permissions, or choose another place",
    errno.EROFS: "the file system is read-only: choose another place",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder; give a file name",
}


def os_error_hint(err: OSError) -> str | None:
    return _OS_HINTS.get(err.errno)


def from_os_error(err: OSError, path: str | Path | None = None) -> OutputError:
    """An OSError (full disk, permissions, ...) as a one-line studio error naming the file."""
    where = path if path is not None else err.filename
    what = err.strerror or str(err) or type(err).__name__
    return OutputError(what[:1].lower() + what[1:], where, hint=os_error_hint(err))


def describe_error(error: BaseException) -> str:
    """What to show a user: a studio error's own line; for anything else its type and text."""
    if isinstance(error, StudioError):
        return str(error)
    if isinstance(error, OSError):  # the environment's: permissions, a full disk, a missing file
        return str(from_os_error(error))
    if isinstance(error, MemoryError) or "out of memory" in str(error).lower() \
            or "can't allocate memory" in str(error).lower():
        return f"out of memory: {str(error).splitlines()[0] if str(error) else type(error).__name__} " \
               f"(try a smaller batch size or model width)"
    return f"{type(error).__name__}: {error}"
