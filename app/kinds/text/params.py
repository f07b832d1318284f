"""A text sweep's parameters and presets: models of some shapes trained on nested training sets
of a real corpus, with a reference model and optional canaries."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from memdash.core.canary_space import SweepCanaries
from memdash.core.edges import JSONObject
from memdash.core.job_cost import stack_job_bytes, stack_job_flops
from memdash.core.params import LM2Variants, Shape, Strict, TrainParams, with_lm2_variants


class TextSweepParams(Strict):
    """Model shapes × nested training-set sizes on a real corpus, with held-out non-members and
    a reference model (SPEC 2, 4-7)."""

    name: str = Field(default="text sweep", max_length=200)
    # "demo" (worker/data/demo_corpus.py) or the sha256 of an uploaded .txt/.jsonl corpus.
    corpus: str = Field(default="demo", pattern=r"^(demo|[0-9a-f]{64})$")
    vocab_size: int = Field(default=512, ge=260, le=65_536)  # byte-level BPE: 256 bytes + merges
    seq_len: int = Field(default=32, ge=8, le=1024)
    shapes: list[Shape] = Field(min_length=1, max_length=16)
    train_sizes: list[Annotated[int, Field(ge=2, le=10_000_000)]] = Field(
        min_length=1, max_length=32
    )
    n_heldout: int = Field(default=256, ge=8, le=100_000)
    # "full": a same-shape model trained on every training sample (the paper's choice);
    # "zlib"/"lzma": a model-free compressor of the sample's UTF-8 bytes.
    reference: Literal["full", "zlib", "lzma"] = "full"
    # RMIA's OUT reference (SPEC 12): one more model of each shape in its stack, trained on
    # training samples no run uses (worker/jobs/train_text.py); off: no RMIA.
    rmia_reference: bool = True
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    # Independent repetitions: seed, seed + 1, ... each with its own document split, tokenizer,
    # sample order and initialization; figures show the mean over seeds with a band.
    seeds: int = Field(default=1, ge=1, le=10)
    train: TrainParams = TrainParams()
    # Canaries planted in every run's training set (SPEC 10); none by default.
    canaries: SweepCanaries | None = None
    # LM2 variants beside each plain shape (matched non-memory / total parameters); None: none.
    lm2: LM2Variants | None = None

    def all_shapes(self) -> list[tuple[Shape, str | None, Shape | None]]:
        return with_lm2_variants(self.shapes, self.lm2, self.vocab_size, self.seq_len)

    def models_per_shape(self) -> int:
        """The runs of one shape, its full-data reference and its RMIA reference."""
        return len(self.train_sizes) + (self.reference == "full") + self.rmia_reference

    def largest_job_flops(self) -> float:
        """Training FLOPs of the most expensive job (one shape's runs and its reference)."""
        n_models = self.models_per_shape()
        return max(
            stack_job_flops(
                n_models,
                s.n_params(self.vocab_size, self.seq_len),
                self.train.batch_size,
                self.seq_len,
                self.train.max_steps,
            )
            for s, _, _ in self.all_shapes()
        )

    def largest_job_bytes(self) -> int:
        """Estimated memory of the largest job: one shape's runs and its full-data reference."""
        largest = 0
        for shape, _, _ in self.all_shapes():
            n_params = shape.n_params(self.vocab_size, self.seq_len)
            n_models = self.models_per_shape()
            tokens = (sum(self.train_sizes) + 2 * max(self.train_sizes)) * self.seq_len
            largest = max(
                largest,
                stack_job_bytes(
                    n_models,
                    n_params,
                    tokens,
                    self.train.batch_size,
                    self.seq_len,
                    shape.n_layer,
                    shape.d_model,
                    shape.memory_slots,
                ),
            )
        return largest

    @field_validator("train_sizes")
    @classmethod
    def _sizes(cls, sizes: list[int]) -> list[int]:
        if min(sizes) < 2:
            raise ValueError("training-set sizes must be at least 2 samples")
        return sorted(set(sizes))


TEXT_PRESETS: dict[str, JSONObject] = {
    # Two small models on the demo corpus; the largest sets exceed both models' capacity.
    "quick": {
        "name": "quick text sweep",
        "vocab_size": 512,
        "seq_len": 32,
        "shapes": [{"n_layer": 1, "d_model": 32}, {"n_layer": 2, "d_model": 64}],
        "train_sizes": [64, 256, 1024, 4096],
        "n_heldout": 256,
        "train": {
            "max_steps": 1500,
            "batch_size": 64,
            "lr": 5e-3,
            "warmup_steps": 50,
            "eval_every": 100,
            "patience_evals": 3,
        },
    },
}


# Seconds, not minutes: checks an installation (or a corpus) end to end; too small for science.
TEXT_PRESETS["smoke"] = {
    "name": "smoke-test text sweep",
    "vocab_size": 300,
    "seq_len": 16,
    "shapes": [{"n_layer": 1, "d_model": 16}],
    "train_sizes": [8, 32],
    "n_heldout": 16,
    "train": {"max_steps": 120, "batch_size": 16, "lr": 0.01, "eval_every": 40},
}


def text_preset(name: str) -> TextSweepParams:
    if name not in TEXT_PRESETS:
        raise ValueError(f"unknown text preset {name!r}; choose one of {sorted(TEXT_PRESETS)}")
    return TextSweepParams(**TEXT_PRESETS[name])
