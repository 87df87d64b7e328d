"""Start the desktop app: ``run_app(path)`` is what `studio` with no command calls."""

from __future__ import annotations

import sys

ORG_NAME = "PokemonStudio"
APP_NAME = "Pokemon Generation Studio"
# The reverse-DNS id of packaging/linux/<DESKTOP_ID>.desktop: Linux desktops match the
# running window to that file (its icon and name in the dock) by this id.
DESKTOP_ID = "io.github.pokemon_studio.Studio"


def set_app_names(app) -> None:
    """The names QSettings files are stored under (tests set their own instead)."""
    app.setOrganizationName(ORG_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("Pokémon Generation Studio")


def apply_branding(app) -> None:
    """The app icon (window, taskbar, About box) and the default stylesheet from resources/."""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    from studio.resources import ICON_SIZES, icon_path, stylesheet

    icon = QIcon()
    for size in ICON_SIZES:  # the pixel-exact PNGs: crisp at every size, no SVG plugin needed
        icon.addFile(str(icon_path(size)), QSize(size, size))
    app.setWindowIcon(icon)
    app.setDesktopFileName(DESKTOP_ID)
    style = stylesheet()
    if app.styleSheet() != style:  # setting it re-polishes every widget: only when it changes
        app.setStyleSheet(style)


def configure_pyqtgraph() -> None:
    import pyqtgraph as pg

    # Arrays are [row, col] everywhere in the studio, as numpy and PIL have them.
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)


def create_main_window(path: str | None = None):
    """A configured (not yet shown) MainWindow; needs a QApplication to exist."""
    from PySide6.QtWidgets import QApplication

    from studio.gui.main_window import MainWindow

    app = QApplication.instance()
    if app is None:
        raise RuntimeError("create a QApplication before the main window")
    configure_pyqtgraph()
    apply_branding(app)
    return MainWindow(path)


def show_uncaught_errors(parent=None) -> None:
    """The one place an error raised in a slot reaches the user: as a dialog (Qt would only
    print it). Studio errors show their one line; a bug shows its type and message, and its
    traceback still goes to stderr for the report."""
    import traceback

    from PySide6.QtWidgets import QApplication, QMessageBox

    from studio.errors import StudioError, describe_error

    def hook(kind, error, tb):
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        if not isinstance(error, StudioError):
            traceback.print_exception(kind, error, tb, file=sys.stderr)
        if QApplication.instance() is not None:
            QMessageBox.critical(QApplication.activeWindow() or parent, "Something went wrong",
                                 describe_error(error))

    sys.excepthook = hook


def stop_training_on_signals(app) -> None:
    """SIGTERM, SIGHUP or Ctrl-C: every training stops after its step and writes a checkpoint,
    then the app quits (its window waits for them); a second signal quits at once."""
    from PySide6.QtCore import QTimer

    from studio.session.training import SignalStop, die_by_signal

    SignalStop(on_first=lambda signum: QTimer.singleShot(0, app.quit), abort=die_by_signal).install()
    # Python runs a signal handler only when the main thread runs Python: wake it now and then.
    app._signal_timer = QTimer(app)
    app._signal_timer.timeout.connect(lambda: None)
    app._signal_timer.start(200)


def run_app(path: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    set_app_names(app)
    show_uncaught_errors()
    stop_training_on_signals(app)
    window = create_main_window(path)
    window.show()
    return app.exec()
