"""What the two raster-order models (PixelRNN, the transformer) share.

Both read a sprite as H·W colour indices in raster order and factorise its probability pixel
by pixel, p(x) = Π_t p(x_t | x_<t). What they share, so that there is one copy of each:

  RasterInput  the tokens a step reads (its causal neighbours' colours) and their embedding,
               with an optional position embedding (GridPositions, which the diffusion model's
               patches use too);
  CopyHead     PixelRNN's copy mechanism: a bonus for the colours this sprite already used;
  RasterTask   what the engine trains (teacher forcing, mirror augmentation) and the scores;
               the one stepping interface studio/models/completion.py samples through.

A model's ``net`` provides ``pad``, ``context``, ``neighbours``, ``num_pixels``, ``forward(tokens,
start, state)``, ``step_tables()``, ``step(tokens, t, state, tables)`` (a few positions in eval
mode, cheaper per call than ``forward``) and ``reorder(state, keep, filled)``; its state is a tuple of
tensors, each with the batch in dimension 1 (so the sampler can copy and reorder particles).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.models.mirror import flip
from studio.models.single_net import SingleNetTask

CONTEXTS = {
    # (dy, dx) of the pixels a step reads; "previous" is the raster predecessor (dy, dx) = (0, -1)
    # that wraps to the end of the row above at the start of a row, as in the lecture.
    "previous": ((0, -1),),
    "2d": ((0, -1), (-1, -1), (-1, 0), (-1, 1)),
    # Two pixels out: the outline two steps back and two rows up, still all before the pixel.
    "2d-wide": ((0, -1), (-1, -1), (-1, 0), (-1, 1), (0, -2), (-1, -2), (-1, 2), (-2, 0)),
}
POSITIONS = {  # or None: no position embedding
    "2d": "a learned row + column embedding",
    "absolute": "a learned embedding of each of the H·W positions (GPT-2's)",
}
GIVEN = 0.6  # HW4's task: given the first 60 % of the pixels, draw the rest


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(map(str, choices))}")


class GridPositions:
    """A learned position embedding over a grid of ``size`` = (rows, columns) (see POSITIONS), for
    an nn.Module that sets ``size`` and ``position`` and calls ``init_positions(dim)``: the
    raster models' pixels, the diffusion model's patches (studio/models/diffusion.py)."""

    size: tuple[int, int]
    position: str | None

    def init_positions(self, dim: int) -> None:
        h, w = self.size
        if self.position == "2d":
            self.row_embed = nn.Embedding(h, dim)
            self.col_embed = nn.Embedding(w, dim)
        elif self.position == "absolute":
            self.pos_embed = nn.Embedding(h * w, dim)

    def position_embedding(self, positions: torch.Tensor) -> torch.Tensor | int:
        if self.position == "2d":
            return self.row_embed(positions // self.size[1]) + self.col_embed(positions % self.size[1])
        if self.position == "absolute":
            return self.pos_embed(positions)
        return 0

    def position_table(self) -> torch.Tensor:
        """Every position's embedding, [rows·columns, dim] (zeros without one): a sampling step
        looks its own up instead of recomputing it (a few small operations per call saved)."""
        positions = torch.arange(self.size[0] * self.size[1], device=self.embed.weight.device)
        return self.position_embedding(positions) + self.embed.weight.new_zeros(len(positions), self.embed.embedding_dim)


class RasterInput(GridPositions, nn.Module):
    """Each step's tokens — the colours of its causal neighbours, START where there is none —
    as one embedding: the sum of one embedding per (neighbour, colour), plus the position's."""

    def __init__(self, num_colors: int, size: tuple[int, int], context: str, dim: int,
                 position: str | None = None):
        super().__init__()
        check_choice("context", context, CONTEXTS)
        check_choice("position embedding", position, [None, *POSITIONS])
        self.num_colors, self.size, self.position = num_colors, tuple(size), position
        h, w = self.size
        self.start = num_colors  # the token for "no pixel here" (before the first, outside the frame)
        offsets = CONTEXTS[context]
        self.register_buffer("neighbours", _neighbour_table(h, w, offsets), persistent=False)
        # One table for all neighbours: neighbour j's colour k is row j·(K+1) + k.
        self.embed = nn.Embedding(len(offsets) * (num_colors + 1), dim)
        self.register_buffer("embed_offset", torch.arange(len(offsets)) * (num_colors + 1), persistent=False)
        self.init_positions(dim)

    @property
    def num_neighbours(self) -> int:
        return len(self.embed_offset)

    def pad(self, canvas: torch.Tensor) -> torch.Tensor:
        """[B, H·W] colour indices → [B, H·W + 1] with a START column that ``context`` reads
        wherever a neighbour does not exist."""
        return torch.cat([canvas, canvas.new_full((len(canvas), 1), self.start)], dim=1)

    def context(self, padded: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """The tokens steps ``start … stop-1`` read, [B, stop-start, J], from a ``pad``-ded
        canvas. Only positions before each step are read, so pixels not yet sampled may hold
        anything."""
        return padded[:, self.neighbours[start:stop]]

    def forward(self, tokens: torch.Tensor, start: int = 0, positions: torch.Tensor | None = None) -> torch.Tensor:
        """Tokens [B, T, J] of steps ``start … start+T-1`` → embeddings [B, T, dim]; ``positions``:
        the ``position_table()``, if the caller keeps one."""
        stop = start + tokens.shape[1]
        position = (self.position_embedding(torch.arange(start, stop, device=tokens.device)) if positions is None
                    else positions[start:stop])
        return self.embed(tokens + self.embed_offset).sum(dim=2) + position


class CopyHead(nn.Module):
    """Add a learned bonus to the logits of the neighbours' colours and of every colour the
    sprite has used so far, the bonus sizes read from the network's output.

    Why: a sprite uses about 27 of the 167 colours, and 93 % of its pixels repeat a colour
    seen earlier in it (course data). Many palette entries are near-identical outline greys,
    so which one a sprite uses is a per-sprite accident the softmax head can only learn colour
    by colour; "the same as a neighbour / one already used" generalises to every colour at
    once, rare ones included (a pointer / cache model, as in Merity et al. 2017's pointer
    sentinel or Grave et al. 2017's neural cache). The set of used colours is also an input
    (``used_embed``), so the network knows the sprite's colour scheme."""

    def __init__(self, num_colors: int, num_neighbours: int, embed_dim: int, out_dim: int):
        super().__init__()
        self.num_colors = num_colors
        self.used_embed = nn.Linear(num_colors, embed_dim, bias=False)  # the colours used so far
        self.gate = nn.Linear(out_dim, num_neighbours + 1)  # one bonus per neighbour + "used"

    def used_colours(self, tokens: torch.Tensor, used: torch.Tensor | None = None) -> torch.Tensor:
        """The colours of all pixels before each step, [B, T, K] in {0, 1}, from tokens [B, T, J]
        and those used before the first of them ([B, K] or None). Step t's raster predecessor
        (neighbour 0) is pixel t-1, so a running maximum over the predecessors is that set."""
        # (cumsum > 0, not cummax: the same 0/1 values, and CPU cummax is slower than a matmul)
        new = F.one_hot(tokens[:, :, 0], self.num_colors + 1)[..., :-1].cumsum(dim=1).clamp(max=1).float()
        return new if used is None else torch.maximum(new, used[:, None])

    def forward(self, logits: torch.Tensor, out: torch.Tensor, tokens: torch.Tensor,
                used: torch.Tensor) -> torch.Tensor:
        gates = self.gate(out)  # [..., J + 1]
        bonus = torch.zeros(*tokens.shape[:-1], self.num_colors + 1, device=logits.device, dtype=gates.dtype)
        bonus.scatter_add_(-1, tokens, gates[..., :-1])  # the START column collects "no neighbour"
        return logits + bonus[..., :-1] + gates[..., -1:] * used


def _neighbour_table(h: int, w: int, offsets) -> torch.Tensor:
    """[H·W, J] raster positions of each step's neighbours; H·W (the START column) where none."""
    table = torch.full((h * w, len(offsets)), h * w, dtype=torch.long)
    for t in range(h * w):
        r, c = divmod(t, w)
        for j, (dy, dx) in enumerate(offsets):
            if (dy, dx) == (0, -1):  # the raster predecessor, wrapping to the row above
                table[t, j] = t - 1 if t > 0 else h * w
            elif 0 <= r + dy < h and 0 <= c + dx < w:
                table[t, j] = (r + dy) * w + (c + dx)
    return table


def bits_per_pixel(nll_nats: torch.Tensor) -> torch.Tensor:
    return nll_nats / math.log(2)


def pixel_scores(log_probs: torch.Tensor, given: float = GIVEN) -> dict[str, float]:
    """Scores from log p(x_t | x_<t) of every pixel, [B, H·W] nats: the negative log-likelihood
    per pixel (nats and bits) over all pixels, and in bits over the pixels after the first
    ``given`` share — what completing "the first 60 % given" costs, exactly, by the chain rule."""
    first = round(given * log_probs.shape[1])
    nll = -log_probs.mean()
    return {"nll": float(nll), "bits_per_pixel": float(bits_per_pixel(nll)),
            "bits_per_pixel_after_60pct": float(bits_per_pixel(-log_probs[:, first:].mean()))}


class RasterNet(nn.Module):
    """What both raster networks have: ``self.input`` (a RasterInput) and a forward
    ``(tokens [B, T, J], start, state) → (logits [B, T, K], state)``. ``steps`` counts pixel
    positions processed since the last reset, so tests can check that sampling costs one step
    per pixel (never re-running the prefix)."""

    input: RasterInput
    steps: int = 0

    @property
    def num_pixels(self) -> int:
        return self.input.size[0] * self.input.size[1]

    @property
    def neighbours(self) -> torch.Tensor:
        return self.input.neighbours

    def pad(self, canvas: torch.Tensor) -> torch.Tensor:
        return self.input.pad(canvas)

    def context(self, padded: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        return self.input.context(padded, start, stop)

    def reorder(self, state: tuple, keep: torch.Tensor, filled: int) -> tuple:
        """The state of particles ``keep`` [N] (a sampler's resampling), when positions
        < ``filled`` are all that have been computed."""
        return tuple(s[:, keep] for s in state)

    def log_probs(self, sprites: torch.Tensor) -> torch.Tensor:
        """log p(x_t | x_<t) of every pixel of whole sprites [B, H, W] → [B, H·W] (nats)."""
        canvas = sprites.reshape(len(sprites), -1)
        logits, _ = self(self.context(self.pad(canvas), 0, self.num_pixels))
        return -F.cross_entropy(logits.float().transpose(1, 2), canvas, reduction="none")


class RasterTask(SingleNetTask):
    """What the engine trains, for either raster model: maximum likelihood with teacher forcing.
    A subclass sets ``Net`` and ``make_optimizer()`` (see SingleNetTask); its config
    has ``mirror`` and ``grad_clip``."""

    selection_metric = "bits_per_pixel"  # held-out; the engine keeps the best as best.pt

    def train_step(self, nets: dict, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        net = nets["net"]
        if self.config.mirror:  # Pokémon are roughly symmetric: flip half the batch left-right
            batch = flip(batch)
        canvas = batch.reshape(len(batch), -1)
        logits, _ = net(self.net.context(self.net.pad(canvas), 0, self.net.num_pixels))
        loss = F.cross_entropy(logits.float().reshape(-1, self.num_colors), canvas.reshape(-1))
        grad_norm = self.update(loss)
        loss = loss.detach()
        return {"loss": loss, "bits_per_pixel": bits_per_pixel(loss), "grad_norm": grad_norm}

    @torch.no_grad()
    def log_likelihood(self, sprites: torch.Tensor) -> torch.Tensor:
        """log p(x) of each sprite [B, H, W] under the model (eval mode: no dropout), in nats → [B]."""
        was_training = self.net.training
        self.net.eval()
        try:
            return self.net.log_probs(sprites.to(self.device).long()).sum(1)
        finally:
            self.net.train(was_training)

    #: What each pixel's prediction sees (studio/models/beliefs.py): the pixels before it.
    sees = "raster"

    @torch.no_grad()
    def pixel_log_probs(self, sprites: torch.Tensor) -> torch.Tensor:
        """log p(x_t = k | x_<t) of every pixel t and colour k, sprites [B, H, W] → [B, H·W, K]
        (nats, eval mode): the whole distribution of which the chain rule reads one entry per
        pixel (``log_likelihood`` is their sum at the sprite's own colours). One pass of the
        network, as in training: what the model thinks at each pixel, given the true pixels
        before it (studio/models/beliefs.py shows it)."""
        was_training = self.net.training
        self.net.eval()
        try:
            canvas = sprites.to(self.device).long().reshape(len(sprites), -1)
            logits, _ = self.net(self.net.context(self.net.pad(canvas), 0, self.net.num_pixels))
            return F.log_softmax(logits.float(), dim=-1)
        finally:
            self.net.train(was_training)

    @torch.no_grad()
    def evaluate(self, sprites: torch.Tensor) -> dict[str, float]:
        return pixel_scores(self.net.log_probs(sprites.long()))

    def draw(self, n: int, seed: int = 0, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
        """n new sprites [n, H, W], drawn pixel by pixel; the same seed draws the same sprites."""
        from studio.models.completion import draw  # completion builds on this module

        return draw(self, n, seed=seed, temperature=temperature, top_k=top_k)

    def sample(self, n: int) -> np.ndarray:
        return self.draw(n, seed=1234)
