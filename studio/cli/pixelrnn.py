"""`studio complete`: fill the hidden part of a sprite with any trained model, several ways; or,
with ``--held-out``, complete every held-out sprite into one file (HW4's task)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.cli.args import SCALE, SEED, add_diffusion_sampling, diffusion_sampling, float_range, int_range, \
    positive_float, positive_int, sprite_output

CHECKER = ((150, 150, 150), (200, 200, 200))  # how hidden pixels are shown in the input column


def register(subparsers) -> None:
    complete = subparsers.add_parser(
        "complete", help="complete a partly hidden sprite with a trained run (any model)",
        description="Writes one row: the sprite, the sprite with its hidden pixels shown as a grey "
                    "checker, then the completions, best first. With --held-out, the best completion "
                    "of every held-out sprite of the run, one line of H·W colour indices each (the "
                    "course's pixel_color.txt format, HW4's submission format): "
                    "studio complete RUN --first 0.6 --held-out -o out.txt")
    complete.add_argument("run_dir")
    source = complete.add_mutually_exclusive_group(required=True)
    source.add_argument("--index", type=int_range(0), help="a sprite of the run's dataset, by index")
    source.add_argument("--image", help="a sprite PNG of the run's size, mapped to the run's palette")
    source.add_argument("--held-out", action="store_true",
                        help="every held-out sprite of the run's split: the likeliest completion of "
                             "each, one line each, to -o FILE.txt")
    hide = complete.add_mutually_exclusive_group(required=True)
    hide.add_argument("--cover", type=float_range(0.0, 1.0), metavar="FRACTION",
                      help="hide the bottom FRACTION of the pixels (the lecture's 0.5 and 0.75)")
    hide.add_argument("--first", type=float_range(0.0, 1.0), metavar="FRACTION",
                      help="keep the first FRACTION of the pixels in raster order, hide the rest (HW4: 0.6)")
    hide.add_argument("--hole", type=float_range(0.0, 1.0), metavar="FRACTION",
                      help="hide a centred hole of that area")
    hide.add_argument("--random", type=float_range(0.0, 1.0), metavar="FRACTION",
                      help="hide that fraction of the pixels, at random")
    hide.add_argument("--mask", help="mask PNG of the sprite's size: non-zero (white) pixels are hidden")
    complete.add_argument("-n", type=positive_int(max=256), default=8, help="number of completions, 1..256")
    complete.add_argument("-o", "--output", required=True, type=sprite_output(".txt"),
                          help="an image (the row), or .txt: the completions as lines of colour indices")
    complete.add_argument("--temperature", type=positive_float(max=100), default=1.0,
                          help="PixelRNN/transformer/diffusion: softmax temperature; VAE/GAN: spread of the "
                               "starting codes")
    add_diffusion_sampling(complete)
    complete.add_argument("--seed", type=SEED)
    complete.add_argument("--scale", type=SCALE, default=4)
    complete.add_argument("--checkpoint", default="best")
    complete.add_argument("--device")
    complete.set_defaults(func=cmd_complete)


def cmd_complete(args) -> int:
    from studio.data import grid_image
    from studio.data.errors import StudioError
    from studio.data.files import save_image
    from studio.models.completion import centre_hole, cover_bottom, given_first, random_pixels
    from studio.models.inpainting import DiffusionCompletion, completer_for
    from studio.train.trained import TrainedRun

    run = TrainedRun.open(args.run_dir, args.checkpoint, args.device)
    task, palette, saved = run.task, run.palette, run.config
    sampling = diffusion_sampling(args, run.model)
    completer = DiffusionCompletion(task, **sampling) if sampling else completer_for(task)
    size = task.size
    if args.cover is not None:
        mask = cover_bottom(size, args.cover)
    elif args.first is not None:
        mask = given_first(size, args.first)
    elif args.hole is not None:
        mask = centre_hole(size, args.hole)
    elif args.random is not None:
        mask = random_pixels(size, args.random, seed=0 if args.seed is None else args.seed)
    else:
        mask = _read_mask(Path(args.mask), size)
    as_text = Path(args.output).suffix.lower() == ".txt"
    if args.held_out:
        if not as_text:
            raise StudioError("--held-out writes text: one line of colour indices per sprite",
                              hint="name the output FILE.txt")
        return _complete_held_out(args, completer, saved, mask)
    sprite = _sprite(args, saved, palette, size)
    variants = completer.complete(sprite, mask, args.n, seed=args.seed, temperature=args.temperature)
    if as_text:
        from studio.data.course import write_pixels

        write_pixels(np.stack([v.sprite for v in variants]), args.output)
        print(f"wrote {len(variants)} completions, best first, one line each, to {args.output}")
        return 0
    shown = palette.to_rgb(sprite)
    row = np.stack([shown, show_hidden(shown, mask)] + [palette.to_rgb(v.sprite) for v in variants])
    save_image(grid_image(row, palette, columns=len(row), scale=args.scale), args.output)
    print(f"wrote the sprite, its mask ({int(mask.sum())} of {mask.size} pixels hidden) and "
          f"{len(variants)} completions to {args.output}")
    print(f"{completer.score_name} of each completion: " + ", ".join(f"{v.score:.1f}" for v in variants))
    return 0


def show_hidden(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A sprite's RGB [H, W, 3] with its hidden pixels drawn as a grey checker."""
    shown = rgb.copy()
    checker = (np.indices(mask.shape).sum(0) % 2).astype(bool)
    shown[mask & checker], shown[mask & ~checker] = CHECKER
    return shown
