"""The LM2 memory module (worker/memory.py): a hand-computed read and write, two slots holding
two things, the scan against the equations written out, information flowing forward through
the memory and never back, cached decoding, zero slots is the plain GPT, exact parameter
counts, stacked == single and memorization (exact resume: tests/engine/test_train.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import Tensor

from memdash.core.metrics.capacity import gpt2_param_count, lm2_memory_param_count
from memdash.core.params import Shape
from memdash.worker.data.recall import RecallTask
from memdash.worker.data.synthetic import uniform_tokens
from memdash.worker.memory import identity_rows, memory_scan
from memdash.worker.model import GPT, GPTConfig, decode_piecewise
from memdash.worker.stacked_model import check_equivalent
from memdash.worker.train import train
from memdash.worker.train_config import TrainConfig

LM2 = GPTConfig(vocab_size=64, seq_len=16, n_layer=2, d_model=32, memory_slots=8)
FAST = TrainConfig(max_steps=400, batch_size=32, lr=1e-2, warmup_steps=20, eval_every=50)


def _gates(C: int, **biases: Tensor) -> dict[str, Tensor]:
    """Output, input and forget gates with zero weights and the given (else zero) biases."""
    weights = {}
    for gate in ("out", "in", "forget"):
        weights[f"{gate}.weight"] = torch.zeros(1, C, C)
        weights[f"{gate}.bias"] = biases.get(gate, torch.zeros(C))[None]
    return weights


def test_a_read_and_write_of_two_slots_match_a_hand_computation() -> None:
    """d = 4, one head, slots e0 and e1; W_Q = W_K = W_V = I and all gates' weights 0, so every
    gate is σ(0) = ½. Query e0: scores ½ (slot 0) and 0 (slot 1) after the 1/√4 scale."""
    eye = torch.eye(4)[None]
    weights = {"q.weight": eye, "k.weight": eye, "v.weight": eye} | _gates(4)
    bank = identity_rows(2, 4)[None]  # (1, 2, 4)
    normed = torch.tensor([[[[1.0, 0, 0, 0]]]])  # E: one sequence, one position
    out, after = memory_scan(normed, torch.zeros(1, 1, 1, 4), bank, weights, heads=1)

    a0 = math.exp(0.5) / (math.exp(0.5) + 1)  # attention on slot 0 (and the write's address)
    read = [a0, 1 - a0, 0.0, 0.0]  # E_mem = a0·e0 + a1·e1
    assert out[0, 0, 0].tolist() == pytest.approx([0.5 * r for r in read], abs=1e-6)
    for slot, address in ((0, a0), (1, 1 - a0)):  # M'[j] = M[j] + w_j (½·tanh(E_mem) − ½·M[j])
        expected = [
            (i == slot) + address * (0.5 * math.tanh(r) - 0.5 * (i == slot))
            for i, r in enumerate(read)
        ]
        assert after[0, 0, slot].tolist() == pytest.approx(expected, abs=1e-6)


def test_two_slots_hold_two_things_and_are_read_back_separately() -> None:
    """d = 4: coordinates 0-1 address (W_Q = W_K = their projection), 2-3 carry a value.
    Position 1 writes the value (1, 0) into slot 0, position 2 writes (0, 1) into slot 1 (the
    input gate takes the value from E, the forget gate is shut: σ(−30)); position 3 reads
    slot 0 and position 4 slot 1, and each gets its own value back. With the paper's
    unaddressed write, position 2 would have overwritten slot 0 too."""
    address = torch.diag(torch.tensor([1.0, 1, 0, 0]))[None]
    bank = torch.tensor([[[1.0, 0, 1, 1], [0, 1, 1, 1]]])  # keys e0, e1; values (1, 1)
    gates = _gates(4, **{"in": torch.tensor([30.0, 30, 0, 0]), "forget": torch.full((4,), -30.0)})
    gates["in.weight"] = torch.diag(torch.tensor([0.0, 0, 1, 1]))[None]  # g_in[2:] from E[2:]
    weights = {"q.weight": address * 40, "k.weight": address, "v.weight": torch.eye(4)[None]}
    E = torch.tensor([[[1.0, 0, 30, -30], [0, 1, -30, 30], [1, 0, 0, 0], [0, 1, 0, 0]]])
    weights |= gates
    _, written = memory_scan(E[None, :, :2], torch.zeros(1, 1, 2, 4), bank, weights, heads=1)
    t = math.tanh(1.0)
    assert written[0, 0, 0].tolist() == pytest.approx([t, 0, t, 0], abs=1e-6)
    assert written[0, 0, 1].tolist() == pytest.approx([0, t, 0, t], abs=1e-6)
    out, _ = memory_scan(E[None], torch.zeros(1, 1, 4, 4), bank, weights, heads=1)
    read = 2 * out[0, 0]  # the output gate is ½
    assert read[2].tolist() == pytest.approx([t, 0, t, 0], abs=1e-6)  # slot 0: value (1, 0)
    assert read[3].tolist() == pytest.approx([0, t, 0, t], abs=1e-6)  # slot 1: value (0, 1)


def _position_by_position(normed, stream, bank, w, heads):
    """SPEC 8 and the addressed write written out for one sequence (T, C), one position, one
    slot and one head at a time, in plain loops. `memory_scan` must agree."""
    T, C = normed.shape
    d = C // heads
    memory = [bank[j].clone() for j in range(bank.shape[0])]
    outputs = []
    for t in range(T):
        q = w["q.weight"] @ normed[t]
        keys = [w["k.weight"] @ m for m in memory]
        values = [w["v.weight"] @ m for m in memory]
        read = torch.zeros(C)
        address = torch.zeros(len(memory))
        for h in range(heads):
            part = slice(h * d, (h + 1) * d)
            scores = torch.stack([q[part] @ k[part] / math.sqrt(d) for k in keys])
            a = scores.softmax(0)
            address += a / heads
            read[part] = sum(a[j] * values[j][part] for j in range(len(memory)))
        gate = torch.sigmoid(w["out.weight"] @ read + w["out.bias"])
        outputs.append(stream[t] + gate * read)
        g_in = torch.sigmoid(w["in.weight"] @ normed[t] + w["in.bias"])
        g_forget = torch.sigmoid(w["forget.weight"] @ read + w["forget.bias"])
        for j, m in enumerate(memory):
            updated = g_in * torch.tanh(read) + g_forget * m  # the paper's M', for this slot
            memory[j] = address[j] * updated + (1 - address[j]) * m
    return torch.stack(outputs), torch.stack(memory)


def test_the_scan_equals_the_equations_position_by_position_and_slot_by_slot() -> None:
    torch.manual_seed(3)
    B, T, N, C, heads = 2, 6, 3, 8, 2
    w = {f"{n}.weight": torch.randn(C, C) / 2 for n in ("q", "k", "v", "out", "in", "forget")}
    w |= {f"{n}.bias": torch.randn(C) for n in ("out", "in", "forget")}
    bank = torch.randn(N, C)
    normed, stream = torch.randn(B, T, C), torch.randn(B, T, C)
    stacked = {k: v[None] for k, v in w.items()}
    out, after = memory_scan(normed[None], stream[None], bank[None], stacked, heads)
    for b in range(B):
        expected_out, expected_bank = _position_by_position(normed[b], stream[b], bank, w, heads)
        assert torch.allclose(out[0, b], expected_out, atol=1e-5)
        assert torch.allclose(after[0, b], expected_bank, atol=1e-5)


def _scrambled(config: GPTConfig, seed: int = 0) -> GPT:
    """A model far from its near-zero init, so the memory path matters."""
    torch.manual_seed(seed)
    model = GPT(config).eval()
    for p in model.parameters():
        p.data.normal_(0, 0.3)
    return model


def test_information_flows_through_the_memory_and_only_through_it() -> None:
    """Self-attention sees only the position itself (window 1): position t learns of an earlier
    token only through the memory. Changing token 3 changes every later position's logits in
    the LM2 and none in the plain GPT."""
    windowed = replace(LM2, attention_window=1)
    idx = torch.randint(0, 64, (2, 16), generator=torch.Generator().manual_seed(5))
    changed = idx.clone()
    changed[:, 3] = (changed[:, 3] + 1) % 64
    for config, flows in ((windowed, True), (replace(windowed, memory_slots=0), False)):
        model = _scrambled(config)
        with torch.no_grad():
            before, after = model(idx)[0], model(changed)[0]
        assert torch.equal(before[:, :3], after[:, :3])
        later_changed = (before[:, 4:] - after[:, 4:]).abs().amax(-1) > 1e-4  # (B, 12)
        assert bool(later_changed.all()) is flows, config
        assert not flows or not torch.allclose(before[:, 15], after[:, 15])


def test_the_slots_hold_different_things_after_a_sequence() -> None:
    """What the writes added to each slot (M_T[j] − M0[j]) differs from slot to slot."""
    model = _scrambled(LM2)
    with torch.no_grad():
        _, cache = model(torch.randint(0, 64, (2, 16)))
    added = cache[0][2] - model.memory  # (B, N, C)
    spread = (added - added.mean(1, keepdim=True)).norm(dim=-1)  # per slot, from their mean
    assert bool((spread > 1e-2 * added.norm(dim=-1)).all())


@pytest.mark.parametrize("window", [0, 3])
def test_kv_cached_decoding_equals_the_full_forward(window: int) -> None:
    model = _scrambled(replace(LM2, attention_window=window))
    idx = torch.randint(0, 64, (3, 16))
    with torch.no_grad():
        full = model(idx)[0]
    assert (decode_piecewise(model, idx, 5) - full).abs().max() < 1e-4


def test_every_memory_block_writes_and_the_first_reads_identity_rows() -> None:
    model = GPT(replace(LM2, n_layer=3, memory_blocks=2))
    assert all(hasattr(model.blocks[i].memory, "forget") for i in (0, 1))
    assert not hasattr(model.blocks[2], "memory")
    assert torch.equal(model.memory.detach(), torch.eye(32)[:8])


def test_zero_slots_is_exactly_the_plain_gpt() -> None:
    plain = GPTConfig(vocab_size=64, seq_len=16, n_layer=2, d_model=32)
    torch.manual_seed(0)
    a = GPT(plain)
    torch.manual_seed(0)
    b = GPT(replace(plain, memory_slots=0, memory_blocks=0, memory_learned=False))
    assert a.n_params() == b.n_params() and b.n_memory_params() == 0
    assert a.state_dict().keys() == b.state_dict().keys()
    idx = torch.randint(0, 64, (3, 16))
    assert torch.equal(a(idx)[0], b(idx)[0])


def test_parameter_counts_against_a_hand_count() -> None:
    """V = 10, S = 8, d = 4, L = 2, N = 2 slots: the GPT 40 + 32 + 2·(192 + 52) + 8 = 568;
    memory reads 2·(4·16 + 4) = 136, writes 2·(2·16 + 2·4) = 80, the learned bank 2·4 = 8."""
    config = GPTConfig(vocab_size=10, seq_len=8, n_layer=2, d_model=4, memory_slots=2)
    model = GPT(config)
    assert gpt2_param_count(10, 8, 4, 2) == 568
    assert model.n_memory_params() == 136 + 80 + 8 == lm2_memory_param_count(4, 2, 2)
    assert model.n_params() == 568 + 224
    assert Shape(n_layer=2, d_model=4, memory_slots=2).n_params(10, 8) == 792
    fixed = GPT(replace(config, memory_learned=False))  # identity rows, not parameters
    assert fixed.n_memory_params() == 216 and "memory" not in fixed.state_dict()


def test_no_position_reads_what_a_later_token_wrote() -> None:
    """Changing tokens from position 9 on leaves every logit before 9 bit-equal."""
    model = _scrambled(replace(LM2, n_layer=3))
    idx = torch.randint(0, 64, (2, 16))
    changed = idx.clone()
    changed[:, 9:] = (changed[:, 9:] + 1) % 64
    with torch.no_grad():
        before, after = model(idx)[0], model(changed)[0]
    assert torch.equal(before[:, :9], after[:, :9])
    assert not torch.allclose(before[:, 9:], after[:, 9:])


@pytest.mark.parametrize("learned,window", [(True, 0), (False, 0), (True, 2)])
def test_the_stacked_forward_is_the_single_models(learned: bool, window: int) -> None:
    config = replace(LM2, n_layer=3, memory_learned=learned, attention_window=window)
    assert check_equivalent(_scrambled(config, seed=1)) < 1e-4


def test_an_lm2_memorizes_random_tokens() -> None:
    data = uniform_tokens(32, 16, 64, seed=1)
    result = train(LM2, replace(FAST, lr=2e-2, floor_bits=0.05), data)  # stops once memorized
    assert result.stop_reason == "memorized"
    assert result.curve[-1]["train_loss_bits"] < 0.1  # from 6 bits/token
    assert not torch.equal(result.model.memory.detach(), identity_rows(8, 32))  # it learned


def test_memory_heads_are_their_own_choice_and_change_the_read() -> None:
    one, two = replace(LM2, memory_heads=1), replace(LM2, memory_heads=2)
    torch.manual_seed(4)
    a = GPT(one)
    b = GPT(two)
    b.load_state_dict(a.state_dict())  # the same weights: only the head split differs
    for p in a.parameters():
        p.data.normal_(0, 0.3)
    b.load_state_dict(a.state_dict())
    idx = torch.randint(0, 64, (2, 16))
    with torch.no_grad():
        assert not torch.allclose(a(idx)[0], b(idx)[0])
    assert a.n_params() == b.n_params()  # heads split the same weights
    assert check_equivalent(b) < 1e-4
    with pytest.raises(ValueError, match="memory_heads"):
        GPTConfig(d_model=32, memory_slots=4, memory_heads=3)
    assert Shape(n_layer=2, d_model=32, memory_slots=8, memory_heads=2).key() == "L2-d32 LM2-m8h2"


def test_the_recall_task_asks_for_a_value_only_a_memory_can_reach() -> None:
    """Every answer is the value paired with the query's key; with self-attention windows of 3
    in 2 blocks the pairs are beyond a plain GPT's reach from the query (its answer logits do
    not move when every value changes) and within an LM2's (they do)."""
    task = RecallTask()
    tokens = task.sequences(50, seed=1)
    for row in tokens:
        pairs = dict(zip(row[0 : 2 * task.n_pairs : 2], row[1 : 2 * task.n_pairs : 2], strict=True))
        assert len(pairs) == task.n_pairs and pairs[row[-2]] == row[-1]
        assert row[2 * task.n_pairs : -2].min() >= task.n_keys + task.n_values  # filler only
    assert task.gap > 2 * (3 - 1)
    changed = tokens.copy()
    changed[:, 1 : 2 * task.n_pairs : 2] = (
        task.n_keys + (changed[:, 1 : 2 * task.n_pairs : 2] - task.n_keys + 1) % task.n_values
    )
    config = GPTConfig(task.vocab_size, task.seq_len - 1, n_layer=2, d_model=32, attention_window=3)
    for memory_slots, reaches in ((0, False), (8, True)):
        model = _scrambled(replace(config, memory_slots=memory_slots))
        with torch.no_grad():
            before = model(torch.from_numpy(tokens[:, :-1]))[0][:, -1]
            after = model(torch.from_numpy(changed[:, :-1]))[0][:, -1]
        assert (not torch.equal(before, after)) is reaches


def test_the_job_memory_estimate_counts_the_scans_saved_banks() -> None:
    """An LM2 job's estimate adds, per model, sequence, position and layer, what the scan keeps
    for the backward pass: 4·N·d + 2·heads·N + (2·heads + 6)·d floats (d = 32: one head)."""
    from memdash.core.job_cost import stack_job_bytes

    plain = stack_job_bytes(2, 1000, 0, batch_size=8, seq_len=16, n_layer=2, d_model=32)
    lm2 = stack_job_bytes(
        2, 1000, 0, batch_size=8, seq_len=16, n_layer=2, d_model=32, memory_slots=8
    )
    per_position = 4 * 8 * 32 + 2 * 8 + 8 * 32
    assert lm2 - plain == 2 * 8 * 16 * 2 * per_position * 4
