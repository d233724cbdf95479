// Command neurogfn trains and samples GFlowNets for neuroscience: the
// reference environments (HyperGrid, point sets) today, spline-knot
// posteriors for PSTHs, neuron morphologies and connectomes as they land.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCmd().ExecuteContext(ctx)
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "neurogfn:", err)
	var ex exitError
	if errors.As(err, &ex) {
		os.Exit(ex.code)
	}
	os.Exit(1)
}

// exitError carries a specific exit status (130 after an interrupt).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }
