package gfntest_test

import (
	"strings"
	"testing"

	"github.com/neurogfn/neurogfn/gfn/gfntest"
)

func TestEnvPasses(t *testing.T) {
	gfntest.Env(t, line{n: 5}, gfntest.Options{})
	gfntest.Env(t, seq{lo: -1, hi: 3}, gfntest.Options{})
}

// TestEnvCatches runs the suite on deliberately broken environments and
// checks that it reports the defect.
func TestEnvCatches(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(*recorder)
		want string // a substring of some reported error
	}{
		{"back index", lineEnv("back"), "backward index"},
		{"undo action", lineEnv("undo-action"), "forward action"},
		{"duplicate backward", lineEnv("dup-backward"), "then Step returns backward index 0, want 1"},
		{"init backward", lineEnv("init-backward"), "Init has 1 backward candidates"},
		{"feature length", lineEnv("features-len"), "has 3 features, Spec says 2"},
		{"two stops", lineEnv("two-stops"), "2 Stop candidates"},
		{"nan reward", lineEnv("nan-reward"), "LogReward = NaN"},
		{"never stops", lineEnv("never-stop"), "no stop within MaxSteps"},
		{"features unwritten", lineEnv("features-unwritten"), "not written"},
		{"constant key", lineEnv("key"), "Key equal"},
		{"mutating step", seqEnv("mutate"), "modified its argument"},
		{"undo value", seqEnv("undo-value"), "forward action"},
		{"empty interval", seqEnv("bad-interval"), "want finite Lo < Hi"},
		{"stop with parameters", seqEnv("stop-cont"), "Stop with continuous parameters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			tc.run(r)
			if testing.Verbose() && len(r.errs) > 0 {
				t.Logf("%d errors, first: %s", len(r.errs), r.errs[0])
			}
			if len(r.errs) == 0 {
				t.Fatalf("no error reported, want one containing %q", tc.want)
			}
			for _, e := range r.errs {
				if strings.Contains(e, tc.want) {
					return
				}
			}
			t.Errorf("no error contains %q; got %d errors, first: %s", tc.want, len(r.errs), r.errs[0])
		})
	}
}

func lineEnv(bug string) func(*recorder) {
	return func(r *recorder) {
		gfntest.Env(r, line{n: 5, bug: bug}, gfntest.Options{Trajectories: 50, MaxSteps: 100})
	}
}

func seqEnv(bug string) func(*recorder) {
	return func(r *recorder) { gfntest.Env(r, seq{lo: -1, hi: 3, bug: bug}, gfntest.Options{Trajectories: 50}) }
}

func TestPolicyPasses(t *testing.T) {
	gfntest.Policy(t, line{n: 5}, uniformLine{}, gfntest.Options{})
	for _, ab := range [][2]float64{{1, 1}, {2, 5}, {0.5, 0.5}, {200, 100}} {
		gfntest.Policy(t, seq{lo: -1, hi: 3}, betaSeq{a: ab[0], b: ab[1]}, gfntest.Options{Trajectories: 20})
	}
	// A stronger singularity is integrable to 1e-6 only where its end is
	// 0, where floating point resolves it (see the package documentation).
	gfntest.Policy(t, seq{lo: 0, hi: 2}, betaSeq{a: 0.3, b: 4}, gfntest.Options{Trajectories: 20})
}

func TestPolicyCatches(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(*recorder)
		want string
	}{
		{"unnormalised", func(r *recorder) {
			gfntest.Policy(r, line{n: 5}, uniformLine{bug: "unnormalised"}, gfntest.Options{})
		}, "sum to 1.2"},
		{"forced not zero", func(r *recorder) {
			gfntest.Policy(r, line{n: 2}, uniformLine{bug: "forced"}, gfntest.Options{})
		}, "forced action has log-probability 1e-09"},
		{"missing jacobian", func(r *recorder) {
			gfntest.Policy(r, seq{lo: -1, hi: 3}, betaSeq{a: 2, b: 3, bug: "no-jacobian"}, gfntest.Options{})
		}, "sum to 2.5"},
		{"sample out of range", func(r *recorder) {
			gfntest.Policy(r, seq{lo: -1, hi: 3}, betaSeq{a: 2, b: 3, bug: "out-of-range"}, gfntest.Options{})
		}, "outside (-1, 3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			tc.run(r)
			if testing.Verbose() && len(r.errs) > 0 {
				t.Logf("%d errors, first: %s", len(r.errs), r.errs[0])
			}
			for _, e := range r.errs {
				if strings.Contains(e, tc.want) {
					return
				}
			}
			t.Errorf("no error contains %q; got %q", tc.want, r.errs)
		})
	}
}
