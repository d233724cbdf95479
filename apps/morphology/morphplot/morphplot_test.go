package morphplot

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/neurogfn/neurogfn/apps/morphology"
	"gonum.org/v1/plot/vg"
)

func TestWrite(t *testing.T) {
	path := filepath.Join("..", "..", "..", "data", "swc", "C010398B-P2.CNG.swc")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, _, err := morphology.ReadSWC(f, path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, n, Options{Format: "png", Width: 12 * vg.Centimeter, Height: 10 * vg.Centimeter, DPI: 100, Title: "C010398B-P2"}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if sz := img.Bounds().Size(); sz.X != 472 || sz.Y != 394 {
		t.Errorf("size %v", sz)
	}
	// The axon colour must appear: the drawing is not empty.
	want := TypeColor(morphology.Axon)
	wr, wg, wb, _ := want.RGBA()
	found := false
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y && !found; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r == wr && g == wg && bl == wb {
				found = true
				break
			}
		}
	}
	if !found {
		t.Error("no axon-coloured pixel in the PNG")
	}
	if err := Write(&b, n, Options{Format: "gif"}); err == nil {
		t.Error("gif accepted")
	}
}

func TestNiceLength(t *testing.T) {
	for v, want := range map[float64]float64{0.3: 0.2, 1: 1, 7: 5, 230: 200, 1500: 1000} {
		if got := niceLength(v); got != want {
			t.Errorf("niceLength(%g) = %g, want %g", v, got, want)
		}
	}
}
