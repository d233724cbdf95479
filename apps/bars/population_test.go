package bars

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/neurogfn/neurogfn/gfn/gfntest"
)

func TestPopulationConformance(t *testing.T) {
	p, err := NewPopulation([]*Model{exampleModel(t), readModel(t, "C_m20_w10ms_r002.data")})
	if err != nil {
		t.Fatal(err)
	}
	gfntest.Env[[]float64](t, p, gfntest.Options{Trajectories: 50})
	// The second PSTH, seen through a population that starts there.
	one, err := NewPopulation([]*Model{p.Envs[1].Model})
	if err != nil {
		t.Fatal(err)
	}
	gfntest.Env[[]float64](t, one, gfntest.Options{Trajectories: 50})
	f := make([]float64, p.Spec().StateDim)
	p.Features([]float64{1, 0.3, 0.5}, f)
	g := make([]float64, one.Spec().StateDim)
	one.Features([]float64{0, 0.3, 0.5}, g)
	for i := range f {
		if f[i] != g[i] {
			t.Fatalf("feature %d of the same PSTH and knots: %v in the population, %v alone", i, f[i], g[i])
		}
	}
}

func TestPopulationPriors(t *testing.T) {
	m := exampleModel(t)
	d := m.Data
	other, err := NewModel(d, KPrior{Kind: "uniform", Min: 1, Max: 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPopulation([]*Model{m, other}); err == nil || !strings.Contains(err.Error(), "one prior on k") {
		t.Errorf("population of two priors on k: got %v", err)
	}
}

// simulatedExamples draws n PSTHs from BarsP's reference fit of the BARS
// example (60 trials of 10 ms bins): PSTHs like the example, which none of
// them is.
func simulatedExamples(t *testing.T, n int) []*PSTH {
	t.Helper()
	m := exampleModel(t)
	ref := referenceMean(t)
	rng := rand.New(rand.NewPCG(11, 12))
	out := make([]*PSTH, n)
	for i := range out {
		p := &PSTH{Name: fmt.Sprintf("sim%02d", i), Time: m.Data.Time, Trials: m.Data.Trials, BinWidth: m.Data.BinWidth, Count: make([]float64, len(ref))}
		for j, rate := range ref {
			mu := rate * float64(p.Trials) * p.BinWidth
			p.Count[j] = distuv.Poisson{Lambda: mu, Src: rng}.Rand()
		}
		out[i] = p
	}
	return out
}

// TestAmortisedGFN trains one sampler on a few simulated PSTHs like the
// BARS example and samples the example itself, which it has not seen: the
// corrected chain must match BarsP's reference and the pooled RJMCMC
// whatever the policy learnt. (How well the policy generalises needs
// hundreds of training PSTHs; bench/bars_study measures it.)
func TestAmortisedGFN(t *testing.T) {
	cfg := DefaultAmortisedConfig()
	cfg.Pretrain = 800
	start := time.Now()
	a, err := TrainAmortised(context.Background(), simulatedExamples(t, 8), DefaultPrior(), false, cfg, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	trained := time.Since(start)
	m := exampleModel(t)
	res, err := a.Sample(context.Background(), m, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	s := everyOther(t, m, res.Chain)
	t.Logf("amortised: trained on 8 PSTHs in %v; Metropolis acceptance %d/%d, local moves %d/%d", trained, res.Accepted, res.Proposed, res.LocalAccepted, res.LocalProposed)
	checkAgainstBARS(t, "amortised", s)
	checkAgainstRJMCMC(t, "amortised", s)
	if res.Accepted < 10 {
		t.Errorf("%d of %d proposals accepted: the chain rests on the local moves alone", res.Accepted, res.Proposed)
	}
	checkSaveLoad(t, a, m)
	other, err := NewModel(m.Data, KPrior{Kind: "poisson", Min: 1, Max: 60, Lambda: 6})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Sample(context.Background(), other, 10, 1); err == nil || !strings.Contains(err.Error(), "prior") {
		t.Errorf("sampling a PSTH with another prior: got %v", err)
	}
}

// TestPSTHContext checks the summary on a PSTH with fewer bins than
// segments (each segment reads the bin under its centre) and its
// invariance to the number of trials at equal rates.
func TestPSTHContext(t *testing.T) {
	p := &PSTH{Name: "short", Time: []float64{0.05, 0.15, 0.25, 0.35}, Count: []float64{2, 4, 8, 16}, Trials: 10, BinWidth: 0.1}
	c := psthContext(p)
	if len(c) != contextDim {
		t.Fatalf("%d features, want %d", len(c), contextDim)
	}
	// Segments 0-7 lie in bin 0 (rate 2 spikes/s), 24-31 in bin 3 (16).
	if d := c[31] - c[0]; math.Abs(d-(math.Log1p(16)-math.Log1p(2))) > 1e-12 {
		t.Errorf("last minus first segment %v, want log(17/3)", d)
	}
	for j := 1; j < contextSegments; j++ {
		if g := c[contextSegments+j-1]; g != 2*(c[j]-c[j-1]) {
			t.Errorf("difference %d: %v, want %v", j, g, 2*(c[j]-c[j-1]))
		}
	}
	q := *p
	q.Trials, q.Count = 20, []float64{4, 8, 16, 32}
	cq := psthContext(&q)
	for j := range 2*contextSegments - 1 {
		if math.Abs(c[j]-cq[j]) > 1e-12 {
			t.Errorf("feature %d depends on the trials at equal rates: %v and %v", j, c[j], cq[j])
		}
	}
}

// checkSaveLoad saves a, loads it back and checks that the loaded sampler
// has the same settings and draws the same chain; a damaged file must be
// refused.
func checkSaveLoad(t *testing.T, a *AmortisedGFN, m *Model) {
	t.Helper()
	var buf bytes.Buffer
	if err := a.Save(&buf); err != nil {
		t.Fatal(err)
	}
	b, err := LoadAmortised(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.cfg, b.cfg) || a.Prior != b.Prior || a.spec != b.spec {
		t.Errorf("loaded settings differ:\n%+v %v %+v\n%+v %v %+v", a.cfg, a.Prior, a.spec, b.cfg, b.Prior, b.spec)
	}
	x, err := a.Sample(context.Background(), m, 300, 9)
	if err != nil {
		t.Fatal(err)
	}
	y, err := b.Sample(context.Background(), m, 300, 9)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x.Chain.Knots, y.Chain.Knots) {
		t.Error("the loaded sampler draws another chain")
	}
	bad := slices.Clone(buf.Bytes())
	bad[len(bad)/2] ^= 1
	for name, data := range map[string][]byte{"flipped bit": bad, "truncated": buf.Bytes()[:len(bad)-9], "empty": nil} {
		if _, err := LoadAmortised(bytes.NewReader(data)); !errors.Is(err, ErrAmortisedFile) {
			t.Errorf("%s file: got %v, want ErrAmortisedFile", name, err)
		}
	}
}
