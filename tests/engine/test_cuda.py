"""The CUDA path: training, the stacked forward, scoring and greedy decoding on a GPU agree with
the CPU. Skipped without a CUDA device; `scripts/gpu-check.sh` runs them on a lent GPU."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from memdash.worker.data.synthetic import uniform_tokens
from memdash.worker.inference import MemdashScorer, greedy_continuations, token_nll_bits
from memdash.worker.model import GPT, GPTConfig
from memdash.worker.stacked_model import stack_state, stacked_logits
from memdash.worker.train import train, train_many
from memdash.worker.train_config import TrainConfig

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine"),
]
CUDA = torch.device("cuda")
MODEL = GPTConfig(vocab_size=64, seq_len=16, n_layer=2, d_model=32)
FAST = TrainConfig(max_steps=400, batch_size=32, lr=1e-2, warmup_steps=20, eval_every=50)


def test_a_tiny_model_memorizes_on_the_gpu() -> None:
    data = uniform_tokens(32, 16, 64, seed=1)
    result = train(MODEL, FAST, data, device=CUDA)
    assert next(result.model.parameters()).device.type == "cuda"
    assert result.curve[-1]["train_loss_bits"] < 0.2


def test_bf16_training_on_the_gpu_makes_progress() -> None:
    data = uniform_tokens(32, 16, 64, seed=2)
    config = replace(FAST, precision="bf16")
    result = train(MODEL, config, data, device=CUDA)
    assert result.curve[-1]["train_loss_bits"] < 0.5 * result.curve[0]["train_loss_bits"]


def test_stacked_forward_and_scoring_match_the_cpu() -> None:
    torch.manual_seed(3)
    models = [GPT(MODEL).eval() for _ in range(2)]
    idx = torch.randint(0, 64, (2, 3, 16))
    with torch.no_grad():
        cpu = stacked_logits(stack_state(models), MODEL, idx)
        gpu = stacked_logits(stack_state([m.to(CUDA) for m in models]), MODEL, idx.to(CUDA))
    assert (cpu - gpu.cpu()).abs().max() < 1e-3
    samples = uniform_tokens(20, 16, 64, seed=4)
    on_gpu = token_nll_bits(MemdashScorer(models[0]), samples)
    on_cpu = token_nll_bits(MemdashScorer(models[0].cpu()), samples)
    assert max(np.abs(a - b).max() for a, b in zip(on_gpu, on_cpu, strict=True)) < 1e-3


def test_models_trained_together_on_the_gpu_match_alone() -> None:
    datasets = [uniform_tokens(n, 16, 64, seed=i) for i, n in enumerate((16, 48))]
    config = replace(FAST, max_steps=60)
    together = train_many(MODEL, config, datasets, [0, 1], device=CUDA)
    alone = train(MODEL, replace(config, seed=1), datasets[1], device=CUDA)
    assert abs(together[1].curve[-1]["train_loss_bits"] - alone.curve[-1]["train_loss_bits"]) < 1e-2


def test_greedy_decoding_on_the_gpu_matches_the_cpu() -> None:
    torch.manual_seed(5)
    model = GPT(MODEL).eval()
    prompts = uniform_tokens(8, 4, 64, seed=6)
    cpu = greedy_continuations(MemdashScorer(model), prompts, 8)
    gpu = greedy_continuations(MemdashScorer(model.to(CUDA)), prompts, 8)
    assert (cpu == gpu).mean() > 0.95  # argmax ties may break differently on a GPU


def test_a_hub_model_too_large_for_the_gpu_is_refused_before_loading(tmp_path) -> None:
    """The GPU's free memory is checked from the safetensors headers, as the host's is."""
    from memdash.core.hub_ref import HubRef
    from memdash.worker.checkpoint_files import CheckpointRejected
    from memdash.worker.hub import check_fits_memory, device_free_bytes
    from tests.hub_cache import tiny_gpt2_folder

    folder = tiny_gpt2_folder(tmp_path / "model", seed=1)
    ref = HubRef.parse("hf:org/tiny@main")
    free = device_free_bytes("cuda")
    assert free > 0
    check_fits_memory(folder, ref, free, "on the GPU")  # a tiny model fits
    with pytest.raises(CheckpointRejected, match="free on the GPU"):
        check_fits_memory(folder, ref, 1000, "on the GPU")
