"""The Runs view: the runs list as a table; open, delete + undo, compare two runs' curves."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from studio.gui.context import StudioContext  # noqa: E402
from studio.gui.runs_workspace import RunsWorkspace  # noqa: E402

pytestmark = pytest.mark.usefixtures("isolated_app")


@pytest.fixture()
def view(qtbot, tiny_runs, tmp_path):
    folder = tmp_path / "runs"
    for model in ("gan", "vae"):
        shutil.copytree(tiny_runs[model], folder / f"{model}-tiny")
    shutil.copytree(tiny_runs["vae"], folder / "vae-second")
    (folder / "broken").mkdir()
    (folder / "broken" / "config.json").write_text("{")
    ws = RunsWorkspace(StudioContext(), folders=[folder])
    qtbot.addWidget(ws)
    ws.show()
    return ws


def names(view):
    return [view.table.item(r, 0).text() for r in range(view.table.rowCount())]


def test_lists_every_run_with_a_thumbnail_and_marks_the_broken_one(view):
    assert sorted(names(view)) == ["gan-tiny", "vae-second", "vae-tiny", "⚠ broken"]
    row = names(view).index("vae-tiny")
    assert view.table.item(row, 1).text() == "vae" and "elbo" in view.table.item(row, 5).text()
    assert not view.table.item(row, 0).icon().isNull()
    view.select("broken")
    assert not view.buttons["Open"].isEnabled() and view.buttons["Delete"].isEnabled()


def test_open_asks_the_window_for_the_runs_workspace(view, qtbot):
    view.select("gan-tiny")
    with qtbot.waitSignal(view.context.runRequested) as asked:
        view.buttons["Open"].click()
    assert asked.args[0].endswith("gan-tiny") and asked.args[1] is False


def test_delete_goes_to_the_trash_and_undo_brings_it_back(view):
    view.select("vae-second")
    view.buttons["Delete"].click()
    assert "vae-second" not in names(view) and view.buttons["Undo delete"].isEnabled()
    view.buttons["Undo delete"].click()
    assert "vae-second" in names(view)


def test_two_selected_runs_are_compared_on_a_metric_both_logged(view):
    view.select("vae-tiny", "vae-second")
    assert view.metric_box.findText("loss") >= 0
    view.metric_box.setCurrentText("loss")
    drawn = view.compared()
    assert set(drawn) == {"vae-tiny", "vae-second"} and all(len(y) == 5 for y in drawn.values())


def test_a_name_with_control_characters_is_shown_escaped(view):
    folder = view.runs.folders[0]
    (folder / "gan-tiny").rename(folder / "evil\x1b[2J\nname")
    view.runs.refresh()
    assert "evil\\x1b[2J\\nname" in names(view)
    assert not any("\x1b" in name or "\n" in name for name in names(view))


def test_a_run_being_written_is_not_deleted(view, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from studio.train.run import RunLock

    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warned.append(args[-1]))
    folder = view.runs.folders[0]
    with RunLock(folder / "vae-second"):
        view.select("vae-second")
        view.buttons["Delete"].click()
    assert "vae-second" in names(view) and "is writing this run" in warned[0]


def steps_text(view, name):
    row = [view.runs.runs[r].name for r in range(view.table.rowCount())].index(name)
    return view.table.item(row, 4).text(), view.table.item(row, 0)


def test_a_run_the_cli_is_training_shows_as_live_and_opens(view, qtbot, gan_run_record):
    from studio.train.run import RunLock

    run = gan_run_record(view.runs.folders[0] / "gan-live", epochs=4)  # no checkpoint yet
    run.append_metrics({"step": 5, "epoch": 1.0, "time": 1.0, "d_loss": 1.2})
    with RunLock(run.path):  # what `studio train` holds while it writes
        view.runs.refresh()
        text, first = steps_text(view, "gan-live")
        assert first.text() == "gan-live\n● training (live)" and text == "5 / 20"  # no ⚠, not red
        assert first.foreground().color().name() != "#842029"
        assert "Open follows it live" in first.toolTip()
        view.select("gan-live")
        assert view.buttons["Open"].isEnabled()
        assert not view.buttons["Resume"].isEnabled() and not view.buttons["Delete"].isEnabled()
        with qtbot.waitSignal(view.context.runRequested) as asked:
            view.buttons["Open"].click()
        assert asked.args[0].endswith("gan-live")
        assert view._live_timer.isActive()  # the list re-reads itself while the run trains
        run.append_metrics({"step": 10, "epoch": 2.0, "time": 2.0, "d_loss": 1.1})
        qtbot.waitUntil(lambda: steps_text(view, "gan-live")[0].startswith("10 /"), timeout=10_000)
    qtbot.waitUntil(lambda: "training (live)" not in steps_text(view, "gan-live")[1].text(), timeout=10_000)
    assert not view._live_timer.isActive()


def test_added_folders_are_remembered_and_a_vanished_one_is_dropped_with_a_note(view, qtbot, tmp_path, tiny_runs):
    from studio.gui.context import StudioContext

    extra, gone = tmp_path / "elsewhere", tmp_path / "usb-stick"
    shutil.copytree(tiny_runs["pixelrnn"], extra / "pixelrnn-away")
    shutil.copytree(tiny_runs["gan"], gone / "gan-away")
    view.add_folder(extra)
    view.add_folder(gone)
    assert {"pixelrnn-away", "gan-away"} <= set(names(view))

    shutil.rmtree(gone)  # the stick is unplugged before the next launch
    context = StudioContext()
    messages = []
    context.statusMessage.connect(lambda text, ms: messages.append(text))
    again = RunsWorkspace(context, folders=view.runs.folders[:1])
    qtbot.addWidget(again)
    again.show()
    assert "pixelrnn-away" in names(again) and "gan-away" not in names(again)
    assert str(gone) in again.folder_note.text() and "no longer there" in again.folder_note.text()
    assert str(extra) in again.folder_note.text()
    assert any(str(gone) in m for m in messages)
    third = RunsWorkspace(StudioContext(), folders=view.runs.folders[:1])  # forgotten for good
    qtbot.addWidget(third)
    assert third.runs.folders[1:] == [extra] and "no longer there" not in third.folder_note.text()


def test_the_compare_legend_follows_a_rename(view):
    view.select("vae-tiny", "vae-second")
    view.metric_box.setCurrentText("loss")
    assert "vae-second" in view.plot.plotItem.titleLabel.text
    view.rename(view.runs.folders[0] / "vae-second", "vae-renamed")
    title = view.plot.plotItem.titleLabel.text
    assert "vae-renamed" in title and "vae-second" not in title
    assert set(view.compared()) == {"vae-tiny", "vae-renamed"}


def test_delete_says_which_run_went_and_that_undo_brings_it_back(view):
    messages = []
    view.context.statusMessage.connect(lambda text, ms: messages.append(text))
    view.select("vae-second")
    view.buttons["Delete"].click()  # no question: it can be undone
    assert "vae-second" in messages[-1] and "Undo delete brings it back" in messages[-1]
    assert view.buttons["Undo delete"].isEnabled()


@pytest.mark.slow
def test_open_on_a_live_run_follows_it_on_its_models_train_tab(qtbot, tmp_path, gan_run_record):
    from studio.gui.app import create_main_window
    from studio.train.run import RunLock

    run = gan_run_record(tmp_path / "runs" / "gan-live", epochs=4)  # the app's runs folder
    run.append_metrics({"step": 5, "epoch": 1.0, "time": 1.0, "d_loss": 1.2, "g_loss": 0.7})
    win = create_main_window()
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.datasetLoaded, timeout=120_000):
        win.show()
    runs = win.workspaces["Runs"]
    with RunLock(run.path):
        win.show_workspace("Runs")
        runs.select("gan-live")
        runs.buttons["Open"].click()
        panel = win.workspaces["GAN"]
        assert win.tabs.currentWidget() is panel and panel.state == "following"
        assert "following" in panel.progress_bar.text() and panel.points("d_loss") == 1
        run.append_metrics({"step": 10, "epoch": 2.0, "time": 2.0, "d_loss": 1.1, "g_loss": 0.8})
        qtbot.waitUntil(lambda: panel.points("d_loss") == 2, timeout=10_000)
    win.close()


def test_any_number_of_runs_smoothed_on_a_log_scale_and_exported(view, monkeypatch, tmp_path):
    import csv

    import numpy as np
    from PySide6.QtWidgets import QFileDialog

    from studio.session.plots import smooth
    from studio.session.runs import compare_curves

    view.select("gan-tiny", "vae-tiny", "vae-second")
    assert len(view.metric_plot.runs) == 3
    view.metric_box.setCurrentText("loss")  # the two VAE runs logged it; the GAN did not
    raw = {name: y for name, (_, y) in compare_curves([view.runs.folders[0] / "vae-tiny"], "loss").items()}
    view.plot_controls.set_smoothing(0)
    drawn = view.compared()
    assert set(drawn) == {"vae-tiny", "vae-second"} and np.allclose(drawn["vae-tiny"], raw["vae-tiny"])
    assert view.compared(raw=True) == {}  # no faint lines without smoothing
    view.plot_controls.set_smoothing(0.9)
    assert np.allclose(view.compared()["vae-tiny"], smooth(raw["vae-tiny"], 0.9))
    assert np.allclose(view.compared(raw=True)["vae-tiny"], raw["vae-tiny"])
    assert "smoothed 0.90" in view.compare_note.text()
    view.plot_controls.log_check.setChecked(True)
    assert view.plot.getPlotItem().ctrl.logYCheck.isChecked() and view.metric_plot.log_y
    view.metric_box.setCurrentText("d_loss")  # any metric, logged by one run only
    assert set(view.compared()) == {"gan-tiny"}
    # Export: the PNG through pyqtgraph, the CSV holds the points drawn.
    for suffix, button in (("png", view.plot_controls.png_button), ("csv", view.plot_controls.csv_button)):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, s=suffix, **k: (str(tmp_path / f"out.{s}"), ""))
        button.click()
    assert (tmp_path / "out.png").read_bytes()[:4] == b"\x89PNG"
    rows = list(csv.reader((tmp_path / "out.csv").open()))
    assert rows[0] == ["run", "step", "d_loss", "d_loss (smoothed)"] and {r[0] for r in rows[1:]} == {"gan-tiny"}
