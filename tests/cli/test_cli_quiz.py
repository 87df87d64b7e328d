"""`studio quiz` as a user plays it in a terminal: pictures, typed answers, the kept score."""

from __future__ import annotations

import io
import json

import numpy as np
from PIL import Image

from studio.cli import main
from studio.session.quiz import QuizScores, RealOrFake
from studio.train.trained import TrainedRun


def test_a_round_is_played_by_typing_the_fakes(tiny_runs, tmp_path, monkeypatch, capsys):
    run_dir, scores = tiny_runs["gan"], tmp_path / "scores.json"
    answer = RealOrFake(TrainedRun.open(run_dir), seed=3, scores=QuizScores(tmp_path / "peek.json")).make_round(0)
    fakes = " ".join(str(i + 1) for i in np.flatnonzero(answer.fake))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"9 oops\n{fakes}\n"))
    out = tmp_path / "round.png"
    assert main(["quiz", str(run_dir), "-o", str(out), "--seed", "3", "--scores", str(scores), "--scale", "2"]) == 0
    printed = capsys.readouterr().out
    assert "type numbers from 1 to 8" in printed and "100% right: 4 of 4 fakes caught" in printed
    assert "you: 1.00 over 1 round (8 sprites)" in printed
    assert Image.open(out).size[0] > 8 * 40 and (tmp_path / "round-answers.png").is_file()
    saved = json.loads(scores.read_text())["models"]
    assert [s["rounds"] for s in saved.values()] == [1]


def test_the_end_of_the_input_stops_the_quiz(tiny_runs, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["quiz", str(tiny_runs["gan"]), "-o", str(tmp_path / "r.png"), "--rounds", "3",
                 "--scores", str(tmp_path / "s.json")]) == 0
    assert "stopped" in capsys.readouterr().out and not (tmp_path / "s.json").exists()
    assert main(["quiz", str(tiny_runs["gan"]), "-o", str(tmp_path / "r.png"), "--size", "7",
                 "--scores", str(tmp_path / "s.json")]) == 2
    assert "even number" in capsys.readouterr().err
