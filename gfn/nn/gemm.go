package nn

import (
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// gonum's native Dgemm multiplies serially, without allocating, when C spans
// fewer than 4 of its 64x64 blocks; larger products start goroutines and
// allocate on every call. gemm therefore cuts C into tiles of at most
// gemmTileRows x gemmTileCols (3 blocks), multiplies each tile with one
// Dgemm call, and spreads the tiles of large products over a fixed pool of
// worker goroutines, so that the steady state of a training loop allocates
// nothing.
const (
	gemmTileRows = 64
	gemmTileCols = 192
	// gemmParallelWork is the number of multiply-adds from which a product
	// is shared with the workers.
	gemmParallelWork = 1 << 17
)

// gemmJob is one product shared between the caller and the workers.
type gemmJob struct {
	tA, tB        blas.Transpose
	m, n, k       int
	alpha, beta   float64
	a, b, c       []float64
	lda, ldb, ldc int
	tilesPerRow   int
	tiles         int
	next          atomic.Int64
	wg            sync.WaitGroup
}

var (
	gemmOnce sync.Once
	gemmWork chan *gemmJob
	gemmJobs = sync.Pool{New: func() any { return new(gemmJob) }}
)

func startGemmWorkers() {
	gemmWork = make(chan *gemmJob)
	for range runtime.GOMAXPROCS(0) - 1 {
		go func() {
			for j := range gemmWork {
				j.run()
				j.wg.Done()
			}
		}()
	}
}

// run multiplies tiles until none is left.
func (j *gemmJob) run() {
	for {
		i := int(j.next.Add(1) - 1)
		if i >= j.tiles {
			return
		}
		gemmTile(j.tA, j.tB, j.m, j.n, j.k, j.alpha, j.a, j.lda, j.b, j.ldb, j.beta, j.c, j.ldc,
			(i/j.tilesPerRow)*gemmTileRows, (i%j.tilesPerRow)*gemmTileCols)
	}
}

// gemmTile computes the tile of C whose top-left element is (i0, j0).
func gemmTile(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int, i0, j0 int) {
	mi, nj := min(gemmTileRows, m-i0), min(gemmTileCols, n-j0)
	var as, bs []float64
	if tA == blas.Trans {
		as = a[i0:]
	} else {
		as = a[i0*lda:]
	}
	if tB == blas.Trans {
		bs = b[j0*ldb:]
	} else {
		bs = b[j0:]
	}
	blas64.Implementation().Dgemm(tA, tB, mi, nj, k, alpha, as, lda, bs, ldb, beta, c[i0*ldc+j0:], ldc)
}

// gemm computes C = alpha*op(A)*op(B) + beta*C for row-major C (m x n),
// op(A) (m x k) and op(B) (k x n), where op transposes when tA (tB) is set.
// It does not allocate in the steady state.
func gemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	rows := (m + gemmTileRows - 1) / gemmTileRows
	cols := (n + gemmTileCols - 1) / gemmTileCols
	tiles := rows * cols
	if tiles == 1 || m*n*k < gemmParallelWork || runtime.GOMAXPROCS(0) == 1 {
		for i0 := 0; i0 < m; i0 += gemmTileRows {
			for j0 := 0; j0 < n; j0 += gemmTileCols {
				gemmTile(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, i0, j0)
			}
		}
		return
	}
	gemmOnce.Do(startGemmWorkers)
	j := gemmJobs.Get().(*gemmJob)
	j.tA, j.tB, j.m, j.n, j.k, j.alpha, j.beta = ta, tb, m, n, k, alpha, beta
	j.a, j.b, j.c, j.lda, j.ldb, j.ldc = a, b, c, lda, ldb, ldc
	j.tilesPerRow, j.tiles = cols, tiles
	j.next.Store(0)
	// Hand the job to idle workers only: when all are busy (other tapes
	// multiplying concurrently) the caller does the work itself.
	for range tiles - 1 {
		j.wg.Add(1)
		select {
		case gemmWork <- j:
			continue
		default:
			j.wg.Done()
		}
		break
	}
	j.run()
	j.wg.Wait()
	j.a, j.b, j.c = nil, nil, nil
	gemmJobs.Put(j)
}
