"""The explorers' state, Qt-free: where the user is in a VAE's code and on a GAN's walk.

    state = LatentState()                 # the VAE explorer
    state.changed.connect(redraw)         # "explorer", "dims", "base" or "point"
    state.set_explorer(LatentExplorer.from_run(run))
    state.set_mode("sprite"); state.set_sprite(12); state.set_dims(3, 7); state.set_values(1.5, -0.5)
    state.image()                         # the decoded sprite, RGB

    walk = GanWalk(LoadedGan(path))       # the GAN code space
    walk.reroll(0); walk.set_spherical(False); line, frames = walk.frames()

The views (studio/gui/vae_workspace.py, gan_explorer.py) only mirror these values in widgets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from psygnal import Signal

from studio.models.gan_walk import interpolate, random_codes, walk_codes
from studio.models.latent import GRID_EXTENT, FixedCode

#: Where the dimensions off the sliders come from, as the explorer names them.
FIX_MODES = ("zeros", "random", "sprite")
FIX_LABELS = {"zeros": "Zeros", "random": "Random", "sprite": "Dataset sprite"}


class LatentState:
    #: what changed: "explorer" (a new model), "dims", "base" (the fixed code), "point" (x, y)
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


class LoadedGan:
    """A trained GAN run, ready to decode: the task, its palette and its training sprites."""

    def __init__(self, path: str | Path):
        from studio.train.trained import TrainedRun

        self.path = Path(path)
        self.run = TrainedRun.open(path, model="gan")
        self.task, self.palette = self.run.task, self.run.palette
        self.z_dim = self.task.config.z_dim
        try:  # the training sprites, to look for copies; the run still opens without them
            sprites = self.run.dataset()
            train, _ = self.run.split(sprites)
            self.train_sprites, self.train_numbers = sprites.indices[train], train
            self.data_note = f"{self.run.data_source} ({len(train)} training sprites)"
        except Exception as err:  # noqa: BLE001 - a moved data folder must not block exploring
            self.train_sprites, self.train_numbers = None, None
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
