"""The text sweep's launch form: a preset, a corpus (the demo, a stored one, or a file uploaded
with the form, stored first), training-set sizes, seeds, canaries and the reference."""

from __future__ import annotations

from pathlib import Path

from memdash.app.kinds.launch_form import FormRead, LaunchForm, Posted, UploadRejected


def read(posted: Posted) -> FormRead:
    form = FormRead()
    form.overrides["reference"] = posted.text("reference", "full")
    form.whole_number(posted, "seeds", "Seeds")
    form.whole_numbers(posted, "train_sizes", "Training-set sizes", "64, 256, 1024")
    if posted.text("canaries"):
        form.overrides["canaries"] = {}  # the defaults of core.canary_space.SweepCanaries
    upload = posted.uploads.get("corpus_file")
    if upload is not None:
        try:  # stored even when another field is wrong: the form shows it, ready to pick
            form.overrides["corpus"] = form.shown["corpus"] = posted.store_corpus(upload)
        except UploadRejected as error:
            form.errors["corpus_file"] = str(error)
    elif (corpus := posted.text("corpus", "demo")) != "demo":
        form.overrides["corpus"] = corpus
    return form


FORM = LaunchForm(
    template=Path(__file__).with_name("form.html"),
    read=read,
    fields=("reference", "train_sizes", "corpus", "corpus_file", "seeds", "canaries"),
)
