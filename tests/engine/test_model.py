"""worker/model.py: parameter count, HF export, KV cache, fused loss."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from memdash.core.metrics.capacity import gpt2_param_count
from memdash.worker.fused_ce import tied_head_cross_entropy
from memdash.worker.hf_export import save_hf_folder, to_hf_gpt2
from memdash.worker.model import GPT, GPTConfig, decode_piecewise
from memdash.worker.stacked_model import stack_state, stacked_logits


@pytest.mark.parametrize(("n_layer", "d_model"), [(1, 32), (2, 64), (4, 128), (8, 256)])
def test_param_count_equals_spec_formula(n_layer: int, d_model: int) -> None:
    model = GPT(GPTConfig(vocab_size=2048, seq_len=64, n_layer=n_layer, d_model=d_model))
    assert model.n_params() == gpt2_param_count(2048, 64, d_model, n_layer)


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError):
        GPTConfig(d_model=48, n_head=5)
    model = GPT(GPTConfig(vocab_size=16, seq_len=8))
    with pytest.raises(ValueError, match="exceeds seq_len"):
        model(torch.zeros(1, 9, dtype=torch.long))


def test_hf_export_gives_the_same_logits(tmp_path) -> None:
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=300, seq_len=32, n_layer=2, d_model=64)).eval()
    idx = torch.randint(0, 300, (3, 32))
    with torch.no_grad():
        ours = model(idx)[0]
        assert (to_hf_gpt2(model)(idx).logits - ours).abs().max() <= 1e-5
        save_hf_folder(model, tmp_path / "hf")
        reloaded = AutoModelForCausalLM.from_pretrained(tmp_path / "hf", trust_remote_code=False)
        assert (reloaded(idx).logits - ours).abs().max() <= 1e-5
    assert (tmp_path / "hf" / "model.safetensors").exists()


def test_kv_cache_matches_a_full_forward() -> None:
    torch.manual_seed(1)
    model = GPT(GPTConfig(vocab_size=50, seq_len=24, n_layer=2, d_model=32)).eval()
    idx = torch.randint(0, 50, (2, 24))
    with torch.no_grad():
        full = model(idx)[0]
    assert (decode_piecewise(model, idx, 5) - full).abs().max() < 1e-5


def test_training_loss_equals_cross_entropy_of_the_logits() -> None:
    torch.manual_seed(2)
    model = GPT(GPTConfig(vocab_size=40, seq_len=16, n_layer=1, d_model=32))
    idx = torch.randint(0, 40, (4, 16))
    logits = model(idx[:, :-1])[0]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 40), idx[:, 1:].reshape(-1))
    fused = model.training_loss(idx[:, :-1], idx[:, 1:])
    assert fused.item() == pytest.approx(loss.item(), rel=1e-5)


def test_fused_cross_entropy_gradients_match_autograd() -> None:
    torch.manual_seed(3)
    x = torch.randn(3, 70, 8, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 30, 8, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(0, 30, (3, 70))
    weights = torch.randn(3, dtype=torch.float64)
    (tied_head_cross_entropy(x, w, targets) * weights).sum().backward()
    fused_x, fused_w = x.grad.clone(), w.grad.clone()
    x.grad = w.grad = None
    reference = torch.stack([F.cross_entropy(x[m] @ w[m].T, targets[m]) for m in range(3)])
    (reference * weights).sum().backward()
    assert torch.allclose(fused_x, x.grad, atol=1e-6)
    assert torch.allclose(fused_w, w.grad, atol=1e-6)


def test_fused_cross_entropy_ignores_padded_targets() -> None:
    """PAD (-1) targets add nothing and are not counted: F.cross_entropy's ignore_index, per
    model, values and gradients."""
    torch.manual_seed(5)
    x = torch.randn(2, 40, 8, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 20, 8, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(0, 20, (2, 40))
    targets[0, 30:] = -1
    targets[1, ::3] = -1
    tied_head_cross_entropy(x, w, targets).sum().backward()
    fused_x, fused_w = x.grad.clone(), w.grad.clone()
    x.grad = w.grad = None
    reference = torch.stack(
        [F.cross_entropy(x[m] @ w[m].T, targets[m], ignore_index=-1) for m in range(2)]
    )
    reference.sum().backward()
    assert torch.allclose(fused_x, x.grad, atol=1e-6)
    assert torch.allclose(fused_w, w.grad, atol=1e-6)
    assert not fused_x[0, 30:].any()  # a padded position gets no gradient


def test_stacked_forward_equals_each_model() -> None:
    torch.manual_seed(4)
    config = GPTConfig(vocab_size=60, seq_len=12, n_layer=2, d_model=32)
    models = [GPT(config).eval() for _ in range(3)]
    idx = torch.randint(0, 60, (3, 2, 12))
    with torch.no_grad():
        stacked = stacked_logits(stack_state(models), config, idx)
        for m, model in enumerate(models):
            assert (stacked[m] - model(idx[m])[0]).abs().max() < 1e-5


def test_the_engine_config_is_the_shape_plus_the_engines_own_options() -> None:
    """core.params.Shape defines a model's shape once; GPTConfig mirrors its fields (same
    names, same defaults) and adds the vocabulary, the length and the engine's options."""
    import dataclasses

    from memdash.core.params import Shape

    engine = {f.name: f.default for f in dataclasses.fields(GPTConfig)}
    shape_defaults = {
        name: field.default for name, field in Shape.model_fields.items() if not field.is_required()
    }
    assert set(Shape.model_fields) <= set(engine)
    assert {name: engine[name] for name in shape_defaults} == shape_defaults
    assert set(engine) - set(Shape.model_fields) == {
        "vocab_size",
        "seq_len",
        "n_head",
        "attention_window",
    }
    lm2 = Shape(n_layer=2, d_model=32, memory_slots=8, memory_blocks=1, memory_heads=2)
    config = GPTConfig.of(lm2, vocab_size=64, seq_len=16)
    assert all(getattr(config, name) == getattr(lm2, name) for name in Shape.model_fields)
    assert (config.vocab_size, config.seq_len, config.attention_window) == (64, 16, 0)
