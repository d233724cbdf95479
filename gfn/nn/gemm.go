package nn

import (
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Dense products C = alpha*op(A)*op(B) + beta*C.
//
// Where the CPU has AVX2 and FMA (gemm_amd64.go), gemm packs op(A) and
// op(B) into contiguous panels, as in the Goto/BLIS scheme, and multiplies
// them with assembly kernels that keep a tile of C in 12 YMM registers
// (6x8 elements on packed panels; gemm_amd64.s, written by gemm_gen.go).
// Transposed operands cost only their packing. Products of a few rows (sampling, or training
// on one state at a time) avoid packing B: an untransposed B is streamed in
// place (gemmSmall), and A*Bᵀ is computed as dot products of rows
// (gemmDots). Elsewhere, and under the purego build tag, gemm uses gonum's
// Dgemm.
//
// Except in gemmDots, every element of C is computed the same way whatever
// its tile: the chain acc = fma(a[i,p], b[p,j], acc) over p within each
// block of gemmKC terms, then c = fma(beta, c, alpha*acc) (with beta 1
// after the first block, and C overwritten when beta is 0). gemmDots, used
// by shape alone, sums each element in 4 lanes (see gemmDotGo). Results are
// therefore bit-identical from call to call, for any GOMAXPROCS and any
// split of C between goroutines.
const (
	gemmMR = 6    // rows of a register tile and of a packed A panel
	gemmNR = 8    // columns of a register tile and of a packed B panel
	gemmKC = 256  // depth of a packed block: a B panel (16 KiB) stays in L1
	gemmMC = 144  // rows of a packed A block (288 KiB, in L2); multiple of gemmMR
	gemmNC = 1024 // columns of a packed B block; multiple of gemmNR

	// gemmShallowKC is the depth below which a block is swept along the
	// rows of C rather than down the columns (see gemmMacro).
	gemmShallowKC = 64

	// gemmSmallM is the most rows for which an untransposed B is read in
	// place rather than packed: packing costs about as much as reading B
	// once per panel of gemmMR rows.
	gemmSmallM = 16
	// gemmSmallNC is the number of columns of B streamed per block by
	// gemmSmall (1 MiB at 256 rows); multiple of 4.
	gemmSmallNC = 512

	// gemmDotM is the most rows for which A*Bᵀ is computed as dot products
	// of rows (gemmDots), in tiles of gemmDotMR rows.
	gemmDotM  = 6
	gemmDotMR = 3

	// gemmParallelWork is the number of multiply-adds from which a product
	// is split between goroutines (started for that call), and
	// gemmParallelRows the fewest rows of C given to each.
	gemmParallelWork = 1 << 24
	gemmParallelRows = 96
)

// gemm computes C = alpha*op(A)*op(B) + beta*C for row-major C (m x n),
// op(A) (m x k) and op(B) (k x n), where op transposes when tA (tB) is set.
// It allocates its packing buffers; gemmWith reuses caller-owned ones.
func gemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gemmWith(nil, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmWith is gemm with packing buffers taken from *scratch, which is grown
// when too short and kept for the next call: a caller that multiplies
// repeatedly (a Tape) does not allocate in the steady state. A nil scratch
// allocates per call. Beta 0 overwrites C, whatever it holds; alpha 0 or
// k 0 only scales C by beta and reads neither A nor B.
func gemmWith(scratch *[]float64, tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gemmCheck(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		gemmScale(m, n, beta, c, ldc)
		return
	}
	if !gemmHaveKernel() {
		gemmGonum(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	workers := 1
	if m*n*k >= gemmParallelWork {
		workers = min(runtime.GOMAXPROCS(0), m/gemmParallelRows)
	}
	gemmPacked(scratch, max(workers, 1), tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmCheck panics, as BLAS does, on negative sizes, leading dimensions
// smaller than a row and slices too short for their matrix.
func gemmCheck(tA, tB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("nn: gemm with a negative size")
	}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	if lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n) {
		panic("nn: gemm leading dimension shorter than a row")
	}
	if m == 0 || n == 0 {
		return
	}
	if k > 0 && (len(a) < (ar-1)*lda+ac || len(b) < (br-1)*ldb+bc) || len(c) < (m-1)*ldc+n {
		panic("nn: gemm matrix shorter than its size")
	}
}

// gemmScale sets C = beta*C; beta 0 zeroes C.
func gemmScale(m, n int, beta float64, c []float64, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// gemmGonum multiplies with gonum's Dgemm, tile by tile: gonum starts
// goroutines and allocates for products of more than three of its 64x64
// blocks, and runs serially without allocating below.
func gemmGonum(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	const tileRows, tileCols = 64, 192
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	impl := blas64.Implementation()
	for i0 := 0; i0 < m; i0 += tileRows {
		for j0 := 0; j0 < n; j0 += tileCols {
			var as, bs []float64
			if tA {
				as = a[i0:]
			} else {
				as = a[i0*lda:]
			}
			if tB {
				bs = b[j0*ldb:]
			} else {
				bs = b[j0:]
			}
			impl.Dgemm(ta, tb, min(tileRows, m-i0), min(tileCols, n-j0), k, alpha, as, lda, bs, ldb, beta, c[i0*ldc+j0:], ldc)
		}
	}
}

// gemmScratchLen is the scratch one goroutine needs to multiply m rows.
func gemmScratchLen(dots, tB bool, m, n, k int) int {
	if dots {
		// 4 zero-padded rows of B and a C tile.
		return 4*k + gemmMR*gemmNR
	}
	kc := min(k, gemmKC)
	if !tB && m <= gemmSmallM {
		// A, a zero-padded tail of B (4 columns) and a C tile.
		return m*kc + 4*kc + gemmMR*gemmNR
	}
	ncp := (min(n, gemmNC) + gemmNR - 1) / gemmNR * gemmNR
	return kc*ncp + min(m, gemmMC)*kc + gemmMR*gemmNR
}

// gemmPacked multiplies with the kernels, splitting the rows of C between
// workers goroutines when workers > 1.
func gemmPacked(scratch *[]float64, workers int, tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	// Rows per worker, a multiple of the tile height.
	rows := (m + workers - 1) / workers
	rows = (rows + gemmMR - 1) / gemmMR * gemmMR
	workers = (m + rows - 1) / rows
	// The arithmetic of the dot kernels differs from the others': whether
	// they are used depends on the whole product, not on the rows of a
	// worker.
	dots := !tA && tB && m <= gemmDotM
	per := max(gemmScratchLen(dots, tB, min(rows, m), n, k), gemmScratchLen(dots, tB, m-(workers-1)*rows, n, k))
	var buf []float64
	if scratch != nil {
		if cap(*scratch) < workers*per {
			*scratch = make([]float64, workers*per)
		}
		buf = (*scratch)[:workers*per]
	} else {
		buf = make([]float64, workers*per)
	}
	if workers == 1 {
		gemmSerial(buf, dots, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		i0 := w * rows
		mi := min(rows, m-i0)
		var as []float64
		if tA {
			as = a[i0:]
		} else {
			as = a[i0*lda:]
		}
		s := buf[w*per : (w+1)*per]
		wg.Go(func() {
			gemmSerial(s, dots, tA, tB, mi, n, k, alpha, as, lda, b, ldb, beta, c[i0*ldc:], ldc)
		})
	}
	wg.Wait()
}

// gemmSerial multiplies on the calling goroutine, with packing buffers
// carved from s (at least gemmScratchLen long), with the dot kernels when
// dots is set.
func gemmSerial(s []float64, dots, tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if !tB && m <= gemmSmallM {
		gemmSmall(s, tA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if dots {
		gemmDots(s, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	kc0 := min(k, gemmKC)
	ncp := (min(n, gemmNC) + gemmNR - 1) / gemmNR * gemmNR
	bp := s[:kc0*ncp]
	ap := s[kc0*ncp : kc0*ncp+min(m, gemmMC)*kc0]
	tile := s[len(s)-gemmMR*gemmNR:]
	for jc := 0; jc < n; jc += gemmNC {
		nc := min(gemmNC, n-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			gemmPackB(bp, tB, b, ldb, pc, kc, jc, nc)
			for ic := 0; ic < m; ic += gemmMC {
				mc := min(gemmMC, m-ic)
				for ir := 0; ir < mc; ir += gemmMR {
					gemmPackA(ap[ir*kc:], tA, a, lda, ic+ir, min(gemmMR, mc-ir), pc, kc)
				}
				gemmMacro(ap, bp, c[ic*ldc+jc:], ldc, mc, nc, kc, alpha, bet, tile)
			}
		}
	}
}

// gemmMacro multiplies the packed mc x kc block of A by the packed kc x nc
// block of B into C. With a deep block, each panel of B (16 KiB) stays in
// L1 while it meets every panel of A; with a shallow one, where C's traffic
// dominates, C is swept row by row.
func gemmMacro(ap, bp, c []float64, ldc, mc, nc, kc int, alpha, beta float64, tile []float64) {
	nfull := nc / gemmNR * gemmNR
	if kc < gemmShallowKC {
		for ir := 0; ir < mc; ir += gemmMR {
			mr := min(gemmMR, mc-ir)
			a, ci := ap[ir*kc:], c[ir*ldc:]
			if nfull > 0 {
				gemmKernel(mr, 2, kc, a, bp, gemmNR, ci, ldc, alpha, beta, nfull/gemmNR, 0, gemmNR*kc, gemmNR)
			}
			if nfull < nc {
				gemmEdge(mr, 2, nc-nfull, kc, a, bp[nfull*kc:], gemmNR, ci[nfull:], ldc, alpha, beta, tile)
			}
		}
		return
	}
	mfull := mc / gemmMR * gemmMR
	for jr := 0; jr < nc; jr += gemmNR {
		panel, cj := bp[jr*kc:], c[jr:]
		if jr == nfull {
			for ir := 0; ir < mc; ir += gemmMR {
				gemmEdge(min(gemmMR, mc-ir), 2, nc-nfull, kc, ap[ir*kc:], panel, gemmNR, cj[ir*ldc:], ldc, alpha, beta, tile)
			}
			break
		}
		if mfull > 0 {
			gemmKernel(gemmMR, 2, kc, ap, panel, gemmNR, cj, ldc, alpha, beta, mfull/gemmMR, gemmMR*kc, 0, gemmMR*ldc)
		}
		if mfull < mc {
			gemmKernel(mc-mfull, 2, kc, ap[mfull*kc:], panel, gemmNR, cj[mfull*ldc:], ldc, alpha, beta, 1, 0, 0, 0)
		}
	}
}

// gemmSmall multiplies at most gemmSmallM rows by an untransposed B read in
// place, with wide kernels for few rows. B is streamed in blocks of
// gemmSmallNC columns, once per panel of gemmMR rows.
func gemmSmall(s []float64, tA bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	kc0 := min(k, gemmKC)
	ap := s[:m*kc0]
	bt := s[m*kc0 : m*kc0+4*kc0]
	tile := s[len(s)-gemmMR*gemmNR:]
	n4 := n &^ 3
	for pc := 0; pc < k; pc += gemmKC {
		kc := min(gemmKC, k-pc)
		bet := beta
		if pc > 0 {
			bet = 1
		}
		for ir := 0; ir < m; ir += gemmMR {
			gemmPackA(ap[ir*kc:], tA, a, lda, ir, min(gemmMR, m-ir), pc, kc)
		}
		if n4 < n {
			// The last n%4 columns, padded with zeros to a vector.
			clear(bt)
			for p := range kc {
				copy(bt[4*p:4*p+4], b[(pc+p)*ldb+n4:(pc+p)*ldb+n])
			}
		}
		for jc := 0; jc < n; jc += gemmSmallNC {
			end := min(n, jc+gemmSmallNC)
			for ir := 0; ir < m; ir += gemmMR {
				mr := min(gemmMR, m-ir)
				widest := max(2, 12/mr)
				for j := jc; j+4 <= end; {
					nv := min(widest, (end-j)/4)
					gemmKernel(mr, nv, kc, ap[ir*kc:], b[pc*ldb+j:], ldb, c[ir*ldc+j:], ldc, alpha, bet, 1, 0, 0, 0)
					j += 4 * nv
				}
				if end == n && n4 < n {
					gemmEdge(mr, 1, n-n4, kc, ap[ir*kc:], bt, 4, c[ir*ldc+n4:], ldc, alpha, bet, tile)
				}
			}
		}
	}
}

// gemmDots multiplies at most gemmDotM rows of A by Bᵀ as dot products of
// their rows, which are contiguous: packing Bᵀ would cost a transposition
// of B for few rows. Tiles are gemmDotMR x 4; a last partial tile reads
// zero-padded rows of B from s.
func gemmDots(s []float64, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	n4 := n &^ 3
	for j := 0; j < n; j += 4 {
		bj, ldbj, cj, ldcj := b[j*ldb:], ldb, c[j:], ldc
		tile := s[4*k : 4*k+gemmMR*gemmNR]
		if j == n4 {
			bj, ldbj = s[:4*k], k
			clear(bj)
			for r := range n - n4 {
				copy(bj[r*k:r*k+k], b[(n4+r)*ldb:])
			}
		}
		for ir := 0; ir < m; ir += gemmDotMR {
			mr := min(gemmDotMR, m-ir)
			if j < n4 {
				gemmDot(mr, k, a[ir*lda:], lda, bj, ldbj, cj[ir*ldcj:], ldcj, alpha, beta)
				continue
			}
			for i := range mr {
				if beta != 0 {
					copy(tile[4*i:4*i+n-n4], cj[(ir+i)*ldcj:])
				}
			}
			gemmDot(mr, k, a[ir*lda:], lda, bj, ldbj, tile, 4, alpha, beta)
			for i := range mr {
				copy(cj[(ir+i)*ldcj:(ir+i)*ldcj+n-n4], tile[4*i:])
			}
		}
	}
}

// gemmDotGo is the dot kernel in Go, with the kernels' exact arithmetic:
// the mr x 4 tile C = alpha*A*Bᵀ + beta*C of rows of A (lda apart) and B
// (ldb apart), k long. Each element sums the terms p = l mod 4 in lane l,
// the lanes of the last partial group of 4 adding 0*0, then
// (s0+s1)+(s2+s3).
func gemmDotGo(mr, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	for i := range mr {
		for j := range 4 {
			var s [4]float64
			for p := 0; p < (k+3)&^3; p++ {
				var x, y float64
				if p < k {
					x, y = a[i*lda+p], b[j*ldb+p]
				}
				s[p&3] = math.FMA(x, y, s[p&3])
			}
			v := float64(alpha * ((s[0] + s[1]) + (s[2] + s[3])))
			if beta != 0 {
				v = math.FMA(beta, c[i*ldc+j], v)
			}
			c[i*ldc+j] = v
		}
	}
}

// gemmEdge computes an mr x nr corner of C (nr < 4*nv) through a full
// tile in t: the kernel writes the whole tile, and the nr valid columns
// are copied back.
func gemmEdge(mr, nv, nr, k int, ap, bp []float64, bs int, c []float64, ldc int, alpha, beta float64, t []float64) {
	w := 4 * nv
	for i := range mr {
		if beta != 0 {
			copy(t[i*w:i*w+nr], c[i*ldc:i*ldc+nr])
		}
	}
	gemmKernel(mr, nv, k, ap, bp, bs, t, w, alpha, beta, 1, 0, 0, 0)
	for i := range mr {
		copy(c[i*ldc:i*ldc+nr], t[i*w:i*w+nr])
	}
}

// gemmPackA packs rows i0..i0+mr-1 and columns p0..p0+kc-1 of op(A) as kc
// groups of mr values: dst[p*mr+i] = op(A)[i0+i, p0+p].
func gemmPackA(dst []float64, tA bool, a []float64, lda, i0, mr, p0, kc int) {
	if tA {
		// op(A)[i, p] = A[p, i]: rows of A hold the groups.
		gemmPackN(dst, a[p0*lda+i0:], lda, mr, kc)
	} else {
		gemmPackT(dst, a[i0*lda+p0:], lda, mr, kc)
	}
}

// gemmPackB packs rows p0..p0+kc-1 and columns j0..j0+nc-1 of op(B) into
// panels of gemmNR columns, each kc groups of gemmNR values, the last one
// padded with zeros: dst[jr*kc + p*gemmNR + j] = op(B)[p0+p, j0+jr+j].
func gemmPackB(dst []float64, tB bool, b []float64, ldb, p0, kc, j0, nc int) {
	for jr := 0; jr < nc; jr += gemmNR {
		nr := min(gemmNR, nc-jr)
		d := dst[jr*kc : (jr+gemmNR)*kc]
		switch {
		case nr == gemmNR && tB:
			gemmPackT(d, b[(j0+jr)*ldb+p0:], ldb, gemmNR, kc)
		case nr == gemmNR:
			gemmPackN(d, b[p0*ldb+j0+jr:], ldb, gemmNR, kc)
		default:
			clear(d)
			for p := range kc {
				g := d[p*gemmNR : p*gemmNR+nr]
				for j := range g {
					if tB {
						g[j] = b[(j0+jr+j)*ldb+p0+p]
					} else {
						g[j] = b[(p0+p)*ldb+j0+jr+j]
					}
				}
			}
		}
	}
}

// gemmPackNGo sets dst[w*p+j] = src[p*lds+j] for j < w and p < k.
func gemmPackNGo(dst, src []float64, lds, w, k int) {
	for p := range k {
		copy(dst[p*w:p*w+w], src[p*lds:p*lds+w])
	}
}

// gemmPackTGo sets dst[w*p+r] = src[r*lds+p] for r < w and p < k.
func gemmPackTGo(dst, src []float64, lds, w, k int) {
	for r := range w {
		row := src[r*lds : r*lds+k]
		for p, v := range row {
			dst[p*w+r] = v
		}
	}
}

// gemmKernelGo is the kernel in Go, with the kernels' exact arithmetic:
// np tiles of mr x 4*nv, C = alpha*A*B + beta*C, with A packed as k groups
// of mr and rows of B bs apart; after each tile A, B and C move on by da,
// db and dc elements.
func gemmKernelGo(mr, nv, k int, a, b []float64, bs int, c []float64, ldc int, alpha, beta float64, np, da, db, dc int) {
	w := 4 * nv
	for t := range np {
		a, b, c := a[t*da:], b[t*db:], c[t*dc:]
		var acc [48]float64
		for p := range k {
			bp := b[p*bs : p*bs+w]
			for i := range mr {
				ai := a[p*mr+i]
				row := acc[i*w : i*w+w]
				for j, bv := range bp {
					row[j] = math.FMA(ai, bv, row[j])
				}
			}
		}
		for i := range mr {
			ci := c[i*ldc : i*ldc+w]
			for j := range ci {
				v := float64(alpha * acc[i*w+j])
				if beta != 0 {
					v = math.FMA(beta, ci[j], v)
				}
				ci[j] = v
			}
		}
	}
}
