"""What one stacked training job costs: memory and FLOPs, estimated before it is queued (kinds
refuse sweeps no worker can hold; app/jobs/launch_limits.py)."""

from __future__ import annotations

from memdash.core.params import head_count

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
    heads = head_count(d_model)
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
