package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/neurogfn/neurogfn/apps/bars"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/neurogfn/neurogfn/parquetout/parquettest"
	"github.com/parquet-go/parquet-go"
)

// barsSmall keeps CLI tests fast: a short RJMCMC run on a coarse grid, from
// BarsP's equally spaced start (a few hundred iterations can stay in the
// mode the greedy start begins in).
var barsSmall = []string{"--sampler", "rjmcmc", "--samples", "300", "--burnin", "200", "--thin", "1", "--initial", "3", "--fine", "200"}

const starSpikes = "../../apps/bars/testdata/star_e070528citronellal_spikes.tsv"

// barsContract are the fields of summary.json and the --json lines.
var barsContract = []string{"curve", "k_mean", "k_posterior", "neuron", "peak_rate_hz", "peak_time_s", "sampler", "samples", "wall_seconds"}

func checkBarsSummary(t *testing.T, line []byte, bins int) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, line)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, barsContract) {
		t.Errorf("fields %v, want exactly %v", keys, barsContract)
	}
	var sum float64
	for _, p := range m["k_posterior"].(map[string]any) {
		sum += p.(float64)
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("k_posterior sums to %v", sum)
	}
	for _, iv := range []string{"peak_time_s", "peak_rate_hz"} {
		v := m[iv].(map[string]any)
		// The mean may fall outside a skewed or bimodal posterior's interval.
		if !(v["lo"].(float64) <= v["hi"].(float64)) {
			t.Errorf("%s %v: lo > hi", iv, v)
		}
	}
	curve := m["curve"].(map[string]any)
	for _, k := range []string{"time_s", "mean", "lo", "hi", "simul_lo", "simul_hi"} {
		if n := len(curve[k].([]any)); n != bins {
			t.Errorf("curve.%s has %d values, want %d (bins)", k, n, bins)
		}
	}
	return m
}

