"""What a mixed GPT / LM2 capacity sweep concludes (app/analysis/architecture_summary.py), on
numbers small enough to check by hand."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from memdash.app.analysis.architecture_summary import architecture_summary
from tests.figure_data import trained_config


def _run(shape: str, seed: int, n: int, bits: float) -> SimpleNamespace:
    return SimpleNamespace(
        config=trained_config(shape, n), seed=seed, n_train=n, summary={"mem_u_bits": bits}
    )


def _shape(key: str, arch: str, params: int, memory: int, bits: float, **more) -> dict:
    return {
        "shape": key,
        "architecture": arch,
        "n_params": params,
        "n_memory_params": memory,
        "n_nonmemory_params": params - memory,
        "capacity_bits": bits,
        "bits_per_param": bits / params,
        **more,
    }


def test_alphas_bits_per_slot_and_the_finding_by_hand() -> None:
    """Plain GPTs at exactly 2 bits/param (α_GPT = 2). The LM2 has 1,000 non-memory and 500
    memory parameters, 10 slots, and memorizes 2,600 / 2,800 bits in its two seeds (the plain
    shape 2,000 in both): bits/param ratios (2600/1500)/2 = 0.867 and (2800/1500)/2 = 0.933,
    bits per slot (2,700 − 2 · 1,000) / 10 = 70."""
    shapes = [
        _shape("A", "GPT", 1000, 0, 2000.0),
        _shape("B", "GPT", 2000, 0, 4000.0),
        _shape("A LM2", "LM2", 1500, 500, 2700.0, memory_slots=10, matched="non_memory",
               matched_to_config="A"),
    ]  # fmt: skip
    runs = [
        _run("A", 0, 10, 2000.0), _run("A", 1, 10, 2000.0), _run("A", 0, 20, 1500.0),
        _run("B", 0, 10, 4000.0), _run("B", 1, 10, 4000.0),
        _run("A LM2", 0, 10, 2600.0), _run("A LM2", 1, 10, 2500.0), _run("A LM2", 1, 20, 2800.0),
    ]  # fmt: skip
    summary = architecture_summary(shapes, runs)
    gpt, lm2 = summary["alpha_by_architecture"]["GPT"], summary["alpha_by_architecture"]["LM2"]
    assert gpt["all"]["alpha"] == pytest.approx(2.0) and gpt["non_memory"][
        "alpha"
    ] == pytest.approx(2.0)
    assert lm2["all"]["alpha"] == pytest.approx(1.8) and lm2["non_memory"][
        "alpha"
    ] == pytest.approx(2.7)
    assert shapes[2]["bits_per_slot"] == pytest.approx(70.0)
    (pair,) = summary["matched_pairs"]
    assert pair["per_param_ratio_range"] == pytest.approx([2600 / 3000, 2800 / 3000])
    assert pair["per_param_ratio"] == pytest.approx(0.9) and pair["n_seeds"] == 2
    assert summary["finding"] == (
        "At matched non-memory parameters, LM2 memorizes less per parameter than the plain "
        "GPT: 0.90× its bits/parameter (per-seed range 0.87–0.93, 1 shape)."
    )


def test_a_range_across_one_says_neither_and_one_plain_shape_gives_no_bits_per_slot() -> None:
    shapes = [
        _shape("A", "GPT", 1000, 0, 2000.0),
        _shape("A LM2", "LM2", 1500, 500, 3000.0, memory_slots=10, matched="total",
               matched_to_config="A"),
    ]  # fmt: skip
    runs = [_run("A", s, 10, 2000.0) for s in (0, 1)]
    runs += [_run("A LM2", 0, 10, 2700.0), _run("A LM2", 1, 10, 3300.0)]  # ratios 0.9 and 1.1
    summary = architecture_summary(shapes, runs)
    assert "neither clearly more nor less" in summary["finding"]
    assert "matched total parameters" in summary["finding"]
    assert "bits_per_slot" not in shapes[1]  # one plain shape: no α_GPT to subtract


def test_text_runs_compare_with_the_plain_run_on_the_same_training_set() -> None:
    """mem_U per parameter (330/1500)/(200/1000) = 1.1 and (270/1500)/(200/1000) = 0.9 over
    two seeds: "about as much"; extraction 0.1 higher in both."""
    from memdash.app.analysis.architecture_summary import text_comparison

    def run(arch: str, seed: int, params: int, bits: float, extract: float) -> SimpleNamespace:
        config = trained_config("A" if arch == "GPT" else "A LM2", 64, architecture=arch)
        if arch == "LM2":
            config |= {"matched": "non_memory", "matched_to": "A"}
        summary = {"mem_u_bits": bits, "extract_rate_train_k8": extract, "mi_loss_auc": 0.6}
        return SimpleNamespace(
            config=config, n_train=64, seed=seed, n_params=params, summary=summary
        )

    runs = [run("GPT", s, 1000, 200.0, 0.2) for s in (0, 1)]
    runs += [run("LM2", 0, 1500, 330.0, 0.3), run("LM2", 1, 1500, 270.0, 0.3)]
    comparison = text_comparison(runs)
    assert comparison is not None
    ratios = [r["mem_u_per_param_ratio"] for r in comparison["rows"]]
    assert ratios == pytest.approx([1.1, 0.9])
    assert all(r["extract_rate_train_k8_diff"] == pytest.approx(0.1) for r in comparison["rows"])
    assert comparison["finding"].startswith(
        "At matched non-memory parameters, LM2 memorizes about as much training data per "
        "parameter as the plain GPT: 1.00 (range 0.90 to 1.10)×"
    )
    assert (
        "extraction (k = 8) +0.10 against the plain GPT's (range +0.10 to +0.10)"
        in (comparison["finding"])
    )


def test_memory_bits_come_with_the_interval_alphas_interval_implies() -> None:
    """Plain GPTs at 2 and 2.5 bits/param: α through the origin = (1000·2000 + 2000·5000) /
    (1000² + 2000²) = 2.4 with a wide interval; the LM2 (1,000 non-memory parameters, 10 slots of
    d = 8: an 80-parameter bank) stores 2,700 − 2.4 · 1,000 = 300 bits beyond them: 30 per
    slot, 3.75 per bank parameter, each between the bounds α's interval gives."""
    from memdash.app.analysis.architecture_summary import memory_bits
    from memdash.core.metrics.capacity import fit_alpha

    shapes = [
        _shape("A", "GPT", 1000, 0, 2000.0),
        _shape("B", "GPT", 2000, 0, 5000.0),
        _shape("A LM2", "LM2", 1500, 500, 2700.0, memory_slots=10,
               memory_param_parts={"bank": 80, "gates": 220, "projections": 200}),
    ]  # fmt: skip
    architecture_summary(shapes, [_run(s["shape"], 0, 10, s["capacity_bits"]) for s in shapes])
    lm2 = shapes[2]
    fit = fit_alpha([1000, 2000], [2000, 5000])
    assert fit.alpha == pytest.approx(2.4)
    low, high = 2700 - fit.alpha_ci95[1] * 1000, 2700 - fit.alpha_ci95[0] * 1000
    assert lm2["memory_bits"] == pytest.approx(300.0)
    assert lm2["memory_bits_ci95"] == pytest.approx([low, high])
    assert lm2["bits_per_slot"] == pytest.approx(30.0)
    assert lm2["bits_per_slot_ci95"] == pytest.approx([low / 10, high / 10])
    assert lm2["bits_per_bank_param"] == pytest.approx(3.75)
    assert lm2["bits_per_bank_param_ci95"] == pytest.approx([low / 80, high / 80])
    assert low < 0 < high  # two plain shapes: the interval says the memory's share is unknown
    assert memory_bits(lm2, 2.0, [2.0, 2.0])["memory_bits_ci95"] == [700.0, 700.0]
