"""Writing files atomically: the file is either the old one or the whole new one, never half.

    with atomic_write(path) as f:      # f is a binary file in the same folder
        f.write(data)

A crash, a full disk or a refused permission leaves the old file (if any) and no ``*.tmp``;
an OSError becomes an :class:`~studio.errors.OutputError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from studio.errors import OutputError, from_os_error

# Read once, at import: setting and restoring the umask is not safe while other threads run.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_write(path: str | Path, durable: bool = True):
    """Yield a binary file; on success it replaces ``path`` (fsynced when ``durable``)."""
    path = Path(path)
    for folder in path.parents:  # the nearest one that exists must be a folder
        if folder.exists():
            if not folder.is_dir():
                raise OutputError("is a file, not a folder", folder, hint=f"choose another place for {path.name}")
            break
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise from_os_error(err, path) from None
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp's 0600 would make the file private
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise from_os_error(err, path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def write_bytes(path: str | Path, data: bytes, durable: bool = True) -> Path:
    with atomic_write(path, durable) as f:
        f.write(data)
    return Path(path)


def write_text(path: str | Path, text: str, durable: bool = True) -> Path:
    return write_bytes(path, text.encode("utf-8"), durable)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable; not supported on every platform (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def image_format(path: str | Path) -> str:
    """The PIL format a file name asks for (``.png`` → PNG), or an OutputError listing the known ones."""
    from PIL import Image

    suffix = Path(path).suffix.lower()
    formats = Image.registered_extensions()
    if suffix not in formats or formats[suffix] not in Image.SAVE:
        common = ".png, .gif, .jpg, .bmp, .webp"
        raise OutputError(f"unknown image format {suffix or '(no extension)'!r}", path,
                          hint=f"end the name with one of {common}")
    return formats[suffix]


def save_image(image, path: str | Path, **params) -> Path:
    """Save a PIL image atomically, in the format its name asks for."""
    image_format_name = image_format(path)
    with atomic_write(path, durable=False) as f:
        image.save(f, format=image_format_name, **params)
    return Path(path)
