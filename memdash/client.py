"""A typed Python client of a memdash server's JSON API (the one HTTP client: the CLI uses it).

    from memdash.client import Client
    memdash = Client("http://127.0.0.1:8000", token=None)
    model = memdash.upload_checkpoint("out/checkpoint-500")          # a folder, file or model
    members = memdash.upload_corpus(["first document", "second"])   # or a .txt / .jsonl path
    scoring = memdash.score([model.id], members=members.sha256)
    memdash.wait(scoring)                                           # a progress bar
    memdash.samples_frame(scoring)                                  # pandas, one row a sample

Errors are `MemdashError` with the server's one-line message (a 4xx), or, after retrying for
`retry_for_s`, the reason the server could not be reached. Reads are retried through a server
restart; uploads and launches are retried only where the server makes a repeat harmless (the
same file is stored once; a scoring tagged with a training step is launched once).
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from memdash.core.api import (
    AttackTableRow,
    Launched,
    SampleRow,
    StoredCheckpoint,
    StoredCorpus,
    SweepState,
)
from memdash.core.edges import JSONObject, TableRow

if TYPE_CHECKING:
    import pandas

RETRY_BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0)


class MemdashError(Exception):
    """The server refused a request (its message), or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # None: the server could not be reached


@dataclass(frozen=True)
class Training:
    """Where a checkpoint comes from in a training run: the run's name, the optimizer step and
    the epoch. A scoring tagged with it appears on the run's page (/training/NAME)."""

    run: str
    step: int
    epoch: float | None = None

    def as_json(self) -> JSONObject:
        return {"run": self.run, "step": self.step, "epoch": self.epoch}


def _message(response: httpx.Response) -> str:
    if "json" in response.headers.get("content-type", ""):
        body = response.json()
        # memdash's errors say it in one line ("error"); "detail" holds the particulars.
        detail = body.get("error") or body.get("detail") if isinstance(body, dict) else None
        if detail:
            return detail if isinstance(detail, str) else json.dumps(detail)[:300]
    return response.text[:300]


def _scored_checkpoints(
    checkpoint_ids: Iterable[int],
    members: str,
    nonmembers: str | None,
    reference: str,
    seq_len: int,
    max_samples: int,
    canaries: JSONObject | None,
    name: str | None,
) -> JSONObject:
    """The body a scoring and a checkpoint series share: which checkpoints, scored on what."""
    body: JSONObject = {
        "checkpoint_ids": list(checkpoint_ids),
        "members": members,
        "nonmembers": nonmembers,
        "reference": reference,
        "seq_len": seq_len,
        "max_samples": max_samples,
        "canaries": canaries,
    }
    if name:
        body["name"] = name
    return body


