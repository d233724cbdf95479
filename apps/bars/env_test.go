package bars

import (
	"testing"

	"github.com/neurogfn/neurogfn/gfn/gfntest"
)

func TestEnvConformance(t *testing.T) {
	m := exampleModel(t)
	e, err := NewEnv(m)
	if err != nil {
		t.Fatal(err)
	}
	gfntest.Env[[]float64](t, e, gfntest.Options{Trajectories: 50})
	e.Ordered = true
	gfntest.Env[[]float64](t, e, gfntest.Options{Trajectories: 50})
}
