package pointset_test

import (
	"fmt"
	"math"

	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/envs/pointset"
)

func Example() {
	env, err := pointset.New(2, 3, 2, 5) // Lambda 2, at most 3 points, f = Beta(2, 5)
	if err != nil {
		panic(err)
	}
	fmt.Printf("Z = %.4f\n", math.Exp(env.LogZ())) // 1 + 2 + 2 + 4/3
	for k, p := range env.PK() {
		fmt.Printf("p(%d) = %.4f\n", k, p)
	}

	// Build {0.2, 0.5} by adding 0.5 then 0.2, and score it.
	s := env.Init()
	s, _ = env.Step(s, gfn.Action{Index: pointset.AddIndex, Value: []float64{0.5}})
	s, back := env.Step(s, gfn.Action{Index: pointset.AddIndex, Value: []float64{0.2}})
	fmt.Println(s, "inserted at", back)
	fmt.Printf("log R = %.4f\n", env.LogReward(s)) // 2 log 2 + log f(0.2) + log f(0.5)
	// Output:
	// Z = 6.3333
	// p(0) = 0.1579
	// p(1) = 0.3158
	// p(2) = 0.3158
	// p(3) = 0.2105
	// [0.2 0.5] inserted at 0
	// log R = 2.2209
}
