"""The saturation rule (worker.train.Saturation) on synthetic loss sequences: slow steady
progress is not a plateau; a plateau cuts the learning rate first; a plateau after the last cut
stops the run as saturated; every stop records why."""

from __future__ import annotations

from worker.contract import saturated
from worker.saturation import Saturation
from worker.train_config import TrainConfig

CONFIG = TrainConfig(patience_evals=3, min_improvement_bits=0.01, lr_cuts=2, lr_cut_factor=0.5)


def _feed(losses: list[float], config: TrainConfig = CONFIG) -> tuple[Saturation, int | None]:
    rule = Saturation()
    for index, loss in enumerate(losses):
        if rule.update(loss, config):
            return rule, index
    return rule, None


def test_slow_steady_progress_never_stops() -> None:
    """Each evaluation improves by less than the threshold (0.004 < 0.01), but the progress adds
    up: the rule must keep going (the old rule called this a plateau after 3 evaluations)."""
    losses = [5.0 - 0.004 * i for i in range(400)]
    rule, stopped = _feed(losses)
    assert stopped is None and rule.lr_cuts_done == 0 and rule.reason == ""


def test_a_flat_loss_cuts_the_rate_then_stops_as_a_plateau() -> None:
    scales = []
    rule = Saturation()
    for index in range(100):  # noqa: B007 (the index it stopped at is checked below)
        stop = rule.update(2.0, CONFIG)
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


def test_memorized_stops_at_once_and_is_saturated() -> None:
    rule, stopped = _feed([3.0, 1.0, 0.0005])
    assert stopped == 2 and rule.reason == "memorized" and saturated("memorized")


def test_a_budget_stop_is_not_saturation() -> None:
    assert not saturated("max_steps") and not saturated("cancelled")
