package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the CLI in-process and returns stdout, stderr and the error.
func run(ctx context.Context, args ...string) (string, string, error) {
	cmd := newRootCmd()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line of stdout is not JSON: %v\n%s", err, out)
	}
	return m
}

func TestVersion(t *testing.T) {
	out, _, err := run(context.Background(), "version")
	if err != nil || !strings.HasPrefix(out, "neurogfn ") {
		t.Fatalf("version: %q, %v", out, err)
	}
}

var small = []string{"--hidden", "16", "--batch-size", "8", "--iterations", "20", "--seed", "3"}

func TestHypergridJSON(t *testing.T) {
	args := append([]string{"hypergrid", "train", "--ndim", "2", "--height", "4", "--json"}, small...)
	out, stderr, err := run(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	m := lastJSON(t, out)
	for _, k := range []string{"l1_exact", "log_z", "log_z_true", "iterations", "wall_seconds", "ms_per_iteration"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, out)
		}
	}
	if m["iterations"].(float64) != 20 {
		t.Errorf("iterations %v", m["iterations"])
	}
	if !strings.Contains(stderr, "iter 20/20") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
	// Same seed, same result.
	out2, _, err := run(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	m2 := lastJSON(t, out2)
	if m["l1_exact"] != m2["l1_exact"] || m["log_z"] != m2["log_z"] {
		t.Errorf("same seed gave %v/%v and %v/%v", m["l1_exact"], m["log_z"], m2["l1_exact"], m2["log_z"])
	}
}

func TestPointsetJSON(t *testing.T) {
	args := append([]string{"pointset", "train", "--lambda", "2", "--max-points", "4", "--samples", "300", "--json"}, small...)
	out, _, err := run(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	m := lastJSON(t, out)
	for _, k := range []string{"tv_k", "log_z", "log_z_true", "ks_points", "wall_seconds"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, out)
		}
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"hypergrid", "train", "--loss", "xyz"}, "unknown loss"},
		{[]string{"hypergrid", "train", "--batch-size", "-1"}, "batch size"},
		{[]string{"hypergrid", "train", "--ndim", "0"}, "ndim"},
		{[]string{"hypergrid", "train", "--height", "1"}, "height"},
		{[]string{"hypergrid", "train", "--iterations", "-5"}, "iterations"},
		{[]string{"hypergrid", "train", "--hidden", "0"}, "hidden"},
		{[]string{"hypergrid", "train", "--backward", "sideways"}, "backward"},
		{[]string{"hypergrid", "train", "--epsilon", "2"}, "epsilon"},
		{[]string{"hypergrid", "train", "--resume"}, "--checkpoint"},
		{[]string{"hypergrid", "train", "--no-such-flag"}, "unknown flag"},
		{[]string{"pointset", "train", "--lambda", "-1"}, "lambda"},
		{[]string{"pointset", "train", "--max-points", "0"}, "max"},
		{[]string{"pointset", "train", "--loss", "fm"}, "discrete"},
		{[]string{"pointset", "train", "--samples", "0"}, "samples"},
	}
	for _, c := range cases {
		_, _, err := run(context.Background(), c.args...)
		if err == nil {
			t.Errorf("%v: no error", c.args)
			continue
		}
		if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.want)) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %q; want one line mentioning %q", c.args, err, c.want)
		}
	}
}

func TestCheckpointCLI(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "hg.ckpt")
	base := []string{"hypergrid", "train", "--ndim", "2", "--height", "4", "--hidden", "16", "--batch-size", "8", "--seed", "5", "--json"}

	// Interrupted run: a cancelled context writes the checkpoint and exits 130.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := run(ctx, append(base, "--iterations", "10", "--checkpoint", ck)...)
	var ex exitError
	if !errors.As(err, &ex) || ex.code != 130 {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := os.Stat(ck); err != nil {
		t.Fatalf("no checkpoint after interrupt: %v", err)
	}

	// 10 iterations then 10 more equal 20 straight.
	if _, _, err := run(context.Background(), append(base, "--iterations", "10", "--checkpoint", ck, "--resume")...); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(context.Background(), append(base, "--iterations", "20", "--checkpoint", ck, "--resume")...)
	if err != nil {
		t.Fatal(err)
	}
	straight, _, err := run(context.Background(), append(base, "--iterations", "20")...)
	if err != nil {
		t.Fatal(err)
	}
	a, b := lastJSON(t, out), lastJSON(t, straight)
	if a["l1_exact"] != b["l1_exact"] || a["log_z"] != b["log_z"] {
		t.Errorf("resumed run %v/%v differs from straight run %v/%v", a["l1_exact"], a["log_z"], b["l1_exact"], b["log_z"])
	}

	// A checkpoint from another configuration is refused in one line.
	_, _, err = run(context.Background(), append(base, "--iterations", "30", "--loss", "db", "--checkpoint", ck, "--resume")...)
	if err == nil || !strings.Contains(err.Error(), "another configuration") || strings.Contains(err.Error(), "\n") {
		t.Errorf("resume with another loss: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}
