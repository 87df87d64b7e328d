"""What a learner's training form shows, Qt-free: for each model the lecture's essentials up
front and the rest one click away (under *Advanced*), each field named and explained in a
learner's words, and how long to train said the way a learner thinks of it.

    essentials("gan")           # ("z_dim", "width", "lr_g", "lr_d"): shown first, the rest folded
    label("z_dim"), help_text("gan", "z_dim")
    Budget("cpu-minutes", 10).settings()   # {"cpu_budget": 600, "epochs": ...} for TrainSettings
"""

from __future__ import annotations

from dataclasses import dataclass

#: The fields a learner sets first, per model (the lecture's knobs); every other field of the
#: model's Config is under Advanced.
ESSENTIALS = {
    "gan": ("z_dim", "width", "lr_g", "lr_d"),
    "vae": ("latent_dim", "width", "beta", "lr"),
    "pixelrnn": ("hidden", "context", "lr"),
    "transformer": ("n_layer", "n_embd", "lr"),
    "diffusion": ("n_layer", "n_embd", "lr"),
}

#: A field's name on the form, where its code name says little to a learner.
LABELS = {
    "z_dim": "code size", "latent_dim": "code size", "width": "width", "lr": "learning rate",
    "lr_g": "G's learning rate", "lr_d": "D's learning rate", "hidden": "LSTM cells", "n_embd": "width",
    "n_layer": "layers", "n_head": "attention heads", "beta": "KL weight β", "embed": "colour embedding",
    "embed_dim": "colour embedding", "kl_warmup_steps": "KL warm-up steps", "free_bits": "free bits",
    "spectral_norm": "spectral norm", "ema_decay": "EMA decay", "gp_weight": "gradient penalty",
    "grad_clip": "gradient clip", "d_head": "D's head", "logit_scale": "logit scale",
    "weight_decay": "weight decay", "lr_decay_steps": "decay steps", "lr_min": "final learning rate",
}

#: What a field does, in a learner's words: the form's tooltips. Per model where a name means
#: different things; "*" for the meaning every model shares.
HELP = {
    "*": {
        "lr": "How big each learning step is. Too big and training jumps around or diverges; too "
              "small and it crawls.",
        "width": "How many channels the networks have: wider learns more, and takes longer.",
        "mirror": "Also train on left-right mirrored sprites: a Pokémon facing the other way is one too.",
        "dropout": "Switch off this share of the units at random while training, so the model "
                   "cannot memorise the 713 training sprites.",
        "grad_clip": "Cap on the size of a step's gradient: a rare spike then cannot wreck the weights.",
        "lr_decay_steps": "Lower the learning rate along a half cosine over this many steps (0: keep it "
                          "constant): big steps first, small ones to settle at the end.",
        "lr_min": "The learning rate that decay ends at.",
        "context": "Which earlier pixels a step looks at: the previous one (the lecture), or also "
                   "the three above (2d), or more (2d-wide).",
        "copy": "Let the model reuse colours the sprite already has: a sprite uses about 27 of the "
                "167 colours.",
        "position": "Tell each step where in the 20×20 sprite it is.",
    },
    "gan": {
        "z_dim": "Length of the random code z the generator turns into a sprite.",
        "lr_g": "The generator's learning rate.",
        "lr_d": "The discriminator's learning rate.",
        "loss": "The game the two play: the lecture's minimax (non-saturating in practice), hinge, "
                "or Wasserstein with a gradient penalty.",
        "output": "What G draws: RGB colours, RGB snapped to the nearest palette colour, or one "
                  "choice among the palette's colours per pixel.",
        "spectral_norm": "Keep D smooth by normalising its layers: steadier games.",
        "ema_decay": "Samples come from a slowly moving average of G: calmer than G itself.",
        "commitment": "Pull G's colours onto palette colours, so pixels stop flickering between "
                      "near-identical ones (speckle).",
        "d_head": "How D sums up what it saw: max-pool keeps the one give-away spot wherever it is.",
        "shift": "Show D every sprite moved by up to this many pixels, real and generated alike, "
                 "so it cannot learn the training sprites by heart: slower at first, better in a long run.",
    },
    "vae": {
        "latent_dim": "Length of the code c (the lecture's 10): the sliders move two of its dimensions.",
        "beta": "Weight of the KL term: above 1, fewer but tidier code dimensions and blurrier sprites.",
        "variational": "Off: a plain auto-encoder (no KL term), whose random codes decode to nonsense.",
        "kl_warmup_steps": "Ramp the KL weight up over these steps, so the code learns to carry "
                           "information first.",
        "free_bits": "Each code dimension may carry this much information (nats) before KL costs.",
        "decoder": "conv: every pixel at once; local: pixel by pixel given the code and its "
                   "neighbours (sharper).",
    },
    "pixelrnn": {"hidden": "How many LSTM cells remember what the sprite looked like so far."},
    "transformer": {"n_layer": "How many attention blocks are stacked.",
                    "n_embd": "The size of each pixel's vector inside the transformer.",
                    "n_head": "How many attention patterns each block looks with."},
    "diffusion": {"n_layer": "How many attention blocks are stacked.",
                  "n_embd": "The size of each pixel's vector inside the transformer.",
                  "steps": "K: how many passes of the network draw a sprite (more: slower, more careful).",
                  "corrector": "Passes after the K steps that hide a random tenth of the drawn pixels "
                               "again and redraw them seeing all the rest, so early mistakes get fixed."},
}

