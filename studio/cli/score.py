"""`studio score`: the yardstick (studio/models/scores.py) of a run's samples or of a sprite file."""

from __future__ import annotations

import json

from studio.cli.args import MAX_SCORE_SAMPLES, SEED, add_checkpoint, positive_int


def register(subparsers) -> None:
    score = subparsers.add_parser(
        "score", help="the yardstick of a run's samples or a sprite file, as one JSON object",
        description="c2st, precision, recall, copy rate and MMD² of SOURCE's sprites against the "
                    "real ones (the c2st with its 95 % interval, c2st_low..c2st_high), with the reference rows (real held-out sprites: the floor; "
                    "pixel-shuffled ones: the ceiling) and held-out bits/px where the model has them.")
    score.add_argument("source", help="a run folder (its best checkpoint is sampled), or a file of "
                                      "sprites: the course's format (.txt, one sprite a line) or .npy")
    score.add_argument("-n", type=positive_int(max=MAX_SCORE_SAMPLES), default=512,
                       help="samples to score (default 512)")
    score.add_argument("--seed", type=SEED, default=0)
    score.add_argument("--data", help="the real sprites: a course folder or 'builtin' "
                                      "(default for a run: its own data; required for a file)")
    score.add_argument("--palette", help="a file's colormap.txt (default: the data's palette)")
    add_checkpoint(score)
    score.set_defaults(func=cmd_score)


def cmd_score(args) -> int:
    from studio.session.trained import score

    print(json.dumps(score(args.source, data=args.data, palette=args.palette, n=args.n, seed=args.seed,
                           which=args.checkpoint, device=args.device)))
    return 0
