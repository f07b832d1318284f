"""Watching memorization while fine-tuning (memdash.callback): a tiny GPT-2 fine-tuned by
transformers.Trainer on text with planted canaries, the callback scoring each saved checkpoint on
a real server and worker; and a server that is down while the model trains."""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import httpx
import pandas
import pytest
import torch
from bs4 import BeautifulSoup
from sqlalchemy import select

from memdash.app.db.models import Sweep
from memdash.client import Client, Training
from tests import checkpoint_factory as factory
from tests.live import LiveServer, LiveWorker
from tests.pg_cluster import free_port

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
CANARIES = {
    **factory.CANARY_TEMPLATE,
    "inserted": [{"secret": s, "repeats": 8} for s in factory.CANARY_SECRETS],
    "n_controls": 2,
}


class Texts(torch.utils.data.Dataset):
    def __init__(self, tok, texts: list[str]) -> None:
        self.rows = [tok(t)["input_ids"][: factory.SEQ_LEN] for t in texts]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        ids = torch.tensor(self.rows[i])
        return {"input_ids": ids, "labels": ids}


def _train(folder: Path, callbacks: list, steps: int, save_steps: int) -> float:
    from transformers import Trainer, TrainingArguments, default_data_collator

    data = factory.corpus()
    model, tok = factory.tiny_gpt2()
    texts = data.planted + factory.canary_texts() * 8  # the canaries, eight times each
    args = TrainingArguments(
        output_dir=str(folder),
        max_steps=steps,
        save_steps=save_steps,
        per_device_train_batch_size=1,
        learning_rate=3e-3,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        logging_steps=1000,
        save_only_model=True,
        run_name=folder.name,
        seed=0,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=Texts(tok, texts),
        processing_class=tok,
        data_collator=default_data_collator,  # one sample a batch: nothing to pad
        callbacks=callbacks,
    )
    started = time.perf_counter()
    trainer.train()
    return time.perf_counter() - started


def _members(tmp_path: Path) -> tuple[Path, Path]:
    data = factory.corpus()
    members = tmp_path / "members.txt"
    members.write_text("\n".join(data.planted + data.unseen_members) + "\n")
    heldout = tmp_path / "heldout.txt"
    heldout.write_text("\n".join(data.heldout) + "\n")
    return members, heldout


def test_every_checkpoint_is_scored_tagged_and_shown(tmp_path: Path, database_url, engine) -> None:
    members, heldout = _members(tmp_path)
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    workers = [LiveWorker(server.url, f"w{i}", tmp_path) for i in (1, 2)]
    try:
        base, tok = factory.tiny_gpt2()
        from memdash.callback import MemdashCallback  # transformers: loaded here

        callback = MemdashCallback(
            server.url,
            run_name="tickets",
            members=members,
            nonmembers=heldout,
            canaries=CANARIES,
            base_model=(copy.deepcopy(base), tok),
            seq_len=factory.SEQ_LEN,
        )
        trained_s = _train(tmp_path / "tickets", [callback], steps=40, save_steps=20)
        assert callback.hook_seconds < 0.03 * trained_s  # uploads and scoring in the background
        assert callback.wait(timeout_s=600), callback.monitor.failed
        assert callback.monitor.failed == {}
        series = httpx.get(f"{server.url}/api/training/tickets", timeout=30).json()
        while any(r["status"] in ("queued", "running") for r in series["rows"]):
            time.sleep(2)
            series = httpx.get(f"{server.url}/api/training/tickets", timeout=30).json()
        rows = series["rows"]
        assert [r["step"] for r in rows] == [20, 40] and {r["status"] for r in rows} == {
            "succeeded"
        }
        assert all(r["epoch"] is not None and r["mi_loss_auc"] is not None for r in rows)
        inserted = [k for k in rows[0] if k.startswith("canary_")]
        assert len(inserted) == 2
        first, last = (sum(r[k] for k in inserted) for r in (rows[0], rows[-1]))
        assert last > first, (first, last)  # the canaries' exposure rises over the steps
        assert last > 0.5 * 2 * math.log2(1000)
        scorings = [r["scoring"] for r in rows]
        state = httpx.get(f"{server.url}/api/sweeps/{scorings[0]}").json()
        assert state["params"]["reference"].startswith("checkpoint:")  # the base model, once
        assert state["params"]["training"] == {
            "run": "tickets",
            "step": 20,
            "epoch": rows[0]["epoch"],
        }

        page = BeautifulSoup(httpx.get(f"{server.url}/training/tickets").text, "html.parser")
        assert [tr["id"] for tr in page.select("#training-table tbody tr")] == [
            "step-20",
            "step-40",
        ]
        assert page.select_one("#fig-training-mi_loss_auc") and page.select_one(
            "#fig-training-canaries"
        )
        assert page.select_one("#training-prediction") is not None
        listing = httpx.get(f"{server.url}/training").text
        assert "/training/tickets" in listing
        csv_text = httpx.get(
            f"{server.url}/figures/training?training=tickets&metric=canaries&format=csv"
        ).text
        assert csv_text.splitlines()[0].startswith("label,step,")

        with Client(server.url) as client:  # DataFrames are the JSON twins' rows
            samples = client.samples_frame(scorings[-1])
            twin = httpx.get(f"{server.url}/api/sweeps/{scorings[-1]}/samples?format=json").json()
            pandas.testing.assert_frame_equal(samples, pandas.DataFrame.from_records(twin))
            run = httpx.get(f"{server.url}/api/sweeps/{scorings[-1]}").json()["runs"][0]
            attacks = client.attacks_frame(scorings[-1]).set_index("attack")
            assert attacks.loc["loss", "auc"] == run["mi_loss_auc"]
            assert list(attacks.loc["zlib", ["auc_low", "auc_high"]]) == run["mi_zlib_auc_ci"]
            canaries = client.canaries_frame(scorings[-1])
            assert canaries["exposure_bits"].tolist() == [
                c["exposure_bits"] for c in run["canaries"]
            ]
    finally:
        for worker in workers:
            worker.stop()
        server.stop()


def test_a_server_down_while_training_scores_every_checkpoint_once_it_is_back(
    tmp_path: Path, database_url, engine
) -> None:
    members, heldout = _members(tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    from memdash.callback import MemdashCallback  # transformers: loaded here

    callback = MemdashCallback(
        url,
        run_name="offline",
        members=members,
        nonmembers=heldout,
        reference="zlib",
        seq_len=factory.SEQ_LEN,
        retry_every_s=0.5,
    )
    _train(tmp_path / "offline", [callback], steps=20, save_steps=10)  # nothing listens
    assert callback.monitor.scorings == {} and callback.monitor.failed == {}
    server = LiveServer(tmp_path / "data", database_url, port).start()
    worker = LiveWorker(server.url, "w1", tmp_path)
    try:
        assert callback.wait(timeout_s=300), callback.monitor.failed
        assert sorted(callback.monitor.scorings) == [10, 20]
        with Client(url) as client:  # asked again (a lost answer, a second monitor): the same one
            again = client.score([1], training=Training("offline", 10))
        assert again == callback.monitor.scorings[10]
        series = httpx.get(f"{url}/api/training/offline").json()
        assert [r["step"] for r in series["rows"]] == [10, 20]
        with engine.connect() as connection:
            kinds = connection.execute(select(Sweep.kind)).scalars().all()
        assert kinds == ["scoring", "scoring"]  # nothing scored twice
    finally:
        worker.stop()
        server.stop()
