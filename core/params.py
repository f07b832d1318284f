"""Parameters that the server's kinds and the worker's jobs both read: the trainer's knobs
(TrainParams), a model's shape (Shape) and its LM2 variants. Validated at the edge (form, CLI,
API) and again by the worker; no torch here (the web server imports it).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from memdash.core.metrics.capacity import (
    gpt2_param_count,
    lm2_memory_param_count,
    lm2_memory_param_parts,
)

# Identifiers bounded to the databases' signed 64-bit integers; content hashes.
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


HEAD_WIDTH = 32  # channels per attention head in memdash's GPT-2 shapes


def head_count(d_model: int) -> int:
    """Attention heads of a model `d_model` wide: one per HEAD_WIDTH channels, at least one
    (the rule every shape follows: the trainer, the cost estimate, the shape checks)."""
    return max(1, d_model // HEAD_WIDTH)


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
    # The patience window, in the same unit for every preset: at least this share of the steps
    # the run has taken (and at least `patience_evals` evaluations). A phase ends when the last
    # window brought no progress (worker/saturation.py; issue 37: the window was 150 steps in
    # the quick preset and 10,000 in the paper's).
    window_share: float = Field(default=0.05, ge=0, le=1)
    # Progress: a gain of at least this share of the bits the run has memorized, within
    # the window (worker/saturation.py; the same for every N).
    min_gain_share: float = Field(default=0.001, ge=0, le=1)
    # At a plateau the learning rate is cut (×lr_cut_factor) up to lr_cuts times before the
    # run counts as saturated (worker.train.Saturation).
    lr_cuts: int = Field(default=3, ge=0, le=20)
    lr_cut_factor: float = Field(default=0.3, gt=0, lt=1)
    floor_bits: float = Field(default=0.001, ge=0, le=100)  # per token: all memorized
    checkpoint_every: int = Field(default=500, ge=1, le=10_000_000)
    max_eval_samples: int = Field(default=2048, ge=1, le=10_000_000)


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
        heads = head_count(d_model)
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

    def memory_param_parts(self) -> dict[str, int]:
        """The memory module's parameters by part: bank, gates, projections."""
        return lm2_memory_param_parts(
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
                if d % head_count(d) == 0 and d % (self.memory_heads or 1) == 0
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


# Fewer non-member documents than this: no held-out reference model (worker/heldout_reference.py).
HELDOUT_REFERENCE_MIN_DOCUMENTS = 4
