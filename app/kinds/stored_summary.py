"""The base of every kind's stored summary: typed fields, further keys kept, a version."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class StoredSummary(BaseModel):
    """A kind's summary: its typed fields, and any further keys kept as they are."""

    model_config = ConfigDict(extra="allow")
    VERSION: ClassVar[int] = 1

    version: int = 0  # 0: stored before summaries carried a version

    def stored(self) -> dict[str, Any]:
        """The JSON to store: what was computed (no defaults added) and the version."""
        return {**self.model_dump(mode="json", exclude_unset=True), "version": self.VERSION}
