package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/neurogfn/neurogfn/apps/morphology"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/neurogfn/neurogfn/parquetout/parquettest"
)

var refSWC = []string{"BS0284.swc", "C010398B-P2.CNG.swc", "EC3-60126.CNG.swc", "Image001-005-01.CNG.swc", "mp_ma_40984_gc2.CNG.swc"}

func refSWCPaths() []string {
	var p []string
	for _, f := range refSWC {
		p = append(p, swcData(f))
	}
	return p
}

// TestMorphologyStatsTables reads both tables back with arrow-go and checks
// them against the JSON stats of the same files.
func TestMorphologyStatsTables(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	files := refSWCPaths()
	plain, _, err := run(context.Background(), append([]string{"morphology", "stats", "--json"}, files...)...)
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, err := run(context.Background(), append([]string{"morphology", "stats", "--json", "--out", dir}, files...)...)
	if err != nil {
		t.Fatal(err)
	}
	if out != plain {
		t.Errorf("--out changed stdout")
	}
	if !strings.Contains(stderr, "sections.parquet (807 rows)") {
		t.Errorf("stderr: %s", stderr)
	}
	var stats []morphologyStats
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var s morphologyStats
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		stats = append(stats, s)
	}
	mt := parquettest.Check(t, filepath.Join(dir, "morphometrics.parquet"), morphology.TableMorphometrics)
	st := parquettest.Check(t, filepath.Join(dir, "sections.parquet"), morphology.TableSections)
	for _, tb := range []*parquettest.Table{mt, st} {
		for _, c := range []string{"neuron", "neurite_type"} {
			if !tb.Dictionary[c] {
				t.Errorf("%s: %s not dictionary-encoded", tb.Path, c)
			}
		}
		f := tb.Footer
		if f["created_at"] != "2023-11-14T22:13:20Z" || f["inference_library"] != "neurogfn" || f["seed"] != "0" || f["schema_version"] != parquetout.SchemaVersion {
			t.Errorf("%s footer %v", tb.Path, f)
		}
		cl := f["command_line"]
		if !strings.HasPrefix(cl, "neurogfn morphology stats ") || !strings.Contains(cl, "--out="+dir) || !strings.Contains(cl, "--json=true") || !strings.HasSuffix(cl, strings.Join(files, " ")) {
			t.Errorf("command_line %q", cl)
		}
		var conf morphologyStatsConfig
		if err := yaml.Unmarshal([]byte(f["config_yaml"]), &conf); err != nil || !slices.Equal(conf.Stats.Files, files) || !slices.Equal(conf.Stats.Neurons, refSWC) {
			t.Errorf("config_yaml %v:\n%s", err, f["config_yaml"])
		}
	}

	// morphometrics: (neuron, neurite_type, metric) -> value, against the JSON.
	neuron, typ, metric, unit, value := mt.Strings(t, "neuron"), mt.Strings(t, "neurite_type"), mt.Strings(t, "metric"), mt.Strings(t, "unit"), mt.Float64s(t, "value")
	type key struct{ neuron, typ, metric string }
	got := map[key]float64{}
	for i := range value {
		k := key{neuron[i], typ[i], metric[i]}
		if _, dup := got[k]; dup {
			t.Errorf("duplicate row %v", k)
		}
		got[k] = value[i]
		wantUnit := morphology.UnitCount
		if strings.Contains(metric[i], "length") || strings.Contains(metric[i], "extent") || strings.HasSuffix(metric[i], "distance") || metric[i] == "soma_radius" {
			wantUnit = morphology.UnitUm
		}
		if unit[i] != wantUnit {
			t.Errorf("row %d %v: unit %q, want %q", i, k, unit[i], wantUnit)
		}
	}
	rows := 0
	for i, s := range stats {
		name := refSWC[i]
		for m, v := range map[string]float64{
			"samples": float64(s.Samples), "soma_samples": float64(s.SomaSamples), "soma_radius": s.SomaRadiusUm,
			"stems": float64(s.Stems), "bifurcations": float64(s.Bifurcations), "fork_points": float64(s.ForkPoints),
			"tips": float64(s.Tips), "sections": float64(s.Sections), "total_length": s.TotalLengthUm,
			"max_branch_order": float64(s.MaxBranchOrder), "max_path_length": s.MaxPathLengthUm,
			"max_radial_distance": s.MaxRadialDistanceUm, "extent_x": s.ExtentUm[0], "extent_y": s.ExtentUm[1], "extent_z": s.ExtentUm[2],
		} {
			if g, ok := got[key{name, "all", m}]; !ok || g != v {
				t.Errorf("%s all %s: table %v (present %v), JSON %v", name, m, g, ok, v)
			}
		}
		for tn, v := range s.TotalLengthUmByType {
			if g := got[key{name, tn, "total_length"}]; g != v {
				t.Errorf("%s %s total_length: table %v, JSON %v", name, tn, g, v)
			}
		}
		rows += 15 + 12*len(s.TotalLengthUmByType)
	}
	if mt.Rows != int64(rows) || mt.Rows != 195 {
		t.Errorf("morphometrics has %d rows, want %d", mt.Rows, rows)
	}
	// C010398B-P2: 43 tips over axon, basal and apical; axon 5071.95 um.
	if got[key{"C010398B-P2.CNG.swc", "axon", "total_length"}] < 5071.94 || got[key{"C010398B-P2.CNG.swc", "all", "tips"}] != 43 {
		t.Errorf("C010398B-P2 rows wrong")
	}

	// sections: one row per section, consistent with the JSON and the
	// morphometrics table.
	sn, sid, par, nt := st.Strings(t, "neuron"), st.Int32s(t, "section"), st.Int32s(t, "parent_section"), st.Strings(t, "neurite_type")
	order, strahler, children := st.Int32s(t, "branch_order"), st.Int32s(t, "strahler_order"), st.Int32s(t, "children")
	length, path, radial, tort := st.Float64s(t, "length_um"), st.Float64s(t, "path_length_um"), st.Float64s(t, "radial_distance_um"), st.Float64s(t, "tortuosity")
	st.Int32s(t, "neurite")
	st.Int32s(t, "points")
	total := 0
	for _, s := range stats {
		total += s.Sections
	}
	if st.Rows != int64(total) || total != 807 {
		t.Fatalf("sections has %d rows, JSON says %d sections", st.Rows, total)
	}
	type agg struct {
		sections, roots, tips, maxOrder int
		maxPath, maxRadial              float64
	}
	per := map[string]*agg{}
	byType := map[[2]string]float64{}
	for i := range sid {
		a := per[sn[i]]
		if a == nil {
			a = &agg{}
			per[sn[i]] = a
		}
		if int(sid[i]) != a.sections || par[i] >= sid[i] || par[i] < -1 || (par[i] == -1) != (order[i] == 0) || strahler[i] < 1 || !(tort[i] >= 1-1e-12 || length[i] == 0 && math.IsNaN(tort[i])) {
			t.Fatalf("row %d: %s section %d parent %d order %d strahler %d tortuosity %g", i, sn[i], sid[i], par[i], order[i], strahler[i], tort[i])
		}
		if par[i] >= 0 {
			p := i - int(sid[i]-par[i])
			if order[i] != order[p]+1 || math.Abs(path[i]-(path[p]+length[i])) > 1e-9*path[i] || nt[i] != nt[p] {
				t.Fatalf("row %d: inconsistent with its parent row %d", i, p)
			}
		}
		a.sections++
		if par[i] == -1 {
			a.roots++
		}
		if children[i] == 0 {
			a.tips++
		}
		a.maxOrder = max(a.maxOrder, int(order[i]))
		a.maxPath = math.Max(a.maxPath, path[i])
		a.maxRadial = math.Max(a.maxRadial, radial[i])
		byType[[2]string{sn[i], nt[i]}] += length[i]
	}
	for i, s := range stats {
		a := per[refSWC[i]]
		if a == nil || a.sections != s.Sections || a.roots != s.Stems || a.tips != s.Tips || a.maxOrder != s.MaxBranchOrder || a.maxPath != s.MaxPathLengthUm || a.maxRadial > s.MaxRadialDistanceUm {
			t.Errorf("%s: sections table %+v, JSON %+v", refSWC[i], a, s)
		}
		for tn, v := range s.TotalLengthUmByType {
			if g := byType[[2]string{refSWC[i], tn}]; math.Abs(g-v) > 1e-9*v {
				t.Errorf("%s %s: section lengths sum to %v, total_length %v", refSWC[i], tn, g, v)
			}
		}
	}

	// Same command, same bytes.
	first := readAll(t, dir)
	if _, _, err := run(context.Background(), append([]string{"morphology", "stats", "--json", "--out", dir}, files...)...); err != nil {
		t.Fatal(err)
	}
	second := readAll(t, dir)
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("files %v, want the two tables only", len(second))
	}
	for name, b := range first {
		if !bytes.Equal(b, second[name]) {
			t.Errorf("%s differs between two runs with SOURCE_DATE_EPOCH", name)
		}
	}
}

