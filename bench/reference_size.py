"""How many non-member documents does a held-out reference model need (issue 27)?

memdash's held-out reference (worker/heldout_reference.py) is trained on half of a scoring's
non-member documents. With few documents it cannot generalize, and the scoring pays for it
twice: half the non-members are not scored, and the reference codes text worse than a model-free
code would. This trains the reference on n documents of the demo corpus (Debian fortunes) for
several n and codes 200 other documents with it and with the model-free codes `auto` also has
(zlib, lzma, the uniform token code): the smallest n at which the model beats them is the floor
below which a scoring keeps every non-member for scoring and uses model-free codes.

Usage: `.venv/bin/python -m bench.reference_size [--sizes 8 16 32 64 128 256 512]
[--out bench/results-reference-size.md]`.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from bench.report import emit
from memdash.core.metrics.codelength import uniform_code_bits
from memdash.core.metrics.compression import COMPRESSORS
from memdash.worker.data.cut import cut_documents
from memdash.worker.data.demo_corpus import demo_corpus
from memdash.worker.data.tokenizer import train_byte_bpe
from memdash.worker.evaluate_text import code_bits
from memdash.worker.heldout_reference import train_heldout_reference
from memdash.worker.inference import MemdashScorer

SEQ_LEN, VOCAB, N_SCORED = 64, 512, 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32, 64, 128, 256, 512])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from transformers import PreTrainedTokenizerFast

    lines = [line.text for line in demo_corpus(seed=0)]
    order = np.random.default_rng(7).permutation(len(lines))
    scored_docs = [lines[i] for i in order[:N_SCORED]]
    pool = [lines[i] for i in order[N_SCORED:]]
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=train_byte_bpe(pool[:5000], VOCAB))
    scored = cut_documents(tokenizer, scored_docs, SEQ_LEN, 10_000)
    free = np.min(
        [
            [COMPRESSORS["zlib"](t) for t in scored.texts],
            [COMPRESSORS["lzma"](t) for t in scored.texts],
            uniform_code_bits([len(t) for t in scored.tokens], VOCAB),
        ],
        axis=0,
    )
    rows = []
    for n in args.sizes:
        cut = cut_documents(tokenizer, pool[:n], SEQ_LEN, 100_000)
        start = time.perf_counter()
        reference = train_heldout_reference(
            cut.tokens, VOCAB, SEQ_LEN, torch.device("cpu"), documents=cut.document_index
        )
        seconds = time.perf_counter() - start
        bits = code_bits(MemdashScorer(reference.model), scored.tokens, VOCAB)[0]
        shorter = float(np.mean(bits < free))
        rows.append(
            f"| {n} | {len(cut.tokens)} | {float(np.mean(bits)):,.1f} | {float(np.mean(free)):,.1f}"
            f" | {shorter:.0%} | {reference.info['stop_reason']} | {seconds:.0f} s |"
        )
        print(rows[-1], flush=True)
    text = "\n".join(
        [
            f"Held-out reference by the number of non-member documents it trains on: demo corpus, "
            f"byte-level BPE V = {VOCAB}, samples of at most {SEQ_LEN} tokens, {N_SCORED} other "
            f"documents scored ({len(scored.tokens)} samples). {platform.machine()}, "
            f"{args.threads} torch threads. Command: `.venv/bin/python -m bench.reference_size "
            f"--sizes {' '.join(map(str, args.sizes))}`",
            "",
            "| documents | samples | reference (bits/sample) | best model-free code (bits/sample) "
            "| samples the reference codes shorter | why it stopped | time |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *rows,
        ]
    )
    emit(text, args.out)


if __name__ == "__main__":
    main()
