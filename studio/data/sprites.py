"""SpriteSet: the one in-memory form every model and view uses.

Sprites are colour indices ``[N, H, W]`` (uint8) into a :class:`Palette`. Models that want
RGB or one-hot ask for it here, so there is one conversion of each kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from studio.data.palette import Palette

HELD_OUT_FRACTION = 0.1
SPLIT_SEED = 0
#: Pixels a dataset may hold in all (sprites × height × width): 64 Mi, a hundred times the
#: course data's 792 × 20 × 20, so loading and training stay within a laptop's memory.
MAX_DATASET_PIXELS = 1 << 26
#: Pixels one grid image may have (a preview, a sample sheet): 8192 × 8192.
MAX_GRID_PIXELS = 1 << 26


def check_dataset_size(n: int, height: int, width: int, source) -> None:
    """Refuse, naming ``source``, a dataset too large to hold in memory."""
    from studio.errors import DatasetError

    if n * height * width > MAX_DATASET_PIXELS:
        raise DatasetError(f"{n} sprites of {height}×{width} is more than the {MAX_DATASET_PIXELS:,} "
                           "pixels a dataset may hold", source, hint="use fewer or smaller sprites")


@dataclass(eq=False)
class SpriteSet:
    indices: np.ndarray  # [N, H, W] uint8 colour indices
    palette: Palette
    name: str = "sprites"
    source: str = ""  # where it came from: a path or "builtin"
    labels: list[str] = field(default_factory=list)  # optional per-sprite names (file names)

    def __post_init__(self):
        idx = np.ascontiguousarray(self.indices, dtype=np.uint8)
        if idx.ndim != 3:
            raise ValueError(f"sprites are [N, H, W], got shape {idx.shape}")
        if idx.size and int(idx.max()) >= len(self.palette):
            raise ValueError(f"colour index {int(idx.max())} outside a palette of {len(self.palette)}")
        self.indices = idx

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def height(self) -> int:
        return self.indices.shape[1]

    @property
    def width(self) -> int:
        return self.indices.shape[2]

    @property
    def num_colors(self) -> int:
        return len(self.palette)

    def label(self, i: int) -> str:
        return self.labels[i] if self.labels else f"#{i}"

    # --- conversions -------------------------------------------------------------------
    def rgb(self, which=slice(None)) -> np.ndarray:
        """uint8 RGB: ``[H, W, 3]`` for one index, ``[n, H, W, 3]`` for a slice or list."""
        return self.palette.to_rgb(self.indices[which])

    def image(self, i: int, scale: int = 1) -> Image.Image:
        return indices_to_image(self.indices[i], self.palette, scale)

    def one_hot(self, which=slice(None)) -> np.ndarray:
        """float32 one-hot ``[n, K, H, W]``."""
        idx = self.indices[which]
        return np.moveaxis(np.eye(self.num_colors, dtype=np.float32)[idx], -1, -3)

    # --- split ---------------------------------------------------------------------------
    def split(self, held_out: float = HELD_OUT_FRACTION, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
        """Deterministic (train, held-out) index arrays: a seeded permutation, 10 % held out."""
        order = np.random.default_rng(seed).permutation(len(self))
        n_held = int(round(len(self) * held_out)) if len(self) > 1 else 0
        return np.sort(order[n_held:]), np.sort(order[:n_held])

    def subset(self, which) -> "SpriteSet":
        which = np.asarray(which)
        labels = [self.labels[i] for i in which] if self.labels else []
        return SpriteSet(self.indices[which], self.palette, self.name, self.source, labels)

    def color_usage(self) -> np.ndarray:
        """Pixel count of each palette colour, ``[K]``."""
        return np.bincount(self.indices.ravel(), minlength=self.num_colors)


def indices_to_image(indices: np.ndarray, palette: Palette, scale: int = 1) -> Image.Image:
    """One sprite's indices ``[H, W]`` → an RGB PIL image, upscaled pixel-exactly."""
    img = Image.fromarray(palette.to_rgb(indices), "RGB")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return img


def grid_image(sprites: np.ndarray, palette: Palette, columns: int | None = None,
               scale: int = 1, gap: int = 1, gap_color=(40, 40, 40)) -> Image.Image:
    """Sprites as indices ``[n, H, W]`` (or RGB ``[n, H, W, 3]``) → one grid image."""
    sprites = np.asarray(sprites)
    rgb = sprites if sprites.ndim == 4 else palette.to_rgb(sprites)
    n, h, w = rgb.shape[:3]
    check_grid_size(n, h, w, columns, scale, gap)  # before anything is allocated
    columns = columns or max(1, int(np.ceil(np.sqrt(n))))
    rows = max(1, -(-n // columns))
    sheet = np.empty((rows * (h + gap) + gap, columns * (w + gap) + gap, 3), np.uint8)
    sheet[:] = gap_color
    for k in range(n):
        r, c = divmod(k, columns)
        y, x = gap + r * (h + gap), gap + c * (w + gap)
        sheet[y:y + h, x:x + w] = rgb[k]
    img = Image.fromarray(sheet, "RGB")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return img


def check_grid_size(n: int, h: int, w: int, columns: int | None = None, scale: int = 1,
                    gap: int = 1) -> tuple[int, int]:
    """The (width, height) of :func:`grid_image`'s picture, or an OutputError when it would
    exceed :data:`MAX_GRID_PIXELS`; callers check before drawing the sprites, too."""
    from studio.errors import OutputError

    columns = columns or max(1, int(np.ceil(np.sqrt(n))))
    rows = max(1, -(-n // columns))
    width, height = (columns * (w + gap) + gap) * scale, (rows * (h + gap) + gap) * scale
    if width * height > MAX_GRID_PIXELS:
        raise OutputError(f"the picture would be {width}×{height} pixels, more than the "
                          f"{MAX_GRID_PIXELS:,} allowed", hint="use a smaller scale or fewer sprites")
    return width, height


def save_gif(sprites: np.ndarray, palette: Palette, path, scale: int = 4, frame_ms: int = 120,
             forth_and_back: bool = False):
    """Sprites as indices ``[n, H, W]`` → an animated, looping GIF, written atomically; each
    frame upscaled pixel-exactly. ``forth_and_back``: the frames play forwards, then backwards,
    so a walk from one sprite to another loops without a jump. Returns the path."""
    from studio.data.files import save_image

    frames = np.asarray(sprites)
    if frames.ndim != 3 or len(frames) == 0:
        raise ValueError(f"a GIF needs frames [n, H, W], got shape {frames.shape}")
    if forth_and_back:
        frames = np.concatenate([frames, frames[-2:0:-1]])
    # Palette-mode frames with the sprites' own colours (256 at most in a GIF): exact, with no
    # dithering or re-quantising, which an RGB frame would get.
    used, remapped = np.unique(frames, return_inverse=True)
    colours = palette.colors[used].tobytes()
    images = []
    for frame in remapped.reshape(frames.shape).astype(np.uint8):
        image = Image.fromarray(frame, "P")
        image.putpalette(colours)
        images.append(image.resize((image.width * scale, image.height * scale), Image.NEAREST))
    return save_image(images[0], path, save_all=True, append_images=images[1:], duration=frame_ms, loop=0,
                      disposal=1, optimize=False)
