"""The JSON API's answers, defined once: the server's /api routes declare them as response
models (so the OpenAPI document says what each returns) and memdash.client parses answers with
them, so a script gets checked attributes, not keys.

Pydantic and the standard library only: the client, installed without the server's packages,
imports this module alone. A document that carries open-ended details (a checkpoint's loading
report, a run's summary numbers) types what every one has and keeps the rest as extra fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from memdash.core.edges import JSONObject, TableRow

# The membership-inference attacks every scoring runs, in the order pages list them; a run's
# summary holds each one's numbers as mi_{attack}_auc, mi_{attack}_auc_ci, mi_{attack}_f1, ...
# RMIA needs a reference model that never saw the audited samples: a run without one has no
# mi_rmia_* numbers (its summary's mi_rmia_note says why).
ATTACKS = ("loss", "zlib", "reference", "min_k", "min_k_pp", "rmia")
# The model-free classifier beside them (SPEC 11), stored as mi_blind_*: not an attack on the
# model, the check that members and non-members differ only by membership.
BLIND = "blind"
DIRECTION = "higher score = member"  # every score below, and the blind baseline's


class AttackDefinition(NamedTuple):
    """What one membership score is: its name on pages, what it computes and its unit. Every
    score is oriented so that a higher value means "more likely a member" (DIRECTION)."""

    label: str
    score: str
    unit: str


# Attack names, scores, units and directions, defined here once (pages, the attack table's CSV
# and JSON, docs/measures.md "Membership inference" say the same).
ATTACK_DEFINITIONS: dict[str, AttackDefinition] = {
    "loss": AttackDefinition("loss", "−(mean NLL of the predicted tokens)", "bits/token, negated"),
    "zlib": AttackDefinition(
        "zlib ratio",
        "−(NLL bits of the predicted tokens / zlib bits of the text)",
        "ratio, negated",
    ),
    "reference": AttackDefinition(
        "reference-calibrated", "H(x|reference) − H(x|model) (unclipped mem_U)", "bits"
    ),
    "min_k": AttackDefinition(
        "Min-K% (20%)", "mean of the 20% lowest token log-probabilities", "bits/token"
    ),
    "min_k_pp": AttackDefinition(
        "Min-K%++ (20%)",
        "mean of the 20% lowest z-scored token log-probabilities",
        "standard deviations",
    ),
    "rmia": AttackDefinition(
        "RMIA (offline)",
        "Pr_z[LR(x, z) ≥ γ] over population samples z, from geometric-mean token probabilities",
        "share of the population",
    ),
    BLIND: AttackDefinition(
        "blind baseline (no model)",
        "out-of-fold probability of 'member' from word and character n-grams and length",
        "probability",
    ),
}


class Document(BaseModel):
    """An answer with exactly these fields."""

    model_config = ConfigDict(extra="forbid")


class OpenDocument(BaseModel):
    """An answer with these fields and further ones (read as attributes or with `get`)."""

    model_config = ConfigDict(extra="allow")

    def get(self, key: str, default: Any = None) -> Any:
        """A field or an extra field by name (a run's summary number, say), else `default`."""
        if key in type(self).model_fields:
            return getattr(self, key)
        return (self.model_extra or {}).get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in type(self).model_fields or key in (self.model_extra or {})


class CheckpointInfo(OpenDocument):
    """What loading a model found, whatever brought it: an upload (a Hugging Face folder or a
    GGUF file) or a model a sweep trained (core.results.ModelArtifact, stored as this). GGUF
    files add their type and bits per weight, a trained model its steps; those stay extra
    fields. A stored checkpoint's is `Checkpoint.info`."""

    format: Literal["hf", "gguf", "memdash", "hub"] = "hf"
    model_type: str | None = None  # a Hugging Face config's model_type ("gpt2"), or "gguf"
    architectures: list[str] = []  # a Hugging Face config's model classes
    architecture: str | None = None  # a GGUF file's general.architecture ("gpt2", "llama")
    n_params: int | None = None
    vocab_size: int | None = None
    max_positions: int | None = None
    tokenizer: str | None = None
    vocab_sha256: str | None = None
    files: list[str] = []
    # A model named by Hub id: the revision asked for, the commit it resolved to (on the worker
    # that last scored it) and its files with their sizes in bytes (core/hub_ref.py).
    hub_id: str | None = None
    revision: str | None = None
    commit: str | None = None
    file_sizes: dict[str, int] = {}


class StoredCheckpoint(CheckpointInfo):
    """A checkpoint the server keeps (`GET /api/checkpoints`, `POST /api/checkpoints`)."""

    id: int
    name: str
    sha256: str
    size_bytes: int | None = None
    run_id: int | None = None  # a sweep's trained model: the run that trained it
    created_at: datetime


class StoredCorpus(OpenDocument):
    """An uploaded corpus (`GET /api/corpora`, `POST /api/corpora`); its groups and sizes are
    extra fields."""

    id: int
    name: str
    sha256: str
    n_documents: int | None  # None: a Hub dataset, read by the worker that scores on it
    created_at: datetime


class Deleted(Document):
    deleted: str  # what was deleted, in words ("corpus 3")


class Launched(Document):
    """A sweep, scoring or study the server queued (or had: `existing`)."""

    sweep_id: int
    url: str
    existing: bool = False


class ShareLink(Document):
    """A short link to a figure state (`POST /api/views`): `/v/{slug}`."""

    slug: str
    url: str


class SweepJob(Document):
    id: int
    kind: str
    run_id: int | None
    state: str
    progress: float
    message: str | None
    error: str | None
    seconds: float | None
    result: JSONObject | None  # a quantize job's files: per type, size and seconds


class SweepRun(OpenDocument):
    """A run with its summary's numbers as extra fields (`run.get("mi_loss_auc")`)."""

    id: int
    name: str
    status: str
    n_params: int | None
    n_train: int | None
    seed: int | None
    shape: str | None


class SweepState(Document):
    """`GET /api/sweeps/{id}`: a sweep, scoring or study with its runs and jobs. `params` are
    its kind's parameters and `summary` what its kind computed (see docs/measures.md)."""

    id: int
    name: str
    kind: str
    preset: str | None
    status: str
    progress: float
    params: JSONObject
    summary: JSONObject | None  # read through its kind's model: None while there is none yet
    # Set when the stored summary was written by an older memdash (then `summary` is recomputed
    # from the runs) or cannot be read (then `summary` is None): the page says the same.
    summary_note: str | None = None
    runs: list[SweepRun]
    jobs: list[SweepJob]

    @property
    def ended(self) -> bool:
        return self.status not in ("queued", "running")


class TrainingReport(OpenDocument):
    """`GET /api/training/{name}`: a fine-tuning run's scored checkpoints by step, the members
    that became extractable at each step and the predictions of the last step's set."""

    name: str
    rows: list[TableRow]
    running: bool


class SampleRow(OpenDocument):
    """`GET /api/sweeps/{id}/samples?format=json`: one sample of one run, its scores as extra
    fields (the CSV's columns)."""

    run_id: int
    run: str


class AttackTableRow(Document):
    """`GET /api/sweeps/{id}/attacks?format=json` (and its CSV's columns): one run's attack or
    blind baseline (app/analysis/attacks.py), as rows to paste beside MIMIR's or Privacy
    Meter's results. Intervals are 95%; a TPR is None where it cannot be measured."""

    run_id: int
    run: str
    attack: str  # a key of ATTACK_DEFINITIONS ("blind": the model-free baseline)
    label: str
    score: str
    unit: str
    direction: str  # DIRECTION
    auc: float
    auc_low: float | None
    auc_high: float | None
    tpr_at_1pct_fpr: float | None
    tpr_at_1pct_fpr_low: float | None
    tpr_at_1pct_fpr_high: float | None
    tpr_at_0p1pct_fpr: float | None
    f1: float | None
    n_members: int | None
    n_nonmembers: int | None
    blind_auc: float | None
    beats_blind: bool | None  # None: no blind number, or the blind row itself


class ExportedEvaluation(Document):
    name: str
    reference: JSONObject  # which code the evaluation's reference was, and why
    summary: JSONObject
    scores: list[TableRow]  # a sample's scores, as the samples CSV's columns


class ExportedRun(Document):
    name: str
    config: JSONObject
    seed: int | None
    n_params: int | None
    n_train: int | None
    status: str
    summary: JSONObject
    curve: list[tuple[str, int, float]]  # (metric, step, value)
    evaluations: list[ExportedEvaluation]


class ExportedSweepHead(Document):
    name: str
    kind: str
    preset: str | None
    params: JSONObject
    summary: JSONObject | None
    status: str


class SweepExport(Document):
    """`GET /api/sweeps/{id}/export`: everything `POST /api/sweeps/import` needs to make the
    same sweep on another server."""

    format: str
    sweep: ExportedSweepHead
    runs: list[ExportedRun]
