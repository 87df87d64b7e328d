"""`studio quiz`: Real or fake? in a terminal — each round is written as a picture of numbered
sprites, the user types the numbers of the fakes, and the answers come back as a second picture
with each fake's nearest training sprite (studio/session/quiz.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.cli.args import SEED, add_checkpoint, image_output, int_range, positive_int

RIGHT, WRONG = (40, 160, 60), (210, 40, 40)


HELP = "Real or fake?: pick the sprites a model drew from among real ones"
DESCRIPTION = ("Each round writes OUTPUT: sprites numbered 1..SIZE, half held-out real ones, half "
               "drawn by the run's model. Type the numbers of those you think are fake; the answers "
               "are written beside it (OUTPUT-answers), each fake above its nearest training sprite. "
               "Your accuracy over rounds is kept per model and shown beside the classifier's c2st.")


def register(subparsers) -> None:
    quiz = subparsers.add_parser("quiz", help=HELP, description=DESCRIPTION)
    quiz.add_argument("run_dir", help="a run folder of any model (a shipped one too)")
    quiz.add_argument("-o", "--output", required=True, type=image_output(".png"), help="the round's picture (PNG)")
    quiz.add_argument("--rounds", type=positive_int(max=1000), default=1, help="rounds to play (default 1)")
    quiz.add_argument("--size", type=int_range(2, 32), default=8, help="sprites a round, even (default 8)")
    quiz.add_argument("--seed", type=SEED, default=0, help="the same seed deals the same rounds")
    quiz.add_argument("--scale", type=positive_int(max=32), default=5, help="pixels per sprite pixel (default 5)")
    quiz.add_argument("--scores", help="the scores file (default: real-or-fake.json beside the runs folder)")
    quiz.add_argument("--c2st", action="store_true",
                      help="also compute the classifier's c2st for this model (about a minute) if not known")
    add_checkpoint(quiz)
    quiz.set_defaults(func=cmd_quiz)


def cmd_quiz(args) -> int:
    from studio.cli.args import usage_error
    from studio.data.files import save_image
    from studio.session.quiz import QuizScores, RealOrFake
    from studio.session.trained import open_run

    run = open_run(args.run_dir, args.checkpoint, args.device)
    try:
        quiz = RealOrFake(run, seed=args.seed, size=args.size, scores=QuizScores(args.scores))
    except ValueError as err:
        raise usage_error(err) from None
    output = Path(args.output)
    answers = output.with_name(f"{output.stem}-answers{output.suffix}")
    for _ in range(args.rounds):
        shown = quiz.new_round()
        save_image(round_picture(shown.sprites, run.palette, args.scale), output)
        print(f"round {shown.number + 1}: {output} shows {args.size} sprites; {args.size // 2} of them "
              f"were drawn by {quiz.title}.")
        marked = _ask(args.size)
        if marked is None:
            print("stopped")
            break
        for i in marked:
            quiz.mark(i)
        reveal = quiz.reveal()
        save_image(answers_picture(reveal, run.palette, args.scale), answers)
        print(f"{reveal.accuracy:.0%} right: {reveal.caught} of {int(shown.fake.sum())} fakes caught, "
              f"{reveal.false_alarms} real sprite{'s' * (reveal.false_alarms != 1)} called fake "
              f"(answers in {answers})")
        for i in np.flatnonzero(shown.fake):
            print(f"  {i + 1} was fake; its nearest training sprite (#{reveal.nearest[i]}) differs in "
                  f"{reveal.distance[i]:.0%} of the creature pixels")
    if args.c2st and quiz.classifier() is None:
        print("computing the classifier's c2st…")
        quiz.set_classifier(*quiz.compute_c2st())
    print(quiz.comparison())
    return 0


def _ask(size: int) -> list[int] | None:
    """The 0-based indices the user calls fake; None at the end of the input."""
    while True:
        try:
            text = input(f"which are fake? (numbers 1..{size}, e.g. 2 5; empty: none): ")
        except EOFError:
            return None
        words = text.replace(",", " ").split()
        if all(w.isdigit() and 1 <= int(w) <= size for w in words):
            return sorted({int(w) - 1 for w in words})
        print(f"type numbers from 1 to {size}, separated by spaces")


def _tile(sprite_rgb: np.ndarray, scale: int):
    from PIL import Image

    h, w = sprite_rgb.shape[:2]
    return Image.fromarray(sprite_rgb.astype(np.uint8)).resize((w * scale, h * scale), Image.NEAREST)


def round_picture(sprites: np.ndarray, palette, scale: int, frames=None, labels=None, below=None):
    """Sprites in a row, numbered 1..n beneath; ``frames``: an RGB frame colour per sprite;
    ``labels``: a word under each number; ``below``: a second row of sprites (None: blank)."""
    from PIL import Image, ImageDraw

    n, h, w = sprites.shape
    cell, pad, text_h = w * scale, 12, 30
    rows = 2 if below is not None else 1
    image = Image.new("RGB", (pad + n * (cell + pad), rows * (h * scale + text_h) + pad), "white")
    draw = ImageDraw.Draw(image)
    for i in range(n):
        left = pad + i * (cell + pad)
        image.paste(_tile(palette.to_rgb(sprites[i]), scale), (left, pad))
        if frames is not None:
            draw.rectangle([left - 3, pad - 3, left + cell + 2, pad + h * scale + 2], outline=frames[i], width=3)
        draw.text((left + cell // 2 - 4, pad + h * scale + 4), str(i + 1), fill="black")
        if labels is not None:
            draw.text((left, pad + h * scale + 16), labels[i], fill=frames[i] if frames else "black")
        if below is not None and below[i] is not None:
            top = pad + h * scale + text_h
            image.paste(_tile(palette.to_rgb(below[i][0]), scale), (left, top))
            draw.text((left, top + h * scale + 4), below[i][1], fill="#555555")
    return image


def answers_picture(reveal, palette, scale: int):
    """The round again, each sprite framed green (classed right) or red (wrong) and named real
    or fake; under each fake, its nearest training sprite and how much of it differs."""
    r = reveal.round
    frames = [RIGHT if ok else WRONG for ok in reveal.correct]
    labels = ["fake" if f else "real" for f in r.fake]
    below = [(reveal.nearest_sprites[i], f"nearest: {reveal.distance[i]:.0%} differ") if r.fake[i] else None
             for i in range(len(r.fake))]
    return round_picture(r.sprites, palette, scale, frames, labels, below)
