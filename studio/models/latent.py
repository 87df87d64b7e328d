"""The VAE's latent space, explored two dimensions at a time (the lecture's 10-D code picture).

Everything the latent workspace's sliders, grid and walk call, Qt-free, so the CLI and the
tests use the same code:

    explorer = LatentExplorer.from_run(TrainedRun.open("runs/vae-..."))   # studio.train.trained
    base = explorer.base_code("index:12")             # or "zeros", "random" (seeded)
    rgb = explorer.decode_rgb(explorer.point(base, (3, 7), (1.5, -0.5)))   # uint8 [H, W, 3]
    sheet = explorer.grid((3, 7), base, n=9)          # [9·9, H, W] over [-3, 3]²
    walk = explorer.interpolate(12, 40, steps=10)      # [10, H, W], between the two codes

A sprite's code is its mean m (the encoder's best guess, without the sampling noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from studio.data import SpriteSet
from studio.data.palette import Palette

FIX_MODES = ("zeros", "random", "index:I")
GRID_EXTENT = 3.0  # ±3 standard deviations of the prior: nearly all of its mass


@dataclass(frozen=True)
class FixedCode:
    """How the dimensions not on the sliders are fixed: zeros, a seeded random draw, or a sprite's m."""

    mode: str  # "zeros" | "random" | "index"
    seed: int = 0
    index: int = 0

    @classmethod
    def parse(cls, text: str, seed: int = 0) -> "FixedCode":
        """``zeros``, ``random`` or ``index:I``; anything else is a ValueError that says what is accepted."""
        if text in ("zeros", "random"):
            return cls(text, seed=seed)
        head, _, tail = text.partition(":")
        if head == "index" and tail.strip().lstrip("-").isdigit():
            return cls("index", index=int(tail))
        raise ValueError(f"bad --fix {text!r}; use one of {', '.join(FIX_MODES)} (e.g. index:12)")


