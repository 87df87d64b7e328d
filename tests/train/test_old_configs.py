"""Run folders of older studios still open: every model config an earlier version wrote is read
in this version's terms (train.config.saved_model_config), or refused with one line naming the
file and the retired option its model needs."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import pytest

from studio.data import open_dataset
from studio.errors import ConfigError, RunError
from studio.models import gan, model_module, vae
from studio.session.pretrained import SHIPPED, pretrained_run
from studio.train.config import RETIRED_FIELDS, config_from_dict, saved_model_config
from studio.train.engine import Trainer, TrainSettings
from studio.train.run import RunDir
from studio.train.trained import TrainedRun

REPO = Path(__file__).resolve().parents[2]
OLD = json.loads((Path(__file__).with_name("old_model_configs.json")).read_text())["configs"]
LAST = "ee72643"  # the last version with the retired options
#: The configs an earlier studio wrote that this one cannot rebuild, and the option it names.
REFUSED = {("gan", "b599348", "decay"): "lr_decay_steps = 4400"}
#: What Config() built before it became the default preset.
OLD_DEFAULT_PRESET = {"gan": "dcgan", "vae": "lecture"}
DATA = {"source": "builtin", "size": [20, 20], "num_colors": 2, "palette": [[255, 255, 255], [0, 0, 0]]}


def write_run(folder: Path, model: str, model_config: dict) -> RunDir:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": model, "model_config": model_config,
                                                    "train": {"epochs": 2, "batch_size": 8}, "data": DATA}))
    return RunDir(folder)


def expected_value(model: str, field: str, saved: dict):
    """What ``field`` of an old run's config means today: its saved value (GAN upsamplings under
    the VAE's names); for a field the run predates, what the first version's network had."""
    if field in saved:
        return {"transpose": "transposed", "nearest": "resize"}.get(saved[field], saved[field]) \
            if (model, field) == ("gan", "upsample") else saved[field]
    first = {"gan": gan.CONFIGS["dcgan-transpose"], "vae": vae.CONFIGS["lecture"]}
    return json.loads(json.dumps(getattr(first.get(model) or model_module(model).Config(), field)))


@pytest.mark.parametrize("old", OLD, ids=lambda o: f"{o['model']}-{o['commit']}-{o['name']}")
def test_every_config_an_earlier_studio_wrote_opens_or_is_refused_naming_its_option(tmp_path, old):
    model, saved = old["model"], old["model_config"]
    run = write_run(tmp_path / "run", model, saved)
    refused = REFUSED.get((model, old["commit"], old["name"]))
    if refused:
        with pytest.raises(ConfigError) as err:
            run.config()
        assert str(err.value) == (f"{run.config_path}: trained with the retired option {refused}; "
                                  "this version of the studio cannot rebuild it")
        return
    module = model_module(model)
    config = config_from_dict(module.Config, run.config()["model_config"], str(run.config_path))
    for field in dataclasses.fields(config):
        value = json.loads(json.dumps(getattr(config, field.name)))  # tuples as the JSON's lists
        assert value == expected_value(model, field.name, saved), field.name


@pytest.mark.parametrize("model", ["gan", "vae", "pixelrnn", "transformer"])
def test_the_presets_of_the_last_version_before_the_retirements_open_as_the_same_presets(model):
    module = model_module(model)
    last = [o for o in OLD if o["model"] == model and o["commit"] == LAST]
    assert {o["name"] for o in last} <= {"Config()", *module.CONFIGS}  # no preset went (gan's long came since)
    for old in last:
        config = config_from_dict(module.Config, saved_model_config(model, old["model_config"], "config.json"))
        name = OLD_DEFAULT_PRESET.get(model) if old["name"] == "Config()" else old["name"]
        assert config == (module.CONFIGS[name] if name else module.Config()), old["name"]


def test_a_config_from_before_every_later_field_builds_the_first_versions_network():
    assert config_from_dict(gan.Config, saved_model_config("gan", {}, "c")) == gan.CONFIGS["dcgan-transpose"]
    assert config_from_dict(vae.Config, saved_model_config("vae", {}, "c")) == vae.CONFIGS["lecture"]


@pytest.mark.parametrize("model, field, value", [
    ("gan", "augment", "translation,cutout,flip"), ("gan", "r1_weight", 1.0), ("gan", "minibatch_std", True),
    ("gan", "output", "gumbel"), ("gan", "output", "slots"), ("gan", "gp_weight", 5.0),
    ("gan", "ema_decay", 0.99), ("vae", "decoder", "pixelrnn"), ("vae", "weight_decay", 1e-4),
    ("vae", "embed_dim", 4)])
def test_a_retired_option_in_use_is_refused_with_one_line_naming_the_file_and_the_option(tmp_path, model, field,
                                                                                          value):
    saved = {**json.loads(json.dumps(dataclasses.asdict(model_module(model).Config()))), field: value}
    run = write_run(tmp_path / "run", model, saved)
    with pytest.raises(RunError) as err:
        TrainedRun.open(run.path)
    line = str(err.value)
    assert line == (f"{run.config_path}: trained with the retired option {field} = {json.dumps(value)}; "
                    "this version of the studio cannot rebuild it")


def test_a_retired_field_that_did_nothing_is_dropped(tmp_path):
    lecture = json.loads(json.dumps(dataclasses.asdict(vae.CONFIGS["lecture"])))
    # The conv decoder never read the autoregressive decoder's fields, whatever their values.
    saved = {**lecture, "weight_decay": 0.0, "embed_dim": 16, "decoder_hidden": 16, "decoder_dropout": 0.0}
    assert config_from_dict(vae.Config, write_run(tmp_path / "vae", "vae", saved).config()["model_config"]) \
        == vae.CONFIGS["lecture"]
    local = {**saved, "decoder": "local"}  # ... but the local decoder did
    with pytest.raises(ConfigError, match="retired option decoder_hidden = 16;"):
        write_run(tmp_path / "local", "vae", local).config()
    crisp = json.loads(json.dumps(dataclasses.asdict(gan.Config())))
    saved = {**crisp, "augment": "", "r1_weight": 0, "slots": 3, "minibatch_std": False, "lr_decay_steps": 0,
             "lr_end": 0.5, "gp_weight": 10, "ema_decay": 0.999, "upsample": "nearest"}
    assert config_from_dict(gan.Config, write_run(tmp_path / "gan", "gan", saved).config()["model_config"]) \
        == gan.Config()


def test_the_retired_fields_neutral_values_are_what_the_models_now_always_do():
    assert RETIRED_FIELDS["gan"]["gp_weight"].neutral == gan.GP_WEIGHT
    assert RETIRED_FIELDS["gan"]["ema_decay"].neutral == gan.EMA_DECAY
    assert RETIRED_FIELDS["vae"]["embed_dim"].neutral == vae.EMBED_DIM
    assert RETIRED_FIELDS["vae"]["decoder_hidden"].neutral == vae.DECODER_HIDDEN
    assert RETIRED_FIELDS["vae"]["decoder_dropout"].neutral == vae.DECODER_DROPOUT
    assert RETIRED_FIELDS["vae"]["decoder_context"].neutral == vae.DECODER_CONTEXT
    for model, fields in RETIRED_FIELDS.items():  # retired means gone from the config
        assert not set(fields) & {f.name for f in dataclasses.fields(model_module(model).Config)}


def test_a_run_of_the_old_crisp_gan_resumes_and_reopens_with_its_weights(tmp_path):
    """A crisp run as the last version wrote it (every retired field, at no effect) trains on."""
    old = next(o for o in OLD if o["model"] == "gan" and o["commit"] == LAST and o["name"] == "crisp")
    sprites = open_dataset("builtin:n=24")
    settings = TrainSettings(epochs=1, batch_size=8, sample_every=0, sample_count=4, log_every=1)
    tiny = dataclasses.replace(gan.Config(), z_dim=8, width=8)
    Trainer("gan", tiny, sprites, settings, tmp_path / "run").run_training()
    config_path = tmp_path / "run" / "config.json"
    saved = json.loads(config_path.read_text())
    saved["model_config"] = {**old["model_config"], "z_dim": 8, "width": 8}  # as the old studio wrote it
    config_path.write_text(json.dumps(saved))
    assert TrainedRun.open(tmp_path / "run").task.config == tiny
    resumed = Trainer.resume(tmp_path / "run", epochs=2)
    assert resumed.config == tiny and resumed.run_training()["status"] == "finished"


def load_recipes() -> dict:
    spec = importlib.util.spec_from_file_location("make_pretrained", REPO / "packaging" / "make_pretrained.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.RECIPES


@pytest.mark.parametrize("model", SHIPPED)
def test_the_shipped_models_open_as_their_recipes_made_them(model):
    preset, overrides, _, _ = load_recipes()[model]
    run = TrainedRun.open(pretrained_run(model))
    assert run.task.config == dataclasses.replace(model_module(model).CONFIGS[preset], **overrides)
    assert run.task.draw(2, seed=0).shape == (2, 20, 20)
