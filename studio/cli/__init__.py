"""The `studio` command: no arguments opens the desktop app; subcommands work headless.

Each command group lives in its own module with a ``register(subparsers)`` function that adds
its parsers and sets ``func`` on each; this file only assembles them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

import studio

# Modules under studio.cli that contribute subcommands, in the order `--help` lists them.
COMMAND_MODULES = ["data", "train", "score", "vae", "complete", "surprise", "quiz", "gan_tools"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Pokémon Generation Studio. Run with no command to open the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {studio.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = subparsers.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("path", nargs="?", help="a dataset or run folder to open")
    gui.set_defaults(func=_open_gui)
    for name in COMMAND_MODULES:
        importlib.import_module(f"studio.cli.{name}").register(subparsers)
    from studio.cli.args import show_bounds

    show_bounds(parser)
    parser.command_names = set(subparsers.choices)
    return parser


def _is_path(word: str) -> bool:
    """A first argument that names a folder or file rather than a command."""
    from pathlib import Path

    return not word.startswith("-") and ("/" in word or "\\" in word or Path(word).exists())


def _open_gui(args) -> int:
    try:
        from studio.gui.app import run_app
    except ImportError as err:  # PySide6 is the optional `gui` extra
        print(f"studio: the desktop app needs the gui extra ({err}); "
              "install it with: pip install 'pokemon-studio[gui]'", file=sys.stderr)
        return 1
    return run_app(getattr(args, "path", None))


def main(argv: list[str] | None = None) -> int:
    """Run one command. The one place expected failures become one line on stderr:
    ``studio: <file>: <what is wrong> (<what to do>)``, exit 2; an interrupt (Ctrl-C, also a
    second one while training stops) exits 130. Anything else is a bug and keeps its traceback."""
    from studio.errors import StudioError, describe_error
    from studio.session.display import printable

    _print_notes()
    try:
        parser = build_parser()
        argv = sys.argv[1:] if argv is None else list(argv)
        if argv and argv[0] not in parser.command_names and _is_path(argv[0]):
            argv = ["gui", *argv]  # `studio RUN_DIR` / `studio DATASET`: open it in the app
        args = parser.parse_args(argv)
        if args.command is None:
            return _open_gui(args)
        return int(args.func(args) or 0)
    except KeyboardInterrupt as err:  # Ctrl-C; or a second SIGTERM / SIGHUP while training stops
        _say("\nstudio: interrupted")
        return getattr(err, "exit_code", 130)
    except BrokenPipeError:  # `studio runs list | head`: the reader left
        sys.stderr.close()
        return 0
    except (StudioError, MemoryError, OSError) as err:  # OSError: permissions, a full disk, ...
        # A path may hold a newline or a terminal escape: shown escaped, never raw.
        _say(f"studio: {printable(describe_error(err))}")
        return 2


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):  # no terminal left (SIGHUP): the exit status still tells
        pass


class _NoteHandler(logging.Handler):
    """The studio's notes (a damaged line of a run's log that was skipped, ...) as
    ``studio: note: ...`` lines on stderr, whatever sys.stderr is at the time."""

    def emit(self, record: logging.LogRecord) -> None:
        from studio.session.display import printable

        _say(f"studio: note: {printable(record.getMessage())}")


def _print_notes() -> None:
    log = logging.getLogger("studio")
    if not any(isinstance(h, _NoteHandler) for h in log.handlers):
        log.addHandler(_NoteHandler(logging.WARNING))
        log.propagate = False
