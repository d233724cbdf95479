package morphology

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// reference holds the regression values of shared/data/swc/README.md
// (NeuroM convention: soma-to-stem links excluded, root sections at order 0).
type reference struct {
	file                                   string
	samples, somaPts, stems, tips, bif, sc int
	length                                 float64
	byType                                 map[Type]float64 // to 0.1 um
	maxBO                                  int
	maxPL                                  float64
	lengthMP                               float64 // MorphoPy convention
}

var references = []reference{
	{"BS0284.swc", 2263, 19, 15, 93, 78, 171, 10965.25, map[Type]float64{Basal: 4262.6, Apical: 6702.7}, 30, 870.58, 11160.57},
	{"C010398B-P2.CNG.swc", 1347, 3, 9, 43, 34, 77, 7036.52, map[Type]float64{Axon: 5071.9, Basal: 883.7, Apical: 1080.8}, 8, 1378.25, 7110.50},
	{"EC3-60126.CNG.swc", 13070, 3, 11, 161, 150, 311, 25132.34, map[Type]float64{Axon: 11446.8, Basal: 4805.9, Apical: 8879.7}, 20, 1870.06, 25355.48},
	{"Image001-005-01.CNG.swc", 9084, 3, 4, 112, 108, 220, 4639.97, map[Type]float64{Basal: 4640.0}, 15, 355.57, 4643.26},
	{"mp_ma_40984_gc2.CNG.swc", 353, 1, 2, 15, 13, 28, 1759.19, map[Type]float64{Basal: 1759.2}, 6, 300.76, 1783.59},
}

func dataPath(name string) string { return filepath.Join("..", "..", "data", "swc", name) }

func readFile(t testing.TB, path string) (*Neuron, []Warning) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, w, err := ReadSWC(bytes.NewReader(b), filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	return n, w
}

// round reports whether got rounds to want at the given number of decimals.
func round(got, want float64, decimals int) bool {
	p := math.Pow(10, float64(decimals))
	return math.Round(got*p) == math.Round(want*p)
}

func TestReferenceValues(t *testing.T) {
	for _, ref := range references {
		t.Run(ref.file, func(t *testing.T) {
			n, _ := readFile(t, dataPath(ref.file))
			m := Measure(n)
			if len(n.Samples) != ref.samples || len(n.SomaSamples()) != ref.somaPts {
				t.Errorf("samples %d soma %d, want %d %d", len(n.Samples), len(n.SomaSamples()), ref.samples, ref.somaPts)
			}
			if m.Stems != ref.stems || m.Tips != ref.tips || m.Bifurcations != ref.bif || m.Sections != ref.sc || m.MaxBranchOrder != ref.maxBO {
				t.Errorf("stems %d tips %d bif %d sections %d maxBO %d, want %d %d %d %d %d",
					m.Stems, m.Tips, m.Bifurcations, m.Sections, m.MaxBranchOrder, ref.stems, ref.tips, ref.bif, ref.sc, ref.maxBO)
			}
			if !round(m.TotalLength, ref.length, 2) {
				t.Errorf("total length %.4f, want %.2f", m.TotalLength, ref.length)
			}
			if !round(m.MaxPathLength, ref.maxPL, 2) {
				t.Errorf("max path length %.4f, want %.2f", m.MaxPathLength, ref.maxPL)
			}
			var sum float64
			for typ, want := range ref.byType {
				got := Measure(n, typ).TotalLength
				sum += got
				if !round(got, want, 1) {
					t.Errorf("%v length %.4f, want %.1f", typ, got, want)
				}
			}
			if math.Abs(sum-m.TotalLength) > 1e-9*m.TotalLength {
				t.Errorf("per-type lengths sum to %g, whole cell %g", sum, m.TotalLength)
			}
			if mp := MeasureMorphoPy(n); !round(mp.TotalLength, ref.lengthMP, 2) {
				t.Errorf("MorphoPy-convention length %.4f, want %.2f", mp.TotalLength, ref.lengthMP)
			}
			checkInvariants(t, n, m)
		})
	}
}

// TestMorphoPyPublished checks MorphoPy's published figures (its 2020 test
// fixture precomputed_data_stats.csv) under MorphoPy's convention.
func TestMorphoPyPublished(t *testing.T) {
	for _, c := range []struct {
		file                 string
		length               float64
		tips, bp, stems, mbo int
		maxPD, w, d, h       float64
	}{
		{"EC3-60126.CNG.swc", 25355.483, 161, 151, 11, 21, 1889.07, 1087.54, 1736.65, 214.54},
		{"Image001-005-01.CNG.swc", 4643.260, 112, 109, 4, 16, 356.202, 186.28, 256.32, 56.0},
	} {
		n, _ := readFile(t, dataPath(c.file))
		s := MeasureMorphoPy(n)
		if !round(s.TotalLength, c.length, 3) || s.Tips != c.tips || s.BranchPoints != c.bp || s.Stems != c.stems || s.MaxBranchOrder != c.mbo {
			t.Errorf("%s: %+v", c.file, s)
		}
		digits := 2
		if c.file[0] == 'I' {
			digits = 3
		}
		if !round(s.MaxPathDistance, c.maxPD, digits) || !round(s.Width, c.w, 2) || !round(s.Depth, c.d, 2) || !round(s.Height, c.h, 2) {
			t.Errorf("%s: path %.4f extents %.3f %.3f %.3f", c.file, s.MaxPathDistance, s.Width, s.Depth, s.Height)
		}
	}
}

