"""`MemdashCallback`: a transformers Trainer callback that scores each checkpoint the Trainer
saves (or every `every_n_steps` steps) on a memdash server, in the background.

    from memdash.callback import MemdashCallback
    trainer = Trainer(model=model, args=args, train_dataset=train, processing_class=tokenizer,
                      callbacks=[MemdashCallback("http://127.0.0.1:8000", run_name="tickets",
                                                 members=train_texts, nonmembers=heldout_texts,
                                                 base_model=(base, tokenizer))])
    trainer.train()        # then open http://127.0.0.1:8000/training/tickets

A server that is down, slow or refusing never breaks the training: the callback logs, and
retries in the background until the server answers (memdash.monitor.Monitor).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from memdash.monitor import Monitor


class MemdashCallback(TrainerCallback):
    def __init__(
        self,
        server: str = "http://127.0.0.1:8000",
        *,
        run_name: str | None = None,
        every_n_steps: int | None = None,
        **monitor: Any,
    ) -> None:
        """`monitor`: Monitor's options (members, nonmembers, canaries, base_model, reference,
        token, seq_len, max_samples, ...). `run_name` defaults to the TrainingArguments'
        run_name (else its output folder's name). With `every_n_steps`, the model is also
        staged every that many steps, saved or not."""
        if monitor.get("members") is None:
            raise ValueError(
                "MemdashCallback needs members=: the documents the model trains on (a list, a "
                ".txt / .jsonl path, or a corpus's sha256); memdash never assumes them"
            )
        self.server, self.run_name, self.every_n_steps = server, run_name, every_n_steps
        self.options = monitor
        self.monitor: Monitor | None = None
        self.hook_seconds = 0.0  # time the training spent in this callback (staging only)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.monitor is None:
            name = self.run_name or args.run_name or Path(args.output_dir).name
            self.monitor = Monitor(self.server, run_name=str(name), **self.options)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if self.monitor is not None and folder.is_dir():
            self.monitor.checkpoint_folder(
                folder,
                step=state.global_step,
                epoch=state.epoch,
                tokenizer=kwargs.get("processing_class") or kwargs.get("tokenizer"),
            )
        self.hook_seconds += time.perf_counter() - started

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        n = self.every_n_steps
        if self.monitor is not None and n and state.global_step % n == 0 and "model" in kwargs:
            started = time.perf_counter()
            tokenizer = kwargs.get("processing_class") or kwargs.get("tokenizer")
            self.monitor.checkpoint(
                kwargs["model"], tokenizer, step=state.global_step, epoch=state.epoch
            )
            self.hook_seconds += time.perf_counter() - started

    def wait(self, timeout_s: float | None = None, *, scored: bool = True) -> bool:
        """Until every staged checkpoint's scoring has finished (`scored=False`: until each is
        uploaded and launched); False on a timeout."""
        return self.monitor.wait(timeout_s, scored=scored) if self.monitor is not None else True
