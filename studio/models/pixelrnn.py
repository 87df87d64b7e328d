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

# 2d-copy is best on held-out sprites near epoch 100 (docs/models.md); the engine keeps the best
# checkpoint, so a little longer costs nothing but time.
DEFAULT_EPOCHS = 120
PRESET_SETTINGS = {
    "quick": {"epochs": 120, "cpu_budget": 300},  # whichever comes first: 5 CPU-minutes, on one core
    "lecture": {"epochs": 30},  # the lecture model is best near epoch 24 and overfits after
}


# The longest run a sampling step computes with the hand-written cell (benchmarks/completion_speed.py:
# beyond it, at 32 particles on one core, nn.LSTM's fused kernel is the faster).
FEW_STEPS = 8


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
        x, lstm_state, used = self._inputs(tokens, start, state, condition=condition)
        out, lstm_state = self.lstm(self.drop(x), lstm_state)
        self.steps += tokens.shape[1]
        return self._outputs(self.drop(out), tokens, lstm_state, used)

    def _inputs(self, tokens, start, state, positions=None, condition=None):
        """The LSTM's input [B, T, embed] (the neighbours', the position's, the condition's and
        the used colours' embeddings), its (h, c) or None, and the used colours [B, T, K]."""
        x = self.input(tokens, start, positions)
        if condition is not None:
            x = x + condition[:, None]
        lstm_state, used = _split_state(state, self.config.copy)
        if self.config.copy:
            used = self.copy_head.used_colours(tokens, None if used is None else used[0])
            x = x + self.copy_head.used_embed(used)
        return x, lstm_state, used

    def _outputs(self, out, tokens, lstm_state, used):
        logits = self.head(out)
        if not self.config.copy:
            return logits, lstm_state
        return self.copy_head(logits, out, tokens, used), (*lstm_state, used[:, -1][None])

    # --- a few steps at a time, for sampling ----------------------------------------------------
    def step_tables(self):
        """What a hand-written step looks up or multiplies by, arranged once per sampling pass:
        every position's embedding, and each layer's (W_ih, W_hhᵀ laid out for the matmul,
        b_ih + b_hh). Recompute after the weights change."""
        lstm = self.lstm
        return self.input.position_table(), [
            (getattr(lstm, f"weight_ih_l{layer}"), getattr(lstm, f"weight_hh_l{layer}").T.contiguous(),
             getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}"))
            for layer in range(self.config.layers)]

    def step(self, tokens: torch.Tensor, t: int, state, tables, condition: torch.Tensor | None = None):
        """A few pixels in eval mode: tokens [B, T, J] of steps ``t … t+T-1`` → (logits [B, T, K],
        state), the same numbers as ``forward``. Up to FEW_STEPS steps run a hand-written LSTM
        cell: nn.LSTM's CPU kernel re-lays out its weights on every call, which dominates when
        a call is a few steps (a sampler's visible pixels up to the next hidden one); for longer
        runs its fused kernel is the faster."""
        if tokens.shape[1] > FEW_STEPS:
            return self(tokens, t, state, condition)
        positions, layers = tables
        x, lstm_state, used = self._inputs(tokens, t, state, positions, condition)
        batch, hidden = len(x), self.config.hidden  # (x has the condition's batch when it has more rows)
        h, c = ([list(s) for s in lstm_state] if lstm_state is not None else
                [[x.new_zeros(batch, hidden)] * self.config.layers for _ in range(2)])
        w_ih, _, bias = layers[0]
        inputs = F.linear(x, w_ih, bias)  # layer 0's input gates, all T steps in one matmul
        out = []
        for s in range(tokens.shape[1]):
            gates_in = inputs[:, s]
            for layer, (w_ih, w_hh_t, bias) in enumerate(layers):
                if layer > 0:
                    gates_in = F.linear(h[layer - 1], w_ih, bias)
                gates = torch.addmm(gates_in, h[layer], w_hh_t)
                # One sigmoid for the i, f, o gates (PyTorch's order i, f, g, o); g's quarter goes unused.
                i, f, _, o = torch.sigmoid(gates).chunk(4, 1)
                g = torch.tanh(gates[:, 2 * hidden:3 * hidden])
                c[layer] = f * c[layer] + i * g  # c_t = f⊙c_{t-1} + i⊙g
                h[layer] = o * torch.tanh(c[layer])  # h_t = o⊙tanh(c_t)
            out.append(h[-1])
        self.steps += tokens.shape[1]
        return self._outputs(torch.stack(out, 1), tokens, (torch.stack(h), torch.stack(c)), used)


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

    Net = PixelRNN

    def make_optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.net.parameters(), self.config.lr, fused=self.device.type == "cuda")
