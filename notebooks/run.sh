#!/usr/bin/env bash
# Executes the notebooks headless on fresh data: builds neurogfn, writes small
# HyperGrid and point-set runs and two BARS fits of the bundled example (RJMCMC
# and GFlowNet) into a scratch folder, then runs every notebook
# top to bottom with jupyter nbconvert, or with notebooks/execute.py where
# nbconvert is missing (outputs go to the scratch folder; the notebooks in the
# repository stay cleared). Needs Go (or a built binary in $NEUROGFN) and Python 3
# with pandas, pyarrow and matplotlib. Usage: notebooks/run.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work/hypergrid" "$work/pointset" "$work/bars-rjmcmc" "$work/bars-gfn" "$work/executed"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
if [[ -n "${NEUROGFN:-}" ]]; then
	cp "$NEUROGFN" "$work/neurogfn"
else
	go build -o "$work/neurogfn" ./cmd/neurogfn
fi
"$work/neurogfn" hypergrid sample --ndim 2 --height 8 --iterations 300 --samples 20000 --seed 1 --out "$work/hypergrid" >/dev/null
"$work/neurogfn" pointset sample --lambda 3 --max-points 8 --alpha 2 --beta 5 --iterations 1000 --samples 20000 --seed 1 --out "$work/pointset" >/dev/null
mkdir -p "$work/morphology"
"$work/neurogfn" morphology stats data/swc/*.swc --out "$work/morphology" >/dev/null
export NEUROGFN_MORPHOLOGY="$work/morphology"
"$work/neurogfn" bars fit --sampler rjmcmc --seed 1 --out "$work/bars-rjmcmc" >/dev/null
"$work/neurogfn" bars fit --sampler gfn --seed 1 --out "$work/bars-gfn" >/dev/null
export NEUROGFN_HYPERGRID="$work/hypergrid" NEUROGFN_POINTSET="$work/pointset"
export NEUROGFN_BARS="$work/bars-rjmcmc" NEUROGFN_BARS_OTHER="$work/bars-gfn"
python=${PYTHON:-python3}
"$python" -c 'import pyarrow, pandas, matplotlib; print("pyarrow", pyarrow.__version__, "pandas", pandas.__version__, "matplotlib", matplotlib.__version__)' \
	|| { echo "notebooks/run.sh: $python needs pyarrow, pandas and matplotlib" >&2; exit 1; }
for nb in notebooks/*.ipynb; do
	echo "running $nb"
	if "$python" -c 'import nbconvert, nbclient' 2>/dev/null; then
		"$python" -m nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
			--output-dir "$work/executed" "$nb"
	else
		"$python" notebooks/execute.py --output-dir "$work/executed" "$nb"
	fi
done
echo "executed notebooks in $work/executed"
