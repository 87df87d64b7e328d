"""The engine on a CUDA GPU: every model learns under bf16 autocast and compiled, a run resumes,
an out-of-memory stops cleanly, torchrun and NCCL work, and the GUI worker's call trains.

Skipped without CUDA. `bash benchmarks/gpu_check.sh OUTDIR` runs them on a GPU machine (docs/gpu.md);
that machine has no PySide6, so nothing here imports Qt.
"""

from __future__ import annotations

import gc
import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from studio.data.builtin import builtin_creatures
from studio.models import MODEL_NAMES, model_module
from studio.session.training import TrainingSession
from studio.train.devices import describe_device
from studio.train.engine import Trainer, TrainingError, TrainingListener, TrainSettings
from studio.train.run import RunDir

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(),
                                 reason="needs a CUDA GPU: run bash benchmarks/gpu_check.sh on one")]

ROOT = Path(__file__).resolve().parents[2]
#: What "it learned" means for a model: its held-out score, lower is better. The GAN's losses
#: say little, so it is the distance of its samples to held-out sprites (gan_signals).
LEARNING_METRIC = {"gan": "mmd"}


@pytest.fixture(scope="module")
def sprites():
    return builtin_creatures(n=256)  # 230 training sprites: 3 steps an epoch at batch 64


def default_config(model: str):
    return next(iter(model_module(model).CONFIGS.values()))


def settings(**kw) -> TrainSettings:
    base = dict(epochs=10**4, batch_size=64, log_every=1, sample_every=0, sample_count=0, eval_every=0,
                checkpoint_every=0, device="cuda")
    return TrainSettings(**{**base, **kw})


def held_out_score(trainer: Trainer, model: str) -> float:
    key = LEARNING_METRIC.get(model) or trainer.task.selection_metric
    for module in trainer.task.modules().values():
        module.eval()
    with torch.no_grad():
        score = trainer.task.evaluate(trainer.held_data)[key]
    for module in trainer.task.modules().values():
        module.train()
    return score


class Records(TrainingListener):
    def __init__(self):
        self.metrics, self.samples, self.started, self.failed = [], [], [], []
        self.trainer: Trainer | None = None

    def on_start(self, trainer):
        self.trainer = trainer
        self.started.append(trainer.device)

    def on_metrics(self, record): self.metrics.append(record)
    def on_samples(self, step, grid): self.samples.append(grid)
    def on_failed(self, error): self.failed.append(error)


class Dtypes:
    """The dtypes the model's layers compute in: bf16 ones show autocast is on."""

    def __init__(self, modules):
        self.seen: set[torch.dtype] = set()
        self.handles = [m.register_forward_hook(self.hook) for module in modules for m in module.modules()
                        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.LSTM))]

    def hook(self, module, inputs, output):
        output = output[0] if isinstance(output, tuple) else output
        self.seen.add(output.dtype)

    def remove(self):
        for h in self.handles:
            h.remove()


def free_gpu_memory():
    gc.collect()
    torch.cuda.empty_cache()


def learns_in_50_steps(model: str, sprites, compiled: bool) -> None:
    records = Records()
    trainer = Trainer(model, default_config(model), sprites, settings(max_steps=50, compile=compiled),
                      listeners=[records])
    assert trainer.device.type == "cuda" and trainer.settings.amp
    before = held_out_score(trainer, model)
    dtypes = Dtypes(trainer.task.modules().values()) if not compiled else None
    summary = trainer.run_training()
    after = held_out_score(trainer, model)
    assert summary["step"] == 50 and records.started == [trainer.device]
    assert all(math.isfinite(v) for r in records.metrics for v in r.values()), "every logged value finite"
    assert after < before, f"{model}: held-out score {before:.4f} -> {after:.4f} after 50 steps"
    if dtypes is not None:
        dtypes.remove()
        assert torch.bfloat16 in dtypes.seen, f"no layer computed in bf16: {dtypes.seen}"
    trainer.close()
    free_gpu_memory()


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_each_model_learns_in_50_steps_on_cuda_under_bf16_autocast(model, sprites):
    learns_in_50_steps(model, sprites, compiled=False)


