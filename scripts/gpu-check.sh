#!/usr/bin/env bash
# The GPU check (issue 18), a few minutes on a lent GPU machine: the CUDA tests, the engine
# benchmark's GPU figures, and a slice of the paper preset (two shapes, three sizes, one seed)
# with its per-configuration capacities beside the paper's table. Results go to $OUT
# (default bench/gpu); copy them into bench/ and docs/results.md.
#   scripts/gpu-check.sh            # after `make .venv/.installed` (or make test-fast)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/gpu}
PY=${PY:-.venv/bin/python}
MAX_STEPS=${MAX_STEPS:-20000}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
"$PY" -c "import torch; assert torch.cuda.is_available(), 'torch sees no CUDA device'; print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name())" | tee -a "$OUT/gpu.txt"
"$PY" -m pytest -q -m cuda tests/engine/test_cuda.py 2>&1 | tee "$OUT/cuda-tests.txt"
"$PY" -m bench.engine --device cuda --threads 4 --out "$OUT/results-gpu.md"
"$PY" -m bench.paper_slice --device cuda --max-steps "$MAX_STEPS" --out "$OUT/results-paper-slice.md"
echo "done: $OUT"
