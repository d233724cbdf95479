package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// gemmCase is one product with its operands, stored with leading
// dimensions that may exceed the rows (sub-matrix views).
type gemmCase struct {
	tA, tB        bool
	m, n, k       int
	alpha, beta   float64
	a, b, c       []float64
	lda, ldb, ldc int
}

func (g gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v lda=%d ldb=%d ldc=%d",
		g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.beta, g.lda, g.ldb, g.ldc)
}

// newGemmCase fills A, B and C with values in [-1, 1); pad widens every
// leading dimension. With beta 0, C holds NaN, which must be overwritten.
func newGemmCase(rng *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float64, pad int) gemmCase {
	g := gemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	g.lda, g.ldb, g.ldc = max(1, ac)+pad, max(1, bc)+pad, max(1, n)+pad
	fill := func(rows, ld int) []float64 {
		x := make([]float64, rows*ld)
		for i := range x {
			x[i] = rng.Float64()*2 - 1
		}
		return x
	}
	g.a, g.b, g.c = fill(ar, g.lda), fill(br, g.ldb), fill(m, g.ldc)
	if beta == 0 {
		for i := range g.c {
			g.c[i] = math.NaN()
		}
	}
	return g
}

// dense returns op(A) (m x k) and op(B)ᵀ (n x k) as contiguous rows.
func (g gemmCase) dense() (opA, opBt [][]float64) {
	opA, opBt = make([][]float64, g.m), make([][]float64, g.n)
	for i := range opA {
		opA[i] = make([]float64, g.k)
		for p := range opA[i] {
			if g.tA {
				opA[i][p] = g.a[p*g.lda+i]
			} else {
				opA[i][p] = g.a[i*g.lda+p]
			}
		}
	}
	for j := range opBt {
		opBt[j] = make([]float64, g.k)
		for p := range opBt[j] {
			if g.tB {
				opBt[j][p] = g.b[j*g.ldb+p]
			} else {
				opBt[j][p] = g.b[p*g.ldb+j]
			}
		}
	}
	return opA, opBt
}

// naive returns the product by the triple loop, and for each element a
// bound on its rounding error.
func (g gemmCase) naive() (want, tol []float64) {
	want, tol = slices.Clone(g.c), make([]float64, len(g.c))
	opA, opBt := g.dense()
	for i, ai := range opA {
		for j, bj := range opBt {
			var s, abs float64
			for p, x := range ai {
				s += x * bj[p]
				abs += math.Abs(x * bj[p])
			}
			x := i*g.ldc + j
			v, e := g.alpha*s, math.Abs(g.alpha)*abs
			if g.beta != 0 {
				v += g.beta * g.c[x]
				e += math.Abs(g.beta * g.c[x])
			}
			want[x] = v
			tol[x] = 1e-12*e + 1e-300
		}
	}
	return want, tol
}

// model returns the product with the arithmetic the kernels promise: per
// block of gemmKC terms, acc = fma(a, b, acc) from 0, then
// c = fma(beta, c, alpha*acc), with beta 1 after the first block; or, for
// the few-row products of gemmDots, dot products summed in 4 lanes.
func (g gemmCase) model() []float64 {
	c := slices.Clone(g.c)
	opA, opBt := g.dense()
	dots := !g.tA && g.tB && g.m <= gemmDotM
	for i, ai := range opA {
		for j, bj := range opBt {
			x := i*g.ldc + j
			if g.k == 0 || g.alpha == 0 {
				if g.beta == 0 {
					c[x] = 0
				} else {
					c[x] *= g.beta
				}
				continue
			}
			if dots {
				// Dot products of rows, in 4 lanes: see gemmDotGo.
				var s [4]float64
				for p := 0; p < (g.k+3)&^3; p++ {
					var u, w float64
					if p < g.k {
						u, w = ai[p], bj[p]
					}
					s[p&3] = math.FMA(u, w, s[p&3])
				}
				v := float64(g.alpha * ((s[0] + s[1]) + (s[2] + s[3])))
				if g.beta != 0 {
					v = math.FMA(g.beta, c[x], v)
				}
				c[x] = v
				continue
			}
			for p0 := 0; p0 < g.k; p0 += gemmKC {
				var acc float64
				for p := p0; p < min(g.k, p0+gemmKC); p++ {
					acc = math.FMA(ai[p], bj[p], acc)
				}
				bet := g.beta
				if p0 > 0 {
					bet = 1
				}
				v := float64(g.alpha * acc)
				if bet != 0 {
					v = math.FMA(bet, c[x], v)
				}
				c[x] = v
			}
		}
	}
	return c
}

