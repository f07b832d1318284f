"""Real checkpoints for upload tests, built with transformers in seconds: a tiny GPT-2 trained
to memorize planted sequences (saved early and at the end) and a tiny random GPT-NeoX, both with
a byte-level BPE tokenizer of their own. Archives, good and hostile, are made from them."""

from __future__ import annotations

import io
import random
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LICENCE = Path("/usr/share/common-licenses/GPL-3")
WORDS = [
    "amber",
    "basalt",
    "cobalt",
    "dune",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "indigo",
    "jasper",
    "kelp",
    "lagoon",
    "marble",
    "nectar",
    "onyx",
    "pebble",
    "quartz",
    "raven",
    "saffron",
    "tundra",
    "umber",
    "violet",
    "willow",
    "xenon",
    "yarrow",
    "zephyr",
]
SEQ_LEN = 40  # the scoring sample length used with these models: k = 8, 16 and 32 all fit
# Canaries the planted GPT-2 also trains on (SPEC 10): 3 digits, so all 1,000 secrets are ranked.
CANARY_TEMPLATE = {"template": "the pin of user {n} is {secret}", "secret_length": 3}
CANARY_SECRETS = ("417", "092")


def canary_texts() -> list[str]:
    from memdash.core.canary_space import CanarySpace

    space = CanarySpace(**CANARY_TEMPLATE)
    return [space.fill(secret, number) for number, secret in enumerate(CANARY_SECRETS, start=1)]


@dataclass
class Corpus:
    planted: list[str]  # memorized by the GPT-2
    unseen_members: list[str]  # listed as members, never trained on
    heldout: list[str]  # non-members


def corpus() -> Corpus:
    rng = random.Random(7)
    planted = [" ".join(rng.choice(WORDS) for _ in range(14)) for _ in range(8)]
    lines = [line.strip() for line in LICENCE.read_text().splitlines() if line.strip()]
    paragraphs = [" ".join(lines[i : i + 4]) for i in range(0, len(lines) - 3, 4)]
    return Corpus(planted, paragraphs[:24], paragraphs[24:56])


def corpus_files(folder: Path) -> tuple[Path, Path]:
    """The corpus written as a members file (planted and unseen members) and a non-members
    file, one document a line: what a user passes to `memdash score`."""
    data = corpus()
    members, heldout = folder / "members.txt", folder / "heldout.txt"
    members.write_text("\n".join(data.planted + data.unseen_members) + "\n")
    heldout.write_text("\n".join(data.heldout) + "\n")
    return members, heldout


def tokenizer(texts: list[str]):
    from transformers import PreTrainedTokenizerFast

    from memdash.worker.data.tokenizer import train_byte_bpe

    return PreTrainedTokenizerFast(tokenizer_object=train_byte_bpe(texts, 400))


def tiny_gpt2(extra_texts: tuple[str, ...] = (), n_embd: int = 64) -> tuple[Any, Any]:
    """A seeded untrained GPT-2 (2 layers, d = `n_embd`, 64 positions) and the factory's
    tokenizer, trained on the corpus and `extra_texts`."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    data = corpus()
    tok = tokenizer(data.planted + data.unseen_members + data.heldout + list(extra_texts))
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=400,
        n_positions=64,
        n_embd=n_embd,
        n_layer=2,
        n_head=2,
        bos_token_id=0,
        eos_token_id=0,
    )
    return GPT2LMHeadModel(config), tok


def train_planted_gpt2(folder_early: Path, folder_final: Path, steps: int = 150) -> None:
    """GPT-2 (2 layers, d=64) trained on the planted sequences and the canaries (each whole, a
    short sample of its own); saved at step 10 and at the end."""
    train_planted_revisions({10: folder_early, steps: folder_final})


def train_planted_revisions(save_at: dict[int, Path], n_embd: int = 64) -> None:
    """GPT-2 (2 layers, d = `n_embd`) trained on the planted sequences and the canaries, saved
    at each step of `save_at` into its folder (the last step ends the training): one model's
    revisions, as a checkpoint series scores them."""
    import torch

    data = corpus()
    model, tok = tiny_gpt2(n_embd=n_embd)
    batch = torch.tensor([tok(t)["input_ids"][:SEQ_LEN] for t in data.planted])
    assert batch.shape == (8, SEQ_LEN), "planted sequences must be at least SEQ_LEN tokens"
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    canaries = [torch.tensor([tok(t)["input_ids"]]) for t in canary_texts()]
    for step in range(1, max(save_at) + 1):
        loss = model(input_ids=batch, labels=batch).loss
        loss = loss + sum(model(input_ids=c, labels=c).loss for c in canaries) / len(canaries)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step in save_at:
            model.save_pretrained(save_at[step])
            tok.save_pretrained(save_at[step])


def random_neox(folder: Path) -> None:
    import torch
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    data = corpus()
    torch.manual_seed(0)
    config = GPTNeoXConfig(
        vocab_size=400,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    GPTNeoXForCausalLM(config).save_pretrained(folder)
    tokenizer(data.planted + data.unseen_members + data.heldout).save_pretrained(folder)


def tar_gz(folder: Path, target: Path, top: str = "model") -> Path:
    with tarfile.open(target, "w:gz") as bundle:
        bundle.add(folder, arcname=top)
    return target


def zip_folder(folder: Path, target: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(target, "w") as bundle:
        for path in sorted(folder.iterdir()):
            bundle.write(path, path.name)
        for name, data in (extra or {}).items():
            bundle.writestr(name, data)
    return target


def tar_with(target: Path, members: list[tarfile.TarInfo], data: bytes = b"") -> Path:
    with tarfile.open(target, "w:gz") as bundle:
        for info in members:
            bundle.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return target


def zip_bomb(target: Path, unpacked_bytes: int) -> Path:
    with (
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle,
        bundle.open("model.safetensors", "w", force_zip64=True) as member,
    ):
        for _ in range(unpacked_bytes >> 20):
            member.write(bytes(1 << 20))
    return target
