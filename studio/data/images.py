"""A folder of sprite images (PNG, GIF, JPG, BMP) → a SpriteSet.

Each image is composited onto the background colour, framed (see :data:`FRAMES`), resized to
``size``×``size`` and mapped to a palette: the one given, or one found by k-means over all images.

Memory stays bounded: an image's pixel count is read from its header and checked against
:data:`MAX_IMAGE_PIXELS` before anything is decoded, and pixels stay uint8 throughout.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from studio.errors import DatasetError
from studio.data.kmeans import WHITE, palette_by_kmeans
from studio.data.palette import Palette
from studio.data.sprites import SpriteSet, check_dataset_size

IMAGE_SUFFIXES = {".png", ".gif", ".jpg", ".jpeg", ".bmp"}
FRAMES = {
    "center": "the centre square of half the side (the course's preparation: 40×40 → centre 20×20)",
    "bbox": "the creature's bounding box (pixels unlike the background), padded to a square",
    "none": "the whole image, padded to a square",
}
# A pixel counts as creature when a channel differs from the background by more than this,
# so JPEG noise around a white background does not widen the bounding box.
_BACKGROUND_TOLERANCE = 16
#: The largest image a folder may hold: 4096×4096 pixels (sprites are tens of pixels wide).
#: Decoded as RGBA uint8 that is 64 MiB; a 12 KB 1-bit PNG can claim far more than that.
MAX_IMAGE_PIXELS = 4096 * 4096
#: The largest sprite side an image folder is resized to.
MAX_SPRITE_SIZE = 256


def image_files(folder: str | Path) -> list[Path]:
    """The image files directly in ``folder``, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def load_image_folder(folder: str | Path, size: int = 20, frame: str = "center",
                      palette: Palette | None = None, k: int = 167, seed: int = 0) -> SpriteSet:
    """Every image in ``folder`` as a ``size``×``size`` sprite; labels are the file names."""
    background = palette.background if palette is not None else WHITE
    rgb, files = load_framed_rgb(folder, size, frame, background)
    if palette is None:
        palette = palette_by_kmeans(rgb.reshape(-1, 3), k=k, seed=seed, background=background)
    return SpriteSet(palette.nearest(rgb), palette, name=Path(folder).name, source=str(folder),
                     labels=[f.name for f in files])


def load_framed_rgb(folder: str | Path, size: int = 20, frame: str = "center",
                    background=WHITE) -> tuple[np.ndarray, list[Path]]:
    """The framed, resized, unquantised images: uint8 RGB ``[n, size, size, 3]`` and their files."""
    if frame not in FRAMES:
        raise DatasetError(f"frame must be one of {', '.join(FRAMES)}, got {frame!r}", folder)
    if not 1 <= size <= MAX_SPRITE_SIZE:
        raise DatasetError(f"the sprite size must be 1..{MAX_SPRITE_SIZE} pixels, got {size}", folder)
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError("not a folder", folder)
    try:
        files = image_files(folder)
    except OSError as err:
        raise DatasetError(f"cannot list it ({err.strerror or err})", folder) from None
    if not files:
        raise DatasetError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in this folder", folder)
    check_dataset_size(len(files), size, size, folder)
    rgb = np.empty((len(files), size, size, 3), np.uint8)  # filled in place: no list of copies to stack
    for i, f in enumerate(files):
        rgb[i] = frame_image(_open_rgb(f, background), size, frame, background)
    return rgb, files


