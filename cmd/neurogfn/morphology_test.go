package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func swcData(name string) string { return filepath.Join("..", "..", "data", "swc", name) }

func TestMorphologyStatsJSON(t *testing.T) {
	files := []string{swcData("C010398B-P2.CNG.swc"), swcData("mp_ma_40984_gc2.CNG.swc")}
	out, _, err := run(context.Background(), append([]string{"morphology", "stats", "--json"}, files...)...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one JSON line per file:\n%s", out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"file", "samples", "stems", "bifurcations", "tips", "sections", "total_length_um", "total_length_um_by_type", "max_branch_order", "max_path_length_um"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if m["file"] != files[0] || m["samples"].(float64) != 1347 || m["tips"].(float64) != 43 || m["sections"].(float64) != 77 || m["max_branch_order"].(float64) != 8 {
		t.Errorf("%v", m)
	}
	if l := m["total_length_um"].(float64); math.Round(l*100) != 703652 {
		t.Errorf("total length %v", l)
	}
	byType := m["total_length_um_by_type"].(map[string]any)
	if len(byType) != 3 || math.Round(byType["axon"].(float64)*10) != 50719 {
		t.Errorf("by type %v", byType)
	}
	var m2 map[string]any
	json.Unmarshal([]byte(lines[1]), &m2)
	if bt := m2["total_length_um_by_type"].(map[string]any); len(bt) != 1 || bt["basal"] == nil {
		t.Errorf("dendrite-only cell by type %v", bt)
	}
}

func TestMorphologyStatsText(t *testing.T) {
	out, stderr, err := run(context.Background(), "morphology", "stats", "--morphopy", swcData("Image001-005-01.CNG.swc"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"total length 4639.97 um", "tips 112", "MorphoPy convention: total length 4643.260 um, branch points 109"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "Image001-005-01.CNG.swc:8: warning: three-point soma") {
		t.Errorf("stderr lacks the soma warning: %q", stderr)
	}
}

func TestMorphologyBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.swc")
	os.WriteFile(bad, []byte("1 1 0 0 0 5 -1\r\n2 3 0 10 0 1 1\r\n2 3 0 20 0 1 1\r\n"), 0o644)
	dst := filepath.Join(dir, "out.swc")
	for _, args := range [][]string{
		{"morphology", "stats", "--json", swcData("mp_ma_40984_gc2.CNG.swc"), bad},
		{"morphology", "convert", bad, dst},
		{"morphology", "plot", bad, "--out", filepath.Join(dir, "bad.png")},
	} {
		out, _, err := run(context.Background(), args...)
		if err == nil {
			t.Fatalf("%v: no error", args)
		}
		if want := bad + ":3: duplicate id 2"; !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %q, want one line starting %q", args, err, want)
		}
		if out != "" {
			t.Errorf("%v: printed %q before failing", args, out)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left behind: %v", entries)
	}
}

func TestMorphologyConvert(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "bs0284.swc")
	_, stderr, err := run(context.Background(), "morphology", "convert", swcData("BS0284.swc"), dst)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "3 soma") {
		t.Errorf("stderr %q", stderr)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "# converted by neurogfn") || !strings.Contains(s, "# original header:") || strings.ContainsAny(s, "\r\t") {
		t.Errorf("header or line endings:\n%s", s[:400])
	}
	out, _, err := run(context.Background(), "morphology", "stats", "--json", swcData("BS0284.swc"), dst)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var a, c map[string]any
	json.Unmarshal([]byte(lines[0]), &a)
	json.Unmarshal([]byte(lines[1]), &c)
	for _, k := range []string{"stems", "tips", "sections", "total_length_um", "max_path_length_um"} {
		if a[k] != c[k] {
			t.Errorf("%s: %v before, %v after convert", k, a[k], c[k])
		}
	}
	if c["samples"].(float64) != 2263-19+3 || c["soma_samples"].(float64) != 3 {
		t.Errorf("samples %v soma %v", c["samples"], c["soma_samples"])
	}
	if _, _, err := run(context.Background(), "morphology", "convert", "--soma", "5point", swcData("BS0284.swc"), dst); err == nil {
		t.Error("--soma 5point accepted")
	}
}

func TestMorphologyPlot(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"cell.png", "cell.svg"} {
		dst := filepath.Join(dir, name)
		if _, _, err := run(context.Background(), "morphology", "plot", swcData("mp_ma_40984_gc2.CNG.swc"), "--out", dst); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".png") && !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s is not a PNG", name)
		}
		if strings.HasSuffix(name, ".svg") && (!bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("µm"))) {
			t.Errorf("%s is not an SVG with a scale bar", name)
		}
	}
	if _, _, err := run(context.Background(), "morphology", "plot", swcData("mp_ma_40984_gc2.CNG.swc"), "--out", filepath.Join(dir, "x.jpg")); err == nil || !strings.Contains(err.Error(), ".png or .svg") {
		t.Errorf("jpg: %v", err)
	}
}