// TestMorphologyStatsOutErrors: a missing or read-only folder fails before
// anything is read (exit 73); a write that fails half-way (disk full)
// leaves neither table and no temporary file (exit 74); clashing base names
// are refused.
func TestMorphologyStatsOutErrors(t *testing.T) {
	files := refSWCPaths()
	var ex exitError
	missing := filepath.Join(t.TempDir(), "missing")
	if _, _, err := run(context.Background(), append([]string{"morphology", "stats", "--out", missing}, files...)...); !errors.As(err, &ex) || ex.code != exitCantCreate {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("the missing folder was created")
	}
	dup := t.TempDir()
	if _, _, err := run(context.Background(), "morphology", "stats", "--out", dup, files[0], "./"+files[0]); err == nil || !strings.Contains(err.Error(), "same base name") {
		t.Errorf("duplicate base names: %v", err)
	}
	if names, _ := os.ReadDir(dup); len(names) != 0 {
		t.Errorf("files left after a refused run: %v", names)
	}
	if os.Geteuid() != 0 {
		t.Skip("the disk-full case needs a small tmpfs (root)")
	}
	ro := t.TempDir()
	if err := syscall.Mount("tmpfs", ro, "tmpfs", syscall.MS_RDONLY, "size=65536"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() { syscall.Unmount(ro, 0) })
	if _, _, err := run(context.Background(), append([]string{"morphology", "stats", "--out", ro}, files...)...); !errors.As(err, &ex) || ex.code != exitCantCreate {
		t.Errorf("read-only folder: %v", err)
	}
	// 16 KiB holds the morphometrics table (~3 KB) but not the sections
	// (~33 KB): the first table must not appear without the second.
	full := t.TempDir()
	if err := syscall.Mount("tmpfs", full, "tmpfs", 0, "size=16384"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() { syscall.Unmount(full, 0) })
	out, _, err := run(context.Background(), append([]string{"morphology", "stats", "--json", "--out", full}, files...)...)
	if !errors.As(err, &ex) || ex.code != exitIOErr || out != "" {
		t.Fatalf("disk full: %v (stdout %q)", err, out)
	}
	t.Log(err)
	if names, _ := os.ReadDir(full); len(names) != 0 {
		t.Errorf("a failed write left %v", names)
	}
	// A small table that fits is written, then survives a failed rewrite.
	if _, _, err := run(context.Background(), "morphology", "stats", "--out", full, files[4]); err != nil {
		t.Fatal(err)
	}
	before := readAll(t, full)
	if _, _, err := run(context.Background(), append([]string{"morphology", "stats", "--out", full}, files...)...); !errors.As(err, &ex) || ex.code != exitIOErr {
		t.Fatalf("disk full over earlier tables: %v", err)
	}
	after := readAll(t, full)
	if len(before) != 2 || len(after) != 2 || !bytes.Equal(before["morphometrics.parquet"], after["morphometrics.parquet"]) || !bytes.Equal(before["sections.parquet"], after["sections.parquet"]) {
		t.Errorf("a failed rewrite changed the earlier tables: %d files before, %d after", len(before), len(after))
	}
}
