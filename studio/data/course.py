"""The course's text format: ``pixel_color.txt`` (one sprite a line) + ``colormap.txt`` (the palette).

``pixel_color.txt``: one sprite per line, H×W colour indices separated by whitespace, row-major,
top-left first; H = W = sqrt(count), the same count on every line.
``colormap.txt``: one ``R G B`` line per palette colour (0..255); line k is index k.

Lines are parsed here one by one (not with ``np.loadtxt``) so that every error names the file
and the 1-based line number, and nothing half-read is ever returned. A UTF-8 byte-order mark
(as Windows editors write) is accepted; files over :data:`MAX_FILE_BYTES` are refused unread.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path

import numpy as np

from studio.errors import DatasetError
from studio.data.palette import Palette
from studio.data.files import write_text
from studio.data.sprites import SpriteSet, check_dataset_size

PIXELS_FILE = "pixel_color.txt"
COLORMAP_FILE = "colormap.txt"

_INTEGER = re.compile(r"[+-]?[0-9]+")  # strict: int() alone would also take "1_0" or "٣"
#: The largest course file read: 64 MiB (the course's pixel_color.txt is about 1 MiB).
MAX_FILE_BYTES = 64 << 20
#: The largest sprite a line may hold, 256×256, and so the longest line (5 characters a number).
MAX_SPRITE_PIXELS = 256 * 256
_MAX_LINE_CHARS = 5 * MAX_SPRITE_PIXELS


def load_course(path: str | Path) -> SpriteSet:
    """Read the course data from its folder, or from its ``pixel_color.txt`` (colormap.txt beside it)."""
    path = Path(path)
    pixels_file = path / PIXELS_FILE if path.is_dir() else path
    check_regular_file(pixels_file, f"no {PIXELS_FILE} here")
    palette = read_colormap(pixels_file.parent / COLORMAP_FILE)
    indices = read_pixels(pixels_file, palette)
    return SpriteSet(indices, palette, name=pixels_file.parent.name or "course", source=str(path))


def save_course(sprites: SpriteSet, folder: str | Path) -> Path:
    """Write ``sprites`` as ``pixel_color.txt`` + ``colormap.txt`` in ``folder``; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_pixels(sprites.indices, folder / PIXELS_FILE)
    write_colormap(sprites.palette, folder / COLORMAP_FILE)
    return folder


def write_pixels(indices: np.ndarray, file: str | Path) -> None:
    """Sprites [N, H, W] as the course's pixel_color.txt: one sprite a line, its H·W colour
    indices row-major, separated by spaces (also HW4's submission format). Written atomically."""
    rows = (" ".join(map(str, sprite.ravel().tolist())) for sprite in np.asarray(indices))
    # Like the course's own files: no newline after the last line.
    write_text(file, "\n".join(rows))


def write_colormap(palette: Palette, file: str | Path) -> None:
    lines = (f"{r} {g} {b}" for r, g, b in palette.colors.tolist())
    write_text(file, "\n".join(lines))


def read_colormap(file: str | Path) -> Palette:
    file = Path(file)
    check_regular_file(file, "the palette file is missing (it must sit beside pixel_color.txt)")
    colors = []
    for line_no, tokens in _numbered_lines(file):
        if len(tokens) != 3:
            raise DatasetError(f"expected 3 numbers (R G B), found {len(tokens)}", file, line_no)
        rgb = _integers(tokens, file, line_no)
        if not all(0 <= v <= 255 for v in rgb):
            raise DatasetError(f"colour values must be 0..255, got {' '.join(tokens)}", file, line_no)
        colors.append(rgb)
    if not colors:
        raise DatasetError("the palette file is empty", file)
    if len(colors) > 256:
        raise DatasetError(f"a palette holds at most 256 colours, this one has {len(colors)}", file)
    return Palette(np.array(colors, dtype=np.uint8))


def read_pixels(file: str | Path, palette: Palette) -> np.ndarray:
    """Sprites [n, H, W] uint8 from a file of the course's lines of indices into ``palette``."""
    file = Path(file)
    check_regular_file(file, "no such file")
    rows, count = [], None
    for line_no, tokens in _numbered_lines(file):
        if count is None:  # the first sprite fixes the size
            count = len(tokens)
            if count == 0 or math.isqrt(count) ** 2 != count:
                raise DatasetError(f"{count} numbers is not a square sprite (like 400 = 20×20)",
                                   file, line_no)
            if count > MAX_SPRITE_PIXELS:
                raise DatasetError(f"a sprite of {count} pixels is larger than 256×256", file, line_no)
        elif len(tokens) != count:
            raise DatasetError(f"expected {count} numbers like the first line, found {len(tokens)}",
                               file, line_no)
        values = _integers(tokens, file, line_no)
        bad = [v for v in values if not 0 <= v < len(palette)]
        if bad:
            raise DatasetError(f"colour index {bad[0]} is outside the palette (0..{len(palette) - 1})",
                               file, line_no)
        rows.append(values)
    if not rows:
        raise DatasetError("the file holds no sprites", file)
    side = math.isqrt(count)
    check_dataset_size(len(rows), side, side, file)
    return np.array(rows, dtype=np.uint8).reshape(len(rows), side, side)


def check_regular_file(file: Path, missing: str) -> None:
    """A DatasetError saying what ``file`` is unless it is a regular file: ``missing``, a link to
    nothing, a folder, or a device, pipe or socket (which ``is_file()`` alone would call missing;
    /dev/zero would also never end)."""
    try:
        mode = file.stat().st_mode  # through links
    except FileNotFoundError:
        if file.is_symlink():
            raise DatasetError(f"a link to {os.readlink(file)}, which does not exist", file) from None
        raise DatasetError(missing, file) from None
    except OSError as err:
        raise DatasetError(f"cannot read it ({err.strerror or err})", file) from None
    if stat.S_ISREG(mode):
        return
    kind = "a folder" if stat.S_ISDIR(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) \
        else "a pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
    link = f"a link to {os.readlink(file)}, " if file.is_symlink() else ""
    raise DatasetError(f"{link}{kind}, not a text file", file, hint="replace it with a text file")


def _numbered_lines(file: Path):
    """(1-based line number, whitespace-split tokens) for every line; trailing blank lines dropped."""
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise DatasetError(f"the file is larger than {MAX_FILE_BYTES >> 20} MiB", file)
        text = file.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark is not a number
    except UnicodeDecodeError:
        raise DatasetError("not a text file", file) from None
    except OSError as err:
        raise DatasetError(f"cannot read it ({err.strerror or err})", file) from None
    lines = text.rstrip().splitlines()
    for line_no, line in enumerate(lines, start=1):
        if len(line) > _MAX_LINE_CHARS:
            raise DatasetError("the line is too long for a sprite (at most 256×256 numbers)", file, line_no)
        yield line_no, line.split()


def _integers(tokens: list[str], file: Path, line_no: int) -> list[int]:
    for column, token in enumerate(tokens, start=1):
        if not _INTEGER.fullmatch(token):
            raise DatasetError(f"number {column}, {token[:20]!r}, is not a whole number", file, line_no)
    return [int(token) for token in tokens]
