"""A loaded checkpoint, whatever its format: the model, its tokenizer and what the upload page
reports about it (worker/hf_load.py loads Hugging Face folders and GGUF files,
worker/memdash_format.py memdash's own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from memdash.core.api import CheckpointInfo


@dataclass
class LoadedModel:
    model: Any  # a transformers PreTrainedModel (or memdash's GPT) in eval mode
    tokenizer: Any  # a transformers tokenizer
    info: CheckpointInfo  # what loading found: the checkpoint's stored info

    def scorer(self) -> Any:
        """The scoring interface (worker.inference) for this model."""
        from memdash.worker.inference import HFScorer, MemdashScorer
        from memdash.worker.model import GPT

        return MemdashScorer(self.model) if isinstance(self.model, GPT) else HFScorer(self.model)