class Client:
    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        token: str | None = None,
        *,
        timeout_s: float = 900.0,
        retry_for_s: float = 600.0,
        on_retry: Callable[[str, float], None] | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        """`http`: an httpx client to send through instead (an app's test client)."""
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = http or httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)
        self.retry_for_s = retry_for_s
        self.on_retry = on_retry  # told (problem, delay) before each retry

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---- requests ----------------------------------------------------------------------

    def request(self, method: str, path: str, *, retry: bool = False, **kwargs: Any) -> Any:
        """One API call, its JSON answer. A 4xx raises MemdashError with the server's message;
        with `retry`, an unreachable server or a 5xx is retried for `retry_for_s`."""
        deadline, attempt = time.monotonic() + self.retry_for_s, 0
        while True:
            response: httpx.Response | None = None
            try:
                response = self.http.request(method, path, **kwargs)
                problem = None if response.status_code < 500 else f"HTTP {response.status_code}"
            except httpx.TransportError as error:
                problem = type(error).__name__
            if response is not None and problem is None:
                break
            if not retry or time.monotonic() >= deadline:
                if response is None:
                    raise MemdashError(
                        f"cannot reach the memdash server at {self.url} ({problem}); "
                        "is `memdash serve` running?"
                    )
                raise MemdashError(f"{response.status_code}: {_message(response)}", 500)
            delay_s = RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)]
            if self.on_retry is not None:
                self.on_retry(problem or "no answer", delay_s)
            time.sleep(delay_s)
            attempt += 1
            for value in kwargs.get("files") or []:  # re-send from the start of each file
                handle = value[1][1] if isinstance(value, tuple) else None
                if handle is not None and hasattr(handle, "seek"):
                    handle.seek(0)
        if response.status_code >= 400:
            raise MemdashError(
                f"{response.status_code}: {_message(response)}", response.status_code
            )
        return response.json()

    # ---- uploads -------------------------------------------------------------------------

    def upload_checkpoint(
        self,
        source: str | Path | Any,
        tokenizer: Any = None,
        *,
        name: str | None = None,
        tokenizer_from: int | None = None,
        retry: bool = True,
    ) -> StoredCheckpoint:
        """A checkpoint: a model folder (its files), an archive (.zip / .tar.gz), a .gguf file,
        or a transformers model with its `tokenizer` (saved to a temporary folder first). The
        same files are stored once: uploading them again answers the stored checkpoint."""
        with tempfile.TemporaryDirectory(prefix="memdash-upload-") as scratch:
            if not isinstance(source, str | Path):  # a PreTrainedModel in memory
                folder = Path(scratch) / "model"
                source.save_pretrained(folder)
                if tokenizer is not None:
                    tokenizer.save_pretrained(folder)
                source = folder
            path = Path(source)
            if path.is_dir():
                archive = Path(scratch) / f"{name or path.name}.tar"
                with tarfile.open(archive, "w") as bundle:
                    for file in sorted(p for p in path.iterdir() if p.is_file()):
                        if not file.name.startswith(("optimizer", "scheduler", "rng_state")):
                            bundle.add(file, arcname=f"model/{file.name}")  # not training state
                path = archive
            elif not path.is_file():
                raise MemdashError(f"{path}: no such file or folder")
            form = {"name": name} if name else {}
            if tokenizer_from:
                form["tokenizer_from"] = str(tokenizer_from)
            with path.open("rb") as handle:
                body = self.request(
                    "POST",
                    "/api/checkpoints",
                    retry=retry,
                    files=[("file", (path.name, handle))],
                    data=form,
                )
        return StoredCheckpoint.model_validate(body)

    def hub_model(self, repo_id: str, revision: str = "main") -> StoredCheckpoint:
        """A model on the Hugging Face Hub by id and revision (a branch, a tag such as Pythia's
        "step3000", or a commit): stored as its name; the worker that scores it resolves it
        through its own Hub cache. Naming it again answers the same checkpoint."""
        body = {"repo_id": repo_id, "revision": revision}
        answer = self.request("POST", "/api/checkpoints/hub", json=body, retry=True)
        return StoredCheckpoint.model_validate(answer)

    def hub_dataset(
        self, repo_id: str, revision: str = "main", split: str = "train", column: str = "text"
    ) -> StoredCorpus:
        """A dataset on the Hugging Face Hub by id, revision, split and column (text, or token
        ids) as a corpus to score on: stored as its name; the worker that scores on it reads the
        split through its own Hub cache. Naming it again answers the same corpus."""
        body = {"repo_id": repo_id, "revision": revision, "split": split, "column": column}
        answer = self.request("POST", "/api/corpora/hub", json=body, retry=True)
        return StoredCorpus.model_validate(answer)

    def upload_corpus(
        self, source: str | Path | Sequence[str], *, name: str = "corpus.jsonl", retry: bool = True
    ) -> StoredCorpus:
        """A corpus: a .txt (one document a line) or .jsonl ({"text": ...} a line) file, or a
        list of documents (sent as .jsonl; `name` names it)."""
        if isinstance(source, str | Path) and Path(source).is_file():
            filename, data = Path(source).name, Path(source).read_bytes()
        elif isinstance(source, str | Path):
            raise MemdashError(f"{source}: no such file")
        else:
            filename = name if name.endswith((".jsonl", ".txt")) else f"{name}.jsonl"
            data = "".join(json.dumps({"text": text}) + "\n" for text in source).encode()
        body = self.request(
            "POST", "/api/corpora", retry=retry, files={"file": (filename, io.BytesIO(data))}
        )
        return StoredCorpus.model_validate(body)

    # ---- launches ------------------------------------------------------------------------

    def score(
        self,
        checkpoint_ids: Iterable[int],
        *,
        members: str = "demo",
        nonmembers: str | None = None,
        reference: str = "auto",
        seq_len: int = 64,
        max_samples: int = 1000,
        canaries: JSONObject | None = None,
        name: str | None = None,
        training: Training | None = None,
        retry: bool = False,
    ) -> int:
        """Launch a scoring; returns its id (a sweep id). With `training`, the scoring is tagged
        with its run and step, and launching the same run and step again answers the first."""
        body = _scored_checkpoints(
            checkpoint_ids, members, nonmembers, reference, seq_len, max_samples, canaries, name
        )
        if training is not None:
            body["training"] = training.as_json()
        answer = self.request("POST", "/api/scorings", json=body, retry=retry)
        return Launched.model_validate(answer).sweep_id

    def series(
        self,
        checkpoint_ids: Iterable[int],
        *,
        axis: str = "steps",
        steps: Sequence[int] | None = None,
        members: str = "demo",
        nonmembers: str | None = None,
        reference: str = "auto",
        seq_len: int = 64,
        max_samples: int = 1000,
        canaries: JSONObject | None = None,
        name: str | None = None,
    ) -> int:
        """Launch a checkpoint series; returns its id. `axis` "steps": one model's revisions,
        each at its step (`steps`, else the step its revision or name carries, e.g.
        "step3000"); "sizes": a suite's models at one revision. Each is scored on the same data
        and the last (or largest) one's memorized set is predicted from the others."""
        body = _scored_checkpoints(
            checkpoint_ids, members, nonmembers, reference, seq_len, max_samples, canaries, name
        )
        body.update(axis=axis, steps=list(steps) if steps is not None else None)
        answer = self.request("POST", "/api/series", json=body)
        return Launched.model_validate(answer).sweep_id

    def launch_sweep(
        self, kind: str, preset: str | None = None, params: JSONObject | None = None
    ) -> int:
        body = {"preset": preset, "params": params or {}}
        return Launched.model_validate(
            self.request("POST", f"/api/sweeps/{kind}", json=body)
        ).sweep_id

    # ---- results -------------------------------------------------------------------------

    def sweep(self, sweep_id: int) -> SweepState:
        """A sweep or scoring as the JSON API gives it: status, progress, params, summary,
        runs (each with its summary's numbers: `run.get("mi_loss_auc")`) and jobs."""
        return SweepState.model_validate(self.request("GET", f"/api/sweeps/{sweep_id}", retry=True))

    def wait(self, sweep_id: int, *, progress: bool = True, poll_s: float = 2.0) -> SweepState:
        """Follow a sweep or scoring to its end (a progress bar unless `progress=False`)."""
        if not progress:
            while not (state := self.sweep(sweep_id)).ended:
                time.sleep(poll_s)
            return state
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
        ) as bar:
            task = bar.add_task(f"sweep {sweep_id}", total=1.0, note="")
            while True:
                state = self.sweep(sweep_id)
                running = [j.message for j in state.jobs if j.state == "running"]
                note = (running[0] if running else state.status) or state.status
                bar.update(task, completed=state.progress, note=note[:60])
                if state.ended:
                    bar.update(task, completed=1.0)
                    return state
                time.sleep(poll_s)

    def samples(self, sweep_id: int) -> list[SampleRow]:
        """Every per-sample score of a sweep's runs (the JSON twin of its samples CSV)."""
        rows = self.request("GET", f"/api/sweeps/{sweep_id}/samples?format=json", retry=True)
        return [SampleRow.model_validate(row) for row in rows]

    def attacks(self, sweep_id: int) -> list[AttackTableRow]:
        """One row per run and membership-inference attack, the blind baseline last: score,
        direction, AUC with its interval, F1, TPR at 1% and 0.1% FPR, the set sizes and the
        blind AUC (the JSON twin of the sweep's attacks CSV)."""
        rows = self.request("GET", f"/api/sweeps/{sweep_id}/attacks?format=json", retry=True)
        return [AttackTableRow.model_validate(row) for row in rows]

    def canaries(self, sweep_id: int) -> list[TableRow]:
        """One row per run and canary: its secret, repeats (0: a control), exposure, rank
        method and whether greedy decoding extracts it."""
        return [
            {"run_id": run.id, "run": run.name, **canary}
            for run in self.sweep(sweep_id).runs
            for canary in run.get("canaries", [])
        ]

    def samples_frame(self, sweep_id: int) -> pandas.DataFrame:
        return _frame([row.model_dump() for row in self.samples(sweep_id)])

    def attacks_frame(self, sweep_id: int) -> pandas.DataFrame:
        return _frame([row.model_dump() for row in self.attacks(sweep_id)])

    def canaries_frame(self, sweep_id: int) -> pandas.DataFrame:
        return _frame(self.canaries(sweep_id))


def _frame(rows: list[TableRow]) -> pandas.DataFrame:
    try:
        import pandas
    except ImportError:
        raise MemdashError("DataFrames need pandas: pip install 'memdash[client]'") from None
    return pandas.DataFrame.from_records(rows)
