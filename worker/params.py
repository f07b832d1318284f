"""Experiment parameters, validated at the edge (form, CLI, API) and read again by the worker.

One pydantic class per experiment; the same JSON travels on the job. Presets give the paper's
setup (`paper`, for a GPU) and a small one that finishes in minutes on a laptop CPU (`quick`).
No torch here: the web server imports this module.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from worker.metrics.capacity import gpt2_param_count, lm2_memory_param_count


class Strict(BaseModel):
    """Unknown keys are refused (a misspelt knob must not be silently ignored), and every
    float must be finite (`allow_inf_nan=False`)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class TrainParams(Strict):
    """The trainer's knobs; the one place their defaults are defined (worker.train.TrainConfig
    takes its defaults from here)."""

    max_steps: int = Field(default=3000, ge=1, le=10_000_000)
    batch_size: int = Field(default=64, ge=1, le=65_536)
    lr: float = Field(default=3e-3, gt=0, le=1)
    warmup_steps: int = Field(default=50, ge=0, le=10_000_000)
    weight_decay: float = Field(default=0.0, ge=0, le=10)
    beta2: float = Field(default=0.98, gt=0, lt=1)
    grad_clip: float = Field(default=1.0, ge=0, le=1e6)
    precision: Literal["fp32", "bf16"] = "fp32"
    eval_every: int = Field(default=100, ge=1, le=10_000_000)
    patience_evals: int = Field(default=4, ge=1, le=10_000)
    # Progress: a gain of at least this share of the bits the run has memorized, within
    # `patience_evals` evaluations (worker/saturation.py; the same for every N).
    min_gain_share: float = Field(default=0.001, ge=0, le=1)
    # At a plateau the learning rate is cut (×lr_cut_factor) up to lr_cuts times before the
    # run counts as saturated (worker.train.Saturation).
    lr_cuts: int = Field(default=3, ge=0, le=20)
    lr_cut_factor: float = Field(default=0.3, gt=0, lt=1)
    floor_bits: float = Field(default=0.001, ge=0, le=100)  # per token: all memorized
    checkpoint_every: int = Field(default=500, ge=1, le=10_000_000)
    max_eval_samples: int = Field(default=2048, ge=1, le=10_000_000)


# Memory of one stacked training job (an estimate, for refusing sweeps no worker can hold):
# fp32 weight, gradient and both AdamW moments per parameter; int64 tokens of every dataset;
# activations of one step (about 16 floats per layer, channel and token, kept for backward).
BYTES_PER_TRAINED_PARAM = 16
ACTIVATION_FLOATS_PER_LAYER_CHANNEL = 16


