"""What a task that trains one network with one optimiser holds: the raster models' (through
autoregressive.RasterTask) and the diffusion model's.

The engine (studio/train/task.py) checkpoints and resumes a task's ``modules()`` and
``optimizers()`` by name; a task of one network names both "net". ``update`` is the step every
such task takes once it has its loss: clear the gradients, back-propagate, clip, step.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class SingleNetTask:
    """One network ``net`` and its optimiser ``opt`` for sprites of ``palette`` and ``size``. A
    subclass sets ``Net``, the network's class, built as ``Net(config, num_colors, size)``, and
    ``make_optimizer()`` (called once ``net`` is on ``device``); its config has ``grad_clip``."""

    Net: type[nn.Module]

    def __init__(self, config, palette: np.ndarray, size: tuple[int, int], device: torch.device):
        self.config, self.size, self.device = config, tuple(size), torch.device(device)
        self.palette = np.asarray(palette, dtype=np.uint8)
        self.net = self.Net(config, len(self.palette), self.size).to(self.device)
        self.opt = self.make_optimizer()

    def make_optimizer(self) -> torch.optim.Optimizer:
        raise NotImplementedError

    @property
    def num_colors(self) -> int:
        return len(self.palette)

    def modules(self) -> dict[str, nn.Module]:
        return {"net": self.net}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"net": self.opt}

    def update(self, loss: torch.Tensor) -> torch.Tensor:
        """One optimiser step down ``loss``, its gradient clipped to the config's ``grad_clip``;
        returns the gradient's norm before clipping (detached)."""
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = nn.utils.clip_grad_norm_(self.net.parameters(), self.config.grad_clip)
        self.opt.step()
        return grad_norm.detach()
