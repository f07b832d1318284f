"""A quantization study: each measure against bits per weight."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.figures.quantization import measure_vs_bits_figure
from memdash.app.views import data
from memdash.app.views.state import ViewState
from memdash.app.views.view import Built, View

QUANTIZATION_METRICS = (
    ("mi_loss_auc", "membership AUC, loss attack"),
    ("mi_reference_auc", "membership AUC, reference-calibrated"),
    ("mi_zlib_auc", "membership AUC, zlib ratio"),
    ("mi_min_k_auc", "membership AUC, Min-K%"),
    ("mi_loss_tpr_at_1pct_fpr", "TPR at 1% FPR, loss attack"),
    ("members_bits_per_token", "members' loss (bits/token)"),
    ("nonmembers_bits_per_token", "non-members' loss (bits/token)"),
    ("mem_u_bits", "Σ mem_U (bits)"),
    ("extract_rate_train_k8", "extraction rate of members, k = 8"),
    ("extract_rate_train_k16", "extraction rate of members, k = 16"),
    ("extract_rate_train_k32", "extraction rate of members, k = 32"),
    ("canary_exposure_bits", "Σ exposure of the inserted canaries (bits)"),
)


QUANTIZATION_COLUMNS = (
    "sweep",
    "gguf_type",
    "bits_per_weight",
    "members_bits_per_token",
    "members_bits_per_token_diff",
    "members_bits_per_token_diff_ci",
    "nonmembers_bits_per_token",
    "mem_u_bits",
    "mem_u_bits_diff_ci",
    "mi_loss_auc",
    "mi_loss_auc_ci",
    "mi_loss_auc_diff",
    "mi_loss_auc_diff_ci",
    "mi_loss_tpr_at_1pct_fpr",
    "extract_rate_train_k32",
    "canary_exposure_bits",
    "canaries_extracted",
)


def _quantization(session: Session, state: ViewState) -> Built:
    rows = data.quantization_rows(session, state)
    words = dict(QUANTIZATION_METRICS)  # the route refuses any other metric (422)
    figure = measure_vs_bits_figure(rows, state.metric, words.get(state.metric, state.metric))
    table = [{key: row.get(key) for key in QUANTIZATION_COLUMNS} for row in rows]
    return Built(
        rows,
        figure,
        tables={"files": table} if table else {},
        table_titles={"files": "Every file: its measures and its difference from the model"},
    )


VIEWS = (
    View(
        "quantization",
        "Memorization across precisions",
        "One measure of each file of a quantization study against its bits per weight: "
        "the model as uploaded and each GGUF type memdash wrote (or that was uploaded "
        "beside it), scored on the same members, non-members, reference and canaries. "
        "The table gives every measure and each type's difference from the model as "
        "uploaded, paired over the same samples, with its 95% interval.",
        "memdash (GGUF types: llama.cpp; attacks: SPEC 6; exposure: Carlini et al. 2019)",
        ("metric",),
        _quantization,
        {"metric": "mi_loss_auc"},
        measure="quantization-studies",
        kinds=("quantization",),
        group_keys=("sweep",),
        needs="a finished quantization study",
        from_summary=True,
        metrics=QUANTIZATION_METRICS,
        only_these_metrics=True,
    ),
)