class LatentExplorer:
    """A trained VAE plus the dataset it was trained on."""

    def __init__(self, task, palette: Palette, sprites: SpriteSet | None = None):
        self.task = task
        self.palette = palette
        self.sprites = sprites
        self.latent_dim = task.config.latent_dim
        self.size = task.size
        self._codes: tuple[np.ndarray, np.ndarray] | None = None  # (m, σ) of every sprite, lazily
        task.vae.eval()

    @classmethod
    def from_run(cls, run, sprites: SpriteSet | None = None) -> "LatentExplorer":
        """An opened VAE run (a ``TrainedRun``: ``model``, ``task``, ``palette``, ``dataset()``);
        its dataset is reopened unless ``sprites`` is given."""
        if run.model != "vae":
            raise ValueError(f"{run.path}: a {run.model} run, not a VAE; the latent explorer needs a VAE run")
        sprites = sprites if sprites is not None else run.dataset()
        if not run.fits(sprites):
            raise ValueError(f"{run.path}: the run's palette or sprite size differs from the dataset's")
        return cls(run.task, run.palette, sprites)

    # --- codes ------------------------------------------------------------------------------------
    def _require_sprites(self) -> SpriteSet:
        if self.sprites is None or len(self.sprites) == 0:
            raise ValueError("no dataset: encoding sprites needs the run's dataset")
        return self.sprites

    def _check_index(self, i: int) -> int:
        n = len(self._require_sprites())
        if not 0 <= i < n:
            raise ValueError(f"sprite index {i} is out of range: the dataset has {n} sprites (0..{n - 1})")
        return int(i)

    def dataset_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(m, σ) of every dataset sprite, ``[N, D]`` each, computed once."""
        if self._codes is None:
            sprites = self._require_sprites().indices
            parts = [self.task.encode(sprites[s:s + 512]) for s in range(0, len(sprites), 512)]
            self._codes = (torch.cat([p[0] for p in parts]).numpy(), torch.cat([p[1] for p in parts]).numpy())
        return self._codes

    def encode(self, i: int) -> np.ndarray:
        """Sprite i's code: the mean m, ``[D]``."""
        return self.dataset_codes()[0][self._check_index(i)].copy()

    def dimension_kl(self) -> np.ndarray:
        """KL of each dimension to the prior, averaged over the dataset, in nats ``[D]``.
        Near 0: the decoder ignores that dimension (it stays at the prior for every sprite)."""
        from studio.models.vae import kl_divergence

        m, log_var = self.dataset_codes()
        return kl_divergence(torch.from_numpy(m), torch.from_numpy(log_var)).mean(0).numpy()

    def informative_dims(self) -> list[int]:
        """Dimensions ordered by their KL, the most informative first."""
        return [int(d) for d in np.argsort(-self.dimension_kl(), kind="stable")]

    def base_code(self, fix: str | FixedCode, seed: int = 0) -> np.ndarray:
        """The code the non-slider dimensions are taken from, ``[D]`` float32."""
        fix = FixedCode.parse(fix, seed) if isinstance(fix, str) else fix
        if fix.mode == "zeros":
            return np.zeros(self.latent_dim, np.float32)
        if fix.mode == "random":
            return np.random.default_rng(fix.seed).standard_normal(self.latent_dim).astype(np.float32)
        return self.encode(fix.index)

    def _check_dims(self, dims: tuple[int, int]) -> tuple[int, int]:
        i, j = (int(d) for d in dims)
        if i == j or not (0 <= i < self.latent_dim and 0 <= j < self.latent_dim):
            raise ValueError(f"choose two different dimensions in 0..{self.latent_dim - 1}, got {i} and {j}")
        return i, j

    def point(self, base: np.ndarray, dims: tuple[int, int], values: tuple[float, float]) -> np.ndarray:
        """``base`` with dimensions ``dims`` set to ``values``."""
        i, j = self._check_dims(dims)
        code = np.array(base, dtype=np.float32, copy=True)
        code[i], code[j] = values
        return code

    # --- decoding ---------------------------------------------------------------------------------
    def decode_rgb(self, code: np.ndarray) -> np.ndarray:
        """One code ``[D]`` → its sprite as uint8 RGB ``[H, W, 3]``: what a slider shows."""
        return np.asarray(self.palette.colors)[self.decode(code)[0]]

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Codes ``[n, D]`` → indices ``[n, H, W]`` (argmax colours)."""
        return self.task.decode(np.asarray(codes, dtype=np.float32).reshape(-1, self.latent_dim))

    def grid_values(self, n: int, extent: float = GRID_EXTENT) -> np.ndarray:
        return np.linspace(-extent, extent, n, dtype=np.float32)

    def grid_codes(self, dims: tuple[int, int], base: np.ndarray, n: int = 9,
                   extent: float = GRID_EXTENT) -> np.ndarray:
        """``[n·n, D]``: dims[0] varies along each row (left → right, −extent → +extent),
        dims[1] down the columns (top → bottom, +extent → −extent, like a plot's y axis)."""
        i, j = self._check_dims(dims)
        if n < 2:
            raise ValueError(f"a grid needs at least 2×2 cells, got {n}")
        values = self.grid_values(n, extent)
        codes = np.repeat(np.asarray(base, np.float32)[None], n * n, axis=0)
        codes[:, i] = np.tile(values, n)
        codes[:, j] = np.repeat(values[::-1], n)
        return codes

    def grid(self, dims: tuple[int, int], base: np.ndarray, n: int = 9, extent: float = GRID_EXTENT) -> np.ndarray:
        """The lecture's picture: decoded sprites over an n×n grid of the two dims, ``[n·n, H, W]``."""
        return self.decode(self.grid_codes(dims, base, n, extent))

    def cell_values(self, row: int, col: int, n: int, extent: float = GRID_EXTENT) -> tuple[float, float]:
        """The (dims[0], dims[1]) values at a grid cell: what clicking the cell sets the sliders to."""
        values = self.grid_values(n, extent)
        return float(values[col]), float(values[::-1][row])

    def reconstruct(self, i: int) -> np.ndarray:
        """Sprite i encoded to its mean code and decoded again, indices ``[H, W]``."""
        return self.decode(self.encode(i)[None])[0]

    def interpolation_codes(self, a: int, b: int, steps: int = 10) -> np.ndarray:
        """``[steps, D]``: straight from sprite a's code to sprite b's, both ends included."""
        if steps < 2:
            raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
        ca, cb = self.encode(a), self.encode(b)
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        return (1 - t) * ca + t * cb

    def interpolate(self, a: int, b: int, steps: int = 10) -> np.ndarray:
        """Decoded walk between sprites a and b, indices ``[steps, H, W]``."""
        return self.decode(self.interpolation_codes(a, b, steps))
