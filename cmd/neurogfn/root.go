package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func versionString() string {
	v := version
	if v == "" {
		v = "dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return v
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "neurogfn",
		Short: "GFlowNet samplers for neuroscience",
		Long: `neurogfn trains generative flow networks (GFlowNets): samplers that build an
object step by step (a set of spline knots, a neuron tree, a synaptic graph) and
learn to draw it with probability proportional to a reward. Once trained,
sampling is cheap (amortised inference).

The reference environments check the sampler against exactly known targets:
  hypergrid   torchgfn's HyperGrid, with the exact L1 distance to the target
  pointset    sets of points with an analytic Poisson-process target

Progress goes to stderr; results (and --json summaries) go to stdout.`,
		Example: `  neurogfn hypergrid train --ndim 2 --height 8 --iterations 250 --json
  neurogfn pointset train --lambda 3 --max-points 8 --iterations 2000
  neurogfn completion bash > ~/.local/share/bash-completion/completions/neurogfn`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCmd(), newHypergridCmd(), newPointsetCmd(), newConnectomeCmd(), newMorphologyCmd(), newBarsCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of neurogfn",
		Example: "  neurogfn version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "neurogfn %s (%s, %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
