"""The one error a loader raises: it names the file (and line or image) at fault."""

from __future__ import annotations

from pathlib import Path


class DatasetError(ValueError):
    """Bad dataset input. ``str(err)`` is a message fit for a dialog: file, line, what is wrong."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)
