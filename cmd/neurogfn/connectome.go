package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/neurogfn/neurogfn/apps/connectome"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/spf13/cobra"
)

func newConnectomeCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "connectome",
		Short: "Leaky integrate-and-fire networks: simulate, read and write spikes and synapses",
		Long: `Tools for connectomes of leaky integrate-and-fire (LIF) neurons: a simulator
with exact integration of the subthreshold dynamics and the canonical
benchmark networks (Brette et al. 2007 CUBA and COBA, Brunel 2000), spike and
edge tables in TSV, CSV or Parquet, and raster plots.

Tables: spikes have columns neuron and time (seconds; time_s in Parquet),
sorted by time; edges have columns pre, post, weight and delay_ms
(milliseconds; the older header delay is read too). Files ending in .parquet
are Parquet (docs/schema.md, tables spikes and network), .csv comma- and
anything else tab-separated. Weights are in mV
(cuba: jump of the synaptic current variable; brunel: jump of v) or in nS
(coba); their sign is the presynaptic neuron's type (Dale's law).`,
		Example: `  neurogfn connectome simulate --model cuba --duration 1s --out run1 --json`,
	}
	c.AddCommand(newConnectomeSimulateCmd(), newConnectomeLoglikCmd())
	return c
}

type connectomeSummary struct {
	Model            string  `json:"model"`
	Regime           string  `json:"regime,omitempty"`
	Neurons          int     `json:"neurons"`
	Synapses         int     `json:"synapses"`
	Spikes           int     `json:"spikes"`
	MeanRateHz       float64 `json:"mean_rate_hz"`
	SimulatedSeconds float64 `json:"simulated_seconds"`
	WallSeconds      float64 `json:"wall_seconds"`
	SynapticEvents   int64   `json:"synaptic_events"`
	Seed             uint64  `json:"seed"`
	DtMs             float64 `json:"dt_ms"`
}

// sepFor picks the table separator from a file name: tab for .tsv (and
// anything else), comma for .csv.
func sepFor(path string) rune {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return ','
	}
	return '\t'
}

