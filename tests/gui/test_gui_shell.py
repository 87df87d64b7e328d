"""The main window: opening datasets, errors, the recent list, status bar, About."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

import studio  # noqa: E402
from studio.gui.app import create_main_window  # noqa: E402
from studio.gui.workers import Latest, run_in_thread  # noqa: E402
from studio.gui.workspaces import WORKSPACES, Workspace, load_workspace  # noqa: E402
from studio.train.devices import describe_device, pick_device  # noqa: E402

LOAD_TIMEOUT_MS = 30000


@pytest.fixture(autouse=True)
def isolated_settings(qapp, isolated_app):
    qapp.setOrganizationName("PokemonStudioTests")
    qapp.setApplicationName("gui-shell-tests")
    yield isolated_app


def write_course(folder: Path, lines: list[str], colors=((255, 255, 255), (0, 0, 0))) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pixel_color.txt").write_text("\n".join(lines))
    (folder / "colormap.txt").write_text("\n".join(" ".join(map(str, c)) for c in colors))
    return folder


def open_window(qtbot, path=None):
    win = create_main_window(path)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.datasetLoaded, timeout=LOAD_TIMEOUT_MS):
        win.show()
    return win


def open_and_wait(qtbot, win, path):
    with qtbot.waitSignal(win.datasetLoaded, timeout=LOAD_TIMEOUT_MS):
        win.open_dataset(str(path))


def test_workspaces_all_import():
    for title, spec in WORKSPACES:
        assert isinstance(load_workspace(spec), type), title


@pytest.mark.slow
def test_every_workspace_answers_what_the_window_asks(qtbot):
    """The main window opens runs, asks about training and shuts every tab down through one
    protocol, never by probing for methods."""
    win = open_window(qtbot)
    for title, widget in win.workspaces.items():
        assert isinstance(widget, Workspace), title
        assert widget.is_training() is False, title
    assert win.workspaces["Dataset"].open_run("anything") is False


@pytest.mark.slow
def test_opens_on_builtin_and_status_bar_shows_device_and_dataset(qtbot):
    win = open_window(qtbot)
    ds = win.context.dataset
    assert ds is not None and len(ds) > 0
    assert QSettings().value("datasets/last") == "builtin"
    assert f"{len(ds)} sprites" in win.dataset_label.text()
    assert f"{ds.height}×{ds.width}" in win.dataset_label.text()
    assert f"{ds.num_colors} colours" in win.dataset_label.text()
    qtbot.waitUntil(lambda: "…" not in win.device_label.text(), timeout=LOAD_TIMEOUT_MS)
    assert describe_device() in win.device_label.text()
    assert [win.tabs.tabText(i) for i in range(win.tabs.count())] == [t for t, _ in WORKSPACES]


@pytest.mark.slow
def test_opens_course_data(qtbot, course_dir):  # course_dir (conftest) skips without the data
    win = open_window(qtbot)
    open_and_wait(qtbot, win, course_dir)
    ds = win.context.dataset
    assert (len(ds), ds.height, ds.width, ds.num_colors) == (792, 20, 20, 167)
    assert "792 sprites" in win.dataset_label.text()


@pytest.mark.slow
def test_bad_file_shows_error_and_keeps_previous_dataset(qtbot, tmp_path, monkeypatch):
    good = "0 " * 399 + "1"
    bad_dir = write_course(tmp_path / "bad", [good, good, "0 1 1"])
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append(text))
    win = open_window(qtbot)
    before = win.context.dataset
    with qtbot.waitSignal(win.datasetFailed, timeout=LOAD_TIMEOUT_MS):
        win.open_dataset(str(bad_dir / "pixel_color.txt"))
    assert len(shown) == 1
    assert "pixel_color.txt" in shown[0] and "line 3" in shown[0]
    assert win.context.dataset is before
    assert str(bad_dir.resolve() / "pixel_color.txt") not in win.recent_datasets()


@pytest.mark.slow
def test_recent_list_updates_and_persists(qtbot, tmp_path):
    line = " ".join(["0"] * 399 + ["1"])
    a = write_course(tmp_path / "a", [line, line])
    b = write_course(tmp_path / "b", [line])
    win = open_window(qtbot)
    open_and_wait(qtbot, win, a)
    open_and_wait(qtbot, win, b)
    open_and_wait(qtbot, win, a)
    expected = [str(a.resolve()), str(b.resolve())]
    assert win.recent_datasets() == expected
    win._fill_recent_menu()
    assert [act.text() for act in win.recent_menu.actions()][:2] == expected
    win.close()

    # A new window (a new run) reopens the last dataset and still has the list ...
    win2 = open_window(qtbot)
    assert win2.context.dataset.source.endswith("a")
    assert win2.recent_datasets() == expected
    # ... and forgets entries that vanished from disk.
    (b / "pixel_color.txt").unlink()
    (b / "colormap.txt").unlink()
    b.rmdir()
    assert win2.recent_datasets() == [str(a.resolve())]


@pytest.mark.slow
def test_remembered_dataset_that_fails_falls_back_to_builtin_silently(qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: shown.append(a))
    QSettings().setValue("datasets/last", str(tmp_path / "gone"))
    win = open_window(qtbot)
    assert win.context.dataset is not None
    assert QSettings().value("datasets/last") == "builtin"
    assert shown == []


@pytest.mark.slow
def test_about_names_version_and_device(qtbot, monkeypatch):
    texts = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: texts.append(text))
    win = open_window(qtbot)
    win.show_about()
    assert studio.__version__ in texts[0]
    assert describe_device() in texts[0]
    assert "torch" in texts[0] and "Qt" in texts[0]


def test_run_in_thread_reports_result_and_error(qtbot):
    with qtbot.waitCallback(timeout=5000) as done:
        run_in_thread(lambda: 6 * 7, on_done=done)
    assert done.args == [42]
    task = run_in_thread(lambda: "x")
    with qtbot.waitSignal(task.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == ["x"] and task.done
    with qtbot.waitCallback(timeout=5000) as failed:
        run_in_thread(lambda: 1 / 0, on_error=failed)
    assert isinstance(failed.args[0], ZeroDivisionError)


def test_latest_skips_requests_overtaken_while_one_runs_and_shows_the_newest(qtbot):
    import threading

    release, calls, shown = threading.Event(), [], []
    latest = Latest(shown.append)

    def decode(value):
        calls.append(value)
        release.wait(5)  # the first decode is slow: the drag goes on meanwhile
        return value

    for value in range(10):  # ten slider events while the first decode runs
        latest.request(lambda v=value: decode(v))
    assert latest.busy
    release.set()
    qtbot.waitUntil(lambda: not latest.busy)
    assert calls == [0, 9]  # the eight in between were never computed
    assert shown == [0, 9]  # the view ends on the newest request


def test_latest_cancel_drops_the_running_result_and_the_waiting_request(qtbot):
    import threading

    release, calls, shown = threading.Event(), [], []
    latest = Latest(shown.append)

    def decode(value):
        calls.append(value)
        release.wait(5)
        return value

    latest.request(lambda: decode("old model"))
    latest.request(lambda: decode("waiting"))
    latest.cancel()  # the model they were for is gone
    release.set()
    qtbot.waitUntil(lambda: not latest.busy)
    assert calls == ["old model"] and shown == []
    latest.request(lambda: decode("new model"))  # a request after the cancel is shown
    qtbot.waitUntil(lambda: not latest.busy)
    assert shown == ["new model"]


def test_pick_device():
    assert pick_device("cpu").type == "cpu"
    assert pick_device().type in ("cuda", "mps", "cpu")
    with pytest.raises(ValueError, match="unknown device"):
        pick_device("tpu9")
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="not available"):
            pick_device("cuda")


RUN_APP_SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from studio.gui import app as app_module

original, seen = app_module.create_main_window, []

def create(path=None):
    win = original(path)
    def loaded(*_):
        seen.append((win.isVisible(), win.context.dataset is not None))
        QTimer.singleShot(0, QApplication.instance().quit)
    win.datasetLoaded.connect(loaded)
    return win

app_module.create_main_window = create
code = app_module.run_app()
print("exit", code, "shown-with-data", seen == [(True, True)])
"""


@pytest.mark.slow
def test_run_app_opens_the_window_and_exits_cleanly(tmp_path):
    # In a process of its own: once a QApplication's exec() has returned, Qt stops delivering
    # zero-delay timers, which would break every later test in this process.
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-c", RUN_APP_SCRIPT], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "exit 0 shown-with-data True" in proc.stdout
