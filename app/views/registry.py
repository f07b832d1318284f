"""Every figure view: what it shows, in two sentences with the source of its definition, which
controls it has, and how it turns stored rows into a figure (and, where useful, tables)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.analysis.run_rows import text_rows
from memdash.app.db.models import Sweep
from memdash.app.figures.axes import mark_capacity
from memdash.app.figures.canaries import exposure_figure, exposure_vs_data_figure
from memdash.app.figures.capacity import alpha_figure, plateau_figure
from memdash.app.figures.grouped import lines_figure, loss_pair_figure, split_lines_figure
from memdash.app.figures.labels import label
from memdash.app.figures.quantization import measure_vs_bits_figure
from memdash.app.figures.scoring import mem_u_tfidf_figure, roc_figure
from memdash.app.figures.style import PAPER_ALPHA_WORDS, empty_figure, log_axes, titled
from memdash.app.figures.text import membership_figure
from memdash.app.figures.training import training_figure
from memdash.app.kinds.read_summary import summary_of
from memdash.app.views import data
from memdash.app.views.state import LINE_GROUP_KEYS, ViewState
from memdash.app.views.training import latest_training_run, series_rows, training_scorings
from memdash.core.metrics.capacity import PAPER_ALPHA_FITTED_BF16
from memdash.core.metrics.tfidf import rank_correlation


@dataclass
class Built:
    rows: list[dict[str, Any]]  # the plotted data: the JSON and CSV twins
    figure: go.Figure | None
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    total: int = 0  # samples in all (paged tables)
    notes: list[str] = field(default_factory=list)
    table_titles: dict[str, str] = field(default_factory=dict)  # a table's heading, by its key


@dataclass(frozen=True)
class View:
    name: str
    title: str
    explain: str
    source: str
    controls: tuple[str, ...]
    build: Callable[[Session, ViewState], Built]
    defaults: dict[str, Any] = field(default_factory=dict)
    # The section of the measures page (/docs/measures#...) that defines what it shows.
    measure: str = ""
    # The sweep kinds it draws: their sweep pages link it (declared here only), and with
    # nothing chosen it opens on the latest sweep of these.
    kinds: tuple[str, ...] = ()
    # What "Group by" offers (with "group_by" among the controls); the first is the default
    # when the view's defaults name none.
    group_keys: tuple[str, ...] = LINE_GROUP_KEYS
    # What a run must have stored to be drawn here, in words (for "nothing to draw" reasons).
    needs: str = "the results this figure shows"
    # Drawn from the sweeps' summaries, which exist once a sweep's last run has finished.
    from_summary: bool = False
    # What "Metric" offers (with "metric" among the controls): (value, words), the first the
    # default unless the view's defaults name another. With `only_these_metrics`, any other is
    # refused (422); else a stored metric's own name is drawn too (training curves).
    metrics: tuple[tuple[str, str], ...] = ()
    only_these_metrics: bool = False

    def state_defaults(self) -> dict[str, Any]:
        """What an address without these parameters means: the view's defaults, grouping by
        its first group key unless they say otherwise."""
        return {"group_by": self.group_keys[0], **self.defaults}


def _axes(figure: go.Figure, state: ViewState, x_title: str, y_title: str) -> go.Figure:
    return titled(figure, x_title, y_title, state.log_x, state.log_y)


def _plateau(session: Session, state: ViewState) -> Built:
    rows = data.capacity_rows(data.selected_runs(session, state, ("capacity",)))
    by_shape = state.group_by == "shape"
    figure = plateau_figure(
        rows,
        data.shape_rows(session, state) if by_shape else [],
        data.stored_alphas(session, state) if by_shape and rows else None,
        state.group_by,
        state.band,
    )
    notes = []
    if by_shape and rows:
        notes.append(
            "The entropy line is N·(S−1)·log2 V: the first token of each sample is coded "
            "uniformly by the model and the reference alike, so only S−1 tokens can be "
            "memorized (the paper writes N·S·log2 V). Dash-dot: the paper's predictor "
            "min(α·params, data) (App. A.1) with this sweep's stored α; dotted (in the legend): "
            f"with the paper's α = {PAPER_ALPHA_FITTED_BF16}."
        )
    figure = titled(
        figure, "training samples N", "memorized bits (Σ mem_U)", state.log_x, state.log_y
    )
    return Built(rows, figure, notes=notes)


def _alpha(session: Session, state: ViewState) -> Built:
    """Capacities from the chosen sweeps' summaries, and their α as stored there: one line per
    sweep and precision (the plain GPTs'), never refitted here, so the page, its JSON and this
    figure say the same α."""
    rows = data.shape_rows(session, state)
    stored = data.stored_alphas(session, state)
    several = len({a["sweep"] for a in stored}) > 1
    fits = [
        (
            "memdash α"
            + (" over all shapes (a lower bound)" if a.get("lower_bound") else "")
            + (f", sweep #{a['sweep']}" if several else "")
            + (f", {a['precision']}" if len({b["precision"] for b in stored}) > 1 else ""),
            a,
        )
        for a in stored
        if "ci95" in a  # one shape: no line to draw
    ]
    figure = alpha_figure(rows, fits, state.group_by)
    said = "; ".join(
        f"{name} = {fit['alpha']:.2f} bits/parameter (95% CI {fit['ci95'][0]:.2f}–"
        f"{fit['ci95'][1]:.2f}, {fit['n_configs']} shapes)"
        for name, fit in fits
    )
    notes = (
        [
            f"{said}. Paper: {PAPER_ALPHA_WORDS}. "
            "The paper trains 10^6 steps to saturation: runs of minutes on a CPU stop earlier, "
            "so a lower α here is a lower bound, not a disagreement."
        ]
        if fits
        else []
    )
    if any(r["architecture"] == "LM2" for r in rows):
        notes.append(_lm2_note(session, state))
        for trace in figure.data:  # the fitted line is the plain models' α
            if trace.name and trace.name.startswith("memdash α"):
                trace.name = f"{trace.name} (plain GPT)"
    log_axes(figure, state.log_x, state.log_y)
    table = [
        {
            "sweep": a["sweep"],
            "precision": a["precision"],
            "α (bits/parameter)": round(a["alpha"], 4),
            "95% CI": f"{a['ci95'][0]:.3f}–{a['ci95'][1]:.3f}" if "ci95" in a else "",
            "shapes": a.get("n_configs", 1),
        }
        for a in stored
    ]
    return Built(
        rows,
        figure,
        notes=notes,
        tables={"alpha": table} if table else {},
        table_titles={"alpha": "α as stored in each sweep's summary"},
    )


def _lm2_note(session: Session, state: ViewState) -> str:
    """α of each architecture over all and over non-memory parameters, as each chosen sweep's
    summary stores it (the fitted line is the plain GPTs')."""
    parts = []
    sweeps = session.scalars(select(Sweep).where(Sweep.id.in_(state.sweeps))).all()
    for sweep in sorted(sweeps, key=lambda s: s.id):
        stored = summary_of(session, sweep).get("alpha_by_architecture") or {}
        for arch, fits in stored.items():
            whole, rest = fits.get("all"), fits.get("non_memory")
            if whole and rest:
                n = whole["n_configs"]
                where = f"sweep #{sweep.id}, " if len(sweeps) > 1 else ""
                parts.append(
                    f"{where}{arch}: α = {whole['alpha']:.2f} over all parameters, "
                    f"{rest['alpha']:.2f} over non-memory parameters ({n} shape{'s' * (n > 1)})"
                )
    return "The line is the plain GPTs' fit. " + "; ".join(parts) + "."


def _double_descent(session: Session, state: ViewState) -> Built:
    # Text runs (held-out text) and capacity runs (held-out random tokens: nothing generalizes,
    # so their held-out loss shows the memorization side of the transition only).
    # α: a capacity sweep's own stored α (its saturated shapes); the paper's for text runs,
    # whose sweeps measure no α (the axis title says which).
    runs = data.selected_runs(session, state, ("text", "capacity"))
    measured = data.run_alphas(session, runs)
    rows = text_rows(runs)
    for row in rows:
        row["alpha"] = measured.get(row["run_id"], PAPER_ALPHA_FITTED_BF16)
        row["alpha_from"] = "sweep" if row["run_id"] in measured else "paper"
        row["ratio"] = row["dataset_bits"] / (row["alpha"] * row["n_params"])
    figure = loss_pair_figure(rows, rows, "ratio", state.group_by, state.band)
    if rows:
        mark_capacity(figure, state.log_x)
    sources = {row["alpha_from"] for row in rows}
    if sources == {"sweep"}:
        which = "each sweep's own α"
    elif sources == {"sweep", "paper"}:
        which = f"a capacity sweep's own α; text runs the paper's {PAPER_ALPHA_FITTED_BF16}"
    else:
        which = f"α = {PAPER_ALPHA_FITTED_BF16}, the paper's"
    x_title = f"dataset-to-capacity ratio ({which})"
    return Built(rows, _axes(figure, state, x_title, "loss (bits/token)"))


def _mem_u(session: Session, state: ViewState) -> Built:
    rows = text_rows(data.selected_runs(session, state, ("text",)))
    figure, _ = lines_figure(rows, "n_train", "mem_u_bits", state.group_by, state.band)
    y_title = "unintended memorization Σ mem_U (bits)"
    return Built(rows, _axes(figure, state, "training samples N", y_title))


# The curves view's "metric" choice that draws two stored curves together.
TRAIN_VS_HELDOUT = "train_vs_heldout"


def _curves(session: Session, state: ViewState) -> Built:
    runs = data.selected_runs(session, state)
    if state.metric != TRAIN_VS_HELDOUT:
        rows = data.curve_rows(session, runs, state.metric)
        figure, _ = lines_figure(rows, "step", state.metric, state.group_by, state.band)
        return Built(rows, _axes(figure, state, "optimizer step", label(state.metric)))
    # Held-out (solid) and training (dashed) loss over steps: the memorization →
    # generalization transition over training (grokking is a late drop of the held-out curve).
    train = data.curve_rows(session, runs, "train_loss_bits")
    heldout = data.curve_rows(session, runs, "heldout_loss_bits")
    figure = loss_pair_figure(train, heldout, "step", state.group_by, state.band)
    rows = [{**r, "split": "train"} for r in train] + [{**r, "split": "heldout"} for r in heldout]
    return Built(rows, _axes(figure, state, "optimizer step", "loss (bits/token)"))


def _membership(session: Session, state: ViewState) -> Built:
    """The runs' loss-attack F1 and the scaling law as each chosen sweep's summary stores its
    fit (never refitted here, so the sweep page and this figure say the same constants)."""
    rows = [r for r in text_rows(data.selected_runs(session, state, ("text",))) if r["x"]]
    points = [r for r in rows if r["mi_f1"] is not None]
    sweeps = session.scalars(select(Sweep).where(Sweep.id.in_(state.sweeps))).all()
    stored = [
        (sweep.id, summary_of(session, sweep).get("scaling_law_fit"))
        for sweep in sorted(sweeps, key=lambda s: s.id)
        if sweep.kind == "text"
    ]
    several = len(stored) > 1
    fits = [
        (f"fitted to sweep #{sweep_id}'s runs" if several else "fitted to these runs", fit)
        for sweep_id, fit in stored
        if fit and "c1" in fit
    ]
    notes = [
        f"sweep #{sweep_id}: the scaling law could not be fitted to its runs ({fit['error']})"
        for sweep_id, fit in stored
        if fit and "error" in fit
    ]
    if points and any(fit is None for _, fit in stored):
        notes.append("a sweep's fit is drawn once it has finished (its summary stores it)")
    if points and not stored:
        notes.append("the fitted law is each sweep's: choose sweeps to see their fits")
    figure = membership_figure([{**r, "shape": str(r[state.group_by])} for r in points], fits)
    return Built(rows, log_axes(figure, state.log_x), notes=notes)


def _roc(session: Session, state: ViewState) -> Built:
    runs = data.roc_runs(session, state)
    rows = data.roc_rows(runs)
    if not runs:
        return Built(rows, empty_figure())
    if len(runs) == 1:
        return Built(rows, roc_figure(runs[0].summary["mi_roc"]))
    by_run = {f"run {r.id} {r.name}": r.summary["mi_roc"] for r in runs[:MAX_ROC_RUNS]}
    notes = [
        f"{len(by_run)} runs drawn, a dash each (colour: the attack); choose one run above to "
        "see its attacks alone."
    ]
    if len(runs) > MAX_ROC_RUNS:
        notes.append(f"The first {MAX_ROC_RUNS} of {len(runs)} runs with ROC curves are drawn.")
    return Built(rows, roc_figure({}, by_run), notes=notes)


MAX_ROC_RUNS = 5  # one dash style each


def _extraction(session: Session, state: ViewState) -> Built:
    runs = data.selected_runs(session, state)
    rows = data.extraction_rows(runs)
    figure = split_lines_figure(rows, "k", "rate", state.group_by, state.band)
    figure = _axes(figure, state, "prefix length k (tokens)", "extraction rate")
    tables: dict[str, list[dict[str, Any]]] = {"smaller models": [], "earlier checkpoints": []}
    sweeps = session.scalars(select(Sweep).where(Sweep.id.in_(state.sweeps))).all()
    for sweep in sweeps:
        for row in (summary_of(session, sweep).get("prediction") or {}).get("rows", []):
            tables["smaller models"].append({"sweep": sweep.id, **row})
    for run in runs:
        for row in run.summary.get("checkpoint_prediction", []):
            tables["earlier checkpoints"].append({"run": run.name, **row})
    titles = {key: f"Predicting memorization from {key}" for key in tables}
    tested: dict[int, list[int]] = {}
    for row in rows:
        if row["split"] == "train" and row["n_tested"] is not None:
            tested.setdefault(row["k"], []).append(row["n_tested"])
    notes = (
        [
            "Each rate is over the samples tested at that k (at least 8 tokens after the "
            "prefix): "
            + "; ".join(
                f"k = {k}: {min(n):,}" + (f"–{max(n):,}" if max(n) != min(n) else "")
                for k, n in sorted(tested.items())
            )
            + " members (n_tested in the CSV and JSON)."
        ]
        if tested
        else []
    )
    return Built(
        rows,
        figure,
        notes=notes,
        tables={k: v for k, v in tables.items() if v},
        table_titles=titles,
    )


def _canaries(session: Session, state: ViewState) -> Built:
    rows = data.canary_rows(data.selected_runs(session, state, ("text", "scoring")))
    figure = exposure_figure(rows, state.group_by)
    table = [
        {
            "run": r["run"],
            "canary": r["number"],
            "secret": r["secret"],
            "inserted": r["inserted"],
            "exposure (bits)": round(r["exposure_bits"], 2),
            "of at most": round(r["max_exposure_bits"], 2),
            "rank estimate": r["method"],
            "extracted": "yes" if r["extracted"] else "no",
        }
        for r in rows
    ]
    return Built(
        rows,
        figure,
        tables={"canaries": table} if table else {},
        table_titles={"canaries": "Each canary: exposure, how its rank was found, extraction"},
    )


def _canaries_data(session: Session, state: ViewState) -> Built:
    rows = data.canary_rows(data.selected_runs(session, state, ("text",)))
    return Built(rows, exposure_vs_data_figure(rows, state.band, state.group_by, state.log_x))


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


TRAINING_METRICS = (
    ("mi_loss_auc", "membership AUC, loss attack (95% interval)"),
    ("extract_rate", "extraction rate of members (the longest k that fits)"),
    ("mem_u_bits", "Σ mem_U (bits)"),
    ("losses", "training and held-out loss (bits/token)"),
    ("canaries", "each canary's exposure (bits)"),
)


def _training(session: Session, state: ViewState) -> Built:
    name = state.training or latest_training_run(session)
    scorings = training_scorings(session, name) if name else []
    rows = series_rows(session, scorings)
    words = dict(TRAINING_METRICS)
    figure = training_figure(rows, state.metric, words.get(state.metric, state.metric))
    return Built(rows, figure)


def _samples(session: Session, state: ViewState) -> Built:
    evaluation_ids = data.selected_evaluation_ids(session, state)
    points = data.sample_scatter_rows(session, evaluation_ids, state.split)
    rho = None
    if len(points) > 2:
        rho = rank_correlation([p["mem_u_bits"] for p in points], [p["tfidf"] for p in points])[0]
    figure = log_axes(mem_u_tfidf_figure(points, rho, state.group_by), state.log_x, state.log_y)
    page, total = data.sample_table(session, evaluation_ids, state)
    notes = [
        "ρ is over the drawn points (the extremes of each TF-IDF bucket and the most "
        "memorized samples); each run's own ρ over all its samples is on its sweep page."
    ]
    return Built(points, figure, tables={"samples": page}, total=total, notes=notes)


VIEWS: dict[str, View] = {
    view.name: view
    for view in (
        View(
            "capacity-plateau",
            "Capacity plateau",
            "Memorized bits (Σ mem_U against the uniform distribution) for each dataset size, "
            "mean over seeds with a band. While the data fits a model memorizes all of it (the "
            "entropy line); past its capacity the curve flattens (dotted).",
            "Morris et al. 2025, Sec. 3",
            ("log_x", "log_y", "group_by", "band"),
            _plateau,
            {"log_y": True},
            measure="capacity-and-bits-per-parameter",
            kinds=("capacity",),
            needs="memorized bits (runs of a capacity sweep)",
        ),
        View(
            "capacity-params",
            "Capacity vs parameters",
            "Each shape's capacity (the most it memorized over dataset sizes) against its "
            "parameter count, with α fitted through the origin and its 95% band. The paper's "
            f"α ({PAPER_ALPHA_WORDS}) is drawn beside it.",
            "Morris et al. 2025, Sec. 3.2",
            ("log_x", "log_y", "group_by"),
            _alpha,
            {"log_x": False},
            measure="capacity-and-bits-per-parameter",
            kinds=("capacity",),
            group_keys=("architecture", "sweep", "shape"),
            from_summary=True,
            needs="a capacity per shape (the summary of a finished capacity sweep)",
        ),
        View(
            "double-descent",
            "Double descent",
            "Train (dashed) and held-out (solid) loss against the dataset-to-capacity ratio, "
            "Σ H(x|reference) / (α·params). Held-out loss peaks where the data reaches capacity "
            "and falls as the model starts to generalize.",
            "Morris et al. 2025, Sec. 4",
            ("log_x", "log_y", "group_by", "band"),
            _double_descent,
            measure="double-descent-and-the-memorization-generalization-transition",
            kinds=("text", "capacity"),
        ),
        View(
            "memorization",
            "Memorization vs training-set size",
            "Σ mem_U = Σ max(0, H(x|reference) − H(x|model)) over each run's training set. It "
            "rises while the set fits in the model's capacity and falls once the model must "
            "generalize.",
            "Morris et al. 2025, Sec. 2 and 4",
            ("log_x", "log_y", "group_by", "band"),
            _mem_u,
            measure="unintended-memorization",
            kinds=("text",),
        ),
        View(
            "curves",
            "Training curves",
            "Training loss, or memorized bits (capacity runs: the unclipped "
            "N·(S−1)·(log2 V − loss) against the uniform reference), over optimizer steps for "
            "each chosen run or the mean of a group of runs with a band; or the training "
            "and held-out loss together (held-out solid, training dashed). Memorized bits "
            "climbing to a plateau and sudden loss drops after one are the saturation and "
            "grokking the paper ties to capacity.",
            "Morris et al. 2025, Sec. 4",
            ("log_x", "log_y", "group_by", "band", "metric"),
            _curves,
            {"group_by": "run", "log_x": False},
            measure="double-descent-and-the-memorization-generalization-transition",
            kinds=("capacity", "text"),
            needs="training curves",
            metrics=(
                ("train_loss_bits", "training loss (bits/token)"),
                ("memorized_bits", "memorized bits (capacity runs)"),
                (TRAIN_VS_HELDOUT, "training and held-out loss"),
            ),
        ),
        View(
            "training",
            "Memorization while training",
            "One fine-tuning run followed over its optimizer steps: each checkpoint the "
            "Trainer saved, scored by memdash.callback on the same members and non-members "
            "(and canaries): membership AUC, extraction, Σ mem_U, losses and each canary's "
            "exposure against the step.",
            "Carlini et al. 2019; Biderman et al. 2023; Morris et al. 2025",
            ("metric",),
            _training,
            {"metric": "mi_loss_auc"},
            measure="watching-memorization-while-fine-tuning",
            kinds=(),
            needs="checkpoints of a training run scored by memdash.callback (?training=NAME)",
            metrics=TRAINING_METRICS,
            only_these_metrics=True,
        ),
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
        View(
            "membership",
            "Membership inference",
            "Loss-attack F1 at the median threshold (0.5 is a random guess) against training "
            "data per 1,000 parameters, counted in 64-token sequences as the paper does. The "
            "paper's law in its corrected form is drawn beside the same law fitted (bounded to "
            "an F1) to these runs.",
            "Morris et al. 2025, Sec. 5",
            ("log_x", "group_by"),
            _membership,
            measure="membership-inference",
            kinds=("text",),
            needs="a membership F1 (runs scored on held-out samples)",
        ),
        View(
            "roc",
            "Membership ROC per attack",
            "The ROC curve of each membership attack (loss, zlib ratio, reference-calibrated, "
            "Min-K%, Min-K%++) on a run's balanced member / non-member set: of the chosen "
            "sweeps' runs, or of the one run chosen. The diagonal is chance.",
            "Morris et al. 2025, Sec. 5; Shi et al. 2024 (Min-K%); Zhang et al. 2024 (Min-K%++)",
            ("run",),
            _roc,
            measure="membership-inference",
            kinds=("text", "scoring"),
            needs="member / non-member ROC curves (runs scored with non-members)",
        ),
        View(
            "extraction",
            "Extraction",
            "Share of samples whose first k tokens make the model greedily reproduce the rest "
            "exactly, on training (solid) and held-out (dashed) samples. The tables give the "
            "precision and recall of predicting memorized sets from smaller models and earlier "
            "checkpoints.",
            "Biderman et al. 2023, Sec. 2-3",
            ("log_x", "group_by", "band"),
            _extraction,
            {"log_x": False},
            measure="extraction",
            kinds=("text", "capacity", "scoring"),
            needs="extraction rates",
        ),
        View(
            "canaries",
            "Canary exposure",
            "Each planted canary's exposure, log2|R| − log2 rank of its secret among all "
            "secrets of its space by the model's code length, against the times it was "
            "inserted; never-inserted controls show the baseline (about 1.44 bits). The table "
            "says how each rank was estimated and whether greedy decoding from the canary's "
            "context reproduces its secret.",
            "Carlini et al. 2019, Sec. 4",
            ("group_by",),
            _canaries,
            {"group_by": "run"},
            measure="canary-exposure",
            kinds=("text", "scoring"),
            needs="planted canaries (a text sweep launched with canaries, or a scoring given them)",
        ),
        View(
            "canaries-data",
            "Canary exposure vs data",
            "Mean exposure of the canaries inserted the same number of times against each "
            "run's dataset-to-capacity ratio Σ H(x|reference) / (α·params): a model with room "
            "to spare memorizes a canary seen once; past its capacity it needs more repeats.",
            "Carlini et al. 2019; Morris et al. 2025, Sec. 4",
            ("log_x", "group_by", "band"),
            _canaries_data,
            measure="canary-exposure",
            kinds=("text",),
            group_keys=("inserted", "shape", "sweep"),
            needs="planted canaries (a text sweep launched with canaries)",
        ),
        View(
            "samples",
            "Most memorized samples",
            "Each sample's unintended memorization against its TF-IDF rarity, and the samples "
            "in a sortable table with their text. The paper finds rare samples, such as text "
            "in a rare script, memorized most.",
            "Morris et al. 2025, App. A.3",
            ("log_x", "log_y", "group_by", "split", "sort"),
            _samples,
            {"log_x": False},
            measure="which-samples-are-memorized",
            kinds=("text", "scoring"),
            group_keys=("sweep", "run"),
            needs="per-sample scores",
        ),
    )
}