func checkInvariants(t *testing.T, n *Neuron, m Morphometrics) {
	t.Helper()
	if m.ForkPoints == m.Bifurcations { // binary tree
		if m.Tips != m.Stems+m.Bifurcations {
			t.Errorf("tips %d != stems %d + bifurcations %d", m.Tips, m.Stems, m.Bifurcations)
		}
		if m.Sections != m.Stems+2*m.Bifurcations {
			t.Errorf("sections %d != stems %d + 2 bifurcations %d", m.Sections, m.Stems, m.Bifurcations)
		}
	}
	bars := 0
	for k, b := range m.Barcodes {
		bars += len(b)
		if b[len(b)-1].Death != 0 {
			t.Errorf("neurite %d: last bar %v does not end at 0", k, b[len(b)-1])
		}
	}
	if bars != m.Tips {
		t.Errorf("%d TMD bars for %d tips", bars, m.Tips)
	}
	var sum float64
	for _, l := range m.SectionLengths {
		sum += l
	}
	if math.Abs(sum-m.TotalLength) > 1e-9*math.Max(1, sum) {
		t.Errorf("section lengths sum to %g, total %g", sum, m.TotalLength)
	}
	for i, tort := range m.SectionTortuosity {
		if tort < 1-1e-12 && !math.IsNaN(tort) {
			t.Errorf("section %d: tortuosity %g < 1", i, tort)
		}
	}
	if len(m.LocalBifurcationAngles) != m.Bifurcations || len(m.PartitionAsymmetry) != m.Bifurcations {
		t.Errorf("%d angles, %d asymmetries for %d bifurcations", len(m.LocalBifurcationAngles), len(m.PartitionAsymmetry), m.Bifurcations)
	}
	for _, a := range m.PartitionAsymmetry {
		if a < 0 || a >= 1 {
			t.Errorf("partition asymmetry %g out of [0, 1)", a)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, ref := range references {
		t.Run(ref.file, func(t *testing.T) {
			n, _ := readFile(t, dataPath(ref.file))
			var b1 bytes.Buffer
			if err := WriteSWC(&b1, n, []string{"written by the round-trip test", "units: um"}); err != nil {
				t.Fatal(err)
			}
			n2, w, err := ReadSWC(bytes.NewReader(b1.Bytes()), "written.swc")
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(n, n2) {
				t.Fatal("read-write-read changed the tree")
			}
			if len(n2.Comments) != 2 {
				t.Errorf("comments %q", n2.Comments)
			}
			var b2 bytes.Buffer
			if err := WriteSWC(&b2, n2, []string{"written by the round-trip test", "units: um"}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
				t.Error("second write differs from the first")
			}
			checkWritten(t, b1.Bytes())
			m1, m2 := Measure(n), Measure(n2)
			if m1.TotalLength != m2.TotalLength || m1.Sections != m2.Sections {
				t.Errorf("morphometrics changed: %v %v", m1.TotalLength, m2.TotalLength)
			}
			for _, wn := range w {
				if !strings.Contains(wn.Msg, "three-point soma") {
					t.Errorf("unexpected warning on written file: %v", wn)
				}
			}
		})
	}
}

// checkWritten checks the writer's promises: "\n" only, single spaces, IDs
// 1..N, parents before children, one root, stems on sample 1 (for files
// whose stems were on the soma root).
func checkWritten(t *testing.T, b []byte) {
	t.Helper()
	if bytes.ContainsRune(b, '\r') || bytes.ContainsRune(b, '\t') {
		t.Error("CR or tab in output")
	}
	id := 0
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, " ")
		if len(f) != 7 {
			t.Fatalf("line %q: %d single-space fields", line, len(f))
		}
		id++
		if f[0] != strconv.Itoa(id) {
			t.Fatalf("id %s, want %d", f[0], id)
		}
		p, _ := strconv.Atoi(f[6])
		if (id == 1) != (p == -1) || p >= id {
			t.Fatalf("line %q: bad parent", line)
		}
	}
}

