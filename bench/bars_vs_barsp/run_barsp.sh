#!/usr/bin/env bash
# run_barsp.sh -- run BarsP 1.0 (a command-line build, see README.md) on every
# data file in a directory, e.g. the data sets of bench/bars_study written with
# -write-data DIR -only-data; then `bars_study -external OUTPUT_DIR` scores the
# fits with the study's metrics.
#
# usage: BARSP=/path/to/barsp run_barsp.sh INPUT_DIR OUTPUT_DIR BURNIN NSAMPLES SEED [GLOB]
#
#   INPUT_DIR  directory of BarsP-format data files, one data set per file
#              (line 1: "nbins ntrials"; then "bin_centre count" per bin;
#              bins must be equally wide)
#   OUTPUT_DIR created if missing
#   BURNIN     burn-in iterations (discarded)
#   NSAMPLES   kept iterations (= lines in samp_mu / samp_params)
#   SEED       base seed (non-negative integer). Each file gets its own seed
#              SEED + (cksum of its file name) mod 1e9, so data sets do not
#              share one random stream; the seed used is recorded in the
#              manifest. Same SEED => identical outputs.
#   GLOB       optional file pattern inside INPUT_DIR, default "*"
#              (every regular file; e.g. "*.data")
#
# env: BARSP=/path/to/barsp (required)
#      JOBS=N  run N files in parallel (default 1)
#      THIN=T  keep every T-th draw of samp_mu and samp_params (default 1;
#              long runs write about 20 bytes per bin per draw)
#
# Prior on k: Uniform(1..60).  Everything else BarsP defaults: logspline
# start, tau = 50, c = 0.4, 500 grid points, beta_iterations 3, threshold -10.
#
# For input file <dir>/<name>.<ext> it leaves in OUTPUT_DIR:
#   <name>.samp_mu      NSAMPLES lines x nbins columns: sampled mu at the bins
#                       (expected count per bin pooled over trials; divide by
#                       ntrials*binwidth for spikes/s)
#   <name>.samp_params  NSAMPLES lines: iter fullBIC loglik peak_time
#                       peak_height(spikes/s) k
#   <name>.summ_params  3x4 summary (rows peak time, peak height, k;
#                       cols CI low, CI high, mean, mode)
#   <name>.summ_mu      3 lines: bin centres, posterior mean mu, "mode" mu
#   <name>.params       the params file that was used
#   <name>.log          stdout/stderr of the run
# and OUTPUT_DIR/manifest.tsv: file, seed, exit status, wall seconds, samples.
# samp_params columns: iteration (burn-in counted), full BIC = loglik -
# (k+1.5) ln n, loglik (without log y!), peak time (s), peak height
# (spikes/s), k.
set -euo pipefail

if [ $# -lt 5 ] || [ $# -gt 6 ]; then
  sed -n '2,40p' "$0" >&2
  exit 2
fi
IN=$1; OUT=$2; B=$3; N=$4; S=$5; GLOB=${6:-*}
BARSP=${BARSP:-}
JOBS=${JOBS:-1}
THIN=${THIN:-1}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

[ -d "$IN" ] || { echo "no such input dir: $IN" >&2; exit 2; }
[ -x "$BARSP" ] || { echo "set BARSP to a BarsP command-line binary (see README.md); got '$BARSP'" >&2; exit 2; }
case "$B$N$S$THIN" in *[!0-9]*) echo "BURNIN, NSAMPLES, SEED and THIN must be non-negative integers" >&2; exit 2;; esac
[ "$N" -ge 1 ] || { echo "NSAMPLES must be >= 1" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

one() {   # one INPUT_FILE
  f=$1
  base=$(basename "$f")
  stem=${base%.*}; [ -n "$stem" ] || stem=$base
  fseed=$(( S + $(printf '%s' "$base" | cksum | cut -d' ' -f1) % 1000000000 ))
  p="$OUT/$stem.params"
  cat > "$p" <<EOF
SET burn-in_iterations = $B
SET sample_iterations = $N
SET prior_form = Uniform
SET Uniform_parameter_L = 1
SET Uniform_parameter_U = 60
SET sampled_knots_file = none
SET sampled_mu_file = samp_mu
SET sampled_mu-grid_file = none
SET sampled_params_file = samp_params
SET summary_mu_file = summ_mu
SET summary_mu-grid_file = none
SET summary_params_file = summ_params
EOF
  t0=$(date +%s.%N)
  set +e
  "$BARSP" "$f" "$p" "$OUT/$stem." "$fseed" > "$OUT/$stem.log" 2>&1
  rc=$?
  set -e
  t1=$(date +%s.%N)
  n=0; [ -f "$OUT/$stem.samp_mu" ] && n=$(wc -l < "$OUT/$stem.samp_mu")
  # ranlib's ftnstop() exits 0 on some errors: treat missing/short output as failure
  if [ "$rc" -eq 0 ] && [ "$n" -ne "$N" ]; then rc=99; fi
  if [ "$rc" -eq 0 ] && [ "$THIN" -gt 1 ]; then
    for x in samp_mu samp_params; do
      awk -v t="$THIN" 'NR % t == 0' "$OUT/$stem.$x" > "$OUT/.$stem.$x" && mv "$OUT/.$stem.$x" "$OUT/$stem.$x"
    done
    n=$(wc -l < "$OUT/$stem.samp_mu")
  fi
  printf '%s\t%s\t%s\t%.3f\t%s\n' "$base" "$fseed" "$rc" "$(echo "$t1 - $t0" | bc)" "$n"
}
export -f one
export OUT B N S BARSP THIN

printf 'file\tseed\texit\twall_s\tsamples\n' > "$OUT/manifest.tsv"
find "$IN" -maxdepth 1 -type f -name "$GLOB" -print0 | sort -z |
  xargs -0 -r -n1 -P "$JOBS" bash -c 'one "$0"' >> "$OUT/manifest.tsv"

nf=$(($(wc -l < "$OUT/manifest.tsv") - 1))
bad=$(awk -F'\t' 'NR>1 && $3!=0' "$OUT/manifest.tsv" | wc -l)
echo "ran $nf file(s), $bad failed; manifest: $OUT/manifest.tsv" >&2
[ "$bad" -eq 0 ]
