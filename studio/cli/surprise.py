"""`studio surprise`: how surprised a model is by each pixel of a sprite — the sprite beside its
bits-per-pixel heat map (studio/models/beliefs.py), and the total in bits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.cli.args import add_checkpoint, add_sprite_source, image_output, positive_int

#: Matplotlib's "inferno" at 0, ¼, ½, ¾, 1: dark = expected, bright = surprising; it reads in
#: grey too and is the same for colour-blind readers.
INFERNO = np.array([(0, 0, 4), (87, 16, 110), (188, 55, 84), (249, 142, 9), (252, 255, 164)], float)


HELP = "a sprite beside the model's surprise at each pixel (bits), and the total"
DESCRIPTION = ("Writes the sprite beside its surprise map: −log2 p(x_t | x_<t), how many bits "
               "each pixel costs the model given the pixels before it, with a colour scale. "
               "The map's sum, printed, is the model's −log2 p(sprite). For PixelRNN, "
               "transformer and diffusion runs (diffusion: each pixel given every other one; "
               "the sum is a pseudo-likelihood).")


def register(subparsers) -> None:
    surprise = subparsers.add_parser("surprise", help=HELP, description=DESCRIPTION)
    surprise.add_argument("run_dir")
    add_sprite_source(surprise)
    surprise.add_argument("-o", "--output", required=True, type=image_output(), help="the picture (PNG) to write")
    surprise.add_argument("--scale", type=positive_int(max=64), default=12, help="pixels per sprite pixel (default 12)")
    add_checkpoint(surprise)
    surprise.set_defaults(func=cmd_surprise)


def cmd_surprise(args) -> int:
    from studio.data.files import save_image
    from studio.data.images import read_sprite_image
    from studio.errors import StudioError
    from studio.session.beliefs import SEES, run_beliefs
    from studio.session.pretrained import model_title
    from studio.session.trained import open_run

    run = open_run(args.run_dir, args.checkpoint, args.device)
    if args.index is not None:
        sprites = run.dataset()
        if not 0 <= args.index < len(sprites):
            raise StudioError(f"--index {args.index} is outside the run's {len(sprites)} sprites",
                              hint=f"choose 0..{len(sprites) - 1}")
        sprite = sprites.indices[args.index]
    else:
        sprite = run.palette.nearest(read_sprite_image(args.image, run.size))
    seen = run_beliefs(run, sprite)
    bits = seen.surprise_bits
    name = f"sprite {args.index}" if args.index is not None else Path(args.image).name
    # (ASCII only in the picture: PIL's built-in font has no "−")
    title = f"{name}: {seen.total_bits:.1f} bits ({seen.bits_per_pixel:.2f} bits/px) under {model_title(run.path)}"
    save_image(surprise_picture(run.palette.to_rgb(sprite), bits, args.scale, title, SEES[seen.sees]), args.output)
    row, col = np.unravel_index(int(bits.argmax()), bits.shape)
    guess, p_guess = seen.top_colours(row, col, 1)[0]
    p_true = float(seen.probabilities(row, col)[sprite[row, col]])
    kind = "" if seen.exact else "pseudo-"
    print(f"{name}: {seen.total_bits:.2f} bits in all ({kind}−log2 p), {seen.bits_per_pixel:.3f} bits per pixel")
    print(f"most surprising: row {row}, column {col}, {bits[row, col]:.2f} bits — colour {sprite[row, col]} "
          f"had p = {p_true:.3f}; the model's first guess was colour {guess} (p = {p_guess:.3f})")
    print(f"wrote {args.output}")
    return 0


def heat_colours(values: np.ndarray, top: float) -> np.ndarray:
    """Values in [0, top] → RGB uint8 on the INFERNO scale (clipped at its ends)."""
    t = np.clip(np.asarray(values, float) / top, 0, 1) * (len(INFERNO) - 1)
    low = np.minimum(t.astype(int), len(INFERNO) - 2)
    frac = (t - low)[..., None]
    return np.round(INFERNO[low] * (1 - frac) + INFERNO[low + 1] * frac).astype(np.uint8)


def scale_top(bits: np.ndarray) -> float:
    """The colour scale's top: the largest surprise rounded up to a whole bit (at least 1)."""
    return float(max(1.0, np.ceil(float(bits.max()))))


def surprise_picture(rgb: np.ndarray, bits: np.ndarray, scale: int, title: str,
                     sees: str = "the pixels before it (raster order)"):
    """The sprite (RGB [H, W, 3]) beside its surprise map, a colour bar with ticks in bits, a
    title; ``sees``: what each pixel's prediction was given (models.beliefs.SEES)."""
    from PIL import Image, ImageDraw

    h, w = bits.shape
    top = scale_top(bits)
    sprite = Image.fromarray(np.asarray(rgb, np.uint8)).resize((w * scale, h * scale), Image.NEAREST)
    heat = Image.fromarray(heat_colours(bits, top)).resize((w * scale, h * scale), Image.NEAREST)
    margin, gap, bar_w, title_h, label_w = 10, 16, 18, 34, 60
    width = max(margin + 2 * w * scale + 2 * gap + bar_w + label_w, 7 * len(title) + 2 * margin)
    height = title_h + h * scale + 24 + margin
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((margin, 6), title, fill="black")
    draw.text((margin, 20), "the sprite", fill="#555555")
    draw.text((margin + w * scale + gap, 20), f"bits at each pixel: -log2 p(pixel | {sees.split(' (')[0]})",
              fill="#555555")
    image.paste(sprite, (margin, title_h))
    heat_left = margin + w * scale + gap
    image.paste(heat, (heat_left, title_h))
    # The colour bar: top of the scale at the top, 0 bits at the bottom, ticks every whole step.
    bar_left, bar_h = heat_left + w * scale + gap, h * scale
    ramp = heat_colours(np.linspace(top, 0, bar_h)[:, None].repeat(bar_w, 1), top)
    image.paste(Image.fromarray(ramp), (bar_left, title_h))
    draw.rectangle([bar_left, title_h, bar_left + bar_w - 1, title_h + bar_h - 1], outline="#777777")
    step = 1 if top <= 8 else 2 if top <= 16 else int(np.ceil(top / 8))
    for tick in np.arange(0, top + 1e-9, step):
        y = title_h + round((1 - tick / top) * (bar_h - 1))
        draw.line([(bar_left + bar_w, y), (bar_left + bar_w + 4, y)], fill="black")
        draw.text((bar_left + bar_w + 7, y - 6), f"{tick:g}", fill="black")
    draw.text((bar_left, title_h + bar_h + 6), "bits", fill="black")
    return image
