"""Property-based: whatever a run's config.json, a config file or a checkpoint holds, loading it
returns a result or raises the studio's named error (ConfigError, CheckpointError), nothing else."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from studio.errors import ConfigError, StudioError
from studio.errors import CheckpointError
from studio.train.checkpoint import CHECKPOINT_FORMAT, load_checkpoint
from studio.train.config import resolve_config
from studio.train.run import RunDir

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID_CONFIG = {
    "model": "gan", "model_config": {"z_dim": 8, "width": 8, "betas": [0.5, 0.999]},
    "train": {"epochs": 2, "batch_size": 8, "held_out": 0.1},
    "data": {"source": "builtin", "size": [20, 20], "num_colors": 2, "palette": [[255, 255, 255], [0, 0, 0]]},
}
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
              st.text(max_size=8)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=12)


def replaced(config: dict):
    """VALID_CONFIG with one value somewhere (a top-level key or a nested field) replaced."""
    paths = [(k,) for k in config] + [(k, f) for k, v in config.items() if isinstance(v, dict) for f in v]
    return st.tuples(st.sampled_from(paths), json_values).map(lambda pv: _set(config, *pv))


def _set(config, path, value):
    config = json.loads(json.dumps(config))
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return config


@FUZZ
@given(content=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode()),
                         replaced(VALID_CONFIG).map(lambda c: json.dumps(c).encode())))
def test_a_run_config_loads_or_is_a_config_error(content):
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "config.json").write_bytes(content)
        try:
            saved = RunDir(folder).config()
        except ConfigError as err:
            assert str(err).startswith(str(Path(folder) / "config.json"))
            return
        assert saved["model"] == "gan"


@FUZZ
@given(fields=st.one_of(json_values, replaced(VALID_CONFIG["model_config"])), suffix=st.sampled_from([".json", ".toml"]))
def test_a_config_file_resolves_or_is_a_config_error(fields, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"c{suffix}"
        path.write_text(json.dumps(fields))
        try:
            config = resolve_config("gan", str(path))
        except ConfigError as err:
            assert str(path) in str(err)
            return
        assert config.z_dim >= 0


def _checkpoint_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.save({"format": CHECKPOINT_FORMAT, "model": "gan", "step": 3,
                "modules": {"g": {"w": torch.ones(64)}}}, buffer)
    return buffer.getvalue()


VALID_CHECKPOINT = _checkpoint_bytes()


@FUZZ
@given(data=st.one_of(
    st.binary(max_size=300),
    st.tuples(st.lists(st.tuples(st.integers(0, len(VALID_CHECKPOINT) - 1), st.integers(0, 255)), max_size=4),
              st.integers(1, len(VALID_CHECKPOINT)))
    .map(lambda e: bytes(_edit(VALID_CHECKPOINT, *e)))))
@example(data=b"J")  # a one-byte "pickle" made torch's unpickler raise struct.error
def test_a_checkpoint_loads_or_is_a_checkpoint_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.pt"
        path.write_bytes(data)
        try:
            state = load_checkpoint(path)
        except CheckpointError as err:
            assert isinstance(err, StudioError) and str(err).startswith(str(path))
            assert "weights_only" not in str(err)
            return
        assert state["format"] == CHECKPOINT_FORMAT


def _edit(data: bytes, edits, cut) -> bytearray:
    out = bytearray(data)
    for i, value in edits:
        out[i] = value
    return out[:cut]
