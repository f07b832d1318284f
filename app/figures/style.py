"""How every memdash figure looks: its layout, its palette and the paper's reference lines, each
written once (the numbers themselves live in worker.metrics.capacity, beside the formulas)."""

from __future__ import annotations

from plotly.colors import qualitative

from worker.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
)

# Plotly's ten, then 24 + 24 more distinct ones: a sweep of 20 runs gets 20 colours, assigned in
# the natural order of the group names, so the same selection colours alike on every figure.
COLORS = list(
    dict.fromkeys(c.lower() for c in qualitative.Plotly + qualitative.Dark24 + qualitative.Light24)
)
PLOT_LAYOUT = {
    "template": "plotly_white",
    "height": 440,
    "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
}

# The paper's α (Morris et al. 2025, Sec. 3.2) as figures and notes name it.
PAPER_ALPHA_WORDS = (
    f"{PAPER_ALPHA_FITTED_BF16} fitted, {PAPER_ALPHA_MEAN_BF16} / {PAPER_ALPHA_MEAN_FP32} "
    "per-configuration means (bf16 / fp32)"
)
