package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHarness runs the comparison against a stand-in for BarsP (a script
// that checks its arguments and params file) and checks the report.
func TestHarness(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "barsp")
	script := `#!/bin/sh
[ $# -eq 4 ] || { echo "want 4 arguments, got $#" >&2; exit 2; }
[ -r "$1" ] || { echo "no data file $1" >&2; exit 2; }
grep -q '^SET sample_iterations = 300$' "$2" || { echo "params: no sample_iterations" >&2; exit 2; }
grep -q '^SET sampled_mu_file = none$' "$2" || { echo "params: outputs not off" >&2; exit 2; }
exit 0
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(dir, "out.json")
	var stdout, stderr bytes.Buffer
	args := []string{"-barsp", fake, "-data", "../../apps/bars/testdata/bars_example.data", "-runs", "2", "-samples", "300", "-json", js}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "median BarsP / median neurogfn") {
		t.Errorf("report:\n%s", stdout.String())
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var out Output
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.BarsP.Seconds) != 2 || len(out.Ours.Seconds) != 2 || !(out.Ratio > 0) || out.Samples != 300 {
		t.Errorf("report %+v", out)
	}
	// A failing BarsP is an error naming it.
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho broken >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), args, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("failing BarsP: error %v", err)
	}
}
