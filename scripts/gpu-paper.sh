#!/usr/bin/env bash
# The paper's smallest rows on a lent GPU (issue 26), in one short call: the CUDA tests and
# bench.paper_cpu for the four rows (L1-d32 and L2-d32, fp32 and bf16), one process a row, side
# by side on the one GPU. Each process prints a JSON line per budget as it finishes, so a row cut
# by ROW_SECONDS still reports its smaller budgets; the table ends each log. Results go to $OUT.
#   scripts/gpu-paper.sh    # on the device machine: its python3 holds CUDA torch; pydantic
#                           # comes as wheels in .whl (see docs/developing.md)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/gpu}
PY=${PY:-python3}
ROW_SECONDS=${ROW_SECONDS:-400}
BUDGETS=${BUDGETS:-8000 16000 32000}
BATCH=${BATCH:-512}
LR=${LR:-0.01}
mkdir -p "$OUT"
if [ -d .whl ]; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site:$PWD
fi
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
"$PY" -c "import torch; assert torch.cuda.is_available(); print(torch.__version__, torch.cuda.get_device_name())" \
    | tee -a "$OUT/gpu.txt" || exit 1
for row in L1-d32:fp32 L1-d32:bf16 L2-d32:fp32 L2-d32:bf16; do
    name=${row/:/-}
    # shellcheck disable=SC2086
    timeout "$ROW_SECONDS" "$PY" -m bench.paper_cpu --device cuda --threads 2 --rows "$row" \
        --budgets $BUDGETS --set "train.batch_size=$BATCH" --set "train.lr=$LR" \
        >"$OUT/paper-$name.log" 2>&1 &
done
timeout 200 "$PY" -m pytest -q -p no:cacheprovider --noconftest -m cuda tests/engine/test_cuda.py \
    2>&1 | tee "$OUT/cuda-tests.txt" | tail -5
wait
for log in "$OUT"/paper-*.log; do echo "== $log"; tail -c 1500 "$log"; done
echo "done: $OUT"
