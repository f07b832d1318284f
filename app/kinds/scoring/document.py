"""A scoring's stored documents, typed: a scored run's config (which checkpoint, on which data,
against which reference; a quantization study's runs add the file's type) and the scoring's
summary (how well each earlier checkpoint's memorized set predicts the last one's, none with
fewer than two checkpoints scored)."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict

from memdash.app.kinds.stored_summary import Prediction, StoredSummary
from memdash.core.edges import JSONObject


class ScoredRunConfig(BaseModel):
    """What a run that scores a stored checkpoint keeps in `Run.config` (scorings and
    quantization studies): readers call `of(run.config)`."""

    # Unknown keys are kept (a later version's); a config stored before a field takes its default.
    model_config = ConfigDict(extra="allow", frozen=True)

    checkpoint_id: int
    checkpoint_sha256: str
    position: int = 0  # its place in the scoring's list of checkpoints
    vocab_size: int | None = None
    seq_len: int
    reference: str
    members: str  # a corpus's sha256, or "demo"
    nonmembers: str | None = None
    own_run_data: bool = False  # a sweep's trained model scored on that run's own data
    # A quantization study's file: "source" (the model as uploaded), the GGUF type memdash
    # writes ("Q4_K_M"), or an extra file's stored type ("uploaded" when it has none).
    gguf_type: str | None = None
    # A checkpoint series over steps (app/kinds/series): the checkpoint's optimizer step.
    step: int | None = None

    @classmethod
    def of(cls, config: JSONObject) -> Self:
        """A run's stored config, read (ValidationError when it is not a scored run's)."""
        return cls.model_validate(config)

    def stored(self) -> JSONObject:
        return self.model_dump(mode="json", exclude_none=True)


class ScoringSummary(StoredSummary):
    VERSION = 1

    prediction: Prediction | None = None
