"""Which torch device training runs on, and how to say it in one line (no Qt here).

``pick_device()`` prefers CUDA, then Apple's MPS, then the CPU; an explicit name ("cpu",
"cuda", "cuda:1", "mps") overrides, and one that is unknown or not available here is a
``ValueError`` naming what is available, so a typo fails at once instead of mid-training.
"""

from __future__ import annotations

import os

import torch

from studio.errors import ConfigError


def available_devices() -> list[str]:
    names = ["cpu"]
    if torch.cuda.is_available():
        names += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if _mps_available():
        names.append("mps")
    return names


def pick_device(name: str | None = None) -> torch.device:
    """The device to train on: ``name`` if given (and usable), else the fastest one present."""
    if name is None or name.strip().lower() in ("", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name.strip().lower())
    except (RuntimeError, ValueError):
        raise ConfigError(f"unknown device {name!r}; available here: {', '.join(available_devices())}") from None
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {name!r} is not available: this torch build sees no CUDA GPU; "
                             f"available here: {', '.join(available_devices())}")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"device {name!r} is not available: only {torch.cuda.device_count()} CUDA "
                             f"GPU(s) present; available here: {', '.join(available_devices())}")
        return device
    if device.type == "mps":
        if not _mps_available():
            raise ConfigError(f"device {name!r} is not available (MPS needs an Apple-silicon Mac); "
                             f"available here: {', '.join(available_devices())}")
        return device
    raise ConfigError(f"unsupported device {name!r}; available here: {', '.join(available_devices())}")


def training_threads() -> int:
    """The CPU threads the app trains with: every core but one, which stays with the GUI."""
    return max(1, (os.cpu_count() or 2) - 1)


def describe_device(name: str | None = None) -> str:
    """One line for a status bar: "CUDA: <GPU name>", "MPS" or "CPU, N thread(s)" (the
    threads the app trains with, :func:`training_threads`)."""
    device = pick_device(name)
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "MPS"
    n = training_threads()
    return f"CPU, {n} thread{'s' if n != 1 else ''}"


def device_words(saved: str | None) -> str:
    """A run's saved device ("cpu", "cuda:1", "mps") in the status bar's words, for a run that
    trained elsewhere: "CPU", "CUDA (cuda:1)", "MPS"."""
    kind = (saved or "?").split(":")[0]
    return {"cpu": "CPU", "mps": "MPS"}.get(kind, f"CUDA ({saved})" if kind == "cuda" else str(saved))


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())
