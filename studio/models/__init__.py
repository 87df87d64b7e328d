"""The models, torch only: the lecture's three (pixelrnn, vae, gan) and the course's newer transformer.
Each module provides:

- ``Config``: a dataclass of hyper-parameters (saved with every run),
- ``CONFIGS``: named presets (``CONFIGS["lecture"]`` etc.), the first one the default,
- ``PRESET_SETTINGS`` (optional): training settings a named config comes with, e.g.
  ``{"quick": {"epochs": 40, "cpu_budget": 300}}`` (see ``train.engine.default_settings``),
- ``Task``: what the training engine drives (see studio/train/engine.py for the protocol).
"""

import importlib

MODEL_NAMES = ("gan", "pixelrnn", "transformer", "vae")


def model_module(name: str):
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    return importlib.import_module(f"studio.models.{name}")
