"""`studio complete`: fill the hidden part of a sprite with a trained PixelRNN, several ways."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.cli.args import SCALE, SEED, float_range, image_output, int_range, positive_float, positive_int

CHECKER = ((150, 150, 150), (200, 200, 200))  # how hidden pixels are shown in the input column


def register(subparsers) -> None:
    complete = subparsers.add_parser(
        "complete", help="complete a partly hidden sprite with a trained PixelRNN run",
        description="Writes one row: the sprite, the sprite with its hidden pixels shown as a grey "
                    "checker, then the completions, best first.")
    complete.add_argument("run_dir")
    source = complete.add_mutually_exclusive_group(required=True)
    source.add_argument("--index", type=int_range(0), help="a sprite of the run's dataset, by index")
    source.add_argument("--image", help="a sprite PNG of the run's size, mapped to the run's palette")
    hide = complete.add_mutually_exclusive_group(required=True)
    hide.add_argument("--cover", type=float_range(0.0, 1.0), metavar="FRACTION",
                      help="hide the bottom FRACTION of the pixels (the lecture's 0.5 and 0.75)")
    hide.add_argument("--hole", type=float_range(0.0, 1.0), metavar="FRACTION",
                      help="hide a centred hole of that area")
    hide.add_argument("--mask", help="mask PNG of the sprite's size: non-zero (white) pixels are hidden")
    complete.add_argument("-n", type=positive_int(max=256), default=8, help="number of completions, 1..256")
    complete.add_argument("-o", "--output", required=True, type=image_output())
    complete.add_argument("--temperature", type=positive_float(max=100), default=1.0)
    complete.add_argument("--seed", type=SEED)
    complete.add_argument("--scale", type=SCALE, default=4)
    complete.add_argument("--checkpoint", default="best")
    complete.add_argument("--device")
    complete.set_defaults(func=cmd_complete)


def cmd_complete(args) -> int:
    from studio.data import grid_image
    from studio.data.errors import StudioError
    from studio.data.files import save_image
    from studio.models.completion import centre_hole, complete, cover_bottom
    from studio.train.engine import load_trained

    task, palette, saved = load_trained(args.run_dir, args.checkpoint, args.device)
    if saved["model"] != "pixelrnn":
        raise StudioError(f"a {saved['model']} run; completion needs a pixelrnn run", args.run_dir)
    size = task.size
    sprite = _sprite(args, saved, palette, size)
    if args.cover is not None:
        mask = cover_bottom(size, args.cover)
    elif args.hole is not None:
        mask = centre_hole(size, args.hole)
    else:
        mask = _read_mask(Path(args.mask), size)
    variants = complete(task, sprite, mask, n_variants=args.n, temperature=args.temperature, seed=args.seed)
    shown = palette.to_rgb(sprite)
    hidden_rgb = shown.copy()
    checker = (np.indices(size).sum(0) % 2).astype(bool)
    hidden_rgb[mask & checker], hidden_rgb[mask & ~checker] = CHECKER
    row = np.stack([shown, hidden_rgb] + [palette.to_rgb(v.sprite) for v in variants])
    save_image(grid_image(row, palette, columns=len(row), scale=args.scale), args.output)
    print(f"wrote the sprite, its mask ({int(mask.sum())} of {mask.size} pixels hidden) and "
          f"{len(variants)} completions to {args.output}")
    print("log-likelihood (nats) of each completion: "
          + ", ".join(f"{v.log_likelihood:.1f}" for v in variants))
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
