"""The Real or fake? workspace: deal a round, mark the fakes with the mouse or the keys, reveal,
and the score beside the classifier's changes — and is there again after a restart."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings, Qt  # noqa: E402

from studio.gui.context import StudioContext  # noqa: E402
from studio.gui.quiz_workspace import KEY_MODEL, RealOrFakeWorkspace  # noqa: E402

WAIT_MS = 60_000


@pytest.fixture
def workspace(qtbot, isolated_app, tiny_runs):
    ws = RealOrFakeWorkspace(StudioContext(), auto_load=False)
    qtbot.addWidget(ws)
    ws.show()
    with qtbot.waitSignal(ws.roundShown, timeout=WAIT_MS):
        ws.open_model(tiny_runs["gan"])
    return ws


def test_marking_every_fake_with_the_keys_and_revealing_scores_one(qtbot, workspace, tiny_runs):
    quiz = workspace.quiz
    assert "you: no round yet" in workspace.score_text()
    assert all(card.picture.pixmap() is not None for card in workspace.cards)
    for i in np.flatnonzero(quiz.round.fake):
        qtbot.keyClick(workspace, str(i + 1))
    assert "4 of 8 marked fake" in workspace.round_label.text()
    with qtbot.waitSignal(workspace.revealed) as shown:
        qtbot.keyClick(workspace, Qt.Key.Key_Return)
    assert shown.args[0].accuracy == 1.0
    assert "you: 1.00 over 1 round (8 sprites)" in workspace.score_text()
    assert "the classifier:" in workspace.score_text()
    fake = int(np.flatnonzero(quiz.round.fake)[0])
    real = int(np.flatnonzero(~quiz.round.fake)[0])
    assert "FAKE" in workspace.cards[fake].verdict.text() and workspace.cards[fake].nearest.pixmap() is not None
    assert "nearest training sprite" in workspace.cards[fake].nearest_text.text()
    assert "real" in workspace.cards[real].verdict.text() and "never trained" in workspace.cards[real].nearest_text.text()
    # A new launch on the same model shows the kept score (the session's file) and the model (QSettings).
    assert QSettings().value(KEY_MODEL) == str(tiny_runs["gan"])
    again = RealOrFakeWorkspace(StudioContext(), auto_load=False)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.roundShown, timeout=WAIT_MS):
        again.open_model(tiny_runs["gan"])
    assert "you: 1.00 over 1 round" in again.score_text()


def test_arrows_space_and_clicks_mark_a_wrong_guess_lowers_the_score(qtbot, workspace):
    quiz = workspace.quiz
    qtbot.keyClick(workspace, Qt.Key.Key_Right)
    qtbot.keyClick(workspace, Qt.Key.Key_Down)
    qtbot.keyClick(workspace, Qt.Key.Key_Space)  # the cursor: 0 → 1 → 5
    assert quiz.marks.tolist() == [i == 5 for i in range(8)]
    qtbot.mouseClick(workspace.cards[5], Qt.MouseButton.LeftButton)  # unmark
    assert not quiz.marks.any()
    for i in np.flatnonzero(~quiz.round.fake):  # every real one called fake, no fake caught
        qtbot.mouseClick(workspace.cards[int(i)], Qt.MouseButton.LeftButton)
    workspace.reveal_button.click()
    assert quiz.revealed.accuracy == 0.0 and "you: 0.00 over 1 round" in workspace.score_text()
    assert not workspace.reveal_button.isEnabled()
    with qtbot.waitSignal(workspace.roundShown, timeout=WAIT_MS) as dealt:
        qtbot.keyClick(workspace, Qt.Key.Key_N)
    assert dealt.args[0].number == 1 and workspace.reveal_button.isEnabled()
    assert "Round 2" in workspace.round_label.text()


def test_the_same_seed_deals_the_same_round(qtbot, workspace, tiny_runs):
    first = workspace.quiz.round
    other = RealOrFakeWorkspace(StudioContext(), auto_load=False)
    qtbot.addWidget(other)
    with qtbot.waitSignal(other.roundShown, timeout=WAIT_MS):
        other.open_model(tiny_runs["gan"])
    assert np.array_equal(other.quiz.round.sprites, first.sprites)
    other.seed_box.setValue(5)
    with qtbot.waitSignal(other.roundShown, timeout=WAIT_MS):
        other.open_model()
    assert not np.array_equal(other.quiz.round.sprites, first.sprites)
