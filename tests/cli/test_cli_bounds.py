"""Every count and size a user types is bounded where it is parsed, and --help says the bounds;
every config field is checked against its range when the config is read, naming the file."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import typing
from pathlib import Path

import pytest

from studio.cli import build_parser, main
from studio.models import MODEL_NAMES, model_module
from studio.train.config import FIELD_BOUNDS, config_from_dict, config_to_dict
from studio.train.run import RunDir
from studio.train.settings import TrainSettings, default_settings

REPO = Path(__file__).resolve().parents[2]


def numeric_actions(parser, prefix="studio"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from numeric_actions(sub, f"{prefix} {name}")
        elif action.type is not None and getattr(action.type, "__name__", "") in ("int", "float", "whole number",
                                                                                  "number"):
            yield prefix, action


def test_every_numeric_argument_has_a_maximum_shown_in_its_help():
    actions = list(numeric_actions(build_parser()))
    assert len(actions) > 40
    for command, action in actions:
        where = f"{command} {'/'.join(action.option_strings) or action.dest}"
        assert action.type not in (int, float), f"{where}: a bare {action.type.__name__} has no bounds"
        bounds = action.type.bounds
        assert ".." in bounds or "at most" in bounds, f"{where}: no maximum ({bounds})"
        assert bounds in action.help, f"{where}: --help does not say {bounds!r}"


def test_score_help_shows_the_bounds(capsys):
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    assert "(1..4096)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, expected", [
    (["score", "RUN", "-n", "1000000000"], "must be at most 4096"),
    (["score", "RUN", "--seed", "-1"], "must be 0 or more"),
    (["eval", "RUN", "-n", "-1"], "must be 0 or more"),
    (["eval", "RUN", "-n", "100000"], "must be at most 4096"),
    (["train", "gan", "--steps", "10000000000"], "must be at most 1000000000"),
    (["reconstruct", "RUN", "--index", "99999999999", "-o", "r.png"], "must be at most 1048576"),
    (["complete", "RUN", "--index", "99999999999", "-o", "c.png"], "must be at most 1048576"),
    (["data", "preview", "builtin", "-o", "x.png", "--scale", "100000"], "--scale: must be at most 64"),
    (["data", "preview", "builtin", "-o", "x.png", "--count", "0"], "--count: must be 1 or more"),
    (["data", "info", "builtin", "--size", "100000"], "--size: must be at most 256"),
    (["walk", "r", "-o", "w.gif", "--steps", "2000000000"], "--steps: must be at most 2000"),
    (["walk", "r", "-o", "w.gif", "--steps", "0"], "--steps: must be 1 or more"),
    (["walk", "r", "-o", "w.png"], "must end in .gif"),
    (["train", "gan", "--batch-size", "-4"], "--batch-size: must be 1 or more"),
    (["train", "gan", "--steps", "0"], "--steps: must be 1 or more"),
    (["train", "gan", "--cpu-minutes", "nan"], "expected a finite number"),
    (["train", "gan", "--seed", "-1"], "--seed: must be 0 or more"),
    (["sample", "r", "-n", "-3", "-o", "x.png"], "-n: must be 1 or more"),
    (["sample", "r", "-o", "x.png", "--temperature", "0"], "--temperature: must be more than 0"),
    (["sample", "r", "-o", "x.xyz"], "unknown image format '.xyz'"),
    (["latent", "r", "-o", "x.png", "--grid", "100000"], "--grid: must be at most 64"),
    (["complete", "r", "--index", "0", "--cover", "1.5", "-o", "x.png"], "--cover: must be at most 1"),
    (["toygan", "-o", "t.png", "--steps", "ten"], "expected a whole number, got 'ten'"),
])
def test_a_bad_number_is_one_line_before_any_work(argv, expected, capsys, tiny_runs):
    argv = [str(tiny_runs["gan"]) if a == "RUN" else a for a in argv]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and expected in err.splitlines()[-1] and "Traceback" not in err


# --- config fields ---------------------------------------------------------------------------------
def numeric_fields(cls):
    hints = typing.get_type_hints(cls)
    return [f.name for f in dataclasses.fields(cls) if any(t in str(hints[f.name]) for t in ("int", "float"))]


def test_every_numeric_config_field_has_a_range():
    classes = [model_module(m).Config for m in MODEL_NAMES] + [TrainSettings]
    missing = [f"{cls.__module__}.{cls.__name__}.{name}" for cls in classes for name in numeric_fields(cls)
               if name not in FIELD_BOUNDS]
    assert not missing, f"add these to FIELD_BOUNDS (studio/train/config.py): {missing}"


def test_every_preset_and_shipped_model_is_inside_the_ranges():
    for model in MODEL_NAMES:
        module = model_module(model)
        for name, preset in module.CONFIGS.items():
            config_from_dict(module.Config, config_to_dict(preset), source=f"{model} preset {name}")
            default_settings(model, name)
    for run in (REPO / "resources" / "pretrained").glob("*/*/config.json"):
        RunDir(run.parent).config()


@pytest.mark.parametrize("fields, expected", [
    ({"commitment": 500}, "commitment must be at most 100, got 500"),
    ({"width": 1_000_000_000}, "width must be at most 1024, got 1000000000"),
    ({"lr_g": 0.0}, "lr_g must be more than 0, got 0"),
    ({"betas": [0.5, 1.5]}, "betas must be less than 1, got 1.5"),
    ({"z_dim": 100_000}, "z_dim must be at most 1024"),
])
def test_a_config_file_out_of_range_is_refused_naming_the_file_and_field(tmp_path, capsys, fields, expected):
    config = tmp_path / "mine.json"
    config.write_text(json.dumps({"z_dim": 8, "width": 8, **fields}))
    out = tmp_path / "run"
    assert main(["train", "gan", "--data", "builtin:n=16", "--config", str(config), "--steps", "1",
                 "--quiet", "--out", str(out)]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line == f"studio: {config}: {expected}" or (line.startswith(f"studio: {config}: ") and expected in line)
    assert not out.exists(), "refused before a run folder was made"


def test_a_run_config_out_of_range_is_refused_naming_it(tiny_runs, tmp_path, capsys):
    run = shutil.copytree(tiny_runs["gan"], tmp_path / "run")
    saved = json.loads((run / "config.json").read_text())
    saved["train"]["score_count"] = 10**9
    (run / "config.json").write_text(json.dumps(saved))
    assert main(["eval", str(run), "-n", "0"]) == 2
    assert f"{run / 'config.json'}: score_count must be at most 4096" in capsys.readouterr().err
