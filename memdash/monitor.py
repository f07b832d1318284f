"""Scoring checkpoints while a model trains, without slowing the training: `checkpoint` (or the
Trainer callback, memdash.callback) only stages the files — hard links, or the model saved — and
a background thread uploads them, launches a scoring tagged with the run's name and step, and
keeps retrying while the server is unreachable. The server scores a run's step once, however
often it is asked (a retry after a lost answer, a second monitor), and the same files are stored
once.

    monitor = Monitor("http://127.0.0.1:8000", run_name="support-tickets-v2",
                      members=train_texts, nonmembers=heldout_texts, base_model=(model, tok))
    for step in ...:
        ...
        if step % 100 == 0:
            monitor.checkpoint(model, tok, step=step)
    monitor.wait()          # optional: until every checkpoint's scores are in (or a timeout)
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memdash.client import Client, MemdashError, Training
from memdash.core.edges import JSONObject

log = logging.getLogger("memdash")
# What a checkpoint folder holds that scoring reads (never optimizer state or pickles).
MODEL_SUFFIXES = (".json", ".safetensors", ".txt", ".model", ".jinja")


@dataclass(frozen=True)
class Staged:
    folder: Path
    step: int
    epoch: float | None


class Monitor:
    def __init__(
        self,
        server: str = "http://127.0.0.1:8000",
        *,
        run_name: str,
        members: str | Path | Sequence[str],
        nonmembers: str | Path | Sequence[str] | None = None,
        canaries: JSONObject | None = None,
        base_model: Any = None,
        reference: str | None = None,
        token: str | None = None,
        seq_len: int = 64,
        max_samples: int = 1000,
        retry_every_s: float = 5.0,
        exit_wait_s: float = 60.0,
    ) -> None:
        """`members` / `nonmembers`: documents, a .txt / .jsonl path, or the sha256 of a corpus
        on the server. `members` is required: the text the model trains on (memdash's demo
        corpus only when named, "demo": a fine-tune scored on text it never saw, labelled its
        members, would measure nothing). `base_model`: the model before fine-tuning, as (model,
        tokenizer), a checkpoint folder or file, or a checkpoint id on the server: uploaded once
        and used as the reference (the sound one for a fine-tune); else `reference` (default
        "auto")."""
        if members is None:
            raise ValueError("members: the documents the model trains on are required")
        self.run_name = run_name
        self.client = Client(server, token, retry_for_s=0.0, timeout_s=900.0)
        self.members, self.nonmembers, self.canaries = members, nonmembers, canaries
        self.base_model, self.reference = base_model, reference
        self.seq_len, self.max_samples = seq_len, max_samples
        self.retry_every_s = retry_every_s
        self.staging = Path(tempfile.mkdtemp(prefix="memdash-monitor-"))
        self.tasks: queue.Queue[Staged | None] = queue.Queue()
        self.scorings: dict[int, int] = {}  # step -> scoring id
        self.failed: dict[int, str] = {}  # step -> why it was given up (a 4xx)
        self._setup: JSONObject = {}
        self._pending = 0
        self._lock = threading.Condition()
        self._closed = False
        if base_model is not None and not isinstance(base_model, int | str | Path):
            self._setup["base_folder"] = self._save(base_model[0], base_model[1], "base")
        self.thread = threading.Thread(target=self._work, name="memdash-monitor", daemon=True)
        self.thread.start()
        atexit.register(self.close, exit_wait_s)

    # ---- staging (in the training thread: cheap) ---------------------------------------

    def checkpoint(
        self, model: Any, tokenizer: Any = None, *, step: int, epoch: float | None = None
    ) -> None:
        """Save `model` (and its tokenizer) now and score it in the background."""
        self._enqueue(Staged(self._save(model, tokenizer, f"step-{step}"), step, epoch))

    def checkpoint_folder(
        self, folder: Path, *, step: int, epoch: float | None = None, tokenizer: Any = None
    ) -> None:
        """A folder the training saved (a Trainer's checkpoint-N): its model files are hard-linked
        (copied where links cannot be made), so the training may delete the folder meanwhile."""
        staged = self.staging / f"step-{step}"
        staged.mkdir(parents=True, exist_ok=True)
        for file in Path(folder).iterdir():
            if (
                file.is_file()
                and file.suffix in MODEL_SUFFIXES
                and file.name != "trainer_state.json"
            ):
                try:
                    os.link(file, staged / file.name)
                except OSError:
                    shutil.copy2(file, staged / file.name)
        if tokenizer is not None and not any(staged.glob("tokenizer*")):
            tokenizer.save_pretrained(staged)
        self._enqueue(Staged(staged, step, epoch))

    def _save(self, model: Any, tokenizer: Any, name: str) -> Path:
        folder = self.staging / name
        model.save_pretrained(folder)
        if tokenizer is not None:
            tokenizer.save_pretrained(folder)
        return folder

    def _enqueue(self, staged: Staged) -> None:
        with self._lock:
            self._pending += 1
        self.tasks.put(staged)

    # ---- waiting -------------------------------------------------------------------------

    def wait(self, timeout_s: float | None = None, *, scored: bool = True) -> bool:
        """Block until every staged checkpoint's scoring has finished (with `scored=False`:
        until each is uploaded and its scoring launched), or was given up; False on a timeout."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._lock:
            while self._pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._lock.wait(left)
        while scored:
            try:
                states = [self.client.sweep(i).status for i in self.scorings.values()]
            except MemdashError:
                states = ["running"]  # the server is away for a moment: ask again
            if not any(s in ("queued", "running") for s in states):
                break
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(min(self.retry_every_s, 2.0))
        return True

    def close(self, timeout_s: float = 60.0) -> None:
        """Wait up to `timeout_s` for what is staged, then stop the thread."""
        if self._closed:
            return
        if not self.wait(timeout_s, scored=False):
            log.warning("memdash: %d checkpoint(s) not scored yet; giving up", self._pending)
        self._closed = True
        self.tasks.put(None)
        shutil.rmtree(self.staging, ignore_errors=True)

    # ---- the background thread -----------------------------------------------------------

    def _work(self) -> None:
        while (task := self.tasks.get()) is not None:
            while not self._closed:
                try:
                    self.scorings[task.step] = self._deliver(task)
                    break
                except MemdashError as error:
                    if error.status is not None and error.status < 500:
                        self.failed[task.step] = str(error)  # refused: retrying cannot help
                        log.error("memdash: step %d not scored: %s", task.step, error)
                        break
                    log.warning("memdash: %s; retrying in %.0f s", error, self.retry_every_s)
                    time.sleep(self.retry_every_s)
                except Exception as error:  # never let the training see an exception
                    self.failed[task.step] = f"{type(error).__name__}: {error}"
                    log.exception("memdash: step %d not scored", task.step)
                    break
            shutil.rmtree(task.folder, ignore_errors=True)
            with self._lock:
                self._pending -= 1
                self._lock.notify_all()

    def _corpus(self, source: Any, name: str) -> str | None:
        if source is None or (isinstance(source, str) and (source == "demo" or len(source) == 64)):
            return source
        return self.client.upload_corpus(source, name=name).sha256

    def _deliver(self, task: Staged) -> int:
        """Upload what the scoring needs (each thing once) and launch it; its id."""
        setup = self._setup
        if "members" not in setup:
            setup["members"] = self._corpus(self.members, f"{self.run_name}-members.jsonl")
        if "nonmembers" not in setup:
            setup["nonmembers"] = self._corpus(self.nonmembers, f"{self.run_name}-nonmembers.jsonl")
        if "reference" not in setup:
            base = setup.get("base_folder", self.base_model)
            if isinstance(base, int):
                setup["reference"] = f"checkpoint:{base}"
            elif isinstance(base, str | Path):
                uploaded = self.client.upload_checkpoint(base, name=f"{self.run_name} base")
                setup["reference"] = f"checkpoint:{uploaded.id}"
            else:
                setup["reference"] = self.reference or "auto"
        model = self.client.upload_checkpoint(task.folder, name=f"{self.run_name} step {task.step}")
        return self.client.score(
            [model.id],
            members=setup["members"],
            nonmembers=setup["nonmembers"],
            reference=self.reference or setup["reference"],
            seq_len=self.seq_len,
            max_samples=self.max_samples,
            canaries=self.canaries,
            name=f"{self.run_name} step {task.step}",
            training=Training(self.run_name, task.step, task.epoch),
        )