func TestNormalize(t *testing.T) {
	for _, ref := range references {
		n, _ := readFile(t, dataPath(ref.file))
		for _, layout := range []SomaLayout{SomaThreePoint, SomaSinglePoint, SomaKeep} {
			m := Normalize(n, layout)
			var b bytes.Buffer
			if err := WriteSWC(&b, m, nil); err != nil {
				t.Fatal(err)
			}
			m2, w, err := ReadSWC(&b, "normalized.swc")
			if err != nil {
				t.Fatal(err)
			}
			if layout == SomaThreePoint && len(w) != 0 {
				t.Errorf("%s: warnings on a NeuroMorpho-layout file: %v", ref.file, w)
			}
			for _, s := range m2.Samples[1:] {
				if s.Type != Soma && m2.Samples[s.Parent].Type == Soma && s.Parent != 0 {
					t.Errorf("%s: stem %d not on the soma root", ref.file, s.ID)
				}
			}
			a, c := Measure(n), Measure(m2)
			if a.TotalLength != c.TotalLength || a.Sections != c.Sections || a.Tips != c.Tips || a.MaxPathLength != c.MaxPathLength {
				t.Errorf("%s layout %d: neurites changed", ref.file, layout)
			}
			want := map[SomaLayout]int{SomaThreePoint: 3, SomaSinglePoint: 1, SomaKeep: ref.somaPts}[layout]
			if len(m2.SomaSamples()) != want {
				t.Errorf("%s layout %d: %d soma samples", ref.file, layout, len(m2.SomaSamples()))
			}
			if sa, sb := n.SomaShape(), m2.SomaShape(); dist(sa.Center, sb.Center) > 1e-9 || math.Abs(sa.Radius-sb.Radius) > 1e-9 {
				t.Errorf("%s layout %d: soma %v became %v", ref.file, layout, sa, sb)
			}
		}
	}
}

func TestMalformed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "malformed", "*.swc"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("only %d malformed files", len(files))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(string(b)), "\n")
			spec, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line %q lacks '# want: LINE: message'", first)
			}
			lineStr, msg, _ := strings.Cut(spec, ": ")
			line, _ := strconv.Atoi(lineStr)
			_, _, err = ReadSWC(bytes.NewReader(b), name)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if pe.File != name || pe.Line != line || !strings.Contains(pe.Msg, msg) {
				t.Errorf("got %q, want line %d and %q", err, line, msg)
			}
			prefix := name + ":"
			if line > 0 {
				prefix += lineStr + ":"
			}
			if !strings.HasPrefix(err.Error(), prefix) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line starting with %q", err, prefix)
			}
		})
	}
}

func TestLongLine(t *testing.T) {
	in := "1 1 0 0 0 1 -1\n2 3 0 0 1 1 1 " + strings.Repeat("x", MaxLineLength) + "\n"
	_, _, err := ReadSWC(strings.NewReader(in), "long.swc")
	if err == nil || !strings.HasPrefix(err.Error(), "long.swc:2: line longer than") {
		t.Fatalf("got %v", err)
	}
}

// TestTolerated feeds what real files contain and the reader must accept.
func TestTolerated(t *testing.T) {
	in := "# header\r\n#\tsecond\r\r\n" +
		"1\t1  0 0 0 5 -1 extra column\r" +
		"7 3 0 10 0 1 1 # inline comment\n" +
		"3 3 0 20 0 0 7\r\n" + // zero radius
		"\n   \n" +
		"12 3 5 25 0 1 3\n" +
		"10 3 -5 25 0 1 3\n" +
		"11 2.0 0 -10 0 1 1\n" // integral float type
	n, w, err := ReadSWC(strings.NewReader(in), "odd.swc")
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Samples) != 6 || len(n.Comments) != 2 || n.Comments[1] != "second" {
		t.Fatalf("%d samples, comments %q", len(n.Samples), n.Comments)
	}
	if n.Samples[5].Type != Axon || n.Samples[3].Parent != 2 {
		t.Errorf("samples %+v", n.Samples)
	}
	var msgs []string
	for _, x := range w {
		msgs = append(msgs, x.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"odd.swc:4: warning: more than 7 columns", "odd.swc:6: warning: zero radius"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	m := Measure(n)
	if m.Stems != 2 || m.Tips != 3 || m.Bifurcations != 1 || m.Sections != 4 {
		t.Errorf("%+v", m)
	}
}

func TestWarnings(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1 3 0 0 0 1 -1\n2 3 0 1 0 1 1\n", "1: warning: no soma"},
		{"1 1 0 0 0 1 -1\n2 3 0 1 0 1 1\n3 2 0 2 0 1 2\n", "3: warning: type changes without a fork"},
		{"1 1 0 0 0 1 -1\n2 3 0 1 0 1 1\n3 3 0 1 0 1 2\n", "3: warning: zero-length segment"},
		{"1 1 0 0 0 1 -1\n2 3 0 1 0 1 1\n3 3 0 2 0 1 2\n4 3 1 2 0 1 2\n5 3 2 2 0 1 2\n", "2: warning: fork with three or more"},
		{"1 1 0 0 0 1 -1\n2 1 1 0 0 1 1\n3 1 -1 0 0 1 1\n", "1: warning: three-point soma not in NeuroMorpho's layout"},
		{"1 1 0 0 0 1 -1\n2 25 0 1 0 1 1\n", "2: warning: type 20 or more"},
	} {
		_, w, err := ReadSWC(strings.NewReader(c.in), "w.swc")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range w {
			got = append(got, x.String())
		}
		if !strings.Contains(strings.Join(got, "\n"), "w.swc:"+c.want) {
			t.Errorf("%q: warnings %q, want %q", c.in, got, c.want)
		}
	}
}
