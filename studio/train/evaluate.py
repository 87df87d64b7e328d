"""`studio eval`: a trained run's metrics on its training and held-out sprites."""

from __future__ import annotations

from pathlib import Path

import torch

from studio.train.trained import TrainedRun


def evaluate_run(run_dir: str | Path, which: str = "best", device: str | None = None,
                 batch_size: int = 256) -> dict:
    """Reopen the run's data with its split, evaluate the chosen checkpoint on both halves."""
    run = TrainedRun.open(run_dir, which, device)
    task, sprites = run.task, run.dataset()
    train_idx, held_idx = run.split(sprites)
    data = torch.from_numpy(sprites.indices).long()
    result = {"run": str(run_dir), "model": run.model, "checkpoint": run.checkpoint.name}
    with torch.no_grad():
        for name, idx in (("train", train_idx), ("held_out", held_idx)):
            if len(idx):
                result[name] = _batched_mean(task, data[torch.from_numpy(idx)], batch_size)
    return result


def _batched_mean(task, sprites: torch.Tensor, batch_size: int) -> dict:
    """Sprite-weighted mean of task.evaluate over batches (bounded memory on big sets)."""
    totals: dict[str, float] = {}
    for start in range(0, len(sprites), batch_size):
        chunk = sprites[start:start + batch_size].to(task.device)
        for k, v in task.evaluate(chunk).items():
            totals[k] = totals.get(k, 0.0) + float(v) * len(chunk)
    return {k: v / len(sprites) for k, v in totals.items()}
