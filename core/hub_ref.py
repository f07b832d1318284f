"""A model named by its Hugging Face Hub id and revision: `hf:EleutherAI/pythia-70m@step3000`.

The server stores the name only (a checkpoint of format "hub"); a worker resolves it through its
own Hub cache (worker/hub.py), downloading when it may and never when offline, and records the
commit the revision resolved to, with the files and their sizes. The revision is a branch, a tag
("step3000", as Pythia names its checkpoints) or a commit sha; "main" when none is given.
"""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PREFIX = "hf:"
# The Hub's repository names: an optional owner and a name of letters, digits, "-", "_", "."
# (at most 96 characters), neither starting nor ending with "-" or ".", no "--" or "..".
REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}$")
# A branch, tag or commit: git's ref rules, the parts a person types (no spaces, "..", "~^:?*[\").
REVISION = re.compile(r"^(?!.*\.\.)[\w.\-/]{1,255}$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")


class HubRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    repo_id: str = Field(max_length=200)
    revision: str = Field(default="main", max_length=255)

    @field_validator("repo_id")
    @classmethod
    def _repo_id(cls, repo_id: str) -> str:
        if not REPO_ID.match(repo_id) or "--" in repo_id or ".." in repo_id:
            raise ValueError(
                f"{repo_id!r} is not a Hugging Face id (owner/name, e.g. EleutherAI/pythia-70m)"
            )
        return repo_id

    @field_validator("revision")
    @classmethod
    def _revision(cls, revision: str) -> str:
        if not REVISION.match(revision) or revision.startswith(("/", "-")):
            raise ValueError(f"{revision!r} is not a branch, tag or commit name")
        return revision

    @classmethod
    def parse(cls, text: str) -> HubRef:
        """`hf:org/name@revision` (or without the prefix, or without `@revision`); ValueError
        with a message when it is not one."""
        body = text.removeprefix(PREFIX).strip()
        repo_id, at, revision = body.partition("@")
        return cls(repo_id=repo_id, revision=revision if at else "main")

    @property
    def spec(self) -> str:
        return f"{PREFIX}{self.repo_id}@{self.revision}"

    @property
    def pinned(self) -> bool:
        """Is the revision a commit sha (the same files forever), not a branch or tag?"""
        return bool(COMMIT.match(self.revision))

    def identity_sha256(self) -> str:
        """The key a Hub model is stored under (a checkpoint's sha256 column): the hash of its
        name, since its files are known only once a worker resolves it."""
        return hashlib.sha256(self.spec.encode()).hexdigest()


def is_hub_spec(text: str) -> bool:
    return text.startswith(PREFIX)


def name_problem(error: ValueError) -> str:
    """Why `parse` refused a name, in words: pydantic's first message without its "Value
    error, " prefix (a field's check), or the message itself (the name's shape)."""
    if isinstance(error, ValidationError):
        return str(error.errors()[0]["msg"]).removeprefix("Value error, ")
    return str(error)


DATASET_PREFIX = "hf-dataset:"
# A split or column name as datasets names them: letters, digits, "_", "-", "." (no ":" or "/").
NAME = re.compile(r"^[\w.-]{1,100}$")


class HubDataset(HubRef):
    """A dataset on the Hub by id, revision, split and column:
    `hf-dataset:org/name@revision:split:column` ("main", "train" and "text" when left out). The
    column holds text, or token ids (lists of integers, as Pythia's evaluation sets ship). As
    for a model, the server stores the name only (a corpus of format "hub"); the worker that
    scores it resolves it through its Hub cache and records the commit and each file's sha256
    (worker/hub_dataset.py)."""

    split: str = Field(default="train", max_length=100)
    column: str = Field(default="text", max_length=100)

    @field_validator("split", "column")
    @classmethod
    def _name(cls, name: str) -> str:
        if not NAME.match(name):
            raise ValueError(f"{name!r} is not a split or column name (letters, digits, _ - .)")
        return name

    @classmethod
    def parse(cls, text: str) -> HubDataset:
        """`hf-dataset:org/name@revision:split:column` (each of `@revision`, `:split` and
        `:column` optional); ValueError with a message when it is not one. Git forbids ":" in
        a ref, so the revision never holds one."""
        body = text.removeprefix(DATASET_PREFIX).strip()
        name, *parts = body.split(":")
        if len(parts) > 2:
            raise ValueError(f"{text!r}: hf-dataset:org/name@revision:split:column, no more")
        repo_id, at, revision = name.partition("@")
        fields = dict(zip(("split", "column"), parts, strict=False))
        return cls(repo_id=repo_id, revision=revision if at else "main", **fields)

    @property
    def spec(self) -> str:
        return f"{DATASET_PREFIX}{self.repo_id}@{self.revision}:{self.split}:{self.column}"


def is_hub_dataset_spec(text: str) -> bool:
    return text.startswith(DATASET_PREFIX)