def test_the_pixelrnn_trains_through_cudnns_fused_lstm(sprites):
    """One kernel sequence for the whole 400-pixel recurrence, forward and backward, under the
    engine's bf16 autocast: the lever that makes its epoch GPU-fast (benchmarks/run.py times it)."""
    from torch.profiler import ProfilerActivity, profile

    task = model_module("pixelrnn").Task(default_config("pixelrnn"), sprites.palette.colors,
                                         (sprites.height, sprites.width), torch.device("cuda"))
    batch = torch.from_numpy(sprites.indices[:64]).long().cuda()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        with torch.autocast("cuda", dtype=torch.bfloat16):
            task.train_step(task.modules(), batch)
        torch.cuda.synchronize()
    ops = {e.key for e in prof.key_averages()}
    assert "aten::_cudnn_rnn" in ops and "aten::_cudnn_rnn_backward" in ops, sorted(o for o in ops if "rnn" in o)


def float_weights(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {f"{m}.{k}": v.detach().float().clone() for m, mod in trainer.task.modules().items()
            for k, v in mod.state_dict().items() if v.is_floating_point()}


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_a_run_resumed_on_cuda_continues_as_if_never_stopped(model, sprites, tmp_path):
    straight = Trainer(model, default_config(model), sprites, settings(epochs=3), tmp_path / "a")
    straight.run_training()
    first = Trainer(model, default_config(model), sprites, settings(epochs=3, max_steps=4), tmp_path / "b")
    assert first.run_training()["status"] == "stopped at max_steps"
    resumed = Trainer.resume(tmp_path / "b")
    assert resumed.device.type == "cuda" and resumed.state.step == 4
    resumed.run_training()
    assert resumed.state.step == straight.state.step == 9
    a, b = float_weights(straight), float_weights(resumed)
    assert a.keys() == b.keys()
    # GPU kernels add in no fixed order (atomics), and bf16 rounds that noise up to its own
    # step now and then: equal up to that. A lost optimiser state, RNG state or batch order
    # moves the weights by ~1e-2 of their size within a step, ten times this tolerance.
    for k in a:
        assert torch.linalg.vector_norm(a[k] - b[k]) <= 1e-3 * torch.linalg.vector_norm(a[k]) + 1e-6, k
    last = lambda run: [r for r in RunDir(run).metrics() if "step" in r and r["step"] == 9][0]  # noqa: E731
    for key, value in last(tmp_path / "a").items():
        if key not in ("time", "cpu") and not key.startswith("val/"):
            assert last(tmp_path / "b")[key] == pytest.approx(value, rel=1e-2, abs=1e-4), key
    free_gpu_memory()


def test_out_of_gpu_memory_stops_with_the_engines_message_and_the_run_resumes(tmp_path):
    """An absurd batch size on resume: the engine's one-line advice, the run's checkpoint intact,
    and the run continues at a batch size that fits. The GPU is capped at 1 GiB for this test so
    the batch is absurd on any card (3600 sprites of the lecture PixelRNN need ~10 GiB)."""
    data = builtin_creatures(n=4000)
    run = tmp_path / "run"
    first = Trainer("pixelrnn", default_config("pixelrnn"), data, settings(max_steps=2), run)
    first.run_training()
    checkpoint = RunDir(run).latest_checkpoint()
    del first
    free_gpu_memory()

    records = Records()
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.set_per_process_memory_fraction(min(1.0, (torch.cuda.memory_reserved() + 2**30) / total))
    try:
        trainer = Trainer.resume(run, [records], batch_size=4000)
        with pytest.raises(TrainingError) as raised:
            trainer.run_training()
        message, failed = str(raised.value), [str(e) for e in records.failed]
        # The error's traceback holds the failed step's tensors: let them go before the next run.
        del trainer, raised
        records.failed.clear()
    finally:
        free_gpu_memory()
        torch.cuda.set_per_process_memory_fraction(1.0)
    assert message == "the GPU ran out of memory at batch size 4000; try a smaller batch size " \
                      "(e.g. --batch-size 2000)"
    assert failed == [message]
    assert RunDir(run).latest_checkpoint() == checkpoint

    again = Trainer.resume(run, batch_size=64, max_steps=4)
    assert again.state.step == 2
    assert again.run_training()["step"] == 4
    free_gpu_memory()


def _torchrun(*args, timeout=240) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1",
                           *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def test_studio_train_under_torchrun_trains_on_the_gpu(tmp_path):
    proc = _torchrun("-m", "studio", "train", "gan", "--data", "builtin:n=96", "--batch-size", "16",
                     "--steps", "3", "--device", "cuda", "--quiet", "--out", str(tmp_path / "run"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["step"] == 3
    assert RunDir(tmp_path / "run").config()["device"].startswith("cuda")


# torchrun with one process leaves the engine single-process (WORLD_SIZE 1 joins no group), and
# NCCL refuses two ranks on one GPU; so to run the engine's DDP path over NCCL on a one-GPU
# machine, this rank joins a group of one and hands the engine a Distributed that says so.
DDP_ONE_RANK = """
import json, sys
import torch
import torch.distributed as dist
from studio.data.builtin import builtin_creatures
from studio.models import model_module
from studio.train import engine
from studio.train.distributed import Distributed

class OneRankGroup(Distributed):
    @property
    def enabled(self):
        return True

def join(device_name):
    torch.cuda.set_device(0)
    dist.init_process_group("nccl")
    return OneRankGroup(0, 1, 0)

engine.init_from_environment = join
model = sys.argv[2]
config = next(iter(model_module(model).CONFIGS.values()))
settings = engine.TrainSettings(max_steps=2, batch_size=16, log_every=1, sample_count=0, eval_every=0,
                                checkpoint_every=0, device="cuda")
trainer = engine.Trainer(model, config, builtin_creatures(n=96), settings, sys.argv[1])
summary = trainer.run_training()
wrapped = all(isinstance(net, torch.nn.parallel.DistributedDataParallel)
              for name, net in trainer.nets.items() if any(p.requires_grad for p in trainer.task.modules()[name].parameters()))
print(json.dumps({"backend": dist.get_backend(), "ddp": wrapped, "step": summary["step"]}))
trainer.close()
"""


def test_ddp_over_nccl_under_torchrun_trains_a_step(tmp_path):
    script = tmp_path / "one_rank.py"
    script.write_text(DDP_ONE_RANK)
    proc = _torchrun(str(script), str(tmp_path / "run"), "gan")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"backend": "nccl", "ddp": True, "step": 2}
    assert [r["step"] for r in RunDir(tmp_path / "run").metrics() if "d_loss" in r] == [1, 2]


def test_the_training_session_trains_on_cuda_on_a_background_thread(tmp_path):
    """What the app's Train button does, without Qt: a TrainingSession whose runner is a
    background thread (the app's is its training pool) trains on CUDA; pause, resume and stop
    come from the main thread; then Resume continues the stopped run from its checkpoint."""
    def runner(work):
        threading.Thread(target=work, daemon=True).start()

    session = TrainingSession("gan", runs_dir=tmp_path, runner=runner)
    monitor, samples = session.monitor, []
    monitor.samples_changed.connect(lambda step, grid: samples.append(grid))

    def step() -> int:
        return monitor.progress.step

    def wait_for_step(target: int, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while step() < target and time.monotonic() < deadline and not session.wait(0):
            time.sleep(0.01)

    settings = session.settings(device="cuda", epochs=1000, log_every=1, sample_every=5, sample_count=16)
    session.train(builtin_creatures(n=256), session.config(), settings)
    wait_for_step(10)
    session.pause()
    time.sleep(0.3)
    paused_at = step()
    time.sleep(0.5)
    assert step() == paused_at >= 10, "no step while paused"
    session.resume()
    wait_for_step(paused_at + 10)
    session.stop()
    assert session.wait(120) and monitor.error == "", monitor.error
    summary = session.summary
    assert summary["status"] == "stopped" and summary["checkpoint"]
    assert monitor.device.startswith("CUDA: ") and describe_device("cuda").startswith("CUDA: ")
    assert samples and samples[-1].dtype.name == "uint8" and samples[-1].shape[-1] == 3

    stopped_at = summary["step"]
    assert session.resume(max_steps=stopped_at + 5) == Path(summary["run"])
    assert session.wait(120) and monitor.error == "", monitor.error
    assert session.summary["status"] == "stopped at max_steps" and session.summary["step"] == stopped_at + 5
    free_gpu_memory()


# Last in the file: compiling takes the longest, and gpu_check.sh gives the tests a time limit.
@pytest.mark.parametrize("model", MODEL_NAMES)
def test_each_model_learns_in_50_steps_compiled(model, sprites):
    learns_in_50_steps(model, sprites, compiled=True)
