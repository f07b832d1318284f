"""core/metrics/reference_code.py: the per-sample shortest of several reference codes."""

from __future__ import annotations

import numpy as np
import pytest

from memdash.core.metrics.reference_code import shares, shortest_code


def test_the_shortest_code_per_sample() -> None:
    bits, chosen = shortest_code(
        {"zlib": [100.0, 40.0, 70.0], "uniform": [80.0, 64.0, 64.0], "model": [90.0, 50.0, 60.0]}
    )
    assert bits == pytest.approx(np.array([80.0, 40.0, 60.0]))  # no bits charged for the choice
    assert chosen == ["uniform", "zlib", "model"]
    assert shares(chosen, ["zlib", "uniform", "model", "lzma"]) == {
        "zlib": pytest.approx(1 / 3),
        "uniform": pytest.approx(1 / 3),
        "model": pytest.approx(1 / 3),
        "lzma": 0.0,
    }
    alone, _ = shortest_code({"zlib": [10.0]})
    assert alone.tolist() == [10.0]