func (g gemmCase) run(scratch *[]float64) []float64 {
	c := slices.Clone(g.c)
	gemmWith(scratch, g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	return c
}

func (g gemmCase) runPacked(workers int) []float64 {
	c := slices.Clone(g.c)
	gemmPacked(nil, workers, g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	return c
}

// check compares got with the triple loop within rounding, and requires
// the padding of C to be untouched.
func (g gemmCase) check(t *testing.T, what string, got []float64) {
	t.Helper()
	want, tol := g.naive()
	for x := range got {
		i, j := x/g.ldc, x%g.ldc
		if j >= g.n {
			if math.Float64bits(got[x]) != math.Float64bits(g.c[x]) {
				t.Fatalf("%s %v: padding c[%d,%d] changed to %v", what, g, i, j, got[x])
			}
			continue
		}
		if !(math.Abs(got[x]-want[x]) <= tol[x]) {
			t.Fatalf("%s %v: c[%d,%d] = %v, want %v", what, g, i, j, got[x], want[x])
		}
	}
}

// checkExact requires got to equal the kernels' arithmetic bit for bit.
func (g gemmCase) checkExact(t *testing.T, what string, got []float64) {
	t.Helper()
	want := g.model()
	for x := range got {
		if math.Float64bits(got[x]) != math.Float64bits(want[x]) {
			t.Fatalf("%s %v: c[%d,%d] = %v, model %v", what, g, x/g.ldc, x%g.ldc, got[x], want[x])
		}
	}
}

var gemmScalars = [][2]float64{{1, 0}, {1, 1}, {-0.5, 0.25}, {0.7, 0}, {2, -1}}

// TestGemmSmallSizes covers every transpose combination over odd sizes,
// scalars and padded leading dimensions, through gemm's dispatch (the
// kernels here, gonum under purego) and through the kernel driver with
// whichever kernel this build has (the Go one under purego).
func TestGemmSmallSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 16, 17, 23, 31, 33, 47, 64, 70}
	if testing.Short() {
		sizes = []int{1, 3, 6, 7, 9, 17, 70}
	}
	var scratch []float64
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range sizes {
				for _, n := range sizes {
					k := sizes[rng.IntN(len(sizes))]
					if rng.IntN(8) == 0 {
						k = 0
					}
					s := gemmScalars[rng.IntN(len(gemmScalars))]
					g := newGemmCase(rng, tA, tB, m, n, k, s[0], s[1], rng.IntN(3)*5)
					g.check(t, "gemm", g.run(&scratch))
					if k == 0 {
						continue // gemmWith only scales C
					}
					got := g.runPacked(1)
					g.check(t, "packed", got)
					g.checkExact(t, "packed", got)
				}
			}
		}
	}
}

// TestGemmBlocks crosses the cache blocks: k beyond gemmKC, rows beyond
// gemmMC, columns beyond gemmNC, and a full training-size product.
func TestGemmBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := [][3]int{{128, 256, 256}, {16, 256, 256}, {3, 256, 256}, {45, 256, 3}, {256, 256, 45},
		{150, 40, 520}, {5, 70, 600}, {290, 37, 30}, {13, 1030, 20}, {2, 1030, 257}}
	for _, sh := range shapes {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, s := range [][2]float64{{1, 0}, {-0.5, 1}} {
					g := newGemmCase(rng, tA, tB, sh[0], sh[1], sh[2], s[0], s[1], 3)
					got := g.run(nil)
					g.check(t, "gemm", got)
					if gemmHaveKernel() {
						g.checkExact(t, "gemm", got)
					}
					g.checkExact(t, "packed", g.runPacked(1))
				}
			}
		}
	}
}

