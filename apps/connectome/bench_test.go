package connectome

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkCUBA4000 simulates 1 s of the 4000-neuron CUBA benchmark per
// iteration on one goroutine, after a 0.1 s warm-up, and reports seconds of
// wall time per simulated second and synaptic events per second.
func BenchmarkCUBA4000(b *testing.B) { benchNet(b, "cuba") }

// BenchmarkCOBA4000 is BenchmarkCUBA4000 for the COBA benchmark.
func BenchmarkCOBA4000(b *testing.B) { benchNet(b, "coba") }

func benchNet(b *testing.B, model string) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s *Sim
	var err error
	if model == "cuba" {
		s, err = NewCUBA(4000, rng)
	} else {
		s, err = NewCOBA(4000, rng)
	}
	if err != nil {
		b.Fatal(err)
	}
	buf := s.Run(1000, rng, nil)
	var events, spikes float64
	c0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		buf = s.Run(10000, rng, buf[:0])
		for _, sp := range buf {
			events += float64(s.off[sp.Neuron+1] - s.off[sp.Neuron])
		}
		spikes += float64(len(buf))
	}
	b.ReportMetric((cpuSeconds()-c0)/float64(b.N), "cpu-s/simsec")
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/simsec")
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(spikes/float64(b.N)/4000, "Hz")
}