func TestBarsFitExample(t *testing.T) {
	dir := t.TempDir()
	out, stderr, err := run(context.Background(), append([]string{"bars", "fit", "--out", dir, "--json"}, barsSmall...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "bars_example") || !strings.Contains(stderr, "peak-time ESS") {
		t.Errorf("no progress or ESS on stderr: %q", stderr)
	}
	// 300 draws of an unthinned chain are worth far fewer than 100.
	if !strings.Contains(stderr, "warning: peak-time ESS below 100 in 1 of 1 neurons: bars_example (") {
		t.Errorf("no low-ESS warning: %q", stderr)
	}
	m := checkBarsSummary(t, []byte(strings.TrimSpace(out)), 110)
	pt := m["peak_time_s"].(map[string]any)["mean"].(float64)
	if m["neuron"] != "bars_example" || m["sampler"] != "rjmcmc" || m["samples"].(float64) != 300 || math.Abs(pt-0.449) > 0.03 { // a sanity check: 300 draws of a short chain
		t.Errorf("summary %v", m)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkBarsSummary(t, b, 110)
	if png, err := os.ReadFile(filepath.Join(dir, "fit.png")); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("fit.png: %v", err)
	}
	part := func(table string) string { return filepath.Join(dir, table, "part-0.parquet") }
	draws := parquettest.Check(t, part(bars.TableDraws), bars.TableDraws)
	post := parquettest.Check(t, part(bars.TablePosterior), bars.TablePosterior)
	curves := parquettest.Check(t, part(bars.TableCurves), bars.TableCurves)
	grid := parquettest.Check(t, part(bars.TableGrid), bars.TableGrid)
	psth := parquettest.Check(t, part(bars.TablePSTH), bars.TablePSTH)
	if draws.Rows != 300 || curves.Rows != 300*200 || grid.Rows != 200 || psth.Rows != 110 {
		t.Errorf("rows: draws %d, curves %d, grid %d, psth %d", draws.Rows, curves.Rows, grid.Rows, psth.Rows)
	}
	var knots int64
	for _, k := range draws.Int32s(t, "n_knots") {
		knots += int64(k)
	}
	if post.Rows != 300+knots {
		t.Errorf("posterior has %d rows, want %d (k and the knots)", post.Rows, 300+knots)
	}
	counts := psth.Int64s(t, "count")
	var total int64
	for _, c := range counts {
		total += c
	}
	if total != 2765 || psth.Footer["trials"] != "60" {
		t.Errorf("psth: %d spikes, trials %q; want 2765 and 60", total, psth.Footer["trials"])
	}
	if c := draws.Footer[parquetout.KeyConfigYAML]; !strings.Contains(c, "sampler: rjmcmc") || !strings.Contains(c, "no_spike_rule: false") {
		t.Errorf("config in the footer: %s", draws.Footer[parquetout.KeyConfigYAML])
	}
}

func TestWarnLowESS(t *testing.T) {
	var sums []barsNeuronSummary
	for i := range 13 {
		sums = append(sums, barsNeuronSummary{Neuron: fmt.Sprint("n", i), PeakTimeESS: float64(20 * i)})
	}
	var b strings.Builder
	warnLowESS(&b, sums)
	if want := "below 100 in 5 of 13 neurons: n0 (0), n1 (20), n2 (40), n3 (60), n4 (80);"; !strings.Contains(b.String(), want) {
		t.Errorf("got %q, want it to say %q", b.String(), want)
	}
	for i := range sums {
		sums[i].PeakTimeESS = 50
	}
	b.Reset()
	warnLowESS(&b, sums)
	if want := "in 13 of 13 neurons: n0 (50), n1 (50), n2 (50), n3 (50), n4 (50), n5 (50), n6 (50), n7 (50), n8 (50), n9 (50) and 3 more;"; !strings.Contains(b.String(), want) {
		t.Errorf("got %q, want it to say %q", b.String(), want)
	}
	b.Reset()
	warnLowESS(&b, sums[:0])
	if b.Len() != 0 {
		t.Errorf("no neurons: %q", b.String())
	}
}

// TestBarsFitReproducible: with SOURCE_DATE_EPOCH the same command writes
// the same bytes whatever --workers; the shards of a multi-neuron file
// write the single run's files (hive partitions by neuron).
func TestBarsFitReproducible(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	args := append([]string{"bars", "fit", starSpikes, "--bin-width", "0.1", "--window", "5,9", "--out", dir, "--json"}, barsSmall...)
	out1, _, err := run(context.Background(), append(args, "--workers", "2")...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out1), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d JSON lines, want 4 neurons", len(lines))
	}
	for i, l := range lines {
		if m := checkBarsSummary(t, []byte(l), 40); m["neuron"] != string(rune('1'+i)) {
			t.Errorf("line %d is neuron %v", i, m["neuron"])
		}
	}
	first := readAll(t, dir)
	for _, f := range []string{"summary.json", "neuron=3/fit.png", "neuron=3/summary.json", "draws/neuron=3/part-0.parquet", "curves/neuron=1/part-0.parquet", "psth/neuron=4/part-0.parquet"} {
		if _, ok := first[f]; !ok {
			t.Errorf("no %s", f)
		}
	}
	if err := os.Rename(dir, filepath.Join(base, "single")); err != nil {
		t.Fatal(err)
	}
	out2 := runShards(t, args, 3)
	if !slices.Equal(withoutWall(out1), withoutWall(out2)) {
		t.Error("--json lines of the shards differ from the single run's")
	}
	second := readAll(t, dir)
	delete(first, "summary.json") // written only by an unsharded run
	if len(second) != len(first) {
		t.Errorf("shards wrote %d files, the single run %d", len(second), len(first))
	}
	for name, b := range first {
		if !bytes.Equal(b, second[name]) {
			t.Errorf("%s differs between the single run and the shards", name)
		}
	}
}

