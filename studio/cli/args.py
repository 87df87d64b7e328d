"""argparse types for every numeric argument of the CLI: a bad value is refused by argparse
(usage line, exit 2) before any work starts, and the maxima keep time, memory and output sizes
bounded. Every count and size has a maximum; :func:`show_bounds` writes each argument's range
into its ``--help``.

    parser.add_argument("--scale", type=positive_int(max=64), default=4)     # --help: "... (1..64)"
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

#: Limits shared by several commands.
MAX_SCALE = 64  # pixels per sprite pixel in a picture
MAX_SPRITES = 4096  # sprites drawn into one picture
MAX_SEED = 2**32 - 1  # what every generator here accepts
MAX_FRAMES = 2000  # frames of an animated walk
MAX_SCORE_SAMPLES = 4096  # samples the yardstick scores (`score -n`, `eval -n`)
MAX_STEPS = 10**9  # training steps (`train --steps`)
#: A sprite's index in a dataset: a dataset holds at most 64 Mi pixels, so at most 1 Mi sprites of 8×8.
MAX_INDEX = 2**20


def int_range(min: int, max: int | None = None):
    """An int type for argparse in [min, max]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < min:
            raise argparse.ArgumentTypeError(f"must be {min} or more, got {value}")
        if max is not None and value > max:
            raise argparse.ArgumentTypeError(f"must be at most {max}, got {value}")
        return value

    parse.__name__ = "whole number"  # what argparse calls the type in its messages
    parse.bounds = f"{min}..{max}" if max is not None else f"{min} or more"
    return parse


def positive_int(max: int | None = None):
    return int_range(1, max)


def float_range(min: float, max: float | None = None, min_open: bool = False):
    """A finite float type for argparse in [min, max] (or (min, max] when ``min_open``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        if value < min or (min_open and value == min):
            raise argparse.ArgumentTypeError(f"must be {'more than' if min_open else 'at least'} {min:g}, "
                                             f"got {value:g}")
        if max is not None and value > max:
            raise argparse.ArgumentTypeError(f"must be at most {max:g}, got {value:g}")
        return value

    parse.__name__ = "number"
    low = f"more than {_number(min)}" if min_open else f"at least {_number(min)}"
    parse.bounds = (f"{low}, at most {_number(max)}" if min_open else f"{_number(min)}..{_number(max)}") \
        if max is not None else low
    return parse


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def show_bounds(parser: argparse.ArgumentParser) -> None:
    """Add each bounded argument's range to its help, in every subcommand: "(1..64)"."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                show_bounds(sub)
        bounds = getattr(action.type, "bounds", None)
        if bounds and action.help is not argparse.SUPPRESS and bounds not in (action.help or ""):
            action.help = f"{action.help} ({bounds})" if action.help else bounds


def positive_float(max: float | None = None):
    return float_range(0.0, max, min_open=True)


SEED = int_range(0, MAX_SEED)
SCALE = positive_int(max=MAX_SCALE)


def image_output(*suffixes: str):
    """An output file name whose extension names an image format PIL writes (``suffixes``:
    only those), checked before any work is done."""

    def parse(text: str) -> str:
        from studio.errors import OutputError
        from studio.data.files import image_format

        suffix = Path(text).suffix.lower()
        if suffixes and suffix not in suffixes:
            raise argparse.ArgumentTypeError(f"{text}: the file name must end in {' or '.join(suffixes)}")
        try:
            image_format(text)
        except OutputError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        return text

    parse.__name__ = "image file"
    return parse


def sprite_output(*arrays: str):
    """An output for sprites: an image, or a file of indices whose extension is one of
    ``arrays`` (".txt": the course's format, ".npy")."""
    as_image = image_output()

    def parse(text: str) -> str:
        return text if Path(text).suffix.lower() in arrays else as_image(text)

    parse.__name__ = "sprite file"
    return parse


def usage_error(err: Exception):
    """A command-line request the data cannot satisfy (an index past the dataset's end, a
    dimension the model lacks), found once the run is open: the API's ValueError as a StudioError."""
    from studio.errors import StudioError

    return err if isinstance(err, StudioError) else StudioError(str(err).splitlines()[0])


def add_diffusion_sampling(parser) -> None:
    """--steps, --schedule and --corrector: how a diffusion run draws or completes (its own unless given)."""
    from studio.session.trained import DIFFUSION_MAX_STEPS, DIFFUSION_SCHEDULES

    parser.add_argument("--steps", type=int_range(1, DIFFUSION_MAX_STEPS), metavar="K",
                        help=f"diffusion: sampling steps 1..{DIFFUSION_MAX_STEPS} (default: the run's, 16 for its presets)")
    parser.add_argument("--schedule", choices=sorted(DIFFUSION_SCHEDULES),
                        help="diffusion: cosine (MaskGIT: the most confident pixels first) or random (D3PM's order)")
    parser.add_argument("--corrector", type=int_range(0, DIFFUSION_MAX_STEPS), metavar="R",
                        help=f"diffusion: passes after the K steps, each redrawing a random tenth of the drawn "
                             f"pixels given the rest, 0..{DIFFUSION_MAX_STEPS} (default: the run's for a draw, "
                             f"32 for its presets; none for a completion)")


def add_checkpoint(parser, device: bool = True) -> None:
    """--checkpoint (which of a run's checkpoints opens) and, with ``device``, --device (where
    its model runs): every command that reads a trained run spells them so."""
    parser.add_argument("--checkpoint", default="best", help="best, last or a file in checkpoints/")
    if device:
        parser.add_argument("--device", help="cuda, mps or cpu (default: the best available)")


def add_sprite_source(parser):
    """--index or --image, one of them required: the sprite a command reads. Returns the group
    (a command may add another source to it)."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--index", type=int_range(0, MAX_INDEX), help="a sprite of the dataset, by index")
    source.add_argument("--image", help="a sprite PNG of the model's size, mapped to its palette")
    return source
