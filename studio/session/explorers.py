"""The explorers' state, Qt-free: where the user is in a VAE's code and on a GAN's walk.

    state = LatentState()                 # the VAE explorer
    state.changed.connect(redraw)         # "explorer", "dims", "base" or "point"
    state.set_explorer(open_vae(run_dir))
    state.set_mode("sprite"); state.set_sprite(12); state.set_dims(3, 7); state.set_values(1.5, -0.5)
    state.image()                         # the decoded sprite, RGB
    state.save_grid("grid.png", n=9); state.save_walk("walk.gif", 3, 40, steps=12)

    walk = GanWalk(LoadedGan(path))       # the GAN code space
    walk.reroll(0); walk.set_spherical(False); line, frames = walk.frames()
    walk.copies(samples); walk.save_gif("walk.gif", frames)

The views (studio/gui/vae_workspace.py, gan_explorer.py) only mirror these values in widgets;
`studio latent`, `interpolate`, `reconstruct` and `walk` make the same calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from psygnal import Signal

from studio.data import grid_image, save_gif
from studio.data.files import save_image
from studio.models.gan_signals import nearest_training_sprites
from studio.models.gan_walk import interpolate, random_codes, walk_codes
from studio.models.latent import GRID_EXTENT, FixedCode, LatentExplorer
from studio.train.trained import TrainedRun

__all__ = ["FIX_LABELS", "FIX_MODES", "GRID_EXTENT", "CopyCheck", "GanWalk", "LatentState", "LoadedGan",
           "open_vae", "save_walk", "walk_gif"]

def open_vae(path: str | Path, which: str = "best", sprites=None, device: str | None = "cpu") -> LatentExplorer:
    """A VAE run's explorer, its per-dimension KL already computed (the slow part: call it off
    the GUI thread). ``sprites``: the run's dataset when the caller has it open already."""
    explorer = LatentExplorer.from_run(TrainedRun.open(path, which, device, model="vae"), sprites=sprites)
    explorer.dimension_kl()
    return explorer


#: Where the dimensions off the sliders come from, as the explorer names them.
FIX_MODES = ("zeros", "random", "sprite")
FIX_LABELS = {"zeros": "Zeros", "random": "Random", "sprite": "Dataset sprite"}