func newConnectomeSimulateCmd() *cobra.Command {
	var (
		model, regime, network, saveNet, outDir, format string
		initState                                       string
		neurons                                         int
		duration                                        time.Duration
		seed                                            uint64
		dt                                              float64
		jsonOut                                         bool
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Simulate a benchmark LIF network and write spikes, the network and a raster plot",
		Long: `Simulate one of the canonical LIF networks on one core:

  cuba    Brette et al. (2007) benchmark 2: exponential currents, El = -49 mV,
          Vt = -50, Vr = -60 mV, tau_m 20, tau_e 5, tau_i 10, t_ref 5 ms,
          weights +1.62 / -9 mV, p = 0.02, no delay; 4000 neurons by default
  coba    benchmark 1 (Brian variant, no background current): conductances
          +6 / -67 nS, Ee 0, Ei -80, El = Vr = -60 mV, gL 10 nS, delay 0.1 ms
  brunel  Brunel (2000) delta synapses, J 0.1 mV, D 1.5 ms, in-degrees 1000
          and 250 (half the populations in small networks), external Poisson
          drive; --regime A, B, C or D picks the panel of figure 8

80% of the neurons are excitatory. With --network the synapses come from an
edge table instead (columns pre, post, weight, delay_ms; .tsv, .csv or
.parquet) and the neuron
model from --model. Subthreshold dynamics are integrated exactly (COBA by
exponential Euler) with step --dt; spike times are interpolated within the
step. The run is deterministic for a seed.

--out DIR receives spikes.tsv (neuron, time in s), network.tsv (pre, post,
weight, delay_ms) and raster.png (raster of the first excitatory and the
first inhibitory neurons, and the population rates); --format csv writes .csv
tables, --format parquet spikes.parquet and network.parquet (columns neuron,
time_s and pre, post, weight, delay_ms, provenance in the footer). With
--json the last line of stdout is a JSON object with model, neurons,
synapses, spikes, mean_rate_hz, simulated_seconds, wall_seconds,
synaptic_events, seed and dt_ms. Progress goes to stderr.`,
		Example: `  # the CUBA benchmark, 1 s, with outputs
  neurogfn connectome simulate --model cuba --duration 1s --seed 1 --out cuba1 --json

  # Brunel's asynchronous irregular regime on a scaled-down network
  neurogfn connectome simulate --model brunel --regime C --neurons 2500 --duration 500ms

  # re-run a saved network
  neurogfn connectome simulate --model cuba --save-network net.tsv --duration 200ms
  neurogfn connectome simulate --model cuba --network net.tsv --duration 1s --out rerun`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if duration <= 0 {
				return fmt.Errorf("--duration %v must be positive", duration)
			}
			if format != "tsv" && format != "csv" && format != "parquet" {
				return fmt.Errorf("--format %q: want tsv, csv or parquet", format)
			}
			rng := rand.New(rand.NewPCG(seed, 0x636f6e6e))
			var (
				s   *connectome.Sim
				err error
				reg connectome.BrunelRegime
			)
			model = strings.ToLower(model)
			if model == "brunel" {
				var ok bool
				reg, ok = map[string]connectome.BrunelRegime{"A": connectome.BrunelA, "B": connectome.BrunelB, "C": connectome.BrunelC, "D": connectome.BrunelD}[strings.ToUpper(regime)]
				if !ok {
					return fmt.Errorf("--regime %q: want A, B, C or D", regime)
				}
			}
			if !cmd.Flags().Changed("neurons") {
				neurons = 4000
				if model == "brunel" {
					neurons = 12500
				}
			}
			if neurons <= 0 && network == "" {
				return fmt.Errorf("--neurons %d must be positive", neurons)
			}
			if network != "" {
				n := 0
				if cmd.Flags().Changed("neurons") {
					n = neurons
				}
				net, err := connectome.ReadNetworkFile(network, n)
				if err != nil {
					return err
				}
				var p connectome.Params
				switch model {
				case "cuba":
					p = connectome.CUBAParams()
				case "coba":
					p = connectome.COBAParams()
				case "brunel":
					ce := 0
					for _, e := range net.Edges {
						if e.Post == 0 && e.Weight > 0 {
							ce++
						}
					}
					p = connectome.BrunelParams(reg, max(ce, 1))
				default:
					return fmt.Errorf("--model %q: want cuba, coba or brunel", model)
				}
				if s, err = connectome.NewSim(withDt(p, dt, cmd), net); err != nil {
					return fmt.Errorf("%s: %w", network, err)
				}
				if model == "coba" {
					s.InitCOBA(rng)
				} else {
					s.InitUniform(rng)
				}
			} else {
				switch model {
				case "cuba":
					s, err = connectome.NewCUBA(neurons, rng)
				case "coba":
					s, err = connectome.NewCOBA(neurons, rng)
				case "brunel":
					s, err = connectome.NewBrunel(reg, neurons, rng)
				default:
					return fmt.Errorf("--model %q: want cuba, coba or brunel", model)
				}
				if err != nil {
					return err
				}
				if cmd.Flags().Changed("dt") {
					v, gE, gI := s.V, s.GE, s.GI
					if s, err = connectome.NewSim(withDt(s.P, dt, cmd), s.Net); err != nil {
						return err
					}
					s.V, s.GE, s.GI = v, gE, gI
				}
			}
			if initState != "" {
				f, err := os.Open(initState)
				if err != nil {
					return err
				}
				v, gE, gI, err := connectome.ReadState(f, initState, s.Net.N)
				f.Close()
				if err != nil {
					return err
				}
				s.SetState(v, gE, gI)
			}
			var conf simulateConfig
			conf.Simulate.Model, conf.Simulate.Neurons, conf.Simulate.Synapses = model, s.Net.N, len(s.Net.Edges)
			conf.Simulate.DurationS, conf.Simulate.DtMs, conf.Simulate.Seed = duration.Seconds(), s.P.Dt, seed
			conf.Simulate.Network, conf.Simulate.InitialState = network, initState
			if model == "brunel" {
				conf.Simulate.Regime = reg.Name
			}
			conf.Params = s.P
			writeNet := func(path string) error {
				if !connectome.IsParquet(path) {
					return writeAtomic(path, func(w io.Writer) error { return connectome.WriteNetwork(w, s.Net, sepFor(path)) })
				}
				m, err := connectomeMeta(cmd, connectome.TableNetwork, model, s.Net.N, seed, conf)
				if err != nil {
					return err
				}
				m.Extra["weight_unit"] = "mV"
				if model == "coba" {
					m.Extra["weight_unit"] = "nS"
				}
				return parquetout.WriteFile(path, connectome.EdgeRows(s.Net), m, parquetout.Options{})
			}
			if saveNet != "" {
				if err := writeNet(saveNet); err != nil {
					return err
				}
			}

			steps := int64(duration.Seconds()*1000/s.P.Dt + 0.5)
			chunk := max(int64(100/s.P.Dt), 1)
			var spikes []connectome.Spike
			stderr := cmd.ErrOrStderr()
			start := time.Now()
			ctx := cmd.Context()
			for done := int64(0); done < steps; {
				k := min(chunk, steps-done)
				spikes = s.Run(k, rng, spikes)
				done += k
				fmt.Fprintf(stderr, "\rsimulated %.2f/%.2f s, %d spikes", float64(done)*s.P.Dt/1000, float64(steps)*s.P.Dt/1000, len(spikes))
				if ctx != nil && ctx.Err() != nil {
					fmt.Fprintln(stderr)
					return exitError{130, fmt.Errorf("interrupted after %.2f simulated seconds", float64(done)*s.P.Dt/1000)}
				}
			}
			wall := time.Since(start).Seconds()
			fmt.Fprintln(stderr)
			simSec := float64(steps) * s.P.Dt / 1000
			outDeg := make([]int64, s.Net.N)
			for _, e := range s.Net.Edges {
				outDeg[e.Pre]++
			}
			var events int64
			for _, sp := range spikes {
				events += outDeg[sp.Neuron]
			}
			sum := connectomeSummary{Model: model, Neurons: s.Net.N, Synapses: len(s.Net.Edges), Spikes: len(spikes),
				MeanRateHz: float64(len(spikes)) / float64(s.Net.N) / simSec, SimulatedSeconds: simSec,
				WallSeconds: wall, SynapticEvents: events, Seed: seed, DtMs: s.P.Dt}
			if model == "brunel" {
				sum.Regime = reg.Name
			}
			if outDir != "" {
				if err := os.MkdirAll(outDir, 0o755); err != nil {
					return err
				}
				spath := filepath.Join(outDir, "spikes."+format)
				if format == "parquet" {
					m, err := connectomeMeta(cmd, connectome.TableSpikes, model, s.Net.N, seed, conf)
					if err != nil {
						return err
					}
					m.Extra["simulated_seconds"] = strconv.FormatFloat(simSec, 'g', -1, 64)
					if err := parquetout.WriteFile(spath, connectome.SpikeRows(spikes), m, parquetout.Options{}); err != nil {
						return err
					}
				} else if err := writeAtomic(spath, func(w io.Writer) error { return connectome.WriteSpikes(w, spikes, sepFor(spath)) }); err != nil {
					return err
				}
				if err := writeNet(filepath.Join(outDir, "network."+format)); err != nil {
					return err
				}
				rp := connectome.RasterPlot{Title: fmt.Sprintf("%s, %d neurons, seed %d", model, s.Net.N, seed), Neurons: s.Net.N,
					From: 0, To: simSec, Excitatory: s.Net.Excitatory}
				if err := writeAtomic(filepath.Join(outDir, "raster.png"), func(w io.Writer) error { return rp.WritePNG(w, spikes) }); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if jsonOut {
				b, _ := json.Marshal(sum)
				fmt.Fprintln(out, string(b))
				return nil
			}
			fmt.Fprintf(out, "%s: %d neurons, %d synapses, %.3f s simulated (dt %g ms)\n", model, sum.Neurons, sum.Synapses, simSec, s.P.Dt)
			fmt.Fprintf(out, "spikes          %d (mean rate %.3f Hz)\n", sum.Spikes, sum.MeanRateHz)
			fmt.Fprintf(out, "wall time       %.3f s (%.3f s per simulated second, %.3g synaptic events/s)\n", wall, wall/simSec, float64(events)/wall)
			if outDir != "" {
				fmt.Fprintf(out, "written         %s\n", outDir)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&model, "model", "cuba", "network: cuba, coba or brunel")
	fs.StringVar(&regime, "regime", "C", "Brunel (2000) figure 8 panel: A, B, C or D")
	fs.IntVar(&neurons, "neurons", 4000, "number of neurons (default 4000; 12500 for brunel)")
	fs.DurationVar(&duration, "duration", time.Second, "simulated time")
	fs.Uint64Var(&seed, "seed", 1, "random seed (network, initial state, external input)")
	fs.Float64Var(&dt, "dt", 0.1, "integration step, ms")
	fs.StringVar(&network, "network", "", "edge table (pre, post, weight, delay_ms; .tsv, .csv or .parquet) to simulate instead of a random network")
	fs.StringVar(&saveNet, "save-network", "", "write the network's edge table here (.parquet for Parquet, .csv for commas, else tabs)")
	fs.StringVar(&initState, "initial-state", "", "table of the initial state (columns neuron, v in mV, ge and gi in weight units) replacing the model's random one")
	fs.StringVar(&outDir, "out", "", "directory for spikes, network and raster.png")
	fs.StringVar(&format, "format", "tsv", "table format in --out: tsv, csv or parquet")
	fs.BoolVar(&jsonOut, "json", false, "print a JSON summary as the last line of stdout")
	return cmd
}

func withDt(p connectome.Params, dt float64, cmd *cobra.Command) connectome.Params {
	if cmd.Flags().Changed("dt") {
		p.Dt = dt
	}
	return p
}

// simulateConfig is the resolved configuration in the Parquet footers.
type simulateConfig struct {
	Simulate struct {
		Model        string  `yaml:"model"`
		Regime       string  `yaml:"regime,omitempty"`
		Neurons      int     `yaml:"neurons"`
		Synapses     int     `yaml:"synapses"`
		DurationS    float64 `yaml:"duration_s"`
		DtMs         float64 `yaml:"dt_ms"`
		Seed         uint64  `yaml:"seed"`
		Network      string  `yaml:"network,omitempty"`
		InitialState string  `yaml:"initial_state,omitempty"`
	} `yaml:"simulate"`
	Params connectome.Params `yaml:"params"`
}

// connectomeMeta is the footer of a connectome Parquet table: the standard
// keys plus model and neurons (the network size, which an edge or spike
// table alone does not carry).
func connectomeMeta(cmd *cobra.Command, table, model string, neurons int, seed uint64, conf simulateConfig) (parquetout.Meta, error) {
	created, err := creationTime(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return parquetout.Meta{}, err
	}
	y, err := yaml.Marshal(conf)
	if err != nil {
		return parquetout.Meta{}, err
	}
	return parquetout.Meta{
		Tool: "neurogfn", Version: versionString(), Commit: buildCommit(), CommandLine: commandLine(cmd),
		Seed: seed, ConfigYAML: string(y), Created: created, Table: table,
		Extra: map[string]string{"model": model, connectome.FooterNeurons: strconv.Itoa(neurons)},
	}, nil
}

type loglikSummary struct {
	Neurons         int       `json:"neurons"`
	Synapses        int       `json:"synapses"`
	Spikes          int       `json:"spikes"`
	DurationSeconds float64   `json:"duration_seconds"`
	LogLikelihood   float64   `json:"log_likelihood"`
	LogPrior        float64   `json:"log_prior"`
	PerNeuronLogLik []float64 `json:"per_neuron_log_likelihood"`
	WallSeconds     float64   `json:"wall_seconds"`
}

func newConnectomeLoglikCmd() *cobra.Command {
	var (
		spikesPath, netPath string
		neurons             int
		duration            time.Duration
		ep                  = connectome.DefaultEscape()
		pr                  = connectome.Prior{P: 0.1, MuE: 0.5, SigmaE: 1, MuI: 2, SigmaI: 1}
		jsonOut             bool
	)
	cmd := &cobra.Command{
		Use:   "loglik",
		Short: "Score a connectome against observed spike trains (escape-noise LIF likelihood and prior)",
		Long: `Compute the log-likelihood of observed spike trains given a connectome under
the escape-noise LIF model: each neuron's potential is driven by the observed
presynaptic spikes through exponential synapses and reset by its own spikes,
and it fires with hazard rho0 exp((u - theta)/delta_u). The log-likelihood is
a sum of one term per postsynaptic neuron. The log prior has Bernoulli(p)
edges, Dale's law and log-normal weight magnitudes (up to a constant).

--spikes is a table with columns neuron and time (s; time_s in Parquet),
sorted by time; --network an edge table (pre, post, weight in mV, delay_ms).
Either may be TSV, CSV or Parquet (.parquet). Malformed tables are reported
with file and line (Parquet: row).`,
		Example: `  neurogfn connectome simulate --model cuba --neurons 200 --duration 2s --out run
  neurogfn connectome loglik --spikes run/spikes.tsv --network run/network.tsv --duration 2s --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if spikesPath == "" || netPath == "" {
				return fmt.Errorf("--spikes and --network are required")
			}
			net, err := connectome.ReadNetworkFile(netPath, neurons)
			if err != nil {
				return err
			}
			spikes, err := connectome.ReadSpikesFile(spikesPath, net.N)
			if err != nil {
				return err
			}
			dur := duration.Seconds()
			if !cmd.Flags().Changed("duration") && len(spikes) > 0 {
				dur = spikes[len(spikes)-1].T + ep.Dt/1000
			}
			start := time.Now()
			L, err := connectome.NewLikelihood(spikes, net.N, dur, net.Excitatory, ep)
			if err != nil {
				return fmt.Errorf("%s: %w", spikesPath, err)
			}
			ll, terms := L.LogLik(net)
			sum := loglikSummary{Neurons: net.N, Synapses: len(net.Edges), Spikes: len(spikes), DurationSeconds: dur,
				LogLikelihood: ll, LogPrior: pr.LogPrior(net), PerNeuronLogLik: terms, WallSeconds: time.Since(start).Seconds()}
			out := cmd.OutOrStdout()
			if jsonOut {
				b, _ := json.Marshal(sum)
				fmt.Fprintln(out, string(b))
				return nil
			}
			fmt.Fprintf(out, "%d neurons, %d synapses, %d spikes over %.3f s\n", sum.Neurons, sum.Synapses, sum.Spikes, dur)
			fmt.Fprintf(out, "log-likelihood  %.6g\nlog prior       %.6g\n", ll, sum.LogPrior)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&spikesPath, "spikes", "", "spike table (neuron, time in s; .tsv, .csv or .parquet)")
	fs.StringVar(&netPath, "network", "", "edge table (pre, post, weight in mV, delay_ms; .tsv, .csv or .parquet)")
	fs.IntVar(&neurons, "neurons", 0, "number of neurons (default: largest id in the edge table + 1)")
	fs.DurationVar(&duration, "duration", 0, "observation window (default: up to the last spike)")
	fs.Float64Var(&ep.TauM, "tau-m", ep.TauM, "membrane time constant, ms")
	fs.Float64Var(&ep.TauE, "tau-e", ep.TauE, "excitatory synaptic time constant, ms")
	fs.Float64Var(&ep.TauI, "tau-i", ep.TauI, "inhibitory synaptic time constant, ms")
	fs.Float64Var(&ep.VRest, "v-rest", ep.VRest, "resting potential, mV")
	fs.Float64Var(&ep.VReset, "v-reset", ep.VReset, "reset potential, mV")
	fs.Float64Var(&ep.Theta, "theta", ep.Theta, "soft threshold, mV")
	fs.Float64Var(&ep.DeltaU, "delta-u", ep.DeltaU, "escape-noise width, mV")
	fs.Float64Var(&ep.Rho0, "rho0", ep.Rho0, "hazard at threshold, Hz")
	fs.Float64Var(&ep.TRef, "t-ref", ep.TRef, "absolute refractory period, ms")
	fs.Float64Var(&ep.Dt, "grid", ep.Dt, "integration grid of the hazard integral, ms")
	fs.Float64Var(&pr.P, "edge-prob", pr.P, "prior edge probability")
	fs.BoolVar(&jsonOut, "json", false, "print a JSON summary as the last line of stdout")
	return cmd
}
