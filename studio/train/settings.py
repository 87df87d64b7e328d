"""How to train, whatever the model: the settings saved in config.json beside the model's
config, and the defaults a model's presets come with. The CLI, the GUI and the engine all
start from :func:`default_settings`."""

from __future__ import annotations

from dataclasses import dataclass

from studio.errors import ConfigError
from studio.models import model_module
from studio.train.config import check_fields


@dataclass
class TrainSettings:
    """How to train, whatever the model; saved in config.json beside the model's config."""

    epochs: int = 20
    batch_size: int = 64
    seed: int = 0
    device: str | None = None  # None: CUDA, else MPS, else CPU
    max_steps: int | None = None  # stop (with a checkpoint) once this many steps are done
    # Stop (with a checkpoint) once the training process has used this many CPU-seconds
    # (time.process_time(), all threads, summed over resumes): the fair budget for comparing
    # models on a shared, noisy machine, where wall time says more about the neighbours.
    cpu_budget: float | None = None
    log_every: int = 10  # steps
    sample_every: int = 200  # steps; grids are also drawn at step 1 and at the end
    sample_count: int = 64  # sprites in each grid; 0: no grids at all
    eval_every: int = 1  # epochs
    # The yardstick of every model (studio/models/scores.py) on score_count fresh samples,
    # logged as val/c2st, val/precision, ... at every score_every-th evaluation epoch; 0: off.
    # Cheap settings (a few seconds); `studio score` gives the full 512-sample figures. Its
    # CPU time is not counted in the run's `cpu` (it measures, it does not train).
    score_every: int = 10  # epochs
    score_count: int = 128
    checkpoint_every: int = 5  # epochs; a checkpoint is also written at every stop
    keep_checkpoints: int = 3
    amp: bool = True  # bf16 autocast, on CUDA only
    compile: bool = False  # torch.compile the trained networks
    held_out: float = 0.1
    tensorboard: bool = False  # also write TensorBoard event files (needs `tensorboard`)

    def __post_init__(self):
        check_fields(self)
        at_least = {"epochs": 1, "batch_size": 1, "seed": 0, "max_steps": 1, "log_every": 1,
                    "sample_every": 0, "sample_count": 0, "eval_every": 0, "checkpoint_every": 0,
                    "keep_checkpoints": 0}
        for name, low in at_least.items():
            value = getattr(self, name)
            if value is not None and value < low:
                raise ConfigError(f"{name} must be at least {low}, got {value}")
        if self.cpu_budget is not None and not self.cpu_budget > 0:
            raise ConfigError(f"cpu_budget must be positive, got {self.cpu_budget}")
        if not 0 <= self.held_out < 1:
            raise ConfigError(f"held_out must be a fraction in [0, 1), got {self.held_out}")
        if self.sample_count > MAX_SAMPLE_COUNT:
            raise ConfigError(f"sample_count must be at most {MAX_SAMPLE_COUNT}, got {self.sample_count}")


#: Sprites in a progress grid at most (the grid is drawn on the training thread).
MAX_SAMPLE_COUNT = 1024


def default_settings(model: str, preset: str | None = None, **overrides) -> TrainSettings:
    """TrainSettings for ``model``: its module's DEFAULT_EPOCHS (if any), then what its named
    config ``preset`` trains with (the module's PRESET_SETTINGS, e.g. a ``quick`` preset's
    epochs and CPU budget), then ``overrides`` (None values ignored). The CLI and the GUI both
    start from here."""
    module = model_module(model)
    if preset is None:  # the default preset, as resolve_config takes it: the first one
        preset = next(iter(getattr(module, "CONFIGS", {})), None)
    fields = {"epochs": getattr(module, "DEFAULT_EPOCHS", TrainSettings.epochs)}
    fields.update(getattr(module, "PRESET_SETTINGS", {}).get(preset, {}))
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return TrainSettings(**fields)


