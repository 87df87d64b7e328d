"""Model configs: named presets or files, turned into the model's Config dataclass and back.

Whatever a config comes from (a preset, a JSON/TOML file, a run's config.json), its fields are
checked against the dataclass's types before use, and every number against its range in
:data:`FIELD_BOUNDS`, so ``"epochs": "ten"``, ``"betas": [0.5, 5]`` or ``"width": 1000000000``
is a one-line :class:`ConfigError` naming the file and the field, not a crash (or a run that
trains nonsense, or the allocator's error) deep inside training.

A run's config.json may be older than the studio reading it: :func:`saved_model_config` puts
it in this version's terms first — a field added since takes the value such runs had, a value
renamed since its new name, and a retired option is dropped where it did nothing, or the run
is refused with a line naming it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
import types
import typing
from pathlib import Path
from typing import NamedTuple

from studio.errors import ConfigError
from studio.models import model_module

__all__ = ["ConfigError", "config_names", "resolve_config", "config_from_dict", "config_to_dict",
           "check_fields", "saved_model_config", "FIELD_BOUNDS"]

MAX_CONFIG_BYTES = 1 << 20  # a config is a few hundred bytes; refuse to parse megabytes of it


@dataclasses.dataclass(frozen=True)
class Bounds:
    """low ≤ value ≤ high; ``low_open`` / ``high_open`` make that end strict (< instead of ≤)."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def problem(self, value) -> str | None:
        if value < self.low or (self.low_open and value == self.low):
            return f"must be {'more than' if self.low_open else 'at least'} {self.low:g}"
        if value > self.high or (self.high_open and value == self.high):
            return f"must be {'less than' if self.high_open else 'at most'} {self.high:g}"
        return None


_SIZE = Bounds(1, 1024)  # channels, embedding and code sizes: 1024 already trains slowly on 20×20 sprites
_STEPS = Bounds(0, 10**9)  # a number of steps or epochs (0: off)
_RATE = Bounds(0, 1, low_open=True)  # a learning rate
_FRACTION = Bounds(0, 1, high_open=True)  # a decay, a dropout, a share: 1 would never change / drop all
_WEIGHT = Bounds(0, 1000)  # a loss term's weight

#: The range of every number a model config or the training settings hold, by field name (the
#: same name means the same thing in every model). Checked wherever a config is read
#: (:func:`config_from_dict`, :func:`check_fields`), so the model's Config classes need not
#: repeat it. The maxima keep a run within a desktop's memory and time; the presets sit well inside.
FIELD_BOUNDS: dict[str, Bounds] = {
    # Layer sizes (the models also check ``at least 1`` where 0 would build a broken network).
    "z_dim": _SIZE, "width": _SIZE, "embed": _SIZE, "embed_dim": _SIZE, "n_embd": _SIZE,
    "hidden": Bounds(1, 4096), "decoder_hidden": Bounds(1, 4096),
    "latent_dim": Bounds(2, 512), "slots": Bounds(1, 256),
    "layers": Bounds(1, 16), "n_layer": Bounds(1, 24), "n_head": Bounds(1, 64), "blocks": Bounds(0, 16),
    "patch": Bounds(1, 4), "steps": Bounds(1, 400),  # diffusion: pixels per token side, sampling steps K
    "halo": Bounds(0, 4),  # diffusion: pixels read around each patch
    "corrector": Bounds(0, 400),  # diffusion: passes redrawing a tenth of the drawn pixels after the K steps
    # Learning rates and their schedules.
    "lr": _RATE, "lr_g": _RATE, "lr_d": _RATE, "lr_min": Bounds(0, 1), "lr_end": Bounds(0, 1),
    "lr_decay_steps": _STEPS, "kl_warmup_steps": _STEPS,
    "betas": _FRACTION, "ema_decay": _FRACTION, "weight_decay": Bounds(0, 1),
    "dropout": _FRACTION, "decoder_dropout": _FRACTION, "held_out": _FRACTION,
    # Loss terms.
    "beta": Bounds(0, 100), "free_bits": Bounds(0, 100), "commitment": Bounds(0, 100),
    "gp_weight": _WEIGHT, "r1_weight": _WEIGHT, "logit_scale": Bounds(0, 1000, low_open=True),
    "grad_clip": Bounds(0, 10**6),
    # Augmentation.
    "shift": Bounds(0, 4),
    # Training settings (TrainSettings); the CLI's maxima are the same.
    "epochs": Bounds(1, 10**7), "batch_size": Bounds(1, 65536), "seed": Bounds(0, 2**32 - 1),
    "max_steps": Bounds(1, 10**9), "cpu_budget": Bounds(0, 6 * 10**8, low_open=True),
    "log_every": Bounds(1, 10**9), "sample_every": _STEPS, "eval_every": _STEPS, "score_every": _STEPS,
    "checkpoint_every": _STEPS, "sample_count": Bounds(0, 1024), "score_count": Bounds(0, 4096),
    "keep_checkpoints": Bounds(0, 1000),
}


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
            raise ConfigError(f"neither a {model} config name nor a file", name_or_file,
                              hint=f"names: {', '.join(module.CONFIGS)}")
        fields = _read_fields(path)
        config = config_from_dict(module.Config, fields, source=str(path))
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(config, **overrides) if overrides else config


