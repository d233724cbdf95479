package barspout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	par, err := ReadParams(write("ok.samp_params", "500 7341.15 7371.70 4.956e-01 9.818e+01 5.000000000000e+00 \n\n501 1 2 0.5 99 6\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Params{{500, 7341.15, 7371.70, 0.4956, 98.18, 5}, {501, 1, 2, 0.5, 99, 6}}
	if len(par) != 2 || par[0] != want[0] || par[1] != want[1] {
		t.Errorf("got %+v, want %+v", par, want)
	}
	mu, err := ReadMu(write("ok.samp_mu", "1 2.5\n3 4\n"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(mu) != 2 || mu[0][1] != 2.5 || mu[1][0] != 3 {
		t.Errorf("mu %v", mu)
	}
	for _, c := range []struct {
		name, body, want string
		mu               bool
	}{
		{"k.samp_params", "0 1 2 0.5 99 6\n1 1 2 0.5 99 5.5\n", "k.samp_params:2: value 6, 5.5, is not a non-negative integer", false},
		{"neg.samp_params", "-1 1 2 0.5 99 6\n", "neg.samp_params:1: value 1, -1,", false},
		{"short.samp_params", "0 1 2 0.5 99\n", "short.samp_params:1: 5 values, want 6", false},
		{"nan.samp_params", "0 1 NaN 0.5 99 6\n", `nan.samp_params:1: value 3 "NaN" is not a finite number`, false},
		{"empty.samp_params", "\n", "empty.samp_params: no draws", false},
		{"zero.samp_mu", "1 2\n1 0\n", "zero.samp_mu:2: mu 0 at bin 2 is not positive", true},
		{"wide.samp_mu", "1 2 3\n", "wide.samp_mu:1: 3 values, want 2", true},
	} {
		p := write(c.name, c.body)
		if c.mu {
			_, err = ReadMu(p, 2)
		} else {
			_, err = ReadParams(p)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := ReadParams(filepath.Join(dir, "missing")); err == nil {
		t.Error("no error for a missing file")
	}
}