// TestBarsFitAmortised: one GFlowNet for the four neurons of a spike file;
// every shard trains it on all of them, so the shards give the single
// run's lines.
func TestBarsFitAmortised(t *testing.T) {
	args := []string{"bars", "fit", starSpikes, "--bin-width", "0.1", "--window", "5,9", "--json",
		"--sampler", "gfn", "--amortise", "--amortise-iterations", "40", "--samples", "300", "--fine", "200"}
	saved := filepath.Join(t.TempDir(), "policy.bin")
	out1, stderr, err := run(context.Background(), append(args, "--workers", "2", "--amortise-save", saved)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "training one GFlowNet on all 4 neuron(s)") {
		t.Errorf("stderr:\n%s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(out1), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d JSON lines, want 4 neurons", len(lines))
	}
	for _, l := range lines {
		if m := checkBarsSummary(t, []byte(l), 40); m["sampler"] != "gfn-amortised" {
			t.Errorf("sampler %v, want gfn-amortised", m["sampler"])
		}
	}
	out2 := runShards(t, args, 2)
	if !slices.Equal(withoutWall(out1), withoutWall(out2)) {
		t.Error("--json lines of the shards differ from the single run's")
	}
	// The saved GFlowNet, loaded instead of trained, draws the same.
	loadArgs := []string{"bars", "fit", starSpikes, "--bin-width", "0.1", "--window", "5,9", "--json", "--samples", "300", "--fine", "200", "--amortise-load", saved}
	out3, stderr, err := run(context.Background(), loadArgs...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr, "training") || !slices.Equal(withoutWall(out1), withoutWall(out3)) {
		t.Errorf("the loaded GFlowNet's lines differ from the trained one's (stderr:\n%s)", stderr)
	}
	b, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.bin")
	if err := os.WriteFile(bad, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(context.Background(), append(slices.Clone(loadArgs[:len(loadArgs)-1]), bad)...); err == nil || !strings.Contains(err.Error(), "bad.bin") || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("a truncated GFlowNet file: got %v", err)
	}
	if _, _, err := run(context.Background(), append(loadArgs, "--kmax", "30")...); err == nil || !strings.Contains(err.Error(), "prior") {
		t.Errorf("another prior on k: got %v", err)
	}
	if _, _, err := run(context.Background(), "bars", "fit", "--sampler", "rjmcmc", "--amortise"); err == nil || !strings.Contains(err.Error(), "--amortise needs --sampler gfn") {
		t.Errorf("--amortise with the RJMCMC: got %v", err)
	}
}

// runShards runs args as n shards, one worker each, and returns their
// stdout in shard order.
func runShards(t *testing.T, args []string, n int) string {
	t.Helper()
	var out string
	for i := range n {
		o, _, err := run(context.Background(), append(args, "--workers", "1", "--shard-index", strconv.Itoa(i), "--shard-count", strconv.Itoa(n))...)
		if err != nil {
			t.Fatal(err)
		}
		out += o
	}
	return out
}

// withoutWall returns the --json lines of out without their wall times.
func withoutWall(out string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		json.Unmarshal([]byte(l), &m)
		delete(m, "wall_seconds")
		j, _ := json.Marshal(m)
		lines = append(lines, string(j))
	}
	return lines
}

func TestBarsFitBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		file  string
		extra []string
		want  string
	}{
		{write("empty.csv", ""), nil, "empty.csv"},
		{write("neg.csv", "time,count\n0.005,1\n0.015,-2\n0.025,1\n0.035,1\n"), []string{"--trials", "3"}, "neg.csv:3: count"},
		{write("nan.data", "4 10\n0.005 1\n0.015 NaN\n0.025 3\n0.035 2\n"), nil, "nan.data:3"},
		{write("hdr.data", "5 10\n0.005 1\n0.015 0\n0.025 3\n0.035 2\n"), nil, "header says 5 bins, file has 4"},
		{write("gap.csv", "0.005,1\n0.015,1\n0.035,1\n0.045,1\n"), []string{"--trials", "3"}, "gap.csv:3: bin at 0.035 s"},
		{write("sort.tsv", "# neuron\ttrial\ttime_s\n1\t1\t0.5\n1\t1\t0.2\n"), nil, "sort.tsv:3: spike time 0.2"},
		{write("quiet.tsv", "neuron,trial,time\n1,1,0.5\n2,1,5.5\n"), []string{"--window", "0,1"}, "quiet.tsv:3: neuron 2 has no spikes"},
		{write("notrials.csv", "time,count\n0.005,1\n0.015,1\n0.025,1\n0.035,1\n"), nil, "--trials"},
	}
	for _, c := range cases {
		out := filepath.Join(dir, "out-"+filepath.Base(c.file))
		_, _, err := run(context.Background(), append([]string{"bars", "fit", c.file, "--sampler", "rjmcmc", "--out", out}, c.extra...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", filepath.Base(c.file), err, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: the output folder was created for bad input", filepath.Base(c.file))
		}
	}
	_, _, err := run(context.Background(), "bars", "fit", "--sampler", "nuts")
	if err == nil || !strings.Contains(err.Error(), "unknown sampler") {
		t.Errorf("bad sampler: %v", err)
	}
	t.Chdir(t.TempDir())
	_, _, err = run(context.Background(), "bars", "fit", "--sampler", "rjmcmc")
	if err == nil || !strings.Contains(err.Error(), "pass INPUT") {
		t.Errorf("no example: %v", err)
	}
}

// TestBarsFitGFN runs the GFlowNet sampler briefly: the contract, not the
// accuracy (apps/bars tests that).
func TestBarsFitGFN(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a GFlowNet")
	}
	out, stderr, err := run(context.Background(), "bars", "fit", "--sampler", "gfn", "--pretrain", "20", "--iterations", "10", "--samples", "50", "--fine", "40", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if m := checkBarsSummary(t, []byte(strings.TrimSpace(out)), 110); m["sampler"] != "gfn" || m["samples"].(float64) != 50 {
		t.Errorf("summary %v", m)
	}
}

// TestBarsFitParquetSpikes: the STAR spikes as a Parquet file (integer
// labels, double times) give exactly the fits of the TSV file.
func TestBarsFitParquetSpikes(t *testing.T) {
	type row struct {
		Neuron int64   `parquet:"neuron"`
		Trial  int32   `parquet:"trial"`
		Time   float64 `parquet:"time_s"`
	}
	var rows []row
	for _, l := range strings.Split(string(mustRead(t, starSpikes)), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 3 || strings.HasPrefix(l, "#") || f[0] == "neuron" {
			continue
		}
		n, err1 := strconv.ParseInt(f[0], 10, 64)
		tr, err2 := strconv.ParseInt(f[1], 10, 32)
		tm, err3 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("bad row %q", l)
		}
		rows = append(rows, row{n, int32(tr), tm})
	}
	path := filepath.Join(t.TempDir(), "spikes.parquet")
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	strip := func(s string) string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "wall_seconds")
			j, _ := json.Marshal(m)
			out = append(out, string(j))
		}
		return strings.Join(out, "\n")
	}
	var got [2]string
	for i, in := range []string{path, starSpikes} {
		o, _, err := run(context.Background(), append([]string{"bars", "fit", in, "--bin-width", "0.1", "--window", "5,9", "--json"}, barsSmall...)...)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = strip(o)
	}
	if n := strings.Count(got[0], "\n") + 1; n != 4 || got[0] != got[1] {
		t.Errorf("Parquet input gave %d neurons and differs from the TSV input: %v", n, got[0] != got[1])
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBarsNoSpikeRuleFlag: --no-spike-rule reaches the fit's
// configuration, recorded in the tables.
func TestBarsNoSpikeRuleFlag(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, err := run(context.Background(), append([]string{"bars", "fit", "--out", dir, "--no-spike-rule"}, barsSmall...)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	draws := parquettest.Check(t, filepath.Join(dir, bars.TableDraws, "part-0.parquet"), bars.TableDraws)
	if c := draws.Footer[parquetout.KeyConfigYAML]; !strings.Contains(c, "no_spike_rule: true") {
		t.Errorf("config in the footer: %s", c)
	}
}
