"""A reference model memdash trains itself on non-member documents only (SPEC 9), for scoring a
model whose training data (or base model) the user does not have.

The non-member documents are split by document, seeded: `REFERENCE_SHARE` of them train the
reference (with its tokenizer: the scored model's own, so both code the same tokens), the rest
are the non-members scored. The reference never sees a member nor a scored non-member. It is a
small memdash GPT trained with early stopping on a validation slice of its own documents (split
by document, so no window of a validation document is trained on): its
job is to generalize (a reference that memorized its training half would code those documents,
not text like them). Its loss on the scored non-members is recorded beside the target's: a
reference that does not generalize better than the target is flagged on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from memdash.core.params import Shape
from memdash.core.results import HeldoutReferenceInfo
from memdash.worker.data.padding import pad_rows
from memdash.worker.model import GPT, GPTConfig
from memdash.worker.reference_cache import StoredReference, cached_reference, reference_key
from memdash.worker.train import mean_loss_bits, train
from memdash.worker.train_config import TrainConfig

T = TypeVar("T")
REFERENCE_SHARE = 0.5  # of the non-member documents, by document
VALIDATION_SHARE = 0.1  # of the reference's own documents, for early stopping
PATIENCE_EVALS = 3
SHAPE = Shape(n_layer=2, d_model=64)
TRAIN = TrainConfig(max_steps=1500, batch_size=32, lr=3e-3, warmup_steps=50, eval_every=50)


def split_nonmembers(documents: Sequence[T], seed: int) -> tuple[list[T], list[T]]:
    """(documents that train the reference, documents scored as non-members)."""
    order = np.random.default_rng([seed, 0x4EF]).permutation(len(documents))
    cut = round(REFERENCE_SHARE * len(documents))
    return [documents[i] for i in sorted(order[:cut])], [documents[i] for i in sorted(order[cut:])]


@dataclass
class HeldoutReference:
    model: GPT
    info: HeldoutReferenceInfo
    validation: np.ndarray  # (n, window) PAD-padded: its validation documents' samples


class _EarlyStop:
    """Keeps the weights with the lowest validation loss; asks the trainer to stop once it has
    not improved for PATIENCE_EVALS evaluations."""

    def __init__(self, validation: np.ndarray) -> None:
        self.validation, self.best, self.best_step, self.stale = validation, np.inf, 0, 0
        self.state: dict[str, torch.Tensor] | None = None

    def on_eval(self, _index: int, step: int, model: GPT) -> None:
        loss = mean_loss_bits(model, self.validation)
        if loss < self.best - 1e-4:
            self.best, self.best_step, self.stale = loss, step, 0
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.stale += 1

    def should_stop(self) -> bool:
        return self.stale >= PATIENCE_EVALS


def train_heldout_reference(
    samples: list[list[int]],
    vocab_size: int,
    window: int,
    device: torch.device,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
    documents: Sequence[int] | None = None,
    cache_dir: Path | None = None,
) -> HeldoutReference:
    """A reference trained on `samples` (token lists of at most `window` tokens); `documents`
    names each sample's document (each sample its own when None): the validation slice is
    VALIDATION_SHARE of the documents, whole. With `cache_dir` (the worker's input cache), one
    trained before on the same samples is reused (worker/reference_cache.py; its info says
    `reused`)."""
    documents = list(documents) if documents is not None else list(range(len(samples)))
    recipe = f"{SHAPE.key()}|{TRAIN}|{VALIDATION_SHARE}|{PATIENCE_EVALS}"
    key = reference_key(samples, documents, vocab_size, window, seed, recipe)
    reference, reused = cached_reference(
        cache_dir,
        key,
        lambda: _train(samples, vocab_size, window, device, seed, on_progress, documents),
        _to_file,
        lambda stored: _from_file(stored, vocab_size, window, device),
    )
    if reused:
        reference.info = reference.info.model_copy(update={"reused": True})
    return reference


def _to_file(reference: HeldoutReference) -> StoredReference:
    return {
        "state": {k: v.cpu() for k, v in reference.model.state_dict().items()},
        "info": reference.info.model_dump(mode="json"),
        "validation": torch.from_numpy(np.ascontiguousarray(reference.validation)),
    }


def _from_file(
    stored: StoredReference, vocab_size: int, window: int, device: torch.device
) -> HeldoutReference:
    model = GPT(GPTConfig.of(SHAPE, vocab_size, window))
    model.load_state_dict(stored["state"])
    validation = stored["validation"].numpy()
    info = HeldoutReferenceInfo.model_validate(stored["info"])
    return HeldoutReference(model.to(device).eval(), info, validation)


def _train(
    samples: list[list[int]],
    vocab_size: int,
    window: int,
    device: torch.device,
    seed: int,
    on_progress: Callable[[int, int], None] | None,
    documents: list[int],
) -> HeldoutReference:
    distinct = sorted(set(documents))
    order = np.random.default_rng([seed, 0x7A1]).permutation(len(distinct))
    n_val_docs = max(1, round(VALIDATION_SHARE * len(distinct)))
    held = {distinct[i] for i in order[:n_val_docs]}
    is_val = [d in held for d in documents]
    validation = pad_rows([t for t, v in zip(samples, is_val, strict=True) if v], window)
    training = pad_rows([t for t, v in zip(samples, is_val, strict=True) if not v], window)
    if training.shape[0] < 2:
        raise ValueError("too few non-member samples to train a reference model on")
    config = GPTConfig.of(SHAPE, vocab_size, window)
    stop = _EarlyStop(validation)
    train_config = replace(TRAIN, batch_size=min(TRAIN.batch_size, training.shape[0]), seed=seed)
    result = train(
        config,
        train_config,
        training,
        device=device,
        on_eval=stop.on_eval,
        should_stop=stop.should_stop,
        on_progress=(lambda step, total, _active: on_progress(step, total))
        if on_progress
        else None,
    )
    model = result.model
    if stop.state is not None:
        model.load_state_dict(stop.state)
    reason = "validation loss stopped improving" if stop.should_stop() else result.stop_reason
    info = HeldoutReferenceInfo(
        n_samples=int(training.shape[0]),
        n_validation=int(validation.shape[0]),
        n_validation_documents=int(n_val_docs),
        steps=int(result.steps),
        best_step=int(stop.best_step),
        validation_loss_bits=float(stop.best),
        stop_reason=reason,
        shape=SHAPE.key(),
        n_params=model.n_params(),
    )
    return HeldoutReference(model.eval(), info, validation)