// TestGemmWorkers requires the same bits whatever the number of goroutines
// sharing a product, and from call to call.
func TestGemmWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sh := range [][3]int{{301, 77, 300}, {200, 256, 64}} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				g := newGemmCase(rng, tA, tB, sh[0], sh[1], sh[2], 0.7, 0.3, 1)
				want := g.runPacked(1)
				g.checkExact(t, "1 worker", want)
				for w := 2; w <= 5; w++ {
					if got := g.runPacked(w); !slices.Equal(got, want) {
						t.Fatalf("%v: %d workers differ from 1", g, w)
					}
				}
				if got := g.run(nil); gemmHaveKernel() && !slices.Equal(got, want) {
					t.Fatalf("%v: gemm differs from the driver", g)
				}
			}
		}
	}
	// Large enough for gemm itself to split the rows when GOMAXPROCS > 1.
	g := newGemmCase(rng, false, false, 400, 256, 200, 1, 0, 0)
	first := g.run(nil)
	g.check(t, "parallel gemm", first)
	for range 3 {
		if got := g.run(nil); !slices.Equal(got, first) {
			t.Fatal("gemm differs from call to call")
		}
	}
}

// TestGemmKernels compares every kernel with the Go kernel bit for bit,
// over depths with and without a remainder of the 4-way unrolling.
func TestGemmKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for mr := 1; mr <= gemmMR; mr++ {
		for nv := 1; nv <= max(2, 12/mr); nv++ {
			for _, k := range []int{1, 2, 3, 4, 5, 8, 13, 256} {
				for _, beta := range []float64{0, 1, -0.3, math.NaN()} {
					np := 1 + rng.IntN(3)
					bs := 4*nv + rng.IntN(3)
					ldc := 4*nv + rng.IntN(3)
					a := make([]float64, np*mr*k)
					b := make([]float64, (k-1)*bs+4*nv)
					c := make([]float64, (np*mr-1)*ldc+4*nv)
					for _, x := range [][]float64{a, b, c} {
						for i := range x {
							x[i] = rng.NormFloat64()
						}
					}
					if beta == 0 {
						c[0] = math.NaN()
					}
					want, got := slices.Clone(c), slices.Clone(c)
					gemmKernelGo(mr, nv, k, a, b, bs, want, ldc, -1.5, beta, np, mr*k, 0, mr*ldc)
					gemmKernel(mr, nv, k, a, b, bs, got, ldc, -1.5, beta, np, mr*k, 0, mr*ldc)
					for i := range got {
						if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
							t.Fatalf("kernel %dx%d k=%d np=%d beta=%v: c[%d] = %v, want %v", mr, nv, k, np, beta, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestGemmDotKernels compares the dot kernels with gemmDotGo bit for bit.
func TestGemmDotKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for mr := 1; mr <= gemmDotMR; mr++ {
		for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 255, 256} {
			for _, beta := range []float64{0, 1, -0.3, math.NaN()} {
				lda, ldb, ldc := k+rng.IntN(3), k+rng.IntN(3), 4+rng.IntN(3)
				a := make([]float64, (mr-1)*lda+k)
				b := make([]float64, 3*ldb+k)
				c := make([]float64, (mr-1)*ldc+4)
				for _, x := range [][]float64{a, b, c} {
					for i := range x {
						x[i] = rng.NormFloat64()
					}
				}
				if beta == 0 {
					c[0] = math.NaN()
				}
				want, got := slices.Clone(c), slices.Clone(c)
				gemmDotGo(mr, k, a, lda, b, ldb, want, ldc, 0.75, beta)
				gemmDot(mr, k, a, lda, b, ldb, got, ldc, 0.75, beta)
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
						t.Fatalf("dot kernel %d rows k=%d beta=%v: c[%d] = %v, want %v", mr, k, beta, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestGemmPack compares the packing routines with their Go versions.
func TestGemmPack(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, w := range []int{1, 3, 6, 8} {
		for _, k := range []int{1, 3, 4, 7, 8, 252, 255, 256} {
			lds := max(w, k) + 3
			src := make([]float64, max(w, k)*lds)
			for i := range src {
				src[i] = rng.Float64()
			}
			want, got := make([]float64, w*k), make([]float64, w*k)
			gemmPackNGo(want, src, lds, w, k)
			gemmPackN(got, src, lds, w, k)
			if !slices.Equal(got, want) {
				t.Fatalf("N w=%d k=%d: packed %v, want %v", w, k, got[:w], want[:w])
			}
			gemmPackTGo(want, src, lds, w, k)
			gemmPackT(got, src, lds, w, k)
			if !slices.Equal(got, want) {
				t.Fatalf("T w=%d k=%d: packed %v, want %v", w, k, got[:w], want[:w])
			}
		}
	}
}

func TestGemmScalarsOnly(t *testing.T) {
	// alpha 0 and k 0 scale C by beta and read neither A nor B.
	nan := []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN()}
	for _, k := range []int{0, 2} {
		c := []float64{1, 2, 3, 4}
		gemm(false, false, 2, 2, k, 0, nan, 2, nan, 2, 0.5, c, 2)
		if k == 2 && !slices.Equal(c, []float64{0.5, 1, 1.5, 2}) {
			t.Errorf("alpha 0: C = %v", c)
		}
		c = slices.Clone(nan)
		gemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
		if !slices.Equal(c, []float64{0, 0, 0, 0}) {
			t.Errorf("k 0, beta 0: C = %v", c)
		}
	}
	// Empty products touch nothing.
	gemm(false, false, 0, 5, 5, 1, nil, 5, nil, 5, 0, nil, 5)
	gemm(false, false, 5, 0, 5, 1, nil, 5, nil, 1, 0, nil, 1)
}

func TestGemmPanics(t *testing.T) {
	a := make([]float64, 6)
	mustPanic(t, "short lda", func() { gemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) })
	mustPanic(t, "short ldc", func() { gemm(false, false, 2, 2, 2, 1, a, 2, a, 2, 0, a, 1) })
	mustPanic(t, "short A", func() { gemm(false, false, 3, 2, 2, 1, a[:5], 2, a, 2, 0, make([]float64, 6), 2) })
	mustPanic(t, "short C", func() { gemm(true, true, 2, 2, 2, 1, a, 2, a, 2, 0, a[:3], 2) })
	mustPanic(t, "negative", func() { gemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) })
}

// TestGemmNoAllocs: with a scratch buffer, the steady state allocates
// nothing.
func TestGemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	var scratch []float64
	for _, sh := range [][3]int{{3, 256, 256}, {128, 256, 256}, {45, 256, 3}} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				g := newGemmCase(rng, tA, tB, sh[0], sh[1], sh[2], 1, 1, 0)
				g.run(&scratch)
				c := slices.Clone(g.c)
				allocs := testing.AllocsPerRun(5, func() {
					gemmWith(&scratch, g.tA, g.tB, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 1, c, g.ldc)
				})
				if allocs != 0 {
					t.Errorf("%v: %v allocations per product", g, allocs)
				}
			}
		}
	}
}

// BenchmarkGemm multiplies the shapes of an MLP's training step, with our
// kernels and with gonum's Dgemm, and reports GFLOP/s.
func BenchmarkGemm(b *testing.B) {
	shapes := []struct {
		name    string
		tA, tB  bool
		m, n, k int
	}{
		// HyperGrid TB trains on a few states at a time: 3 rows.
		{"3x256*256x256", false, false, 3, 256, 256},
		{"dA=3x256*(256x256)T", false, true, 3, 256, 256},
		{"dB=(3x256)T*3x256", true, false, 256, 256, 3},
		{"16x256*256x256", false, false, 16, 256, 256},
		{"dA=16x256*(256x256)T", false, true, 16, 256, 256},
		{"dB=(16x256)T*16x256", true, false, 256, 256, 16},
		{"128x256*256x256", false, false, 128, 256, 256},
		{"dA=128x256*(256x256)T", false, true, 128, 256, 256},
		{"dB=(128x256)T*128x256", true, false, 256, 256, 128},
		{"1000x256*256x256", false, false, 1000, 256, 256},
	}
	for _, s := range shapes {
		rng := rand.New(rand.NewPCG(1, 1))
		g := newGemmCase(rng, s.tA, s.tB, s.m, s.n, s.k, 1, 1, 0)
		flops := 2 * float64(s.m*s.n*s.k)
		b.Run(s.name+"/ours", func(b *testing.B) {
			var scratch []float64
			for b.Loop() {
				gemmWith(&scratch, g.tA, g.tB, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 1, g.c, g.ldc)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(s.name+"/gonum", func(b *testing.B) {
			ta, tb := blas.NoTrans, blas.NoTrans
			if g.tA {
				ta = blas.Trans
			}
			if g.tB {
				tb = blas.Trans
			}
			for b.Loop() {
				blas64.Implementation().Dgemm(ta, tb, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 1, g.c, g.ldc)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
