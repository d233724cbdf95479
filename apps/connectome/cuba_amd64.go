//go:build amd64 && !purego

package connectome

import "golang.org/x/sys/cpu"

var haveCUBAKernel = cpu.X86.HasAVX2

//go:noescape
func cubaAVX2(v, ge, gi, inE, inI *float64, refr *int32, n int, c *cubaConsts) int

// cubaKernel advances neurons [0, k) of the slices with the AVX2 kernel,
// stopping before a block with a threshold crossing; it returns k.
func cubaKernel(v, ge, gi, inE, inI []float64, refr []int32, c *cubaConsts) int {
	n := len(v) &^ 3
	if n == 0 {
		return 0
	}
	if len(ge) < n || len(gi) < n || len(inE) < n || len(inI) < n || len(refr) < n {
		panic("connectome: CUBA kernel outside its slices")
	}
	return cubaAVX2(&v[0], &ge[0], &gi[0], &inE[0], &inI[0], &refr[0], n, c)
}
