"""Datasets: the course's text files, image folders, and the built-in creatures, all as a SpriteSet."""

from __future__ import annotations

import os
from pathlib import Path

from studio.data.builtin import MAX_SIZE as MAX_BUILTIN_SIZE, builtin_creatures
from studio.data.course import PIXELS_FILE, load_course
from studio.errors import DatasetError
from studio.data.images import image_files, load_image_folder
from studio.data.palette import Palette
from studio.data.sprites import SpriteSet, check_dataset_size, grid_image, save_gif

__all__ = ["COURSE", "DatasetError", "Palette", "SpriteSet", "grid_image", "save_gif", "open_dataset", "find_course_data",
           "BUILTIN", "is_builtin"]

BUILTIN = "builtin"
COURSE_DATA_ENV = "STUDIO_POKEMON_DIR"


def open_dataset(path: str | Path, size: int = 20, frame: str = "center") -> SpriteSet:
    """``"builtin"``, the course data (its folder or its pixel_color.txt; ``"course"``: wherever
    :func:`find_course_data` finds it), or a folder of images.

    ``size`` and ``frame`` apply to image folders only; the other two have their own size.
    """
    if str(path) == COURSE:
        found = find_course_data()
        if found is None:
            raise DatasetError("the course's data is not found beside the studio", COURSE,
                               hint=f"set {COURSE_DATA_ENV} to its folder, or open the folder itself")
        return load_course(found)
    if is_builtin(path):
        options = _builtin_options(str(path))
        # Refused before anything is drawn: too small, too large a sprite, no creature, too many pixels.
        side = options.get("size", 20)
        if not 8 <= side <= MAX_BUILTIN_SIZE:
            raise DatasetError(f"built-in creatures are at least 8×8 and at most {MAX_BUILTIN_SIZE}×"
                               f"{MAX_BUILTIN_SIZE} pixels, got size={side}", path)
        if options.get("n", 792) < 1:
            raise DatasetError("a built-in dataset holds at least 1 creature (n=1 or more)", path)
        check_dataset_size(options.get("n", 792), side, side, path)
        try:
            return builtin_creatures(**options)
        except ValueError as err:  # e.g. a size too small for a creature
            raise DatasetError(str(err), path) from None
    path = Path(path)
    if (path.is_dir() and _holds_course_file(path / PIXELS_FILE)) or \
            (_holds_course_file(path) and path.name == PIXELS_FILE):
        return load_course(path)  # says what is wrong with a file that is there but is no text file
    if path.is_dir() and image_files(path):
        return load_image_folder(path, size=size, frame=frame)
    if not path.exists():
        raise DatasetError("no such file or folder", path)
    raise DatasetError(f"not a dataset: expected '{BUILTIN}', a folder with {PIXELS_FILE}, "
                       "or a folder of images", path)


def _holds_course_file(path: Path) -> bool:
    """Something other than a folder by that name: a file, a device, a link (even to nothing)."""
    return path.is_symlink() or (path.exists() and not path.is_dir())


def is_builtin(path: str | Path) -> bool:
    """"builtin" or a built-in spec such as "builtin:n=48,seed=3" (not a file path)."""
    return str(path) == BUILTIN or str(path).startswith(BUILTIN + ":")


def _builtin_options(spec: str) -> dict:
    """"builtin:n=48,seed=3" → {"n": 48, "seed": 3}; a bad option is a DatasetError."""
    options = {}
    for item in filter(None, spec.partition(":")[2].split(",")):
        key, _, value = item.partition("=")
        if key not in ("n", "size", "seed") or not value.strip().isascii() or not value.strip().isdigit():
            raise DatasetError(f"bad built-in dataset option {item!r}; use n=, size= and seed= with "
                               "whole numbers, e.g. builtin:n=200,seed=1", spec)
        options[key] = int(value)
    return options


#: The course's Pokémon as a dataset name: the folder find_course_data finds (the shipped
#: Pokémon models name their data so, not by a path of the machine that trained them).
COURSE = "course"


def find_course_data() -> Path | None:
    """Where the course's Pokémon data is: ``$STUDIO_POKEMON_DIR``, else ``../shared/data/pokemon``
    beside the repository (or beside the working folder); None when it is in neither place."""
    if os.environ.get(COURSE_DATA_ENV):
        candidates = [Path(os.environ[COURSE_DATA_ENV])]
    else:
        repo_root = Path(__file__).resolve().parents[2]
        candidates = [repo_root.parent / "shared" / "data" / "pokemon",
                      Path.cwd().parent / "shared" / "data" / "pokemon"]
    for folder in candidates:
        if (folder / PIXELS_FILE).is_file():
            return folder
    return None
