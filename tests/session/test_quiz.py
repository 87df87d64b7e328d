"""Real or fake?: rounds deterministic for a seed, marking and the reveal, the nearest training
sprite beside each fake, the saved score, and the classifier's c2st beside it."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from studio.errors import ConfigError, StudioError
from studio.models.scores import creature_mismatch
from studio.session.pretrained import pretrained_run
from studio.session.quiz import QuizScores, RealOrFake, _round_seed
from studio.train.evaluate import score_run
from studio.train.trained import TrainedRun


@pytest.fixture(scope="module")
def gan_run(tiny_runs):
    return TrainedRun.open(tiny_runs["gan"])


@pytest.fixture
def scores(tmp_path):
    return QuizScores(tmp_path / "scores.json")


def test_a_round_is_half_held_out_real_half_drawn_and_the_same_for_a_seed(gan_run, scores):
    quiz = RealOrFake(gan_run, seed=7, scores=scores)
    first = quiz.new_round()
    assert first.sprites.shape == (8, 20, 20) and first.fake.sum() == 4
    _, held = gan_run.split()
    real = first.source[~first.fake]
    assert set(real) <= set(held) and (first.source[first.fake] == -1).all()
    assert np.array_equal(first.sprites[~first.fake], gan_run.dataset().indices[real])
    drawn = gan_run.task.draw(4, seed=_round_seed(7, 0))
    assert sorted(map(bytes, first.sprites[first.fake])) == sorted(map(bytes, drawn))
    again = RealOrFake(gan_run, seed=7, scores=scores).make_round(0)
    assert np.array_equal(again.sprites, first.sprites) and np.array_equal(again.fake, first.fake)
    other = RealOrFake(gan_run, seed=8, scores=scores).make_round(0)
    assert not np.array_equal(other.sprites, first.sprites)
    second = quiz.new_round()
    assert second.number == 1 and not np.array_equal(second.sprites, first.sprites)
    # Real sprites are dealt from one shuffle of the held-out ones: no repeats until all were shown.
    shipped = RealOrFake(TrainedRun.open(pretrained_run("gan")), seed=3, scores=scores)
    n_held = len(shipped.run.split()[1])
    dealt = [i for k in range(n_held // 4 + 1) for i in shipped.make_round(k).source if i >= 0]
    whole_rounds = 4 * (n_held // 4)  # the rounds before the deal wraps round
    assert len(set(dealt[:whole_rounds])) == whole_rounds and set(dealt) == set(shipped.run.split()[1])


def test_marking_the_fakes_scores_one_and_the_score_is_saved(gan_run, scores, tmp_path):
    quiz = RealOrFake(gan_run, seed=1, scores=scores)
    events = []
    quiz.changed.connect(events.append)
    shown = quiz.new_round()
    for i in np.flatnonzero(shown.fake):
        quiz.toggle(int(i))
    reveal = quiz.reveal()
    assert reveal.accuracy == 1.0 and reveal.caught == 4 and reveal.fooled == reveal.false_alarms == 0
    assert events == ["round", "marks", "marks", "marks", "marks", "reveal", "score"]
    with pytest.raises(ValueError, match="deal a new round"):
        quiz.toggle(0)
    quiz.new_round()
    for i in range(8):  # everything is fake: all fakes caught, all real sprites false alarms
        quiz.mark(i)
    assert quiz.reveal().accuracy == 0.5
    saved = QuizScores(tmp_path / "scores.json").models[quiz.key]
    assert (saved.rounds, saved.correct, saved.shown, saved.fakes_caught, saved.fakes) == (2, 12, 16, 8, 8)
    assert saved.history == [1.0, 0.5] and quiz.score.accuracy == 0.75
    assert "you: 0.75 over 2 rounds (16 sprites)" in quiz.comparison()


def test_each_fake_is_shown_beside_its_nearest_training_sprite(gan_run, scores):
    quiz = RealOrFake(gan_run, seed=2, scores=scores)
    shown = quiz.new_round()
    reveal = quiz.reveal()
    train_idx, _ = gan_run.split()
    train = gan_run.dataset().indices[train_idx]
    for i in np.flatnonzero(shown.fake):
        d = creature_mismatch(shown.sprites[i][None], train)[0].numpy()
        assert reveal.distance[i] == pytest.approx(d.min())
        assert np.array_equal(reveal.nearest_sprites[i], gan_run.dataset().indices[reveal.nearest[i]])
        assert reveal.nearest[i] in train_idx
    assert np.isnan(reveal.distance[~shown.fake]).all() and (reveal.nearest[~shown.fake] == -1).all()


def test_a_model_that_copies_is_caught_copying(tiny_runs, scores):
    run = TrainedRun.open(tiny_runs["gan"])
    train_idx, _ = run.split()
    copies = run.dataset().indices[train_idx[[3, 9, 11, 20]]]
    run.task.draw = lambda n, seed=0: copies[:n]  # a model that memorised its data
    quiz = RealOrFake(run, scores=scores)
    shown = quiz.new_round()
    reveal = quiz.reveal()
    assert (reveal.distance[shown.fake] == 0).all()
    assert sorted(reveal.nearest[shown.fake]) == sorted(train_idx[[3, 9, 11, 20]])


def test_keys_mark_and_reveal(gan_run, scores):
    quiz = RealOrFake(gan_run, scores=scores)
    quiz.new_round()
    assert quiz.press("3") == ("toggle", 2) and quiz.marks[2]
    assert quiz.press("3") and not quiz.marks[2]
    assert quiz.press("x") is None
    assert quiz.press("Return") == ("reveal", None) and quiz.revealed is not None
    assert quiz.press("n") == ("next", None)


def test_the_classifier_c2st_computed_on_request_or_logged_by_training(tiny_runs, tmp_path, scores):
    folder = tmp_path / "gan-run"
    shutil.copytree(tiny_runs["gan"], folder)
    quiz = RealOrFake(TrainedRun.open(folder), scores=scores)
    assert quiz.classifier() is None and "not known yet" in quiz.comparison()
    with (folder / "metrics.jsonl").open("a") as f:
        f.write(json.dumps({"step": 10, "val/c2st": 0.875}) + "\n")
    assert quiz.classifier() == (0.875, "logged by the training at step 10")
    c2st, source = quiz.compute_c2st(n=16)
    assert "studio score -n 16 --seed 0" in source
    assert c2st == score_run(folder, n=16, seed=0, reference=False)["c2st"]  # the figure studio score prints
    quiz.set_classifier(c2st, source)
    assert quiz.classifier() == (c2st, source)
    assert QuizScores(scores.path).models[quiz.key].c2st == c2st
    checkpoint = quiz.run.checkpoint  # retrained: the cached figure no longer belongs to these weights
    os.utime(checkpoint, ns=(checkpoint.stat().st_atime_ns, checkpoint.stat().st_mtime_ns + 10**9))
    assert quiz.classifier() == (0.875, "logged by the training at step 10")


def test_a_damaged_scores_file_is_named(tmp_path):
    path = tmp_path / "real-or-fake.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="real-or-fake.json.*delete the file"):
        QuizScores(path)


def test_shipped_models_are_keyed_alike_everywhere_and_odd_sizes_refused(gan_run, scores):
    assert RealOrFake(TrainedRun.open(pretrained_run("gan")), scores=scores).key == "shipped/builtin/gan"
    with pytest.raises(ValueError, match="even number"):
        RealOrFake(gan_run, size=5, scores=scores)
    with pytest.raises(StudioError, match="holds out"):
        RealOrFake(gan_run, size=40, scores=scores)
