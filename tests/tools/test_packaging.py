"""Installing the studio like an app: the wheel, its resources, the icon, the Linux desktop
files, `studio --version`, and the About box a bug report quotes."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import importlib.util  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import studio  # noqa: E402
from studio import resources  # noqa: E402
from studio.resources import ICON_SIZES, icon_path, resource_path, search_dirs  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
LINUX = REPO / "packaging" / "linux"
APP_ID = "io.github.pokemon_studio.Studio"
DESKTOP_FILE = LINUX / f"{APP_ID}.desktop"
METAINFO_FILE = LINUX / f"{APP_ID}.metainfo.xml"


def load_make_icons():
    spec = importlib.util.spec_from_file_location("make_icons", REPO / "packaging" / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)


# --- the icon ------------------------------------------------------------------------------
def test_committed_icons_are_what_make_icons_draws(tmp_path):
    make_icons = load_make_icons()
    make_icons.write_icons(tmp_path)
    committed = REPO / "resources" / "icons"
    assert (committed / "studio.svg").read_text() == (tmp_path / "studio.svg").read_text()
    for size in ICON_SIZES:
        with Image.open(committed / f"studio-{size}.png") as ours, \
                Image.open(tmp_path / f"studio-{size}.png") as fresh:
            assert ours.size == (size, size)
            assert ours.convert("RGBA").tobytes() == fresh.convert("RGBA").tobytes(), size


def test_big_icons_are_the_sprite_in_whole_pixels():
    sprite = load_make_icons().sprite()
    with Image.open(icon_path(256)) as icon:  # 12 px per grid cell, 8 px margin
        cells = icon.convert("RGBA").crop((8, 8, 248, 248)).resize((20, 20), Image.Resampling.NEAREST)
    assert cells.tobytes() == sprite.tobytes()
    assert sprite.getpixel((0, 0))[3] == 0 and sprite.getpixel((10, 10))[3] == 255


def test_svg_is_crisp_pixel_rects():
    root = ET.parse(icon_path()).getroot()
    assert root.get("viewBox") == "0 0 20 20"
    assert root.get("shape-rendering") == "crispEdges"
    rects = root.findall(".//{http://www.w3.org/2000/svg}rect")
    covered = sum(int(r.get("width")) for r in rects)
    opaque = 400 - load_make_icons().sprite().getchannel("A").histogram()[0]
    assert covered == opaque


def test_windows_and_macos_icon_containers_open():
    with Image.open(resource_path("icons/studio.ico")) as ico:
        assert (256, 256) in ico.info["sizes"] and (16, 16) in ico.info["sizes"]
    with Image.open(resource_path("icons/studio.icns")) as icns:
        assert icns.size[0] >= 512


# --- resource lookup ---------------------------------------------------------------------------
def test_resource_path_finds_files_in_the_checkout():
    assert resource_path("icons/studio.svg") == REPO / "resources" / "icons" / "studio.svg"
    assert "QStatusBar" in resources.stylesheet()


def test_icon_path_picks_the_smallest_drawn_size_that_fits():
    assert icon_path().name == "studio.svg"
    assert icon_path(16).name == "studio-16.png"
    assert icon_path(40).name == "studio-48.png"
    assert icon_path(4096).name == "studio-512.png"
    with pytest.raises(ValueError):
        icon_path(0)


def test_missing_resource_names_where_it_looked():
    with pytest.raises(FileNotFoundError) as err:
        resource_path("icons/nope.png")
    assert "icons/nope.png" in str(err.value)
    assert str(REPO / "resources") in str(err.value)


def test_resource_names_cannot_leave_the_resources_folder():
    with pytest.raises(ValueError):
        resource_path("../pyproject.toml")


def test_frozen_app_finds_resources_under_meipass(tmp_path, monkeypatch):
    bundled = tmp_path / "studio" / "resources" / "icons" / "only-in-the-bundle.png"
    bundled.parent.mkdir(parents=True)
    bundled.write_bytes(b"png")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("icons/only-in-the-bundle.png") == bundled
    # The package's own folder (a wheel) still comes first, the checkout last.
    dirs = search_dirs()
    assert dirs.index(tmp_path / "studio" / "resources") < dirs.index(REPO / "resources")


# --- the wheel ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("build", reason="the `build` package is in the test extra")
    pytest.importorskip("hatchling", reason="hatchling (the build backend) is in the test extra")
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: build with the venv's hatchling instead of downloading one (CI is offline).
    result = run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)])
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = out.glob("pokemon_studio-*.whl")
    return path


def test_wheel_holds_the_resources_and_the_studio_command(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert wheel.name.startswith(f"pokemon_studio-{studio.__version__}-")
    for size in ICON_SIZES:
        assert f"studio/resources/icons/studio-{size}.png" in names
    assert {"studio/resources/icons/studio.svg", "studio/resources/studio.qss",
            "studio/resources.py", "studio/cli/__init__.py"} <= names
    assert not any("screenshots" in n for n in names)  # README pictures stay out of the app
    assert "studio = studio.cli:main" in entry_points


@pytest.mark.slow
def test_installed_wheel_finds_its_own_resources(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = ("import studio, studio.resources as r; print(studio.__file__); "
             "print(r.icon_path(48)); print(r.resource_path('studio.qss'))")
    result = run([sys.executable, "-c", probe], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    package, icon, qss = (Path(line) for line in result.stdout.split())
    assert package.is_relative_to(site)  # the unpacked wheel, not the checkout
    assert icon == site / "studio" / "resources" / "icons" / "studio-48.png"
    assert qss == site / "studio" / "resources" / "studio.qss"
    version = run([sys.executable, "-m", "studio", "--version"], cwd=tmp_path, env=env)
    assert version.stdout.strip() == f"studio {studio.__version__}"


@pytest.mark.slow
def test_studio_version_command():
    result = run([sys.executable, "-m", "studio", "--version"], cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"studio {studio.__version__}"
    script = Path(sys.executable).parent / ("studio.exe" if os.name == "nt" else "studio")
    if script.exists():  # the console script pip made from the entry point
        assert run([str(script), "--version"]).stdout.strip() == f"studio {studio.__version__}"


# --- Linux desktop integration -----------------------------------------------------------------------
def desktop_entry() -> dict[str, str]:
    lines = DESKTOP_FILE.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_desktop_file_and_metainfo_agree_with_the_app():
    from studio.gui.app import DESKTOP_ID

    assert DESKTOP_ID == APP_ID
    entry = desktop_entry()
    assert entry["Icon"] == APP_ID
    assert entry["Exec"].split()[0] == "studio"
    root = ET.parse(METAINFO_FILE).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP_FILE.name
    assert root.findtext("provides/binary") == "studio"
    # A version bump needs its release notes.
    assert root.find("releases/release").get("version") == studio.__version__


def test_desktop_file_validates():
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate not installed (Debian/Ubuntu: apt-get install desktop-file-utils)")
    result = run([validator, str(DESKTOP_FILE)])
    assert result.returncode == 0 and "error" not in result.stdout, result.stdout + result.stderr


def test_metainfo_validates():
    validator = shutil.which("appstreamcli")
    if validator is None:
        pytest.skip("appstreamcli not installed (Debian/Ubuntu: apt-get install appstream)")
    result = run([validator, "validate", "--no-net", str(METAINFO_FILE)])
    assert result.returncode == 0, result.stdout + result.stderr


# --- the running app: icon, stylesheet, About ----------------------------------------------------------
@pytest.fixture
def window(qtbot, qapp, isolated_app):
    from studio.gui.app import create_main_window

    qapp.setOrganizationName("PokemonStudioTests")
    qapp.setApplicationName("packaging-tests")
    win = create_main_window()
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.datasetLoaded, timeout=30000):
        win.show()
    return win


def test_app_has_the_studio_icon_and_stylesheet(window, qapp):
    icon = qapp.windowIcon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= set(ICON_SIZES)
    assert qapp.styleSheet() == resources.stylesheet()


def test_about_names_versions_and_device(window, qtbot, monkeypatch):
    import PySide6
    import torch
    from PySide6.QtCore import qVersion
    from PySide6.QtWidgets import QMessageBox

    from studio.train.devices import describe_device

    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.show_about()
    (text,) = shown
    for part in (studio.__version__, torch.__version__, qVersion(), PySide6.__version__,
                 describe_device()):
        assert part in text