class LatentState:
    #: what changed: "explorer" (a new model, or none), "dims", "base" (the fixed code), "point" (x, y)
    changed = Signal(str)

    def __init__(self):
        self.explorer = None
        self.mode = "zeros"
        self.seed = 0  # of the random fixed code; Re-roll adds one
        self.sprite = 0  # the dataset sprite whose m fixes the code in "sprite" mode
        self.dims: tuple[int, int] = (0, 1)
        self.values: tuple[float, float] = (0.0, 0.0)
        self.base: np.ndarray | None = None

    # --- what the user changes -----------------------------------------------------------------
    def set_explorer(self, explorer) -> None:
        """A new model: the two most informative dimensions, the fixed code rebuilt."""
        self.explorer = explorer
        self.sprite = min(self.sprite, len(explorer.sprites) - 1)
        self.dims = tuple(explorer.informative_dims()[:2])
        self.changed.emit("explorer")
        self._rebuild_base()
        self.changed.emit("dims")

    def clear(self) -> None:
        """No model (none fits the open dataset): the views show nothing until the next one."""
        self.explorer, self.base = None, None
        self.changed.emit("explorer")

    def set_mode(self, mode: str) -> None:
        if mode not in FIX_MODES:
            raise ValueError(f"unknown fixed-code mode {mode!r}; choose one of {', '.join(FIX_MODES)}")
        if mode != self.mode:
            self.mode = mode
            self._rebuild_base()

    def reroll(self) -> None:
        """Draw the random fixed code again (random mode)."""
        self.seed += 1
        if self.mode == "random":
            self._rebuild_base()

    def set_sprite(self, index: int) -> None:
        self.sprite = int(index)
        if self.mode == "sprite":
            self._rebuild_base()

    def set_dims(self, x: int, y: int, moved: int = 0) -> None:
        """Move along dimensions (x, y); if they coincide, the one not ``moved`` (0: x, 1: y)
        takes the most informative other one. The sliders start where the fixed code is, so
        nothing jumps."""
        x, y = int(x), int(y)
        if x == y:
            other = next(d for d in self.explorer.informative_dims() if d != x)
            x, y = (x, other) if moved == 0 else (other, y)
        self.dims = (x, y)
        self.changed.emit("dims")
        self._values_from_base()

    def set_values(self, x: float, y: float) -> None:
        self.values = (float(x), float(y))
        self.changed.emit("point")

    def go_to_cell(self, row: int, col: int, n: int, extent: float = GRID_EXTENT) -> None:
        self.set_values(*self.explorer.cell_values(row, col, n, extent))

    # --- what the views show --------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.explorer is not None

    def code(self) -> np.ndarray:
        return self.explorer.point(self.base, self.dims, self.values)

    def image(self) -> np.ndarray:
        """The decoded sprite at the current point, uint8 RGB [H, W, 3]."""
        return self.explorer.decode_rgb(self.code())

    def grid(self, n: int, extent: float = GRID_EXTENT) -> np.ndarray:
        return self.explorer.grid(self.dims, self.base, n=n, extent=extent)

    def description(self) -> str:
        """Where the other dimensions come from, in words."""
        if self.mode == "zeros":
            return "zeros"
        return f"random (seed {self.seed})" if self.mode == "random" else f"sprite {self.sprite}'s m"

    # --- the grid's geometry: grid_image draws n×n cells with 1-pixel gaps ------------------------
    def cell_rect(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of a grid cell in the grid image's pixels."""
        h, w = self.explorer.size
        return 1 + col * (w + 1), 1 + row * (h + 1), w, h

    def cell_at(self, px: int, py: int, n: int) -> tuple[int, int]:
        """(row, col) of the cell under the grid image's pixel (px, py)."""
        h, w = self.explorer.size
        return min(py // (h + 1), n - 1), min(px // (w + 1), n - 1)

    def current_cell(self, n: int, extent: float = GRID_EXTENT) -> tuple[int, int]:
        """(row, col) of the cell nearest the current point (y grows upwards)."""
        values = self.explorer.grid_values(n, extent)
        x, y = self.values
        return int(np.abs(values[::-1] - y).argmin()), int(np.abs(values - x).argmin())

    # --- exports ------------------------------------------------------------------------------------
    def save_sprite(self, path: str | Path, scale: int = 8) -> Path:
        """The decoded sprite at the current point as a PNG, each pixel scale × scale."""
        rgb = self.image()
        from PIL import Image

        h, w = rgb.shape[:2]
        return save_image(Image.fromarray(rgb).resize((w * scale, h * scale), Image.NEAREST), path)

    def save_grid(self, path: str | Path, n: int, extent: float = GRID_EXTENT, scale: int = 4) -> Path:
        """The n×n grid over the two dimensions as a PNG."""
        return save_image(grid_image(self.grid(n, extent), self.explorer.palette, columns=n, scale=scale), path)

    def save_walk(self, path: str | Path, a: int, b: int, steps: int, scale: int = 4) -> Path:
        """A straight walk between sprites a's and b's codes as a GIF that plays forth and back."""
        return save_walk(self.explorer, path, a, b, steps, scale)

    # --- internals ------------------------------------------------------------------------------------
    def _rebuild_base(self) -> None:
        if self.explorer is None:
            return
        fix = {"zeros": FixedCode("zeros"), "random": FixedCode("random", seed=self.seed),
               "sprite": FixedCode("index", index=self.sprite)}[self.mode]
        self.base = self.explorer.base_code(fix)
        self.changed.emit("base")
        self._values_from_base()

    def _values_from_base(self) -> None:
        x, y = self.dims
        self.set_values(float(self.base[x]), float(self.base[y]))


def save_walk(explorer: LatentExplorer, path: str | Path, a: int, b: int, steps: int, scale: int = 4) -> Path:
    """A straight walk between sprites a's and b's codes as a GIF that plays forth and back
    (the VAE explorer's *Save walk GIF* and `studio interpolate -o walk.gif`)."""
    return save_gif(explorer.interpolate(a, b, steps), explorer.palette, path, scale=scale, forth_and_back=True)


class LoadedGan:
    """A trained GAN run, ready to decode: the task, its palette and its training sprites."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.run = TrainedRun.open(path, model="gan")
        self.task, self.palette = self.run.task, self.run.palette
        self.z_dim = self.task.config.z_dim
        try:  # the training sprites, to look for copies; the run still opens without them
            sprites = self.run.dataset()
            train, _ = self.run.split(sprites)
            self.train_sprites, self.train_numbers = sprites.indices[train], train
            self.dataset_size = len(sprites)
            self.data_note = f"{self.run.data_source} ({len(train)} of its {len(sprites)} sprites train it)"
        except Exception as err:  # noqa: BLE001 - a moved data folder must not block exploring
            self.train_sprites, self.train_numbers, self.dataset_size = None, None, 0
            self.data_note = f"training data unavailable: {err}"

    def decode(self, codes: torch.Tensor) -> np.ndarray:
        """Codes [n, z_dim] → RGB sprites [n, H, W, 3]."""
        return self.palette.to_rgb(self.task.generate(codes))


class GanWalk:
    """Two endpoint codes A and B, the line between them and a looping walk through many."""

    #: the codes changed: new frames are needed ("endpoints", "walk" or "line")
    changed = Signal(str)

    def __init__(self, gan: LoadedGan, slider_steps: int = 100, waypoints: int = 6, frames: int = 96):
        self.gan = gan
        self.slider_steps, self.waypoints, self.frame_count = slider_steps, waypoints, frames
        self.endpoint_seed = 0
        self.walk_seed = 0
        self.spherical = True
        self.endpoints = torch.cat([random_codes(1, gan.z_dim, 0), random_codes(1, gan.z_dim, 1)])

    def reroll(self, which: int) -> None:
        """A new random code for endpoint A (0) or B (1)."""
        self.endpoint_seed += 1
        self.endpoints[which] = random_codes(1, self.gan.z_dim, 1000 + self.endpoint_seed)[0]
        self.changed.emit("endpoints")

    def new_walk(self) -> None:
        self.walk_seed += 1
        self.changed.emit("walk")

    def set_spherical(self, spherical: bool) -> None:
        if spherical != self.spherical:
            self.spherical = bool(spherical)
            self.changed.emit("line")

    def frames(self):
        """(line RGB [slider_steps + 1, H, W, 3], walk indices [frames, H, W]): everything the
        slider and the player show, decoded at once (call it off the GUI thread)."""
        a, b = self.endpoints.clone()
        line = self.gan.decode(interpolate(a, b, self.slider_steps + 1, self.spherical))
        walk = self.gan.task.generate(walk_codes(self.waypoints, self.frame_count, self.walk_seed,
                                                 self.gan.z_dim))
        return line, walk

    def draw_for_copy_check(self, n: int) -> np.ndarray:
        """``n`` new sprites (indices) to compare with the training set, seeded by the endpoints."""
        return self.gan.task.draw(n, seed=self.endpoint_seed + 7)

    def copies(self, samples: np.ndarray) -> list["CopyCheck"]:
        """Each sample (palette indices) beside its nearest training sprite: new, or a copy?"""
        gan = self.gan
        nearest, distances = nearest_training_sprites(samples, gan.train_sprites, gan.palette)
        return [CopyCheck(sample, gan.train_sprites[k], int(gan.train_numbers[k]), float(d))
                for sample, k, d in zip(samples, nearest, distances)]

    def save_gif(self, path: str | Path, frames: np.ndarray, scale: int = 4, frame_ms: int = 80) -> Path:
        """Frames [n, H, W] (palette indices, e.g. the walk's) as a looping GIF."""
        return save_gif(frames, self.gan.palette, path, scale, frame_ms)


@dataclass(frozen=True)
class CopyCheck:
    """A sample beside its nearest training sprite, and how far apart they are."""

    sample: np.ndarray  # palette indices [H, W]
    nearest: np.ndarray  # the training sprite closest to it
    number: int  # that sprite's number in the dataset
    distance: float  # RMS ΔE per pixel: 0 = a copy

    @property
    def verdict(self) -> str:
        return "a copy" if self.distance == 0 else "near copy" if self.distance < 5 else "new"


def walk_gif(run_dir: str | Path, path: str | Path, steps: int = 60, waypoints: int = 4, seed: int = 0,
             spherical: bool = True, scale: int = 4, frame_ms: int = 80, which: str = "best",
             device: str | None = None) -> Path:
    """A looping walk through a GAN run's code space as a GIF (`studio walk`)."""
    from studio.data.sprites import MAX_GRID_PIXELS
    from studio.errors import OutputError

    run = TrainedRun.open(run_dir, which, device, model="gan")
    task = run.task
    h, w = task.size
    if steps * h * w * scale ** 2 > MAX_GRID_PIXELS:  # the GIF's frames, held in memory
        raise OutputError(f"{steps} frames of {w * scale}×{h * scale} pixels are more than the "
                          f"{MAX_GRID_PIXELS:,} allowed", path, hint="use fewer --steps or a smaller --scale")
    codes = walk_codes(waypoints, steps, seed, task.config.z_dim, spherical)
    return save_gif(task.generate(codes), run.palette, path, scale, frame_ms)
