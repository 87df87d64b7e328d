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
The others (``2d-copy``, the default, has them all; ``quick`` is it on a 5 CPU-minute budget)
add, each measured in benchmarks/pixelrnn_configs.py:
  position  a learned row + column embedding, so the model knows where it is in the frame;
  context   "2d" also feeds the three pixels of the row above (above-left, above, above-right),
            a PixelCNN-style causal neighbourhood: all three precede the pixel in raster order,
            so sampling stays one step per pixel; "2d-wide" adds four more, two pixels out;
  dropout   on the LSTM's input and output;
  mirror    training sprites flipped left-right at random (Pokémon are roughly symmetric);
  copy      a copy mechanism for the sprite's own palette (see ``autoregressive.CopyHead``).

Sampling and completing masked sprites live in studio/models/completion.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from studio.models import check_sizes
from studio.models.autoregressive import CONTEXTS, CopyHead, RasterInput, RasterNet, RasterTask, check_choice


@dataclass(frozen=True)
class Config:
    hidden: int = 512  # LSTM cells per layer
    layers: int = 1
    embed: int = 64  # size of the colour embedding fed to the LSTM
    context: str = "previous"  # which earlier pixels a step reads: see CONTEXTS
    position: bool = False  # add a learned row + column embedding to the input
    dropout: float = 0.0  # on the LSTM's input and output (and between layers)
    mirror: bool = False  # flip training sprites left-right at random
    copy: bool = False  # favour the colours this sprite has already used: see autoregressive.CopyHead
    lr: float = 2e-3
    grad_clip: float = 1.0  # max gradient norm: keeps the LSTM's rare gradient spikes harmless

    def __post_init__(self):
        check_sizes(self, "hidden", "layers", "embed")
        check_choice("PixelRNN context", self.context, CONTEXTS)
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


CONFIGS = {
    # The default: the lecture's model plus everything that measured as helping
    # (benchmarks/pixelrnn_configs.py): 256 cells, the pixels above, position, dropout 0.25,
    # mirror and the copy mechanism — the best on the course data (1.951 bits/px at 120 epochs,
    # 2.142 after 6 CPU-minutes on one core, where `lecture` has 2.775: issue 17, and
    # benchmarks/autoregressive_table.py).
    "2d-copy": Config(hidden=256, context="2d", position=True, dropout=0.25, mirror=True, copy=True, lr=3e-3),
    # The same network stopped after 5 CPU-minutes (PRESET_SETTINGS): 2.197 bits/px on one core.
    "quick": Config(hidden=256, context="2d", position=True, dropout=0.25, mirror=True, copy=True, lr=3e-3),
    # The lecture's model exactly: one LSTM layer of 512 cells, the previous pixel only.
    "lecture": Config(),
    # 2d-copy without the copy mechanism, and with dropout 0.1.
    "2d-mirror": Config(hidden=256, context="2d", position=True, dropout=0.1, mirror=True, lr=3e-3),
    "small": Config(hidden=128, embed=32, context="2d", position=True, dropout=0.1, mirror=True, lr=4e-3),
}

# 2d-copy is best on held-out sprites near epoch 100 (README); the engine keeps the best
# checkpoint, so a little longer costs nothing but time.
DEFAULT_EPOCHS = 120
PRESET_SETTINGS = {
    "quick": {"epochs": 120, "cpu_budget": 300},  # whichever comes first: 5 CPU-minutes, on one core
    "lecture": {"epochs": 30},  # the lecture model is best near epoch 24 and overfits after
}


