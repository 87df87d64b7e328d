"""`studio complete`: fill the hidden part of a sprite with any trained model, several ways; or,
with ``--held-out``, complete every held-out sprite into one file (HW4's task)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from studio.cli.args import (SCALE, SEED, add_checkpoint, add_diffusion_sampling, add_sprite_source, float_range,
                             positive_float, positive_int, sprite_output)
from studio.session import MODEL_NAMES


HELP = "complete a partly hidden sprite with a trained model (any family)"
DESCRIPTION = ("Writes one row: the sprite, the sprite with its hidden pixels shown as a grey "
               "checker, then the completions, best first. With a RUN_DIR, that run's model; "
               "with --data instead, the newest run of your own that fits the data, else the "
               "shipped model (stderr says which). With --held-out, the best completion of every "
               "held-out sprite of the run, one line of H·W colour indices each (the course's "
               "pixel_color.txt format, HW4's submission format): "
               "studio complete RUN --first 0.6 --held-out -o out.txt")


def register(subparsers) -> None:
    complete = subparsers.add_parser("complete", help=HELP, description=DESCRIPTION)
    complete.add_argument("run_dir", nargs="?", help="a trained run folder (or give --data)")
    complete.add_argument("--data", help="without a RUN_DIR: a course folder, image folder or 'builtin'")
    complete.add_argument("--model", choices=MODEL_NAMES, default="pixelrnn",
                          help="with --data: which family completes (default pixelrnn)")
    source = add_sprite_source(complete)
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
    add_checkpoint(complete)
    complete.set_defaults(func=cmd_complete)


def cmd_complete(args) -> int:
    from studio.data import grid_image, open_dataset
    from studio.data.course import write_pixels
    from studio.data.files import save_image
    from studio.data.images import read_mask_image, read_sprite_image
    from studio.errors import StudioError
    from studio.session.completion import CompletionModel, complete_held_out, completion_row, make_mask
    from studio.session.trained import choose_run

    dataset = None
    if args.run_dir is None:
        if args.data is None:
            raise StudioError("name a run folder, or a dataset with --data (its newest fitting run, "
                              "else the shipped model, completes)")
        if args.held_out:
            raise StudioError("--held-out completes a run's own held-out sprites", hint="name the RUN_DIR")
        dataset = open_dataset(args.data)
        run_dir, which = choose_run(args.model, dataset)
        print(f"studio: completing with {which}", file=sys.stderr)
    else:
        run_dir = args.run_dir
    model = CompletionModel.open(run_dir, args.checkpoint, args.device)
    size, palette = tuple(model.task.size), model.run.palette
    sampling = {"steps": args.steps, "schedule": args.schedule, "corrector": args.corrector}
    for kind in ("cover", "first", "hole", "random"):
        if getattr(args, kind) is not None:
            mask = make_mask(kind, getattr(args, kind), size, seed=0 if args.seed is None else args.seed)
            break
    else:
        mask = read_mask_image(args.mask, size)
    as_text = Path(args.output).suffix.lower() == ".txt"
    if args.held_out:
        if not as_text:
            raise StudioError("--held-out writes text: one line of colour indices per sprite",
                              hint="name the output FILE.txt")
        completed, count = complete_held_out(model, mask, args.n, args.seed, args.temperature, **sampling)
        write_pixels(completed, args.output)
        print(f"wrote completions of the {count} held-out sprites ({int(mask.sum())} of {mask.size} "
              f"pixels hidden each, the best of {args.n} by {model.score_name}) to {args.output}")
        return 0
    if args.index is not None:
        sprites = dataset if dataset is not None else model.run.dataset()
        if not 0 <= args.index < len(sprites):
            raise StudioError(f"--index {args.index} is outside the {len(sprites)} sprites",
                              hint=f"choose 0..{len(sprites) - 1}")
        sprite = sprites.indices[args.index]
    else:
        sprite = palette.nearest(read_sprite_image(args.image, size))
    result = model.complete(sprite, mask, args.n, seed=args.seed, temperature=args.temperature, **sampling)
    if as_text:
        write_pixels(np.stack([v.sprite for v in result.variants]), args.output)
        print(f"wrote {len(result.variants)} completions, best first, one line each, to {args.output}")
        return 0
    row = completion_row(sprite, result, palette)
    save_image(grid_image(row, palette, columns=len(row), scale=args.scale), args.output)
    print(f"wrote the sprite, its mask ({int(mask.sum())} of {mask.size} pixels hidden) and "
          f"{len(result.variants)} completions to {args.output}")
    print(f"{result.score_name} of each completion: " + ", ".join(f"{v.score:.1f}" for v in result.variants))
    return 0