#: How a learner says how long to train, and what each unit sets in TrainSettings.
BUDGET_UNITS = ("CPU-minutes", "epochs", "steps")
#: The epochs of a run limited by CPU time or steps: far enough never to end it first.
FAR_EPOCHS = 100_000


def essentials(model: str) -> tuple[str, ...]:
    return ESSENTIALS.get(model, ())


def label(field: str) -> str:
    return LABELS.get(field, field.replace("_", " "))


def help_text(model: str, field: str) -> str:
    """The field's help in a learner's words ("" when none is written)."""
    return HELP.get(model, {}).get(field) or HELP["*"].get(field, "")


@dataclass(frozen=True)
class Budget:
    """How long to train: ``amount`` CPU-minutes, epochs or steps, whichever the learner picked
    (a run ends at the first limit it reaches, so the other two are set far away)."""

    unit: str
    amount: float

    def __post_init__(self):
        if self.unit not in BUDGET_UNITS:
            raise ValueError(f"unknown budget unit {self.unit!r}; choose one of {', '.join(BUDGET_UNITS)}")
        if not self.amount > 0:
            raise ValueError(f"a budget must be positive, got {self.amount}")

    @classmethod
    def of(cls, settings) -> "Budget":
        """The budget a TrainSettings (or a run's saved "train" fields) stands for: its CPU
        budget if it has one, else its steps when a step count was what it was given (the far
        epochs), else its epochs (a steps cap beside real epochs is a stop, not the budget)."""
        get = settings.get if isinstance(settings, dict) else lambda key, default=None: getattr(settings, key, default)
        if get("cpu_budget"):
            return cls("CPU-minutes", get("cpu_budget") / 60)
        if get("max_steps") and get("epochs", 0) >= FAR_EPOCHS:
            return cls("steps", get("max_steps"))
        return cls("epochs", get("epochs", 20))

    def settings(self) -> dict:
        """The TrainSettings fields this budget sets."""
        if self.unit == "CPU-minutes":
            return {"cpu_budget": self.amount * 60, "max_steps": None, "epochs": FAR_EPOCHS}
        if self.unit == "steps":
            return {"max_steps": int(self.amount), "cpu_budget": None, "epochs": FAR_EPOCHS}
        return {"epochs": int(self.amount), "cpu_budget": None, "max_steps": None}
