"""Which model a view shows for an open dataset (session/pretrained.choose_model): the one it
showed last, else the user's newest run that fits, else the shipped model of the dataset's
palette, else none — and never a model of another palette."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from studio.data import open_dataset
from studio.data.palette import Palette
from studio.data.sprites import SpriteSet
from studio.session.pretrained import (SHIPPED, choose_model, is_pretrained, model_title, pretrained_run,
                                       shipped_runs, shipped_set)


@pytest.fixture(scope="module")
def builtin():
    return open_dataset("builtin:n=16")


def test_every_family_ships_for_the_builtin_creatures():
    assert [p.name for p in shipped_runs("builtin")] == list(SHIPPED)
    for path in shipped_runs("builtin"):
        assert is_pretrained(path) and shipped_set(path) == "builtin"
        assert model_title(path).endswith("(built-in creatures)")


def test_with_no_run_of_yours_the_shipped_model_of_the_palette_is_shown(tmp_path, builtin):
    choice = choose_model("vae", builtin, runs_dir=tmp_path)
    assert choice.kind == "shipped" and choice.path == pretrained_run("vae", "builtin")
    assert "shipped VAE" in choice.reason


def test_your_newest_fitting_run_comes_before_the_shipped_one_and_the_last_before_both(tmp_path, tiny_runs, builtin):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_runs["vae"], runs / "mine")
    shutil.copytree(tiny_runs["gan"], runs / "a-gan")  # another family's run is never taken
    choice = choose_model("vae", builtin, runs_dir=runs)
    assert (choice.kind, choice.path) == ("yours", runs / "mine")
    last = pretrained_run("vae", "builtin")
    assert choose_model("vae", builtin, last=last, runs_dir=runs).kind == "last"


def test_no_model_of_another_palette_is_offered(tmp_path, tiny_runs, builtin):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_runs["vae"], runs / "mine")
    odd = SpriteSet(np.zeros((4, 20, 20), np.uint8), Palette(builtin.palette.colors[:5]), name="five colours")
    choice = choose_model("vae", odd, last=runs / "mine", runs_dir=runs)
    assert not choice and choice.kind == "none"
    assert choice.reason == "no VAE model fits five colours (5 colours, 20×20)"


def test_the_course_data_gets_the_course_models(course_dir, tmp_path):
    if not any(shipped_set(p) == "pokemon" for p in shipped_runs()):
        pytest.skip("this checkout has no models of the course's palette: "
                    "python packaging/make_pretrained.py --data PATH makes them")
    pokemon = open_dataset(course_dir)
    for model in SHIPPED:
        choice = choose_model(model, pokemon, runs_dir=tmp_path)
        assert choice.kind == "shipped" and shipped_set(choice.path) == "pokemon", model


def test_a_view_keeps_its_run_while_it_fits_and_leaves_it_when_it_does_not(tmp_path, tiny_runs, builtin):
    from studio.session.pretrained import follow_dataset

    mine = tiny_runs["gan"]
    assert follow_dataset("gan", builtin, current=mine, runs_dir=tmp_path).path == mine
    odd = SpriteSet(np.zeros((4, 20, 20), np.uint8), Palette(builtin.palette.colors[:5]), name="five colours")
    assert not follow_dataset("gan", odd, current=mine, runs_dir=tmp_path)


def test_the_course_models_name_their_data_so_any_machine_finds_it(course_dir, monkeypatch, tmp_path):
    """The shipped Pokémon models say "course", not the path of the machine that trained them:
    their sprites open wherever the course's data is (STUDIO_POKEMON_DIR), and a view hands
    over the course's data it has open, from wherever it was opened."""
    from studio.data import DatasetError
    from studio.session.trained import open_run, uses_dataset

    shipped = [p for p in shipped_runs() if shipped_set(p) == "pokemon"]
    if not shipped:
        pytest.skip("no models of the course's palette in this checkout")
    monkeypatch.setenv("STUDIO_POKEMON_DIR", str(course_dir))
    run = open_run(shipped[0])
    assert run.data_source == "course" and len(run.dataset()) == 792
    copy = tmp_path / "pokemon-copy"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("images40"))
    assert uses_dataset(shipped[0], open_dataset(copy))
    assert not uses_dataset(shipped[0], open_dataset("builtin"))
    monkeypatch.setenv("STUDIO_POKEMON_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetError, match="STUDIO_POKEMON_DIR"):
        open_dataset("course")
