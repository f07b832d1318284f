"""A kind's launch form, declared in the kind's folder: the template of its fields (form.html)
and how the posted fields become parameter overrides (form.py). The overview draws the form of
every kind that has one; `POST /sweeps/{kind}` (app/routes/sweep_launch.py) reads it, validates
the overrides with the kind's parameter model and shows every problem under its field at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from memdash.core.edges import JSONObject


class UploadRejected(ValueError):
    """An uploaded file that cannot be stored (the message says why)."""


@dataclass(frozen=True)
class Upload:
    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class Posted:
    """What the browser sent: text fields as typed, uploaded files by field name (empty file
    inputs left out), and how to store an uploaded corpus (its sha256, or UploadRejected)."""

    fields: Mapping[str, str]
    uploads: Mapping[str, Upload]
    store_corpus: Callable[[Upload], str]

    def text(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default).strip()


@dataclass
class FormRead:
    """The overrides a form's fields give, the problems found reading them (field → message),
    and values to show back instead of what was typed (e.g. an uploaded corpus, now stored)."""

    # Parameter overrides as the kind's model takes them: user input, validated by that model.
    overrides: JSONObject = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)

    def whole_number(self, posted: Posted, name: str, words: str) -> None:
        text = posted.text(name)
        if not text:
            return
        if text.isascii() and text.isdigit():
            self.overrides[name] = int(text)
        else:
            self.errors[name] = f"{words}: a whole number, e.g. 3 (not {text[:20]!r})"

    def whole_numbers(self, posted: Posted, name: str, words: str, example: str) -> None:
        """A list typed as "64, 256 1024": commas or spaces between whole numbers (signs kept,
        so a negative size is refused by the model with its bound, not here)."""
        text = posted.text(name)
        if not text:
            return
        items = text.replace(",", " ").split()
        bad = [item for item in items if not item.lstrip("+-").isdigit() or not item.isascii()]
        if bad:
            self.errors[name] = f"{words}: whole numbers, e.g. {example} (not {bad[0][:20]!r})"
        else:
            self.overrides[name] = [int(item) for item in items]


@dataclass(frozen=True)
class LaunchForm:
    template: Path  # the form's fields (Jinja, rendered inside the overview with `kind`)
    read: Callable[[Posted], FormRead]
    # The parameter names the form has a field for: a problem with one is shown under it, any
    # other under the preset.
    fields: tuple[str, ...]
