"""The capacity sweep's launch form: a preset, an optional name and number of seeds."""

from __future__ import annotations

from pathlib import Path

from memdash.app.kinds.launch_form import FormRead, LaunchForm, Posted


def read(posted: Posted) -> FormRead:
    form = FormRead()
    if name := posted.text("name"):
        form.overrides["name"] = name
    form.whole_number(posted, "seeds", "Seeds")
    return form


FORM = LaunchForm(
    template=Path(__file__).with_name("form.html"), read=read, fields=("name", "seeds")
)
