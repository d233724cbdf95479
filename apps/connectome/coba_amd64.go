//go:build amd64 && !purego

package connectome

import "golang.org/x/sys/cpu"

// haveCOBAKernel: the kernel's exp reproduces math.Exp bit for bit only where
// math.Exp takes its FMA path (AVX and FMA, as in package math).
var haveCOBAKernel = cpu.X86.HasAVX2 && cpu.X86.HasAVX && cpu.X86.HasFMA

//go:noescape
func cobaAVX2(v, ge, gi, inE, inI *float64, refr *int32, n int, c *cobaConsts) int

// cobaKernel advances neurons [0, k) of the slices with the AVX2 kernel,
// stopping before a block with a threshold crossing or an exponent outside
// (-700, 700); it returns k.
func cobaKernel(v, ge, gi, inE, inI []float64, refr []int32, c *cobaConsts) int {
	n := len(v) &^ 3
	if n == 0 {
		return 0
	}
	if len(ge) < n || len(gi) < n || len(inE) < n || len(inI) < n || len(refr) < n {
		panic("connectome: COBA kernel outside its slices")
	}
	return cobaAVX2(&v[0], &ge[0], &gi[0], &inE[0], &inI[0], &refr[0], n, c)
}
