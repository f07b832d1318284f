"""A validation message in the words of the form it came from: "checkpoint_ids: List should
have at least 1 item after validation" becomes "Checkpoints: choose at least one". The API keeps
its "field.path: message" lines (clients parse them); forms show these."""

from __future__ import annotations

import re

from pydantic import ValidationError

FIELDS = {
    "checkpoint_ids": "Checkpoints",
    "members": "Members",
    "nonmembers": "Non-members",
    "reference": "Reference",
    "seq_len": "Longest sample",
    "max_samples": "Samples per side",
    "canaries": "Canaries",
    "seeds": "Seeds",
    "train_sizes": "Training-set sizes",
    "dataset_sizes": "Dataset sizes",
    "corpus": "Corpus",
    "name": "Name",
    "preset": "Preset",
}
MESSAGES = [
    (r"List should have at least 1 item after validation", "choose at least one"),
    (r"List should have at least (\d+) items after validation", r"give at least \1"),
    (r"Input should be a valid integer.*", "must be a whole number"),
    (r"Input should be greater than or equal to (\S+)", r"must be at least \1"),
    (r"Input should be less than or equal to (\S+)", r"must be at most \1"),
    (r"Input should be greater than (\S+)", r"must be more than \1"),
    (r"String should match pattern .*", "is not one of the choices this field takes"),
    (r"String should have at most (\d+) characters?", r"must be at most \1 characters"),
    (r"String should have at least (\d+) characters?", r"must be at least \1 characters"),
    (r"Field required", "is required"),
    (r"Input should be (.*)", r"choose \1"),
    (r"Value error, (.*)", r"\1"),
]


def in_form_words(message: str) -> str:
    field, sep, text = message.partition(": ")
    if not sep:
        field, text = "", message
    for pattern, replacement in MESSAGES:
        if re.fullmatch(pattern, text):
            text = re.sub(pattern, replacement, text)
            break
    if not field:
        return text
    head, _, rest = field.partition(".")
    label = FIELDS.get(head, head.replace("_", " ").capitalize())
    where = f"{label} ({rest.replace('.', ' ')})" if rest else label
    return f"{where}: {text}"


def form_problems(error: ValidationError, fields: tuple[str, ...]) -> dict[str, str]:
    """Every problem of a validation error in the form's words, under the field it concerns
    (a form's fields are parameter names; a problem with no field of its own goes under
    "preset"), the first problem per field. A list item is named by its value, not its
    position: "Training-set sizes: -5 must be at least 2"."""
    problems: dict[str, str] = {}
    for problem in error.errors():
        loc = problem.get("loc", ())
        head = str(loc[0]) if loc else ""
        message = str(problem.get("msg"))
        if len(loc) >= 2 and isinstance(loc[1], int):
            label, _, text = in_form_words(f"{head}: {message}").partition(": ")
            line = f"{label}: {problem.get('input')!r} {text}"
        else:
            line = in_form_words(f"{'.'.join(str(p) for p in loc)}: {message}" if loc else message)
        problems.setdefault(head if head in fields else "preset", line)
    return problems
