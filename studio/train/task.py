"""What a model gives the engine and the studio: its ``Task``, a small typed interface.

Every model module (studio/models/*.py) has a ``Task`` class with these members; the engine
trains through them, and the studio samples, scores and checkpoints through them. It is a
``typing.Protocol``: a model needs no base class, only these members (``isinstance(task,
Task)`` checks that they exist).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import torch


@runtime_checkable
class Task(Protocol):
    #: The model's Config dataclass (saved with every run).
    config: object
    #: Key of ``evaluate()`` to minimise for best.pt; None keeps the latest checkpoint.
    selection_metric: str | None

    def __init__(self, config, palette: np.ndarray, size: tuple[int, int], device: torch.device):
        """``palette`` is [K, 3] uint8, ``size`` the sprites' (H, W)."""

    def modules(self) -> dict[str, torch.nn.Module]:
        """Everything to checkpoint, by name."""

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """The optimisers to checkpoint, by name."""

    def train_step(self, nets: dict, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        """One optimisation step. ``nets`` maps each module name to what to call in training
        (DDP-wrapped / compiled); ``batch`` is a LongTensor [B, H, W] of colour indices already
        on the device. Returns detached scalars: the engine reads them only at logging steps,
        so the GPU is never synced per step."""

    def evaluate(self, sprites: torch.Tensor) -> dict[str, float]:
        """Held-out metrics (called under no_grad), lower is better for ``selection_metric``."""

    def sample(self, n: int) -> np.ndarray:
        """The progress grid: [n, H, W] indices (or [n, H, W, 3] RGB) from fixed codes / seeds,
        so successive grids show the same draws sharpening."""

    def draw(self, n: int, seed: int = 0, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
        """``n`` new sprites [n, H, W] (palette indices), reproducible from ``seed``.
        ``temperature`` scales the randomness (softmax temperature or the codes' spread);
        ``top_k`` (autoregressive models) draws each pixel from the k likeliest colours."""
