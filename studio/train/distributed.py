"""torchrun support: one process per device, DistributedDataParallel, rank 0 writes the run."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """Average a tensor over ranks (used for logged metrics only, not every step)."""
        if self.enabled:
            values = values.clone()
            dist.all_reduce(values)
            values /= self.world_size
        return values

    def agree(self, value: int, device) -> int:
        """The largest ``value`` any rank holds, on every rank. Each rank decides to stop on its
        own (a signal, its CPU clock), but all must leave the loop after the same step: one
        rank still in a step would wait forever for the others' gradients."""
        if not self.enabled:
            return value
        tensor = torch.tensor([value], dtype=torch.int32, device=device)
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
        return int(tensor.item())

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()


def init_from_environment(device_name: str | None) -> Distributed:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1), else single process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Distributed()
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and (device_name or "cuda").startswith("cuda")
    if use_cuda:
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return Distributed(rank, world_size, local_rank)


def shutdown(ctx: Distributed) -> None:
    if ctx.enabled and dist.is_initialized():
        # Rank 0 still writes the last checkpoint and samples after the loop: leaving the group
        # before it is done aborts the other ranks' gloo threads.
        dist.barrier()
        dist.destroy_process_group()
