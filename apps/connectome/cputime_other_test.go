//go:build !unix

package connectome

func cpuSeconds() float64 { return 0 }
