package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