class PixelRNN(RasterNet):
    """Colour indices in raster order → next-pixel logits, with the LSTM state carried outside."""

    def __init__(self, config: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        self.config, self.num_colors, self.size = config, num_colors, tuple(size)
        self.input = RasterInput(num_colors, size, config.context, config.embed,
                                 "2d" if config.position else None)
        self.drop = nn.Dropout(config.dropout)
        self.lstm = nn.LSTM(config.embed, config.hidden, config.layers, batch_first=True,
                            dropout=config.dropout if config.layers > 1 else 0.0)
        self.head = nn.Linear(config.hidden, num_colors)
        if config.copy:
            self.copy_head = CopyHead(num_colors, self.input.num_neighbours, config.embed, config.hidden)
        self.steps = 0
        self._register_load_state_dict_pre_hook(_rename_old_keys)

    def forward(self, tokens: torch.Tensor, start: int = 0, state=None, condition: torch.Tensor | None = None):
        """Tokens [B, T, J] of steps ``start … start+T-1`` → (logits [B, T, K], state).

        The state is the LSTM's (h, c), and with ``copy`` also the colours used so far [1, B, K]:
        every part has the batch in dimension 1, so samplers can index and expand it as one.
        ``condition`` [B or 1, embed] is added to every step's input: the VAE's code, so the
        network models p(x_t | x_<t, c) (studio/models/vae.py's PixelRNN decoder)."""
        x = self.input(tokens, start)
        if condition is not None:
            x = x + condition[:, None]
        lstm_state, used = _split_state(state, self.config.copy)
        if self.config.copy:
            used = self.copy_head.used_colours(tokens, None if used is None else used[0])
            x = x + self.copy_head.used_embed(used)
        out, lstm_state = self.lstm(self.drop(x), lstm_state)
        self.steps += tokens.shape[1]
        out = self.drop(out)
        logits = self.head(out)
        if not self.config.copy:
            return logits, lstm_state
        return self.copy_head(logits, out, tokens, used), (*lstm_state, used[:, -1][None])

    # --- one step at a time, for sampling -----------------------------------------------------
    def step_tables(self) -> tuple[torch.Tensor, ...]:
        """Constants that make a sampling step cheap: layer 0's input gates W_ih·e for every
        (neighbour, colour) embedding e, its bias plus W_ih·(row + column embedding) for every
        position, and (with ``copy``) W_ih·U for the used-colours input U. Recompute after the
        weights change."""
        lstm = self.lstm
        token_gates = self.input.embed.weight @ lstm.weight_ih_l0.T  # [J·(K+1), 4·hidden]
        bias = lstm.bias_ih_l0 + lstm.bias_hh_l0
        position = self.input.position_embedding(torch.arange(self.num_pixels, device=bias.device))
        position_gates = bias.expand(self.num_pixels, -1)
        if self.config.position:
            position_gates = position_gates + position @ lstm.weight_ih_l0.T
        used_gates = self.copy_head.used_embed.weight.T @ lstm.weight_ih_l0.T if self.config.copy else None  # [K, 4·hidden]
        return token_gates, position_gates.contiguous(), used_gates

    def condition_gates(self, condition: torch.Tensor) -> torch.Tensor:
        """W_ih·condition [B or 1, 4·hidden]: ``forward``'s condition, as ``step`` takes it."""
        return condition @ self.lstm.weight_ih_l0.T

    def step(self, tokens: torch.Tensor, t: int, state, tables, condition_gates: torch.Tensor | None = None):
        """One pixel: tokens [B, J] of step ``t`` → (logits [B, K], state). The same numbers as
        ``forward`` on one step (eval mode), as a hand-written LSTM cell: nn.LSTM's CPU kernel
        re-lays out its weights on every call, which dominates when each call is one step."""
        token_gates, position_gates, used_gates = tables
        x = token_gates[tokens + self.input.embed_offset].sum(1) + position_gates[t]
        if condition_gates is not None:
            x = x + condition_gates
        batch, hidden = len(tokens), self.config.hidden
        state, used = _split_state(state, self.config.copy)
        if state is None:
            zeros = x.new_zeros(self.config.layers, batch, hidden)
            state = (zeros, zeros)
        if self.config.copy:
            used = self.copy_head.used_colours(tokens[:, None], None if used is None else used[0])[:, 0]
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
        return self.copy_head(logits, hs[-1], tokens, used), (*state, used[None])


# Runs trained before the input and the copy head moved to studio/models/autoregressive.py.
_OLD_KEYS = {"embed.": "input.embed.", "row_embed.": "input.row_embed.", "col_embed.": "input.col_embed.",
             "used_embed.": "copy_head.used_embed.", "copy_gate.": "copy_head.gate."}


def _rename_old_keys(state_dict, prefix, *args) -> None:
    for key in list(state_dict):
        for old, new in _OLD_KEYS.items():
            if key.startswith(prefix + old):
                state_dict[prefix + new + key[len(prefix + old):]] = state_dict.pop(key)


def _split_state(state, copy: bool):
    """A model state → (the LSTM's (h, c) or None, the used-colours part or None)."""
    if state is None:
        return None, None
    return (tuple(state[:2]), state[2]) if copy else (tuple(state), None)


class Task(RasterTask):
    """What the engine trains: one PixelRNN, Adam, maximum likelihood with teacher forcing."""

    def make_net(self, config: Config, num_colors: int, size: tuple[int, int]) -> PixelRNN:
        return PixelRNN(config, num_colors, size)

    def make_optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.net.parameters(), self.config.lr, fused=self.device.type == "cuda")
