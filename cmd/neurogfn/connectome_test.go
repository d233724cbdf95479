package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurogfn/neurogfn/apps/connectome"
	"github.com/neurogfn/neurogfn/parquetout/parquettest"
)

func TestConnectomeSimulateJSON(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	net := filepath.Join(dir, "net.csv")
	stdout, stderr, err := run(context.Background(), "connectome", "simulate", "--model", "cuba", "--neurons", "1000",
		"--duration", "200ms", "--seed", "2", "--out", out, "--save-network", net, "--json")
	if err != nil {
		t.Fatal(err)
	}
	m := lastJSON(t, stdout)
	for _, k := range []string{"model", "neurons", "synapses", "spikes", "mean_rate_hz", "simulated_seconds", "wall_seconds"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, stdout)
		}
	}
	if m["model"] != "cuba" || m["neurons"].(float64) != 1000 || m["simulated_seconds"].(float64) != 0.2 || m["spikes"].(float64) <= 0 {
		t.Errorf("summary %v", m)
	}
	if !strings.Contains(stderr, "simulated 0.20/0.20 s") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
	for _, f := range []string{"spikes.tsv", "network.tsv", "raster.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The saved network, simulated again with the same seed, gives the same run.
	stdout2, _, err := run(context.Background(), "connectome", "simulate", "--model", "cuba", "--network", net,
		"--duration", "200ms", "--seed", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	m2 := lastJSON(t, stdout2)
	if m2["synapses"] != m["synapses"] || m2["neurons"] != m["neurons"] {
		t.Errorf("re-run of saved network: %v vs %v", m2, m)
	}
}

func TestConnectomeSimulateModels(t *testing.T) {
	for _, args := range [][]string{
		{"--model", "coba", "--neurons", "400"},
		{"--model", "brunel", "--regime", "D", "--neurons", "500"},
	} {
		a := append([]string{"connectome", "simulate", "--duration", "50ms", "--json"}, args...)
		stdout, _, err := run(context.Background(), a...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		m := lastJSON(t, stdout)
		if m["model"] != args[1] || m["synapses"].(float64) <= 0 {
			t.Errorf("%v: %v", args, m)
		}
	}
}

func TestConnectomeBadNetwork(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"pre,post,weight,delay\n0,1,1.5,0\n0,9,1.5,0\n": ":3: malformed table: unknown neuron 9",
		"pre,post,weight,delay\n0,1,1.5,-1\n":           ":2: malformed table: negative delay",
		"pre,post,weight,delay\n0,1,NaN,0\n":            ":2: malformed table: weight is NaN",
	}
	k := 0
	for text, want := range cases {
		k++
		path := filepath.Join(dir, "bad"+string(rune('a'+k))+".csv")
		os.WriteFile(path, []byte(text), 0o644)
		_, _, err := run(context.Background(), "connectome", "simulate", "--network", path, "--neurons", "5", "--duration", "10ms")
		if err == nil || !strings.Contains(err.Error(), path+want) {
			t.Errorf("%q: error %v, want %q", text, err, path+want)
		}
	}
	if _, _, err := run(context.Background(), "connectome", "simulate", "--model", "hh"); err == nil {
		t.Error("unknown model accepted")
	}
}

func TestConnectomeLoglik(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	if _, _, err := run(context.Background(), "connectome", "simulate", "--model", "cuba", "--neurons", "100", "--duration", "300ms", "--out", out); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := run(context.Background(), "connectome", "loglik", "--spikes", filepath.Join(out, "spikes.tsv"),
		"--network", filepath.Join(out, "network.tsv"), "--neurons", "100", "--duration", "300ms", "--json")
	if err != nil {
		t.Fatal(err)
	}
	m := lastJSON(t, stdout)
	if m["neurons"].(float64) != 100 || m["log_likelihood"] == nil {
		t.Errorf("summary %v", m)
	}
	bad := filepath.Join(dir, "bad.tsv")
	os.WriteFile(bad, []byte("neuron\ttime\n1\t0.2\n2\t0.1\n"), 0o644)
	_, _, err = run(context.Background(), "connectome", "loglik", "--spikes", bad, "--network", filepath.Join(out, "network.tsv"))
	if err == nil || !strings.Contains(err.Error(), bad+":3: malformed table: spikes are not sorted by time") {
		t.Errorf("unsorted spikes: %v", err)
	}
	os.WriteFile(bad, []byte("neuron\ttime\n1\t0.2\n200\t0.3\n"), 0o644)
	_, _, err = run(context.Background(), "connectome", "loglik", "--spikes", bad, "--network", filepath.Join(out, "network.tsv"), "--neurons", "100")
	if err == nil || !strings.Contains(err.Error(), bad+":3: malformed table: unknown neuron 200") {
		t.Errorf("unknown neuron: %v", err)
	}
}

// TestConnectomeParquet: --format parquet writes the spikes and network
// tables by the parquetout conventions (checked with arrow-go), the same
// rows as the TSV tables, byte-identical under SOURCE_DATE_EPOCH; both
// --network and loglik read them back.
func TestConnectomeParquet(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	sim := func(out, format string) {
		t.Helper()
		if _, _, err := run(context.Background(), "connectome", "simulate", "--model", "cuba", "--neurons", "200",
			"--duration", "200ms", "--seed", "3", "--out", filepath.Join(dir, out), "--format", format); err != nil {
			t.Fatal(err)
		}
	}
	sim("pq", "parquet")
	var first [2][]byte
	for k, f := range []string{"spikes.parquet", "network.parquet"} {
		first[k], _ = os.ReadFile(filepath.Join(dir, "pq", f))
	}
	sim("pq", "parquet") // the same command again
	sim("tsv", "tsv")
	for k, f := range []string{"spikes.parquet", "network.parquet"} {
		a := first[k]
		b, _ := os.ReadFile(filepath.Join(dir, "pq", f))
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("%s: two runs differ (%d and %d bytes)", f, len(a), len(b))
		}
	}
	sp := parquettest.Check(t, filepath.Join(dir, "pq", "spikes.parquet"), connectome.TableSpikes)
	nt := parquettest.Check(t, filepath.Join(dir, "pq", "network.parquet"), connectome.TableNetwork)
	for _, tb := range []*parquettest.Table{sp, nt} {
		if tb.Footer["neurons"] != "200" || tb.Footer["model"] != "cuba" || tb.Footer["seed"] != "3" ||
			tb.Footer["created_at"] != "2023-11-14T22:13:20Z" || !strings.Contains(tb.Footer["config_yaml"], "dt_ms: 0.1") {
			t.Errorf("%s footer %v", tb.Path, tb.Footer)
		}
	}
	if nt.Footer["weight_unit"] != "mV" || sp.Footer["simulated_seconds"] != "0.2" {
		t.Errorf("footers %v %v", nt.Footer, sp.Footer)
	}
	want, err := connectome.ReadSpikesFile(filepath.Join(dir, "tsv", "spikes.tsv"), 200)
	if err != nil {
		t.Fatal(err)
	}
	ids, ts := sp.Int32s(t, "neuron"), sp.Float64s(t, "time_s")
	if len(ids) != len(want) || len(want) == 0 {
		t.Fatalf("%d spikes in Parquet, %d in TSV", len(ids), len(want))
	}
	for k, s := range want {
		if int(ids[k]) != s.Neuron || ts[k] != s.T {
			t.Fatalf("spike %d: %d %v, TSV %v", k, ids[k], ts[k], s)
		}
	}
	wantNet, err := connectome.ReadNetworkFile(filepath.Join(dir, "tsv", "network.tsv"), 200)
	if err != nil {
		t.Fatal(err)
	}
	pre, post, w, d := nt.Int32s(t, "pre"), nt.Int32s(t, "post"), nt.Float64s(t, "weight"), nt.Float64s(t, "delay_ms")
	for k, e := range wantNet.Edges {
		if int(pre[k]) != e.Pre || int(post[k]) != e.Post || w[k] != e.Weight || d[k] != e.Delay {
			t.Fatalf("edge %d: %d %d %v %v, TSV %v", k, pre[k], post[k], w[k], d[k], e)
		}
	}
	loglik := func(sub, ext string) string {
		t.Helper()
		stdout, _, err := run(context.Background(), "connectome", "loglik", "--spikes", filepath.Join(dir, sub, "spikes."+ext),
			"--network", filepath.Join(dir, sub, "network."+ext), "--duration", "200ms", "--json")
		if err != nil {
			t.Fatal(err)
		}
		m := lastJSON(t, stdout)
		delete(m, "wall_seconds")
		return fmt.Sprint(m)
	}
	if a, b := loglik("pq", "parquet"), loglik("tsv", "tsv"); a != b {
		t.Errorf("loglik from Parquet %s\nfrom TSV %s", a, b)
	}
	stdout, _, err := run(context.Background(), "connectome", "simulate", "--model", "cuba", "--network", filepath.Join(dir, "pq", "network.parquet"),
		"--duration", "20ms", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if m := lastJSON(t, stdout); m["neurons"].(float64) != 200 || int(m["synapses"].(float64)) != len(wantNet.Edges) {
		t.Errorf("re-run from Parquet: %v", m)
	}
	bad := filepath.Join(dir, "bad.parquet")
	os.WriteFile(bad, []byte("neuron\ttime\n"), 0o644)
	_, _, err = run(context.Background(), "connectome", "loglik", "--spikes", bad, "--network", filepath.Join(dir, "pq", "network.parquet"))
	if err == nil || !strings.Contains(err.Error(), bad+": malformed table: not a readable Parquet file") {
		t.Errorf("bad Parquet: %v", err)
	}
}
