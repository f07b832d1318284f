"""The countdown's launch form: how many sleepers, and for how long (the model checks both)."""

from __future__ import annotations

from pathlib import Path

from memdash.app.kinds.launch_form import FormRead, LaunchForm, Posted


def read(posted: Posted) -> FormRead:
    form = FormRead()
    for name in ("n_jobs", "seconds"):
        if text := posted.text(name):
            form.overrides[name] = text  # as typed: CountdownParams converts and bounds it
    return form


FORM = LaunchForm(
    template=Path(__file__).with_name("form.html"), read=read, fields=("n_jobs", "seconds")
)