def stack_job_bytes(
    n_models: int,
    n_params: int,
    n_tokens_stored: int,
    batch_size: int,
    seq_len: int,
    n_layer: int,
    d_model: int,
    memory_slots: int = 0,
) -> int:
    """Estimated peak memory in bytes of training `n_models` same-shape models together. An
    LM2's scan (worker/memory.py) also keeps for the backward pass, per memory block and
    position of every sequence, the bank and its write (about 4·slots·d floats), the read's
    attention (2·heads·slots) and per-head queries and mixes (2·heads·d), and gates (6·d)."""
    weights = n_models * n_params * BYTES_PER_TRAINED_PARAM
    data = n_tokens_stored * 8
    activations = (
        n_models
        * batch_size
        * seq_len
        * n_layer
        * d_model
        * ACTIVATION_FLOATS_PER_LAYER_CHANNEL
        * 4
    )
    heads = max(1, d_model // 32)
    per_position = (
        4 * memory_slots * d_model + 2 * heads * memory_slots + (2 * heads + 6) * d_model
        if memory_slots
        else 0
    )
    banks = n_models * batch_size * seq_len * n_layer * per_position * 4
    return weights + data + activations + banks


# Compute of one stacked training job: 6 FLOPs per parameter per trained token (forward and
# backward), for every model of the stack and every step of its budget.
FLOPS_PER_PARAM_TOKEN = 6


def stack_job_flops(
    n_models: int, n_params: int, batch_size: int, seq_len: int, max_steps: int
) -> float:
    """Training FLOPs of `n_models` models run for their whole step budget (an upper bound)."""
    return float(FLOPS_PER_PARAM_TOKEN * n_models * n_params * batch_size * seq_len * max_steps)


class Shape(Strict):
    """A model's shape: a plain GPT, or with `memory_slots` an LM2 (worker/memory.py) whose
    first `memory_blocks` blocks (0: all) carry the memory, its initial bank learned or fixed."""

    n_layer: int = Field(ge=1, le=64)
    d_model: int = Field(ge=4, le=8192)
    memory_slots: int = Field(default=0, ge=0, le=4096)
    memory_blocks: int = Field(default=0, ge=0, le=64)
    memory_learned: bool = True
    memory_heads: int = Field(default=0, ge=0, le=256)  # 0: the self-attention's

    @field_validator("d_model")
    @classmethod
    def _divisible(cls, d_model: int) -> int:
        heads = max(1, d_model // 32)
        if d_model % heads:
            raise ValueError(f"d_model={d_model} must be divisible by its {heads} heads")
        return d_model

    @model_validator(mode="after")
    def _memory_blocks(self) -> Shape:
        if self.memory_blocks > self.n_layer:
            raise ValueError(f"memory_blocks={self.memory_blocks} exceeds n_layer={self.n_layer}")
        if self.memory_heads and self.d_model % self.memory_heads:
            raise ValueError(
                f"d_model={self.d_model} is not divisible by {self.memory_heads} heads"
            )
        return self

    @property
    def architecture(self) -> str:
        return "LM2" if self.memory_slots else "GPT"

    @property
    def memory_layers(self) -> int:
        return (self.memory_blocks or self.n_layer) if self.memory_slots else 0

    def n_memory_params(self) -> int:
        return lm2_memory_param_count(
            self.d_model, self.memory_slots, self.memory_layers, self.memory_learned
        )

    def n_params(self, vocab_size: int, seq_len: int) -> int:
        """All parameters: the GPT's and the memory module's (worker.model.GPT.n_params)."""
        plain = gpt2_param_count(vocab_size, seq_len, self.d_model, self.n_layer)
        return plain + self.n_memory_params()

    def key(self) -> str:
        """Its name in tables and legends: L2-d16, or L2-d16 LM2-m8 (+ k1: memory in the first
        block only; + h2: two memory heads; + fixed: an identity bank that is not learned)."""
        name = f"L{self.n_layer}-d{self.d_model}"
        if not self.memory_slots:
            return name
        blocks = f"k{self.memory_blocks}" if self.memory_blocks else ""
        heads = f"h{self.memory_heads}" if self.memory_heads else ""
        fixed = "" if self.memory_learned else " fixed"
        return f"{name} LM2-m{self.memory_slots}{blocks}{heads}{fixed}"

    def model_fields_dump(self) -> dict[str, int | bool]:
        """The fields worker.model.GPTConfig takes (the memory ones only for an LM2)."""
        fields: dict[str, int | bool] = {"n_layer": self.n_layer, "d_model": self.d_model}
        if self.memory_slots:
            fields |= {
                "memory_slots": self.memory_slots,
                "memory_blocks": self.memory_blocks,
                "memory_learned": self.memory_learned,
                "memory_heads": self.memory_heads,
            }
        return fields


class LM2Variants(Strict):
    """LM2 models beside each plain shape of a sweep: the same shape with memory (matched
    non-memory parameters), and a narrower one with memory whose total parameter count is the
    nearest to the plain shape's (matched total parameters)."""

    memory_slots: int = Field(default=16, ge=1, le=4096)
    memory_blocks: int = Field(default=0, ge=0, le=64)
    memory_learned: bool = True
    memory_heads: int = Field(default=0, ge=0, le=256)
    match: list[Literal["non_memory", "total"]] = Field(
        default=["non_memory", "total"], min_length=1, max_length=2
    )

    def variants(self, plain: Shape, vocab_size: int, seq_len: int) -> list[tuple[Shape, str]]:
        """(LM2 shape, what it matches) for one plain shape."""
        memory = {
            "memory_slots": self.memory_slots,
            "memory_blocks": min(self.memory_blocks, plain.n_layer),
            "memory_learned": self.memory_learned,
            "memory_heads": self.memory_heads,
        }
        out = []
        if "non_memory" in self.match:
            out.append(
                (Shape(n_layer=plain.n_layer, d_model=plain.d_model, **memory), "non_memory")
            )
        if "total" in self.match:
            target = plain.n_params(vocab_size, seq_len)
            widths = [
                d
                for d in range(4, plain.d_model)
                if d % max(1, d // 32) == 0 and d % (self.memory_heads or 1) == 0
            ]
            candidates = [Shape(n_layer=plain.n_layer, d_model=d, **memory) for d in widths]
            if candidates:
                best = min(candidates, key=lambda s: abs(s.n_params(vocab_size, seq_len) - target))
                out.append((best, "total"))
        return out


def with_lm2_variants(
    shapes: list[Shape], lm2: LM2Variants | None, vocab_size: int, seq_len: int
) -> list[tuple[Shape, str | None, Shape | None]]:
    """Every shape a sweep trains: (shape, what it matches, the plain shape it is matched to),
    the listed shapes first (matching None) and then each plain one's LM2 variants."""
    out: list[tuple[Shape, str | None, Shape | None]] = [(s, None, None) for s in shapes]
    if lm2:
        for plain in shapes:
            if not plain.memory_slots:
                for shape, match in lm2.variants(plain, vocab_size, seq_len):
                    out.append((shape, match, plain))
    return out


class CapacitySweepParams(Strict):
    """A grid of model shapes × dataset sizes × seeds on uniform random tokens (SPEC 3-4)."""

    name: str = Field(default="capacity sweep", max_length=200)
    vocab_size: int = Field(default=2048, ge=2, le=1_000_000)
    seq_len: int = Field(default=64, ge=2, le=4096)
    shapes: list[Shape] = Field(min_length=1, max_length=64)
    # None: chosen around each shape's capacity
    dataset_sizes: list[Annotated[int, Field(ge=1, le=100_000_000)]] | None = Field(
        default=None, max_length=64
    )
    capacity_multiples: list[Annotated[float, Field(gt=0, le=1000)]] = Field(
        default=[0.25, 0.5, 1, 2, 4], min_length=1, max_length=32
    )
    alpha_guess: float = Field(default=3.64, gt=0, le=64)  # bits/param to place dataset sizes
    # After the grid: one more pass of sizes around each shape's measured peak
    # (worker.metrics.capacity.refinement_sizes), so the maximum is not missed between sizes.
    refine_peak: bool = True
    seeds: int = Field(default=2, ge=1, le=20)
    n_heldout: int = Field(default=64, ge=0, le=100_000)
    max_models_per_job: int = Field(default=16, ge=1, le=1024)
    train: TrainParams = TrainParams()
    # Train every configuration in each of these precisions (side by side: the paper's fp32 vs
    # bf16 comparison); None: only train.precision.
    precisions: list[Literal["fp32", "bf16"]] | None = Field(default=None, max_length=2)
    # LM2 variants beside each plain shape (matched non-memory / total parameters); None: none.
    lm2: LM2Variants | None = None

    def all_shapes(self) -> list[tuple[Shape, str | None, Shape | None]]:
        return with_lm2_variants(self.shapes, self.lm2, self.vocab_size, self.seq_len)

    def precision_list(self) -> list[str]:
        return sorted(set(self.precisions)) if self.precisions else [self.train.precision]

    @field_validator("dataset_sizes")
    @classmethod
    def _positive_sizes(cls, sizes: list[int] | None) -> list[int] | None:
        if sizes is not None and (not sizes or min(sizes) < 1):
            raise ValueError("dataset sizes must be positive whole numbers")
        return sorted(set(sizes)) if sizes else sizes

    @model_validator(mode="after")
    def _bounded(self) -> CapacitySweepParams:
        n_runs = len(self.all_shapes()) * self.seeds * len(self.sizes_for(self.shapes[0]))
        n_runs *= len(self.precision_list())
        if n_runs > 2000:
            raise ValueError(f"this sweep would train {n_runs} models; the limit is 2000")
        return self

    def n_params(self, shape: Shape) -> int:
        return shape.n_params(self.vocab_size, self.seq_len)

    def largest_job_flops(self) -> float:
        """Training FLOPs of the sweep's most expensive job, at its full step budget."""
        return max(
            stack_job_flops(
                min(self.max_models_per_job, self.seeds * len(self.sizes_for(shape))),
                self.n_params(shape),
                self.train.batch_size,
                self.seq_len,
                self.train.max_steps,
            )
            for shape, _, _ in self.all_shapes()
        )

    def largest_job_bytes(self) -> int:
        """Estimated memory of the sweep's largest stacked job (worst case: its largest sizes
        and every seed in one job)."""
        largest = 0
        for shape, _, _ in self.all_shapes():
            sizes = sorted(self.sizes_for(shape), reverse=True)
            runs = [n for n in sizes for _ in range(self.seeds)][: self.max_models_per_job]
            heldout = len(runs) * self.n_heldout
            largest = max(
                largest,
                stack_job_bytes(
                    len(runs),
                    self.n_params(shape),
                    (sum(runs) + heldout) * self.seq_len,
                    self.train.batch_size,
                    self.seq_len,
                    shape.n_layer,
                    shape.d_model,
                    shape.memory_slots,
                ),
            )
        return largest

    def sizes_for(self, shape: Shape) -> list[int]:
        """Dataset sizes N for one shape: given, or multiples of its expected capacity in samples.

        A sample carries (S−1)·log2 V memorizable bits (the first token is coded uniformly).
        """
        if self.dataset_sizes:
            return list(self.dataset_sizes)
        bits_per_sample = (self.seq_len - 1) * math.log2(self.vocab_size)
        at_capacity = self.alpha_guess * self.n_params(shape) / bits_per_sample
        return sorted({max(2, round(m * at_capacity)) for m in self.capacity_multiples})


PRESETS: dict[str, dict] = {
    # SPEC 3's setup (Morris et al. Sec. 3): for a GPU; 10^6 steps in the paper, capped here.
    "paper": {
        "name": "paper capacity sweep",
        "vocab_size": 2048,
        "seq_len": 64,
        "shapes": [{"n_layer": n, "d_model": d} for n in (1, 2, 4, 8) for d in (32, 64, 128, 256)],
        "seeds": 5,
        "capacity_multiples": [0.25, 0.5, 1, 2, 4, 8],
        # At batch 2048 an L8-d256 model keeps ~17 GB of activations for its backward pass
        # (stack_job_bytes): two per job fit a 40 GB GPU, and more jobs spread over more GPUs.
        "max_models_per_job": 2,
        "train": {
            "max_steps": 100_000,
            "batch_size": 2048,
            "lr": 1e-3,
            "eval_every": 1000,
            "patience_evals": 10,
            "precision": "bf16",
        },
    },
    # Ends by saturation in minutes on 2 CPU cores (bench/budget.py, docs/results.md): small
    # vocabulary, width and samples; full-ish batches at a high rate, evaluated often so the
    # saturation rule's learning-rate cuts come early; the step cap is a safety net.
    "quick": {
        "name": "quick capacity sweep",
        "vocab_size": 64,
        "seq_len": 16,
        "shapes": [{"n_layer": 1, "d_model": d} for d in (8, 16, 32)],
        "seeds": 2,
        "alpha_guess": 2.5,
        "capacity_multiples": [0.5, 1, 2, 4],
        "n_heldout": 32,
        "max_models_per_job": 4,
        "train": {
            "max_steps": 6000,
            "batch_size": 128,
            "lr": 2e-2,
            "warmup_steps": 30,
            "eval_every": 50,
            "patience_evals": 3,
        },
    },
}

# The paper's own smallest configurations on a CPU (issue 26): V = 2048, S = 64, L1-d32 and
# L2-d32 in fp32 and bf16, sizes bracketing the paper's capacities (alpha_guess at the paper's
# fp32 values, about 4.2 bits/param: N ≈ 490 for L1-d32), one seed, to saturation under the
# rule in bits. Hours on 2 cores, not minutes: `python -m bench.paper_cpu` runs it in the
# background and reports each row beside the paper's table (bench/results-paper-cpu.md).
PRESETS["paper-cpu"] = {
    "name": "the paper's smallest rows on a CPU",
    "vocab_size": 2048,
    "seq_len": 64,
    "shapes": [{"n_layer": 1, "d_model": 32}, {"n_layer": 2, "d_model": 32}],
    "seeds": 1,
    "alpha_guess": 4.2,
    "capacity_multiples": [0.5, 1, 2],
    "precisions": ["fp32", "bf16"],
    "n_heldout": 64,
    "max_models_per_job": 3,
    "train": {
        "max_steps": 200_000,
        "batch_size": 128,
        "lr": 3e-3,
        "warmup_steps": 100,
        "eval_every": 200,
        "patience_evals": 5,
        "checkpoint_every": 2000,
    },
}

# LM2 beside plain GPTs (SPEC 8): two 2-block shapes (so one block writes what the next reads),
# each with its LM2 at matched non-memory and at matched total parameters, on the quick
# preset's data and trainer; 9 minutes on 2 CPU cores (docs/results.md).
PRESETS["lm2-quick"] = {
    **PRESETS["quick"],
    "name": "LM2 vs GPT capacity sweep",
    "shapes": [{"n_layer": 2, "d_model": d} for d in (8, 16)],
    "capacity_multiples": [0.5, 1, 2],
    "refine_peak": False,
    "max_models_per_job": 6,
    # The quick preset's trainer and saturation rule, unchanged: one rule for every preset
    # (issue 26; a looser patience here made LM2's capacities lower bounds of another rule).
    "lm2": {"memory_slots": 8},
}
# For a GPU: six of the paper's shapes (2 and 4 blocks) with a 64-slot memory beside each.
PRESETS["lm2-paper"] = {
    **PRESETS["paper"],
    "name": "LM2 vs GPT capacity sweep (paper scale)",
    "shapes": [{"n_layer": n, "d_model": d} for n in (2, 4) for d in (32, 64, 128)],
    "seeds": 3,
    "lm2": {"memory_slots": 64},
}


def capacity_preset(name: str) -> CapacitySweepParams:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return CapacitySweepParams(**PRESETS[name])


# Fewer non-member documents than this: no held-out reference model (worker/heldout_reference.py).
HELDOUT_REFERENCE_MIN_DOCUMENTS = 4

SECRET_PLACEHOLDER = "{secret}"
INDEX_PLACEHOLDER = "{n}"


class CanarySpace(Strict):
    """A canary template and the space its secret is drawn from (SPEC 10): `secret_length`
    symbols of `alphabet`, |R| = len(alphabet)^secret_length.

    An optional {n} in the template is filled with the canary's number (1, 2, ...; controls
    after the inserted ones), so each canary has its own context ("the pin of user 3 is ...")
    and its secret can be extracted from it: canaries sharing one context could at most have
    one of their secrets as the greedy completion. Each canary is ranked against candidate
    secrets in its own context."""

    template: str = Field(default="the pin of user {n} is {secret}", min_length=8, max_length=300)
    alphabet: str = Field(default="0123456789", min_length=2, max_length=100)
    secret_length: int = Field(default=6, ge=1, le=64)
    # Secrets drawn to rank each canary against (SPEC 10: rank estimated from M candidates).
    n_candidates: int = Field(default=2000, ge=100, le=100_000)

    @field_validator("template")
    @classmethod
    def _one_placeholder(cls, template: str) -> str:
        if template.count(SECRET_PLACEHOLDER) != 1:
            raise ValueError(f"the template must contain {SECRET_PLACEHOLDER} exactly once")
        return template

    @field_validator("alphabet")
    @classmethod
    def _distinct_symbols(cls, alphabet: str) -> str:
        if len(set(alphabet)) != len(alphabet):
            raise ValueError("the alphabet's symbols must be distinct")
        return alphabet

    def fill(self, secret: str, number: int) -> str:
        """The template with the secret and canary number `number` filled in."""
        text = self.template.replace(INDEX_PLACEHOLDER, str(number))
        return text.replace(SECRET_PLACEHOLDER, secret)

    def prefix(self, number: int) -> str:
        """The filled template's text before the secret (the extraction prompt)."""
        return self.fill(SECRET_PLACEHOLDER, number).split(SECRET_PLACEHOLDER)[0]


class SweepCanaries(CanarySpace):
    """Canaries a text sweep plants in every run's training set: `per_repeat` secrets inserted
    r times for each r of `repeats`, and `n_controls` secrets never inserted."""

    repeats: list[Annotated[int, Field(ge=1, le=1000)]] = Field(
        default=[1, 4, 16], min_length=1, max_length=8
    )
    per_repeat: int = Field(default=2, ge=1, le=50)
    n_controls: int = Field(default=4, ge=0, le=50)

    @field_validator("repeats")
    @classmethod
    def _sorted(cls, repeats: list[int]) -> list[int]:
        return sorted(set(repeats))


class InsertedCanary(Strict):
    """One inserted secret. `text`, when given, is the canary in its own words, with {secret}
    where the secret stands ("Ledger 2584 of Ruth Okafor: the vault code is {secret}."): its
    exposure and extraction are measured in that context, not the shared template's."""

    secret: str = Field(min_length=1, max_length=64)
    repeats: int = Field(default=1, ge=1, le=1_000_000)
    text: str | None = Field(default=None, min_length=8, max_length=500)

    @field_validator("text")
    @classmethod
    def _one_secret(cls, text: str | None) -> str | None:
        if text is not None and text.count(SECRET_PLACEHOLDER) != 1:
            raise ValueError(f"a canary's text must contain {SECRET_PLACEHOLDER} exactly once")
        return text


class ScoringCanaries(CanarySpace):
    """Canaries a user inserted into an uploaded model's training data, and how often; memdash
    adds `n_controls` secrets of the same space that were never inserted. Each inserted canary
    is the template filled with its secret and number, or its own `text`; controls are measured
    in the inserted canaries' contexts (worker/canaries.py)."""

    inserted: list[InsertedCanary] = Field(min_length=1, max_length=200)
    n_controls: int = Field(default=4, ge=0, le=50)

    @model_validator(mode="after")
    def _secrets_in_space(self) -> ScoringCanaries:
        for canary in self.inserted:
            if len(canary.secret) != self.secret_length or set(canary.secret) - set(self.alphabet):
                raise ValueError(
                    f"inserted secret {canary.secret!r} is not {self.secret_length} symbols of "
                    f"the alphabet {self.alphabet!r}"
                )
        return self


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

    def largest_job_flops(self) -> float:
        """Training FLOPs of the most expensive job (one shape's runs and its reference)."""
        n_models = len(self.train_sizes) + (self.reference == "full")
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
            n_models = len(self.train_sizes) + (self.reference == "full")
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


TEXT_PRESETS: dict[str, dict] = {
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


class ScoringParams(Strict):
    """Score uploaded checkpoints on members (and optionally non-members) against a reference.

    Several checkpoints of one model scored on the same data also give the Pythia-style
    precision/recall of predicting the last one's memorized set from the earlier ones."""

    name: str = Field(default="scoring", max_length=200)
    checkpoint_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        min_length=1, max_length=16
    )
    # "demo", "sweep:<id>" (a text sweep's training set; its held-out set for non-members) or
    # the sha256 of an uploaded .txt/.jsonl corpus.
    members: str = Field(default="demo", pattern=r"^(demo|sweep:[0-9]+|[0-9a-f]{64})$")
    nonmembers: str | None = Field(default=None, pattern=r"^(sweep:[0-9]+|[0-9a-f]{64})$")
    # "auto": per sample the shortest of zlib, lzma, the uniform token code and, given enough
    # non-member documents, a model memdash trains on half of them; "zlib" / "lzma"
    # (model-free); "heldout-model" (that trained model alone); "checkpoint:<id>" (an uploaded
    # model, e.g. a fine-tune's base model). See worker/jobs/score.py and docs/measures.md.
    reference: str = Field(
        default="auto", pattern=r"^(auto|zlib|lzma|heldout-model|checkpoint:[0-9]+)$"
    )
    seq_len: int = Field(default=64, ge=16, le=4096)
    max_samples: int = Field(default=1000, ge=1, le=100_000)
    # Canaries the user inserted into the model's training data: exposure per canary (SPEC 10).
    canaries: ScoringCanaries | None = None
    # "model": score in the precision the weights are stored in; "bf16": cast them to bf16 first
    # (logits in fp32), 2.7× faster on CPUs with AMX for +0.005 bits/token over a corpus and
    # 0.02 per sample (bench/results-bf16-scoring.md). A documented choice, never a silent one.
    precision: Literal["model", "bf16"] = "model"

    @property
    def reference_checkpoint_id(self) -> int | None:
        return (
            int(self.reference.split(":")[1]) if self.reference.startswith("checkpoint:") else None
        )