def frame_image(rgb: np.ndarray, size: int, frame: str, background=WHITE) -> np.ndarray:
    """Crop one composited image ``[H, W, 3]`` as ``frame`` says, and resize it to ``size``×``size``."""
    h, w = rgb.shape[:2]
    if frame == "center":
        side = max(1, min(h, w) // 2)
        top, left = (h - side) // 2, (w - side) // 2
        rgb = rgb[top:top + side, left:left + side]
    elif frame == "bbox":
        # int16, not the int64 a tuple would promote to: a 4096² image stays 100 MB, not 400.
        creature = (np.abs(rgb.astype(np.int16) - np.asarray(background, np.int16)) > _BACKGROUND_TOLERANCE).any(-1)
        if creature.any():  # an all-background image keeps its whole frame
            rows, cols = np.flatnonzero(creature.any(1)), np.flatnonzero(creature.any(0))
            rgb = rgb[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return _resize(_pad_square(rgb, background), size)


@contextlib.contextmanager
def open_image(file: str | Path):
    """``Image.open`` for sprites: the pixel count is checked from the header before decoding,
    and every way PIL reports a bad file becomes a DatasetError naming it."""
    file = Path(file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is lower
            with Image.open(file) as img:
                width, height = img.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise DatasetError(f"the image is {width}×{height} pixels, more than the "
                                       f"{MAX_IMAGE_PIXELS:,} a sprite image may have", file,
                                       hint="shrink it, or leave it out of the folder")
                yield img
    except DatasetError:
        raise
    # PIL reports bad files in several ways, depending on the format and how far decoding got.
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError,
            SyntaxError, EOFError, IndexError, TypeError, KeyError, ZeroDivisionError,
            OverflowError, MemoryError) as err:
        raise DatasetError(f"cannot read this image ({str(err)[:120] or type(err).__name__})", file) from None


def read_sprite_image(file: str | Path, size: tuple[int, int]) -> np.ndarray:
    """A sprite drawn at exactly ``size`` (H, W) as uint8 RGB [H, W, 3], transparency on white
    (as the course did); DatasetError naming the file otherwise."""
    file = Path(file)
    if not file.is_file():
        raise DatasetError("no such file", file)
    return _check_size(_open_rgb(file, WHITE), size, file)


def read_mask_image(file: str | Path, size: tuple[int, int]) -> np.ndarray:
    """A mask drawn at ``size`` (H, W): True where the image is not black (white = hidden)."""
    file = Path(file)
    if not file.is_file():
        raise DatasetError("no such file", file)
    with open_image(file) as img:
        grey = np.asarray(img.convert("L"))
    return _check_size(grey, size, file) > 0


def _check_size(array: np.ndarray, size: tuple[int, int], file: Path) -> np.ndarray:
    if array.shape[:2] != tuple(size):
        raise DatasetError(f"is {array.shape[0]}×{array.shape[1]}, the sprites are {size[0]}×{size[1]}", file)
    return array


def _open_rgb(file: Path, background) -> np.ndarray:
    """One image as uint8 RGB with any transparency composited onto ``background``."""
    with open_image(file) as img:
        img.seek(0)  # an animated GIF: its first frame
        rgba = _to_rgba(img)
    if rgba[..., 3].min(initial=255) == 255:  # opaque: nothing to composite
        return np.ascontiguousarray(rgba[..., :3])
    # Integer alpha compositing, rounded: (c·a + bg·(255 − a)) / 255, in uint16 (at most 255²),
    # in place, so a large image costs a few bytes a pixel, not float64 copies of it.
    alpha = rgba[..., 3].astype(np.uint16)
    mixed = rgba[..., :3].astype(np.uint16)
    mixed *= alpha[..., None]
    np.subtract(255, alpha, out=alpha)
    for c, value in enumerate(background):
        mixed[..., c] += alpha * np.uint16(value)
    mixed += 127
    mixed //= 255
    return mixed.astype(np.uint8)


def _to_rgba(img: Image.Image) -> np.ndarray:
    """uint8 RGBA. 16-bit and 32-bit greyscale are scaled to 8 bits (PIL's convert clips them)."""
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        grey = np.asarray(img).astype(np.uint32)
        peak = 65535 if img.mode.startswith("I;16") or grey.max(initial=0) > 255 else 255
        grey = ((np.clip(grey, 0, peak) * 255 + peak // 2) // peak).astype(np.uint8)
        return np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    return np.asarray(img.convert("RGBA"), dtype=np.uint8)


def _pad_square(rgb: np.ndarray, background) -> np.ndarray:
    h, w = rgb.shape[:2]
    side = max(h, w)
    out = np.empty((side, side, 3), np.uint8)
    out[:] = background
    top, left = (side - h) // 2, (side - w) // 2
    out[top:top + h, left:left + w] = rgb
    return out


def _resize(rgb: np.ndarray, size: int) -> np.ndarray:
    """Shrink with a box filter, enlarge with NEAREST.

    Shrinking averages each block of source pixels, so a one-pixel outline or eye still shows
    (NEAREST would keep one pixel per block and drop the rest at random); the blended colours
    are mapped back to the palette afterwards. Enlarging with NEAREST keeps pixel-art edges hard.
    """
    if rgb.shape[0] == size:
        return rgb
    img = Image.fromarray(rgb, "RGB")
    resample = Image.BOX if rgb.shape[0] > size else Image.NEAREST
    return np.asarray(img.resize((size, size), resample), dtype=np.uint8)
