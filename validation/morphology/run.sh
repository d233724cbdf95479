#!/usr/bin/env bash
# NEURON cross-check of the SWC writer: convert the bundled reference cells
# with each soma layout, compute our stats, load the written files in NEURON.
# Usage: validation/morphology/run.sh   (from anywhere; needs Go and NEURON)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/neurogfn" ./cmd/neurogfn
for layout in 3point 1point keep; do
  mkdir -p "$work/$layout"
  for f in data/swc/*.swc; do
    "$work/neurogfn" morphology convert --soma "$layout" "$f" "$work/$layout/$(basename "$f")" 2>/dev/null
  done
done
status=0
for layout in 3point 1point keep; do
  echo "== soma layout: $layout"
  (cd "$work/$layout" && "$work/neurogfn" morphology stats --json *.swc > stats.jsonl 2>/dev/null)
  (cd "$work/$layout" && /usr/bin/python3 "$OLDPWD/validation/morphology/neuron_crosscheck.py" stats.jsonl) 2>&1 | grep -v "No graphics" || status=1
done
exit $status
