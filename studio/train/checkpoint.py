"""Checkpoints: written atomically, checksummed, read without running code.

A checkpoint is a plain dict of tensors and primitives, so ``torch.load(weights_only=True)``
can read it: a crafted pickle that would execute code is refused instead of run. It carries
a SHA-256 of its payload (every tensor's bytes, every value), checked on load, so a flipped
bit is an error rather than silently different weights.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import struct
import warnings
import zipfile
from pathlib import Path

import torch

from studio.errors import CheckpointError
from studio.data.files import write_bytes

CHECKPOINT_FORMAT = "pokemon-studio/1"
_CHECKSUM = "sha256"



def save_checkpoint(state: dict, path: str | Path) -> Path:
    """Write ``state`` (with its checksum) to ``path`` atomically: temp file, fsync, rename.

    The file is serialised in memory first, so a full disk fails in one plain write and a
    crash mid-write leaves the previous checkpoint intact, never a truncated one.
    """
    state = {k: v for k, v in state.items() if k != _CHECKSUM}
    state[_CHECKSUM] = payload_digest(state)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return write_bytes(path, buffer.getbuffer())


def load_checkpoint(path: str | Path, map_location="cpu") -> dict:
    """Read a checkpoint safely; every failure is a :class:`CheckpointError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError("no such checkpoint", path)
    try:
        with warnings.catch_warnings():  # e.g. "pickle protocol 4": whatever it is, we say it ourselves
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        # weights_only refuses anything but tensors and primitives: a crafted file ends here.
        # (torch's own message suggests weights_only=False, i.e. running the file's code: not quoted.)
        raise CheckpointError("refused to load: it holds more than weights (possibly code)", path,
                              hint="use only checkpoints the studio wrote") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, TypeError,
            AttributeError, KeyError, IndexError, UnicodeDecodeError, OverflowError,
            MemoryError, struct.error) as err:
        # torch reports damaged archives in many ways, depending on where the damage is.
        first = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise CheckpointError(f"not a readable checkpoint (truncated or corrupt: {first})", path) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError("not a Pokémon Studio checkpoint", path)
    expected = state.pop(_CHECKSUM, None)
    if expected is not None and expected != payload_digest(state):  # older checkpoints have none
        raise CheckpointError("the checkpoint is corrupt: its contents do not match their checksum", path,
                              hint="resume from an earlier checkpoint")
    return state


def payload_digest(value) -> str:
    """SHA-256 over a nested dict/list of tensors and primitives, in a fixed order."""
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


def _feed(digest, value) -> None:
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        digest.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy())
    elif isinstance(value, dict):
        digest.update(f"D{len(value)}".encode())
        for key in sorted(value, key=repr):
            digest.update(repr(key).encode())
            _feed(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(f"L{len(value)}".encode())
        for item in value:
            _feed(digest, item)
    else:  # str, int, float, bool, None
        digest.update(f"V{type(value).__name__}:{value!r}".encode())