def _complete_held_out(args, completer, saved: dict, mask: np.ndarray) -> int:
    """The best of ``-n`` completions of each held-out sprite, one line each, in the split's
    order (``studio eval``'s held-out sprites)."""
    from studio.data import open_dataset
    from studio.data.course import write_pixels

    sprites = open_dataset(saved["data"]["source"], **saved["data"].get("options", {}))
    _, held = sprites.split(saved["train"]["held_out"])
    if len(held) == 0:
        from studio.data.errors import StudioError

        raise StudioError("the run holds no sprites out", args.run_dir)
    completed = [completer.complete(sprites.indices[i], mask, args.n, temperature=args.temperature,
                                    seed=None if args.seed is None else args.seed + k)[0].sprite
                 for k, i in enumerate(held)]
    write_pixels(np.stack(completed), args.output)
    print(f"wrote completions of the {len(held)} held-out sprites ({int(mask.sum())} of {mask.size} "
          f"pixels hidden each, the best of {args.n} by {completer.score_name}) to {args.output}")
    return 0


def _sprite(args, saved: dict, palette, size) -> np.ndarray:
    from studio.data import open_dataset

    if args.index is not None:
        sprites = open_dataset(saved["data"]["source"], **saved["data"].get("options", {}))
        if not 0 <= args.index < len(sprites):
            from studio.data.errors import StudioError

            raise StudioError(f"--index {args.index} is outside the run's {len(sprites)} sprites",
                              hint=f"choose 0..{len(sprites) - 1}")
        return sprites.indices[args.index]
    rgb = _read_png(Path(args.image), size, "RGB")
    return palette.nearest(rgb)


def _read_mask(path: Path, size) -> np.ndarray:
    return _read_png(path, size, "L") > 0


def _read_png(path: Path, size, mode: str) -> np.ndarray:
    from PIL import Image

    from studio.data.errors import DatasetError
    from studio.data.images import open_image

    if not path.is_file():
        raise DatasetError("no such file", path)
    with open_image(path) as image:
        if image.mode in ("RGBA", "LA", "P") and mode == "RGB":
            # Transparent pixels are background: composite on white, as the course did.
            rgba = image.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(white, rgba)
        array = np.asarray(image.convert(mode))
    if array.shape[:2] != tuple(size):
        raise DatasetError(f"is {array.shape[0]}×{array.shape[1]}, the run's sprites are "
                           f"{size[0]}×{size[1]}", path)
    return array
