"""A Hugging Face Hub cache built by a test (worker/hub_cache.py lays it out as huggingface_hub
does). Nothing is downloaded: the models are the tiny ones of tests/checkpoint_factory.py, saved
by transformers."""

from __future__ import annotations

from pathlib import Path

from memdash.worker.hub_cache import add_revision

__all__ = ["add_revision", "offline_worker_env", "tiny_gpt2_folder"]


def offline_worker_env(cache: Path) -> dict[str, str]:
    """A worker's environment that resolves Hub names from `cache` only, never downloading."""
    return {"MEMDASH_HUB_CACHE": str(cache), "MEMDASH_HUB_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}


def tiny_gpt2_folder(folder: Path, seed: int) -> Path:
    """The factory's tiny GPT-2 with weights drawn from `seed` (one "revision" of it)."""
    import torch

    from tests.checkpoint_factory import tiny_gpt2

    model, tok = tiny_gpt2()
    torch.manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.02 * torch.randn_like(parameter))
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder
