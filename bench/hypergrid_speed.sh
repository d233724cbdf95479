#!/usr/bin/env bash
# Side-by-side speed of HyperGrid trajectory balance (2-D, height 8, MLP
# 256x2, batch 16), neurogfn against plain PyTorch (bench/torch_hypergrid_tb.py),
# same machine, same core, run one after the other. Needs python3-torch
# (Debian: apt-get install python3-torch).
#
#   bench/hypergrid_speed.sh [iterations] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-1000}
rounds=${2:-3}
py=${PYTHON:-/usr/bin/python3}
go build -o /tmp/neurogfn-bench ./cmd/neurogfn
pin=""
command -v taskset >/dev/null && pin="taskset -c 0"
for r in $(seq "$rounds"); do
  ours=$(GOMAXPROCS=1 $pin /tmp/neurogfn-bench hypergrid train --ndim 2 --height 8 --loss tb \
    --batch-size 16 --iterations "$iters" --seed "$r" --workers 1 --json 2>/dev/null | tail -1)
  theirs=$(OMP_NUM_THREADS=1 $pin "$py" bench/torch_hypergrid_tb.py --iterations "$iters" --seed "$r" --threads 1)
  "$py" - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"neurogfn {a['ms_per_iteration']:.3f} ms/it (l1_exact {a['l1_exact']:.4f})  "
      f"{b['tool']} {b['dtype']} {b['ms_per_iteration']:.3f} ms/it (l1_exact {b['l1_exact']:.4f})  "
      f"ratio {b['ms_per_iteration'] / a['ms_per_iteration']:.1f}x")
PY
done
