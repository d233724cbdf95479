//go:build !amd64 || purego

package nn

// gemmHaveKernel reports whether assembly kernels run here: never, gemm
// uses gonum's Dgemm. The kernel driver still builds, with the Go kernel,
// for the tests.
func gemmHaveKernel() bool { return false }

// gemmKernel is gemmKernelGo.
func gemmKernel(mr, nv, k int, a, b []float64, bs int, c []float64, ldc int, alpha, beta float64, np, da, db, dc int) {
	gemmKernelGo(mr, nv, k, a, b, bs, c, ldc, alpha, beta, np, da, db, dc)
}

// gemmDot is gemmDotGo.
func gemmDot(mr, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	gemmDotGo(mr, k, a, lda, b, ldb, c, ldc, alpha, beta)
}

// gemmPackN is gemmPackNGo.
func gemmPackN(dst, src []float64, lds, w, k int) { gemmPackNGo(dst, src, lds, w, k) }

// gemmPackT is gemmPackTGo.
func gemmPackT(dst, src []float64, lds, w, k int) { gemmPackTGo(dst, src, lds, w, k) }
