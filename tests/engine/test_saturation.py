"""The saturation rule (worker.saturation.Saturation) on synthetic loss sequences: progress is
judged in memorized bits, relative to what the run has memorized, so the same rule holds for a
small and a large training set; slow steady progress is not a plateau; a plateau cuts the
learning rate first; a plateau after the last cut stops the run as saturated; every stop
records why."""

from __future__ import annotations

import math

import pytest

from memdash.core.results import saturated
from memdash.worker.saturation import Saturation
from memdash.worker.train_config import TrainConfig

CONFIG = TrainConfig(patience_evals=3, min_gain_share=0.002, lr_cuts=2, lr_cut_factor=0.5)
V, S = 64, 16
UNIFORM = math.log2(V)  # 6 bits per token


def _feed(losses: list[float], config: TrainConfig = CONFIG) -> tuple[Saturation, int | None]:
    rule = Saturation()
    for index, loss in enumerate(losses):
        if rule.update(loss, config, UNIFORM):
            return rule, index
    return rule, None


def _loss(memorized_bits: float, n_samples: int) -> float:
    """The mean loss per predicted token of a training set that saves `memorized_bits`."""
    return UNIFORM - memorized_bits / (n_samples * (S - 1))


@pytest.mark.parametrize("n_samples", [64, 4096])
def test_flat_bits_stop_as_a_plateau_and_steady_gains_do_not_at_any_size(n_samples) -> None:
    """Both sizes memorize about a model's capacity (5,000 bits): per token that is 5.2 bits at
    N = 64 and 0.08 at N = 4,096, so a per-token threshold would treat them very differently."""
    capacity = 5000.0
    flat = [_loss(capacity * (1 + 1e-5 * (-1) ** i), n_samples) for i in range(40)]
    rule, stopped = _feed(flat)
    assert stopped == 9 and rule.reason == "plateau"  # 3 flat evaluations, twice cut, then stop
    # Still gaining 1% of its memorized bits every evaluation: never a plateau.
    growing = [_loss(0.5 * capacity * 1.01**i, n_samples) for i in range(60)]
    rule, stopped = _feed(growing)
    assert stopped is None and rule.lr_cuts_done == 0


def test_slow_steady_progress_adds_up_and_never_stops() -> None:
    """Each evaluation gains half the share needed, but the gains add up against the reference:
    the rule keeps going (a rule comparing neighbours would stop)."""
    memorized = [1000.0 * (1 + CONFIG.min_gain_share / 2) ** i for i in range(300)]
    rule, stopped = _feed([_loss(m, 64) for m in memorized])
    assert stopped is None and rule.reason == ""


def test_a_flat_loss_cuts_the_rate_then_stops_as_a_plateau() -> None:
    scales = []
    rule = Saturation()
    for index in range(100):  # noqa: B007 (the index it stopped at is checked below)
        stop = rule.update(2.0, CONFIG, UNIFORM)
        scales.append(rule.lr_scale(CONFIG))
        if stop:
            break
    # The first evaluation sets the reference; 3 flat ones -> cut 1, 3 more -> cut 2,
    # 3 more -> stop.
    assert index == 9 and rule.reason == "plateau" and saturated(rule.reason)
    assert scales[2] == 1.0 and scales[3] == 0.5 and scales[6] == 0.25 and rule.lr_cuts_done == 2


def test_progress_after_a_cut_resets_patience() -> None:
    losses = [2.0, 2.0, 2.0, 2.0]  # cut once (after 3 evaluations without improvement)
    losses += [1.9, 1.8, 1.7, 1.6]  # the cut helped: improving again
    losses += [1.6] * 3  # plateau -> second cut
    rule, stopped = _feed(losses)
    assert stopped is None and rule.lr_cuts_done == 2


def test_a_loss_that_never_left_the_uniform_code_is_not_progressing_by_noise() -> None:
    noise = [UNIFORM - 1e-6 * i for i in range(40)]  # gains below RESOLUTION_BITS
    rule, stopped = _feed(noise)
    assert stopped == 9 and rule.reason == "plateau"


def test_memorized_stops_at_once_and_is_saturated() -> None:
    rule, stopped = _feed([3.0, 1.0, 0.0005])
    assert stopped == 2 and rule.reason == "memorized" and saturated("memorized")


def test_a_budget_stop_is_not_saturation() -> None:
    assert not saturated("max_steps") and not saturated("cancelled")


@pytest.mark.slow
def test_past_capacity_the_default_rule_and_a_four_times_stricter_one_agree() -> None:
    """The quick preset's L1-d8 at 4× its capacity, trained to saturation under the default
    rule and under one 4× stricter: memorized bits within 2% (the former per-token rule came
    out 12% short at 4× on L1-d16, issue 26). Either rule may reach the preset's budget still
    improving (the window is 5% of the steps taken): its bits are then a lower bound, which the
    page marks. Which one does depends on the machine's floating point: on one 2-core AVX2
    machine (2026-12-08) the default rule itself ran to the 6,000-step budget, both rules
    measuring 3,462 bits; where it plateaus, its plateau is still within 2% of the stricter
    rule's bits. About a minute on one core."""
    from dataclasses import replace

    import torch

    from bench.saturation_rule import memorized_bits
    from memdash.app.kinds.capacity.params import capacity_preset

    torch.set_num_threads(1)
    preset = capacity_preset("quick").model_copy(update={"seeds": 1, "capacity_multiples": [4]})
    base = TrainConfig.from_params(preset.train)
    sizes = preset.sizes_for(preset.shapes[0])
    default = memorized_bits(preset, 0, sizes, base)
    stricter = memorized_bits(
        preset, 0, sizes, replace(base, min_gain_share=base.min_gain_share / 4)
    )
    assert set(default["stop_reasons"]) <= {"plateau", "max_steps"}
    assert set(stricter["stop_reasons"]) <= {"plateau", "max_steps"}
    if "max_steps" in default["stop_reasons"]:  # then the stricter rule cannot stop earlier
        assert stricter["stop_reasons"] == {"max_steps": 1}
    assert default["capacity_bits"] == pytest.approx(stricter["capacity_bits"], rel=0.02)


def test_the_window_is_one_share_of_the_steps_in_every_preset() -> None:
    """The quick preset evaluates every 50 steps with a patience of 3, the paper's every 1,000
    with 10: with the window a share of the steps taken, both stop after the same share of
    their run without progress (the last tenth), not after 150 and 10,000 steps."""
    flat_evals = []
    for eval_every, patience in ((50, 3), (1000, 10)):
        config = TrainConfig(
            eval_every=eval_every,
            patience_evals=patience,
            window_share=0.1,
            lr_cuts=0,
            min_gain_share=0.002,
        )
        rule = Saturation()
        losses = [_loss(100.0 * 1.01**i, 64) for i in range(200)] + [
            _loss(100 * 1.01**199, 64)
        ] * 100
        stopped = next(
            i
            for i, loss in enumerate(losses)
            if rule.update(loss, config, UNIFORM, (i + 1) * eval_every)
        )
        flat_evals.append(stopped - 199)
        assert stopped - 199 >= Saturation.window_evals(config, 200 * eval_every)
    assert flat_evals[0] == flat_evals[1] == 23  # ⌈0.1 · (200 + 23)⌉ = 23 evaluations
