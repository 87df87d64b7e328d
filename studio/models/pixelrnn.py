"""PixelRNN for 20×20 palette sprites: the lecture's first generative model.

A sprite is read as a sequence of H·W colour indices in raster order (row by row, left to
right). The model factorises its probability pixel by pixel,

    p(x) = Π_t p(x_t | x_1 … x_{t-1}),                               (the lecture's chain rule)

and an LSTM carries x_1 … x_{t-1} in its state: step t reads the colour of the previous pixel
(an embedding of the K palette colours plus a START token for "no pixel yet") and gives a
softmax over the K colours of pixel t. Training maximises log p(x) of the training sprites
(teacher forcing); the number we report is the held-out negative log-likelihood in bits per
pixel (a uniform guess over the course's 167 colours costs log2 167 = 7.38).

Named configs: ``lecture`` is exactly that (one LSTM layer of 512 cells, previous pixel only).
The others add, each measured in benchmarks/pixelrnn_configs.py:
  position  a learned row + column embedding, so the model knows where it is in the frame;
  context   "2d" also feeds the three pixels of the row above (above-left, above, above-right),
            a PixelCNN-style causal neighbourhood: all three precede the pixel in raster order,
            so sampling stays one step per pixel; "2d-wide" adds four more, two pixels out;
  dropout   on the LSTM's input and output;
  mirror    training sprites flipped left-right at random (Pokémon are roughly symmetric);
  copy      a copy mechanism for the sprite's own palette (see ``PixelRNN.copy_logits``).

Sampling and completing masked sprites live in studio/models/completion.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.models import check_sizes

CONTEXTS = {
    # (dy, dx) of the pixels a step reads; "previous" is the raster predecessor (dy, dx) = (0, -1)
    # that wraps to the end of the row above at the start of a row, as in the lecture.
    "previous": ((0, -1),),
    "2d": ((0, -1), (-1, -1), (-1, 0), (-1, 1)),
    # Two pixels out: the outline two steps back and two rows up, still all before the pixel.
    "2d-wide": ((0, -1), (-1, -1), (-1, 0), (-1, 1), (0, -2), (-1, -2), (-1, 2), (-2, 0)),
}


@dataclass(frozen=True)
class Config:
    hidden: int = 512  # LSTM cells per layer
    layers: int = 1
    embed: int = 64  # size of the colour embedding fed to the LSTM
    context: str = "previous"  # which earlier pixels a step reads: see CONTEXTS
    position: bool = False  # add a learned row + column embedding to the input
    dropout: float = 0.0  # on the LSTM's input and output (and between layers)
    mirror: bool = False  # flip training sprites left-right at random
    copy: bool = False  # favour the colours this sprite has already used: see PixelRNN.copy_logits
    lr: float = 2e-3
    grad_clip: float = 1.0  # max gradient norm: keeps the LSTM's rare gradient spikes harmless

    def __post_init__(self):
        check_sizes(self, "hidden", "layers", "embed")
        if self.context not in CONTEXTS:
            raise ValueError(f"unknown PixelRNN context {self.context!r}; choose one of {', '.join(CONTEXTS)}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


# The lecture model is best on held-out sprites near epoch 24 and overfits after; the engine
# keeps the best checkpoint, so a little longer costs nothing but time.
DEFAULT_EPOCHS = 30

CONFIGS = {
    "lecture": Config(),
    # The lecture's model plus everything that measured as helping (benchmarks/pixelrnn_configs.py),
    # at 256 cells: the 2-D context makes a smaller LSTM enough, and it trains 4× faster.
    "2d-mirror": Config(hidden=256, context="2d", position=True, dropout=0.1, mirror=True, lr=3e-3),
    # 2d-mirror plus the copy mechanism and more dropout: the best on the course data (under 2.0).
    "2d-copy": Config(hidden=256, context="2d", position=True, dropout=0.25, mirror=True, copy=True, lr=3e-3),
    "small": Config(hidden=128, embed=32, context="2d", position=True, dropout=0.1, mirror=True, lr=4e-3),
}


class PixelRNN(nn.Module):
    """Colour indices in raster order → next-pixel logits, with the LSTM state carried outside.

    ``steps`` counts pixel positions processed since the last reset, so tests can check that
    sampling costs one LSTM step per pixel (never re-running the prefix).
    """

    def __init__(self, config: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        self.config, self.num_colors, self.size = config, num_colors, tuple(size)
        h, w = self.size
        self.start = num_colors  # the token for "no pixel here" (before the first, outside the frame)
        offsets = CONTEXTS[config.context]
        self.register_buffer("neighbours", _neighbour_table(h, w, offsets), persistent=False)
        # One table for all neighbours: neighbour j's colour k is row j·(K+1) + k.
        self.embed = nn.Embedding(len(offsets) * (num_colors + 1), config.embed)
        self.register_buffer("embed_offset", torch.arange(len(offsets)) * (num_colors + 1), persistent=False)
        if config.position:
            self.row_embed = nn.Embedding(h, config.embed)
            self.col_embed = nn.Embedding(w, config.embed)
        self.drop = nn.Dropout(config.dropout)
        self.lstm = nn.LSTM(config.embed, config.hidden, config.layers, batch_first=True,
                            dropout=config.dropout if config.layers > 1 else 0.0)
        self.head = nn.Linear(config.hidden, num_colors)
        if config.copy:
            self.used_embed = nn.Linear(num_colors, config.embed, bias=False)  # the colours used so far
            self.copy_gate = nn.Linear(config.hidden, len(offsets) + 1)  # one bonus per neighbour + "used"
        self.steps = 0

    @property
    def num_pixels(self) -> int:
        return self.size[0] * self.size[1]

    def pad(self, canvas: torch.Tensor) -> torch.Tensor:
        """[B, H·W] colour indices → [B, H·W + 1] with a START column that ``context`` reads
        wherever a neighbour does not exist."""
        return torch.cat([canvas, canvas.new_full((len(canvas), 1), self.start)], dim=1)

    def context(self, padded: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """The tokens steps ``start … stop-1`` read, [B, stop-start, n_neighbours], from a
        ``pad``-ded canvas. Only positions before each step are read, so pixels not yet
        sampled may hold anything."""
        return padded[:, self.neighbours[start:stop]]

    def forward(self, tokens: torch.Tensor, start: int = 0, state=None):
        """Tokens [B, T, J] of steps ``start … start+T-1`` → (logits [B, T, K], state).

        The state is the LSTM's (h, c), and with ``copy`` also the colours used so far [1, B, K]:
        every part has the batch in dimension 1, so samplers can index and expand it as one."""
        x = self.embed(tokens + self.embed_offset).sum(dim=2)
        if self.config.position:
            pos = torch.arange(start, start + tokens.shape[1], device=tokens.device)
            x = x + self.row_embed(pos // self.size[1]) + self.col_embed(pos % self.size[1])
        lstm_state, used = _split_state(state, self.config.copy)
        if self.config.copy:
            # Step t's raster predecessor (neighbour 0) is pixel t-1, so a running maximum over
            # the predecessors gives, at every step, the set of colours of all earlier pixels.
            new = F.one_hot(tokens[:, :, 0], self.num_colors + 1)[..., :-1].to(x.dtype)
            used = new.cummax(dim=1).values if used is None else torch.maximum(new.cummax(dim=1).values, used[0][:, None])
            x = x + self.used_embed(used)
        out, lstm_state = self.lstm(self.drop(x), lstm_state)
        self.steps += tokens.shape[1]
        out = self.drop(out)
        logits = self.head(out)
        if not self.config.copy:
            return logits, lstm_state
        return self.copy_logits(logits, out, tokens, used), (*lstm_state, used[:, -1][None])

    def copy_logits(self, logits, out, tokens, used):
        """Add a learned bonus to the logits of the neighbours' colours and of every colour the
        sprite has used so far, the bonus sizes read from the LSTM's output.

        Why: a sprite uses about 27 of the 167 colours, and 93 % of its pixels repeat a colour
        seen earlier in it (course data). Many palette entries are near-identical outline
        greys, so which one a sprite uses is a per-sprite accident the softmax head can only
        learn colour by colour; "the same as a neighbour / one already used" generalises to
        every colour at once, rare ones included (a pointer / cache model, as in Merity et al.
        2017's pointer sentinel or Grave et al. 2017's neural cache)."""
        gates = self.copy_gate(out)  # [..., J + 1]
        bonus = torch.zeros(*tokens.shape[:-1], self.num_colors + 1, device=logits.device, dtype=gates.dtype)
        bonus.scatter_add_(-1, tokens, gates[..., :-1])  # the START column collects "no neighbour"
        return logits + bonus[..., :-1] + gates[..., -1:] * used

    # --- one step at a time, for sampling -----------------------------------------------------
    def step_tables(self) -> tuple[torch.Tensor, ...]:
        """Constants that make a sampling step cheap: layer 0's input gates W_ih·e for every
        (neighbour, colour) embedding e, its bias plus W_ih·(row + column embedding) for every
        position, and (with ``copy``) W_ih·U for the used-colours input U. Recompute after the
        weights change."""
        lstm = self.lstm
        token_gates = self.embed.weight @ lstm.weight_ih_l0.T  # [J·(K+1), 4·hidden]
        bias = lstm.bias_ih_l0 + lstm.bias_hh_l0
        position_gates = bias.expand(self.num_pixels, -1)
        if self.config.position:
            pos = torch.arange(self.num_pixels, device=bias.device)
            position = self.row_embed(pos // self.size[1]) + self.col_embed(pos % self.size[1])
            position_gates = position_gates + position @ lstm.weight_ih_l0.T
        used_gates = self.used_embed.weight.T @ lstm.weight_ih_l0.T if self.config.copy else None  # [K, 4·hidden]
        return token_gates, position_gates.contiguous(), used_gates

    def step(self, tokens: torch.Tensor, t: int, state, tables):
        """One pixel: tokens [B, J] of step ``t`` → (logits [B, K], state). The same numbers as
        ``forward`` on one step (eval mode), as a hand-written LSTM cell: nn.LSTM's CPU kernel
        re-lays out its weights on every call, which dominates when each call is one step."""
        token_gates, position_gates, used_gates = tables
        x = token_gates[tokens + self.embed_offset].sum(1) + position_gates[t]
        batch, hidden = len(tokens), self.config.hidden
        state, used = _split_state(state, self.config.copy)
        if state is None:
            zeros = x.new_zeros(self.config.layers, batch, hidden)
            state = (zeros, zeros)
        if self.config.copy:
            new = F.one_hot(tokens[:, 0], self.num_colors + 1)[:, :-1].to(x.dtype)
            used = new if used is None else torch.maximum(new, used[0])
            x = x + used @ used_gates
        hs, cs = [], []
        for layer in range(self.config.layers):
            if layer > 0:
                x = F.linear(hs[-1], getattr(self.lstm, f"weight_ih_l{layer}"),
                             getattr(self.lstm, f"bias_ih_l{layer}") + getattr(self.lstm, f"bias_hh_l{layer}"))
            gates = torch.addmm(x, state[0][layer], getattr(self.lstm, f"weight_hh_l{layer}").T)
            i, f, g, o = gates.chunk(4, 1)  # PyTorch's gate order
            c = torch.sigmoid(f) * state[1][layer] + torch.sigmoid(i) * torch.tanh(g)  # c_t = f⊙c_{t-1} + i⊙g
            hs.append(torch.sigmoid(o) * torch.tanh(c))  # h_t = o⊙tanh(c_t)
            cs.append(c)
        self.steps += 1
        logits, state = self.head(hs[-1]), (torch.stack(hs), torch.stack(cs))
        if not self.config.copy:
            return logits, state
        return self.copy_logits(logits, hs[-1], tokens, used), (*state, used[None])

    def log_probs(self, sprites: torch.Tensor) -> torch.Tensor:
        """log p(x_t | x_<t) of every pixel of whole sprites [B, H, W] → [B, H·W] (nats)."""
        canvas = sprites.reshape(len(sprites), -1)
        logits, _ = self(self.context(self.pad(canvas), 0, self.num_pixels))
        return -F.cross_entropy(logits.float().transpose(1, 2), canvas, reduction="none")


def _split_state(state, copy: bool):
    """A model state → (the LSTM's (h, c) or None, the used-colours part or None)."""
    if state is None:
        return None, None
    return (tuple(state[:2]), state[2]) if copy else (tuple(state), None)


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


class Task:
    """What the engine trains: one PixelRNN, Adam, maximum likelihood with teacher forcing."""

    selection_metric = "bits_per_pixel"  # held-out; the engine keeps the best as best.pt

    def __init__(self, config: Config, palette: np.ndarray, size: tuple[int, int], device: torch.device):
        self.config, self.size, self.device = config, tuple(size), torch.device(device)
        self.palette = np.asarray(palette, dtype=np.uint8)
        self.net = PixelRNN(config, len(self.palette), self.size).to(self.device)
        fused = self.device.type == "cuda"
        self.opt = torch.optim.Adam(self.net.parameters(), config.lr, fused=fused)

    @property
    def num_colors(self) -> int:
        return len(self.palette)

    def modules(self) -> dict[str, nn.Module]:
        return {"net": self.net}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"net": self.opt}

    def train_step(self, nets: dict, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        net = nets["net"]
        if self.config.mirror:
            flip = torch.rand(len(batch), device=batch.device) < 0.5
            batch = torch.where(flip[:, None, None], batch.flip(-1), batch)
        canvas = batch.reshape(len(batch), -1)
        logits, _ = net(self.net.context(self.net.pad(canvas), 0, self.net.num_pixels))
        loss = F.cross_entropy(logits.float().reshape(-1, self.num_colors), canvas.reshape(-1))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = nn.utils.clip_grad_norm_(self.net.parameters(), self.config.grad_clip)
        self.opt.step()
        loss = loss.detach()
        return {"loss": loss, "bits_per_pixel": bits_per_pixel(loss), "grad_norm": grad_norm.detach()}

    @torch.no_grad()
    def log_likelihood(self, sprites: torch.Tensor) -> torch.Tensor:
        """log p(x) of each sprite [B, H, W] under the model (eval mode: no dropout), in nats → [B]."""
        was_training = self.net.training
        self.net.eval()
        try:
            return self.net.log_probs(sprites.to(self.device).long()).sum(1)
        finally:
            self.net.train(was_training)

    @torch.no_grad()
    def evaluate(self, sprites: torch.Tensor) -> dict[str, float]:
        nll = -self.net.log_probs(sprites.long()).mean()
        return {"nll": float(nll), "bits_per_pixel": float(bits_per_pixel(nll))}

    def draw(self, n: int, seed: int = 0, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
        """n new sprites [n, H, W], drawn pixel by pixel; the same seed draws the same sprites."""
        from studio.models.completion import draw  # completion builds on this module

        return draw(self, n, seed=seed, temperature=temperature, top_k=top_k)

    def sample(self, n: int) -> np.ndarray:
        return self.draw(n, seed=1234)
