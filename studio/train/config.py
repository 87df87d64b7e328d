"""Model configs: named presets or files, turned into the model's Config dataclass and back."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path

from studio.models import model_module


def config_names(model: str) -> list[str]:
    return list(model_module(model).CONFIGS)


def resolve_config(model: str, name_or_file: str | None = None, **overrides):
    """A named preset (``lecture``), a JSON/TOML file of fields, or the default; then overrides.

    Unknown names, files and fields are refused with a message that says what exists.
    """
    module = model_module(model)
    if name_or_file is None:
        config = next(iter(module.CONFIGS.values()))
    elif name_or_file in module.CONFIGS:
        config = module.CONFIGS[name_or_file]
    else:
        path = Path(name_or_file)
        if not path.is_file():
            raise ValueError(f"{name_or_file!r} is neither a {model} config name "
                             f"({', '.join(module.CONFIGS)}) nor a file")
        text = path.read_text()
        try:
            fields = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"{path}: malformed config: {err}") from None
        config = config_from_dict(module.Config, fields, source=str(path))
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(config, **overrides) if overrides else config


def config_from_dict(cls, fields: dict, source: str = "config"):
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(fields) - known
    if unknown:
        raise ValueError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(known))}")
    # JSON has lists where the dataclass may have tuples.
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    return cls(**fields)


def config_to_dict(config) -> dict:
    return dataclasses.asdict(config)
