"""A validation message in the words of the form it came from: "checkpoint_ids: List should
have at least 1 item after validation" becomes "Checkpoints: choose at least one". The API keeps
its "field.path: message" lines (clients parse them); forms show these."""

from __future__ import annotations

import re

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
