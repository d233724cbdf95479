package connectome_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/neurogfn/neurogfn/apps/connectome"
)

// Simulate a small CUBA network for 100 ms and summarise it.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	sim, err := connectome.NewCUBA(400, rng)
	if err != nil {
		panic(err)
	}
	spikes := sim.Run(1000, rng, nil) // 1000 steps of 0.1 ms
	fmt.Println(sim.Net.N, "neurons,", len(spikes) > 0, sim.Time(), "ms")
	fmt.Printf("peak EPSP %.4f mV\n", func() float64 { _, v := connectome.EPSPPeak(connectome.CUBAWeightE, 20, 5); return v }())
	// Output:
	// 400 neurons, true 100 ms
	// peak EPSP 0.2551 mV
}