def _read_fields(path: Path) -> dict:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"too large for a config (over {MAX_CONFIG_BYTES // 1024} KB)", path)
        text = path.read_text(encoding="utf-8-sig")
        return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise ConfigError(f"malformed config: {str(err).splitlines()[0][:120]}", path,
                          hint="fix the file, or use a config name") from None
    except OSError as err:
        raise ConfigError(f"cannot read it ({err.strerror or err})", path) from None


def config_from_dict(cls, fields, source: str = "config"):
    """``cls(**fields)`` after checking every field's name and type; a ConfigError if not."""
    if not isinstance(fields, dict):
        raise ConfigError(f"expected an object of {cls.__name__} fields, got {_kind(fields)}", source)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(fields) - known
    if unknown:
        raise ConfigError(f"unknown field(s) {', '.join(sorted(map(str, unknown)))}", source,
                          hint=f"known: {', '.join(sorted(known))}")
    hints = typing.get_type_hints(cls)
    # JSON has lists where the dataclass may have tuples.
    fields = {k: _typed(k, v, hints[k], source) for k, v in fields.items()}
    try:
        return cls(**fields)
    except ConfigError as err:
        if err.path is None:
            raise ConfigError(err.message, source, hint=err.hint) from None
        raise
    except (ValueError, TypeError) as err:  # the dataclass's own checks (__post_init__)
        raise ConfigError(str(err).splitlines()[0], source) from None


def check_fields(instance, source: str | None = None) -> None:
    """Check a dataclass instance's field types (for ones built in code, e.g. TrainSettings)."""
    hints = typing.get_type_hints(type(instance))
    for f in dataclasses.fields(instance):
        _typed(f.name, getattr(instance, f.name), hints[f.name], source)


def _typed(name: str, value, hint, source):
    """``value`` as field ``name`` of type ``hint`` wants it (lists → tuples), or a ConfigError."""
    ok, converted = _convert(value, hint)
    if not ok:
        raise ConfigError(f"{name} must be {_describe(hint)}, got {_kind(value)}", source)
    numbers = converted if isinstance(converted, tuple) else (converted,)
    for number in numbers:
        if isinstance(number, float) and not math.isfinite(number):
            raise ConfigError(f"{name} must be a finite number, got {number}", source)
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            continue
        # Every size, rate and count in the studio's configs is zero or more...
        if number < 0:
            raise ConfigError(f"{name} must not be negative, got {number}", source)
        # ...and within its field's range.
        problem = FIELD_BOUNDS[name].problem(number) if name in FIELD_BOUNDS else None
        if problem:
            raise ConfigError(f"{name} {problem}, got {number if isinstance(number, int) else f'{number:g}'}",
                              source)
    return converted


def _convert(value, hint) -> tuple[bool, object]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        for option in args:
            ok, converted = _convert(value, option)
            if ok:
                return True, converted
        return False, value
    if hint is type(None):
        return value is None, value
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if hint is str:
        return isinstance(value, str), value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return False, value
        items = args[:1] * len(value) if len(args) == 2 and args[1] is Ellipsis else args
        if len(items) != len(value):
            return False, value
        converted = [_convert(v, t) for v, t in zip(value, items)]
        return all(ok for ok, _ in converted), tuple(c for _, c in converted)
    return True, value  # a type this checker does not know: the dataclass decides


def _describe(hint) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is tuple:
        return f"a list of {len(args)} numbers" if Ellipsis not in args else "a list"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text",
            type(None): "null"}.get(hint, getattr(hint, "__name__", str(hint)))


