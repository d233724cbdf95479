package hypergrid_test

import (
	"fmt"
	"math"

	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/envs/hypergrid"
)

func Example() {
	env, err := hypergrid.New(2, 8)
	if err != nil {
		panic(err)
	}
	// Walk from the origin to the mode (1, 1): +1 on dimension 0, then on
	// dimension 1 (the second candidate once dimension 0 is below H-1).
	s := env.Init()
	s, _ = env.Step(s, gfn.Action{Index: 0})
	s, _ = env.Step(s, gfn.Action{Index: 1})
	fmt.Println("state", s, "reward", env.Reward(s))
	for _, c := range env.Forward(s, nil) {
		fmt.Println(c.Features, c.Stop)
	}
	fmt.Printf("Z = %.1f over %d states\n", math.Exp(env.TrueLogZ()), env.NumStates())
	// Output:
	// state [1 1] reward 2.6
	// [1 0 0] false
	// [0 1 0] false
	// [0 0 1] true
	// Z = 22.4 over 64 states
}
