//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

//go:generate go run gemm_gen.go

// gemmHaveKernel reports whether the CPU runs the AVX2/FMA kernels.
func gemmHaveKernel() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// gemmKernel computes np tiles of mr x 4*nv, C = alpha*A*B + beta*C, A, B
// and C moving on by da, db and dc elements after each (see gemmKernelGo),
// with an assembly kernel. The checks keep the kernels, which do not bound
// their accesses, within the slices.
func gemmKernel(mr, nv, k int, a, b []float64, bs int, c []float64, ldc int, alpha, beta float64, np, da, db, dc int) {
	if k <= 0 || np <= 0 || da < 0 || db < 0 || dc < 0 ||
		len(a) < (np-1)*da+k*mr || len(b) < (np-1)*db+(k-1)*bs+4*nv || len(c) < (np-1)*dc+(mr-1)*ldc+4*nv {
		panic("nn: gemm kernel outside its operands")
	}
	gemmKernelAsm(mr, nv, k, &a[0], &b[0], bs, &c[0], ldc, alpha, beta, np, 8*da, 8*db, 8*dc)
}

// gemmDot computes the mr x 4 tile C = alpha*A*Bᵀ + beta*C of dot
// products of rows (see gemmDotGo) with an assembly kernel.
func gemmDot(mr, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	if k <= 0 || len(a) < (mr-1)*lda+k || len(b) < 3*ldb+k || len(c) < (mr-1)*ldc+4 {
		panic("nn: gemm kernel outside its operands")
	}
	gemmDotAsm(mr, k, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta)
}

// The packing routines of gemm_amd64.s: gemmPackN<w> copies k rows of w
// values, lds apart, as k groups of w; gemmPackT<w> transposes w rows of k
// values (k a multiple of 4), lds apart, into k groups of w.

//go:noescape
func gemmPackN6(dst, src *float64, lds, k int)

//go:noescape
func gemmPackN8(dst, src *float64, lds, k int)

//go:noescape
func gemmPackT6(dst, src *float64, lds, k int)

//go:noescape
func gemmPackT8(dst, src *float64, lds, k int)

// gemmPackN sets dst[w*p+j] = src[p*lds+j] for j < w and p < k.
func gemmPackN(dst, src []float64, lds, w, k int) {
	if k <= 0 {
		return
	}
	if len(dst) < w*k || len(src) < (k-1)*lds+w {
		panic("nn: gemm packing outside its operands")
	}
	switch w {
	case 6:
		gemmPackN6(&dst[0], &src[0], lds, k)
	case 8:
		gemmPackN8(&dst[0], &src[0], lds, k)
	default:
		gemmPackNGo(dst, src, lds, w, k)
	}
}

// gemmPackT sets dst[w*p+r] = src[r*lds+p] for r < w and p < k.
func gemmPackT(dst, src []float64, lds, w, k int) {
	if k <= 0 {
		return
	}
	if len(dst) < w*k || len(src) < (w-1)*lds+k {
		panic("nn: gemm packing outside its operands")
	}
	k4 := k &^ 3
	switch {
	case k4 == 0:
	case w == 6:
		gemmPackT6(&dst[0], &src[0], lds, k4)
	case w == 8:
		gemmPackT8(&dst[0], &src[0], lds, k4)
	default:
		k4 = 0
	}
	gemmPackTGo(dst[w*k4:], src[k4:], lds, w, k-k4)
}
