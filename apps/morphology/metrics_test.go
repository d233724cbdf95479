package morphology

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"
)

const ytree = `# a Y-shaped basal dendrite on a one-point soma
1 1 0 0 0 1 -1
2 3 0 1 0 0.5 1
3 3 0 11 0 0.5 2
4 3 5 16 0 0.5 3
5 3 10 16 0 0.5 4
6 3 -5 16 0 0.5 3
`

func mustRead(t testing.TB, s string) *Neuron {
	t.Helper()
	n, _, err := ReadSWC(strings.NewReader(s), "test.swc")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

func TestMeasureYTree(t *testing.T) {
	n := mustRead(t, ytree)
	m := Measure(n)
	if m.Stems != 1 || m.Tips != 2 || m.Bifurcations != 1 || m.Sections != 3 || m.MaxBranchOrder != 1 {
		t.Fatalf("%+v", m)
	}
	if want := 10 + math.Sqrt(50) + 5 + math.Sqrt(50); !near(m.TotalLength, want) {
		t.Errorf("length %g, want %g (soma link excluded)", m.TotalLength, want)
	}
	if want := 10 + math.Sqrt(50) + 5; !near(m.MaxPathLength, want) {
		t.Errorf("max path %g, want %g", m.MaxPathLength, want)
	}
	if !near(m.LocalBifurcationAngles[0], math.Pi/2) {
		t.Errorf("local angle %g", m.LocalBifurcationAngles[0])
	}
	if want := math.Acos(-25 / (math.Sqrt(125) * math.Sqrt(50))); !near(m.RemoteBifurcationAngles[0], want) {
		t.Errorf("remote angle %g, want %g", m.RemoteBifurcationAngles[0], want)
	}
	if m.PartitionAsymmetry[0] != 0 || m.SectionStrahler[0] != 2 || m.SectionStrahler[1] != 1 {
		t.Errorf("asymmetry %v strahler %v", m.PartitionAsymmetry, m.SectionStrahler)
	}
	if want := (math.Sqrt(50) + 5) / math.Sqrt(125); !near(m.SectionTortuosity[1], want) {
		t.Errorf("tortuosity %v, want %g", m.SectionTortuosity, want)
	}
	bars := m.Barcodes[0]
	if len(bars) != 2 || !near(bars[0].Birth, math.Sqrt(250)) || !near(bars[0].Death, 10) || !near(bars[1].Birth, math.Sqrt(325)) || bars[1].Death != 0 {
		t.Errorf("barcode %v", bars)
	}
	sh := Sholl(n, 10)
	if len(sh) != 2 || sh[0] != (ShollPoint{1, 1}) || sh[1] != (ShollPoint{11, 3}) {
		t.Errorf("sholl %v", sh)
	}
	if e := r3.Sub(m.Box.Max, m.Box.Min); e.X != 15 || e.Y != 15 || e.Z != 0 {
		t.Errorf("extent %v", e)
	}
	if got := Measure(n, Axon); got.Stems != 0 || got.TotalLength != 0 || got.Barcodes != nil {
		t.Errorf("axon of a dendrite-only cell: %+v", got)
	}
}

// TestAsymmetryStrahler: a fork whose children have 1 and 3 sections.
func TestAsymmetryStrahler(t *testing.T) {
	n := mustRead(t, `1 1 0 0 0 1 -1
2 3 0 1 0 1 1
3 3 0 2 0 1 2
4 3 1 3 0 1 3
5 3 -1 3 0 1 3
6 3 -2 4 0 1 5
7 3 0 4 0 1 5
`)
	m := Measure(n)
	if !near(m.PartitionAsymmetry[0], 0.5) || m.PartitionAsymmetry[1] != 0 {
		t.Errorf("asymmetry %v, want [0.5 0]", m.PartitionAsymmetry)
	}
	// Sections: root(0) -> tip 4 (1), fork 5 (2) -> 6 (3), 7 (4).
	if want := []int{2, 1, 2, 1, 1}; !equalInts(m.SectionStrahler, want) {
		t.Errorf("strahler %v, want %v", m.SectionStrahler, want)
	}
	if want := []int{0, 1, 1, 2, 2}; !equalInts(m.SectionOrders, want) {
		t.Errorf("orders %v, want %v", m.SectionOrders, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestShollReference: the profile starts at the soma radius and the per-type
// profiles add up to the whole-cell one.
func TestShollReference(t *testing.T) {
	n, _ := readFile(t, dataPath("C010398B-P2.CNG.swc"))
	sh := Sholl(n, 10)
	if sh[0].Radius != n.SomaShape().Radius {
		t.Errorf("first radius %v, want the soma radius %g", sh[0], n.SomaShape().Radius)
	}
	total := 0
	for _, typ := range []Type{Axon, Basal, Apical} {
		for i, p := range Sholl(n, 10, typ) {
			if p.Radius != sh[i].Radius {
				t.Fatalf("radii differ")
			}
			total += p.Crossings
		}
	}
	all := 0
	for _, p := range sh {
		all += p.Crossings
	}
	if total != all {
		t.Errorf("per-type crossings sum to %d, all %d", total, all)
	}
}

func FuzzReadSWC(f *testing.F) {
	f.Add([]byte(ytree))
	f.Add([]byte("1 1 0 0 0 1 -1\r2 3 0 1 0 1 1\r3 2 0 -1 0 1 1\r"))
	f.Add([]byte("1 3 0 0 0 1 -1\n2 3 0 1 0 1 1\n3 3 0 2 0 1 2\n4 3 1 2 0 1 2\n5 3 2 2 0 1 2\n"))
	if b, err := os.ReadFile(dataPath("mp_ma_40984_gc2.CNG.swc")); err == nil {
		f.Add(b)
	}
	files, _ := os.ReadDir("testdata/malformed")
	for _, e := range files {
		if b, err := os.ReadFile("testdata/malformed/" + e.Name()); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		n, _, err := ReadSWC(bytes.NewReader(in), "fuzz.swc")
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		var b bytes.Buffer
		if err := WriteSWC(&b, n, []string{"fuzz"}); err != nil {
			t.Fatal(err)
		}
		n2, _, err := ReadSWC(&b, "fuzz-written.swc")
		if err != nil {
			t.Fatalf("rereading our own output: %v\n%s", err, b.String())
		}
		if !Equal(n, n2) {
			t.Fatal("round trip changed the tree")
		}
		m := Measure(n)
		bars := 0
		for _, bc := range m.Barcodes {
			bars += len(bc)
		}
		if bars != m.Tips || m.Sections != len(m.SectionLengths) {
			t.Fatalf("%d bars for %d tips; %d sections, %d lengths", bars, m.Tips, m.Sections, len(m.SectionLengths))
		}
		if m.MaxRadialDistance > 0 && m.MaxRadialDistance < 1e9 {
			Sholl(n, m.MaxRadialDistance/50)
		}
		MeasureMorphoPy(n)
		Normalize(n, SomaThreePoint)
	})
}

// BenchmarkReadMeasure reads the largest reference file (EC3-60126, 514 kB,
// 13070 samples) and computes all morphometrics: whole cell and per type,
// Sholl profile and the MorphoPy-convention summary.
func BenchmarkReadMeasure(b *testing.B) {
	data, err := os.ReadFile(dataPath("EC3-60126.CNG.swc"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n, _, err := ReadSWC(bytes.NewReader(data), "EC3-60126.CNG.swc")
		if err != nil {
			b.Fatal(err)
		}
		Measure(n)
		for _, t := range []Type{Axon, Basal, Apical} {
			Measure(n, t)
		}
		Sholl(n, 10)
		MeasureMorphoPy(n)
	}
}

// BenchmarkMeasure is the morphometrics alone on the same file.
func BenchmarkMeasure(b *testing.B) {
	n, _ := readFile(b, dataPath("EC3-60126.CNG.swc"))
	b.ReportAllocs()
	for b.Loop() {
		Measure(n)
	}
}
