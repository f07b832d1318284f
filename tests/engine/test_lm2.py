"""The LM2 memory module (worker/memory.py): a hand-computed read and write, zero slots is the
plain GPT, exact parameter counts, causality, stacked == single and memorization (exact resume:
tests/engine/test_train.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from worker.data.synthetic import uniform_tokens
from worker.memory import identity_rows, memory_step
from worker.metrics.capacity import gpt2_param_count, lm2_memory_param_count
from worker.model import GPT, GPTConfig
from worker.params import Shape
from worker.stacked_model import check_equivalent
from worker.train import train
from worker.train_config import TrainConfig

LM2 = GPTConfig(vocab_size=64, seq_len=16, n_layer=2, d_model=32, memory_slots=8)
FAST = TrainConfig(max_steps=400, batch_size=32, lr=1e-2, warmup_steps=20, eval_every=50)


def test_a_read_and_write_of_two_slots_match_a_hand_computation() -> None:
    """d = 4, one head, slots e0 and e1; W_Q = W_K = W_V = I and all gates' weights 0, so every
    gate is σ(0) = ½. Query e0: scores ½ (slot 0) and 0 (slot 1) after the 1/√4 scale."""
    eye, zero = torch.eye(4)[None], torch.zeros(1, 4, 4)
    weights = {"q.weight": eye, "k.weight": eye, "v.weight": eye}
    for gate in ("out", "in", "forget"):
        weights[f"{gate}.weight"], weights[f"{gate}.bias"] = zero, torch.zeros(1, 4)
    bank = identity_rows(2, 4)[None]  # (1, 2, 4)
    normed = torch.tensor([[[1.0, 0, 0, 0]]])  # E: one position
    out, state = memory_step(normed, torch.zeros(1, 1, 4), bank, None, weights, heads=1)

    a0 = math.exp(0.5) / (math.exp(0.5) + 1)  # attention on slot 0
    read = [a0, 1 - a0, 0.0, 0.0]  # E_mem = a0·e0 + a1·e1
    assert out[0, 0].tolist() == pytest.approx([0.5 * r for r in read], abs=1e-6)
    assert state is not None
    common, scale = state  # the position's bank is common + scale ⊙ M0[j]
    for slot in range(2):  # M'[j] = ½·tanh(E_mem) + ½·M[j]
        expected = [0.5 * math.tanh(r) + 0.5 * (i == slot) for i, r in enumerate(read)]
        got = common[0, 0] + scale[0, 0] * bank[0, slot]
        assert got.tolist() == pytest.approx(expected, abs=1e-6)


def _slot_by_slot(normed, stream, memory, w, heads):
    """SPEC 8 written out for one model: memory (R, N, C), one bank per position, every slot's
    key and value computed from it. The closed form in worker/memory.py must agree."""
    R, C = normed.shape
    d = C // heads
    q = (normed @ w["q.weight"].T).view(R, heads, d)
    k = (memory @ w["k.weight"].T).view(R, -1, heads, d)
    v = (memory @ w["v.weight"].T).view(R, -1, heads, d)
    a = torch.einsum("rhd,rnhd->rhn", q, k).div(math.sqrt(d)).softmax(-1)
    read = torch.einsum("rhn,rnhd->rhd", a, v).reshape(R, C)
    out = stream + torch.sigmoid(read @ w["out.weight"].T + w["out.bias"]) * read
    g_in = torch.sigmoid(normed @ w["in.weight"].T + w["in.bias"])
    g_forget = torch.sigmoid(read @ w["forget.weight"].T + w["forget.bias"])
    return out, (g_in * torch.tanh(read))[:, None] + g_forget[:, None] * memory


def test_three_writes_in_closed_form_equal_the_equations_slot_by_slot() -> None:
    torch.manual_seed(3)
    R, N, C, heads = 5, 3, 8, 2
    bank = torch.randn(N, C)
    memory = bank.expand(R, N, C)
    state = None
    for _ in range(3):
        w = {f"{n}.weight": torch.randn(C, C) / 2 for n in ("q", "k", "v", "out", "in", "forget")}
        w |= {f"{n}.bias": torch.randn(C) for n in ("out", "in", "forget")}
        normed, stream = torch.randn(R, C), torch.randn(R, C)
        expected_out, memory = _slot_by_slot(normed, stream, memory, w, heads)
        stacked = {k: t[None] for k, t in w.items()}
        out, state = memory_step(normed[None], stream[None], bank[None], state, stacked, heads)
        assert torch.allclose(out[0], expected_out, atol=1e-5)
        assert state is not None
        rebuilt = state[0][0][:, None] + state[1][0][:, None] * bank[None]
        assert torch.allclose(rebuilt, memory, atol=1e-5)


def test_the_last_memory_block_has_no_write_and_the_first_reads_identity_rows() -> None:
    model = GPT(replace(LM2, n_layer=3, memory_blocks=2))
    assert hasattr(model.blocks[0].memory, "forget") and not hasattr(
        model.blocks[1].memory, "forget"
    )
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
    memory reads 2·(4·16 + 4) = 136, one write 2·16 + 2·4 = 40, the learned bank 2·4 = 8."""
    config = GPTConfig(vocab_size=10, seq_len=8, n_layer=2, d_model=4, memory_slots=2)
    model = GPT(config)
    assert gpt2_param_count(10, 8, 4, 2) == 568
    assert model.n_memory_params() == 136 + 40 + 8 == lm2_memory_param_count(4, 2, 2)
    assert model.n_params() == 568 + 184
    assert Shape(n_layer=2, d_model=4, memory_slots=2).n_params(10, 8) == 752
    fixed = GPT(replace(config, memory_learned=False))  # identity rows, not parameters
    assert fixed.n_memory_params() == 176 and "memory" not in fixed.state_dict()


def test_no_position_reads_what_a_later_token_wrote() -> None:
    model = GPT(replace(LM2, n_layer=3)).eval()
    for p in model.parameters():
        p.data.normal_(0, 0.3)  # far from the near-zero init, so the memory path matters
    idx = torch.randint(0, 64, (2, 16))
    changed = idx.clone()
    changed[:, 9:] = (changed[:, 9:] + 1) % 64
    with torch.no_grad():
        before, after = model(idx)[0], model(changed)[0]
    assert torch.equal(before[:, :9], after[:, :9])
    assert not torch.allclose(before[:, 9:], after[:, 9:])


@pytest.mark.parametrize("learned", [True, False])
def test_the_stacked_forward_is_the_single_models(learned: bool) -> None:
    torch.manual_seed(1)
    model = GPT(replace(LM2, n_layer=3, memory_learned=learned))
    for p in model.parameters():
        p.data.normal_(0, 0.3)
    assert check_equivalent(model) < 1e-4


def test_an_lm2_memorizes_random_tokens() -> None:
    data = uniform_tokens(32, 16, 64, seed=1)
    result = train(LM2, FAST, data)
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
