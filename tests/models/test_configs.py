"""What the GAN's and the VAE's configs hold is the product: the dataclass's defaults are the
default preset, and every field is a choice some preset makes or a control a user turns.
An option no preset uses belongs in docs/history.md, not here."""

from __future__ import annotations

import dataclasses

import pytest

from studio.models import gan, vae

#: The fields a user sets whatever the preset: the code's size, the networks' widths, the learning rates.
USER_CONTROLS = {gan: {"z_dim", "width", "lr_g", "lr_d"}, vae: {"latent_dim", "width", "hidden", "lr"}}
MAX_FIELDS = 16


@pytest.mark.parametrize("module", [gan, vae], ids=["gan", "vae"])
def test_the_dataclass_defaults_are_the_default_preset(module):
    assert module.Config() == next(iter(module.CONFIGS.values()))


def test_the_defaults_are_crisp_for_the_gan_and_pixelvae_for_the_vae():
    assert list(gan.CONFIGS)[0] == "crisp" and gan.Config().output == "snap" and gan.Config().mirror
    assert list(vae.CONFIGS)[0] == "pixelvae" and vae.Config().decoder == "local"


@pytest.mark.parametrize("module", [gan, vae], ids=["gan", "vae"])
def test_every_field_is_set_by_a_preset_or_is_a_users_control(module):
    fields = [f.name for f in dataclasses.fields(module.Config)]
    assert len(fields) <= MAX_FIELDS
    default = module.Config()
    chosen = {name for name in fields
              if any(getattr(preset, name) != getattr(default, name) for preset in module.CONFIGS.values())}
    assert USER_CONTROLS[module] <= set(fields)
    assert set(fields) - chosen - USER_CONTROLS[module] == set()  # else: retire it (train.config.RETIRED_FIELDS)


def test_one_name_for_each_upsampling_in_every_model():
    assert gan.UPSAMPLES == vae.UPSAMPLES == ("transposed", "resize")
    assert {c.upsample for c in gan.CONFIGS.values()} == {c.upsample for c in vae.CONFIGS.values()} \
        == set(gan.UPSAMPLES)