def _kind(value) -> str:
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def config_to_dict(config) -> dict:
    return dataclasses.asdict(config)


# --- the configs of older runs ----------------------------------------------------------------

ANY = object()  # a retired field's neutral value when every value of it is neutral


class Retired(NamedTuple):
    """A field a model no longer has. ``neutral``: the value with which it did nothing, which is
    what the model now always does; ``idle``: (another field, its value) with which it did
    nothing whatever its own value."""

    neutral: object
    idle: tuple[str, object] | None = None


#: Fields removed: options tried and measured worse, and fields no preset set, now constants
#: (docs/history.md has what each was and measured). A run that has one at its neutral value
#: opens without it; any other value needs code this version does not have: the run is refused.
RETIRED_FIELDS = {
    "gan": {
        "augment": Retired(""),  # DiffAugment's policy: none
        "r1_weight": Retired(0.0),
        "minibatch_std": Retired(False),
        "lr_decay_steps": Retired(0),  # constant learning rates
        "lr_end": Retired(ANY),  # only with lr_decay_steps, refused on its own
        "slots": Retired(ANY),  # only with output "slots", refused on its own
        "gp_weight": Retired(10.0),  # now gan.GP_WEIGHT
        "ema_decay": Retired(0.999),  # now gan.EMA_DECAY
    },
    "vae": {
        "weight_decay": Retired(0.0),
        "embed_dim": Retired(16),  # now vae.EMBED_DIM
        # Now vae.DECODER_HIDDEN, DECODER_DROPOUT and DECODER_CONTEXT; the conv decoder never read them.
        "decoder_hidden": Retired(256, idle=("decoder", "conv")),
        "decoder_dropout": Retired(0.25, idle=("decoder", "conv")),
        "decoder_context": Retired("2d-wide", idle=("decoder", "conv")),
    },
}
#: Values of fields that remain, removed as the fields above were.
RETIRED_VALUES = {"gan": {"output": ("gumbel", "slots")}, "vae": {"decoder": ("pixelrnn",)}}
#: Values that have a new name: the same idea is called the same in every model.
RENAMED_VALUES = {"gan": {"upsample": {"transpose": "transposed", "nearest": "resize"}}}
#: What a run made before a field existed had instead, where the field's default is not that:
#: the dataclasses' defaults are the default presets, the first versions' were the lecture's
#: networks. (The GAN's first version upsampled with transposed convs; its upsample field, added
#: later, defaulted to them until "resize" replaced them as the default.)
OLD_RUN_DEFAULTS = {
    "gan": {"lr_g": 2e-4, "lr_d": 2e-4, "upsample": "transposed", "output": "rgb", "commitment": 0.0,
            "d_head": "linear", "mirror": False},
    "vae": {"width": 64, "kl_warmup_steps": 500, "lr": 1e-3, "blocks": 0, "upsample": "transposed",
            "free_bits": 0.0, "mirror": False, "dropout": 0.0, "decoder": "conv", "grad_clip": 0.0},
    "diffusion": {"halo": 0},
}


def saved_model_config(model: str, fields, source) -> dict:
    """The model config of a run's config.json (``fields``, from ``source``) in this version's
    terms, for :func:`config_from_dict`; a ConfigError naming the file and the option when the
    run was trained with an option this version no longer has."""
    if not isinstance(fields, dict):
        return fields  # config_from_dict says what is wrong with it
    fields = {**OLD_RUN_DEFAULTS.get(model, {}), **fields}
    for name, values in RETIRED_VALUES.get(model, {}).items():
        if fields.get(name) in values:
            raise _retired(name, fields[name], source)
    for name, renamed in RENAMED_VALUES.get(model, {}).items():
        if isinstance(fields.get(name), str):
            fields[name] = renamed.get(fields[name], fields[name])
    for name, retired in RETIRED_FIELDS.get(model, {}).items():
        if name not in fields:
            continue
        value = fields.pop(name)
        idle = retired.idle is not None and fields.get(retired.idle[0]) == retired.idle[1]
        if retired.neutral is not ANY and value != retired.neutral and not idle:
            raise _retired(name, value, source)
    return fields


def _retired(name: str, value, source) -> ConfigError:
    return ConfigError(f"trained with the retired option {name} = {_kind(value)}; "
                       "this version of the studio cannot rebuild it", source)
