"""Progress of a multi-phase evaluation: one fraction across weighted phases."""

from __future__ import annotations

import pytest

from memdash.worker.evaluate_text import PhaseProgress


def test_phases_add_up_by_weight_and_parts_continue_each_other() -> None:
    seen: list[tuple[float, str]] = []
    progress = PhaseProgress(lambda f, m: seen.append((f, m)), {"a": 1.0, "b": 3.0})
    progress.phase("a", 10)(10, 10)
    assert seen[-1] == (pytest.approx(0.25), "a: 10/10 samples")
    progress.phase("b", 10)(5, 5)
    assert seen[-1][0] == pytest.approx(0.25 + 0.75 * 0.5)
    progress.phase("b", 10, offset=5)(5, 5)  # the held-out part follows the training part
    assert seen[-1] == (pytest.approx(1.0), "b: 10/10 samples")
