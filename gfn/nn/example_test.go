package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/neurogfn/neurogfn/gfn/nn"
)

// Fit y = 2x - 1 with a one-input linear layer and Adam, reusing one tape.
func Example() {
	x, y := nn.NewTensor(8, 1), nn.NewTensor(8, 1)
	for i := range 8 {
		v := float64(i)/4 - 1
		x.Data[i], y.Data[i] = v, 2*v-1
	}
	lin := nn.NewLinear("lin", 1, 1, rand.New(rand.NewPCG(1, 2)))
	params := lin.Params()
	opt := nn.NewAdam(params, nn.Group{LR: 0.05})
	tp := nn.NewTape()
	var loss float64
	for range 2000 {
		tp.Reset()
		nn.ZeroGrad(params)
		d := tp.Sub(lin.Forward(tp, tp.Const(x)), tp.Const(y))
		l := tp.Mean(tp.Square(d))
		tp.Backward(l)
		opt.Update()
		loss = l.Scalar()
	}
	fmt.Printf("w = %.3f, b = %.3f, loss below 1e-8: %v\n", lin.W.W.Data[0], lin.B.W.Data[0], loss < 1e-8)
	// Output: w = 2.000, b = -1.000, loss below 1e-8: true
}
