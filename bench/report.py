"""A benchmark's report: printed, and appended to its results file when one is named."""

from __future__ import annotations


def emit(text: str, out: str | None) -> None:
    print(text, flush=True)
    if out:
        with open(out, "a") as handle:
            handle.write(text + "\n\n")
