"""app/web/form_words.py: validation messages in the words of the form."""

from __future__ import annotations

from memdash.app.web.form_words import in_form_words


def test_pydantic_messages_become_sentences_for_people() -> None:
    assert (
        in_form_words("checkpoint_ids: List should have at least 1 item after validation")
        == "Checkpoints: choose at least one"
    )
    assert in_form_words("seq_len: Input should be greater than or equal to 16") == (
        "Longest sample: must be at least 16"
    )
    assert in_form_words("seeds: Input should be a valid integer, unable to parse") == (
        "Seeds: must be a whole number"
    )
    assert in_form_words("reference: Value error, needs non-members") == (
        "Reference: needs non-members"
    )
    assert in_form_words("unknown preset 'huge'") == "unknown preset 'huge'"  # left as it is
