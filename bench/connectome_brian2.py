#!/usr/bin/python3
"""Cross-check `neurogfn connectome simulate` against Brian2 on the same networks.

Usage (Brian2 from the Debian package python3-brian, hence /usr/bin/python3):

    go build -o /tmp/neurogfn ./cmd/neurogfn
    /usr/bin/python3 bench/connectome_brian2.py --neurogfn /tmp/neurogfn [--duration 1.0] [--json out.json]

For CUBA and COBA (Brette et al. 2007, 4000 neurons) it draws one initial
state, runs neurogfn (which also writes its network), loads that network and
state into Brian2 (C++ standalone, one thread) and compares the mean firing
rates (must agree within 5%) and wall times of the simulation loop. Then it
runs a small non-chaotic feed-forward network of tonically firing CUBA
neurons in both and checks that every spike time agrees within one step.

Conventions aligned here: neurogfn clamps v for round(t_ref/dt) steps after
the step in which the neuron crossed threshold; Brian2 clamps while
timestep(t - lastspike) < timestep(refractory), one step less, so Brian2 gets
refractory = t_ref + dt. Brian2 stamps a spike with the start of the step in
which v crossed; neurogfn interpolates the crossing inside that step, so its
times are later by between 0 and dt.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

DT = 0.1  # ms


def write_state(path, v, ge, gi):
    with open(path, "w") as f:
        f.write("neuron\tv\tge\tgi\n")
        for k in range(len(v)):
            f.write(f"{k}\t{v[k]!r}\t{ge[k]!r}\t{gi[k]!r}\n")


def read_table(path):
    with open(path) as f:
        header = f.readline().strip().split("\t")
        data = np.loadtxt(f, delimiter="\t", ndmin=2)
    return {h: data[:, k] if len(data) else np.array([]) for k, h in enumerate(header)}


def run_neurogfn(exe, model, n, duration, state, outdir, network=None, seed=1):
    cmd = [exe, "connectome", "simulate", "--model", model, "--neurons", str(n),
           "--duration", f"{duration}s", "--seed", str(seed), "--initial-state", state,
           "--out", outdir, "--json"]
    if network:
        cmd += ["--network", network]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def brian_child(args):
    """Runs in a fresh process: one Brian2 C++ standalone build and run."""
    from brian2 import (NeuronGroup, Synapses, SpikeMonitor, Network, ms, mV, nS, pF,
                        defaultclock, set_device, device, prefs)
    cfg = json.loads(args)
    prefs.devices.cpp_standalone.openmp_threads = 0
    set_device("cpp_standalone", directory=cfg["builddir"], build_on_run=True)
    defaultclock.dt = DT * ms
    net = read_table(cfg["network"])
    st = read_table(cfg["state"])
    n = cfg["n"]
    pre, post, w, d = (net["pre"].astype(int), net["post"].astype(int), net["weight"],
                      net["delay_ms"] if "delay_ms" in net else net["delay"])
    refr = (5.0 + DT) * ms
    if cfg["model"] == "cuba":
        eqs = """dv/dt = (ge+gi-(v-El))/taum : volt (unless refractory)
                 dge/dt = -ge/taue : volt
                 dgi/dt = -gi/taui : volt"""
        ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, El=-49 * mV)
        P = NeuronGroup(n, eqs, threshold="v>-50*mV", reset="v=-60*mV", refractory=refr,
                        method="exact", namespace=ns)
        P.v = st["v"] * mV
        P.ge = st["ge"] * mV
        P.gi = st["gi"] * mV
        unit = mV
    else:
        eqs = """dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v))/C : volt (unless refractory)
                 dge/dt = -ge/taue : siemens
                 dgi/dt = -gi/taui : siemens"""
        ns = dict(gl=10 * nS, C=200 * pF, El=-60 * mV, Ee=0 * mV, Ei=-80 * mV, taue=5 * ms, taui=10 * ms)
        P = NeuronGroup(n, eqs, threshold="v>-50*mV", reset="v=-60*mV", refractory=refr,
                        method="exponential_euler", namespace=ns)
        P.v = st["v"] * mV
        P.ge = st["ge"] * nS
        P.gi = st["gi"] * nS
        unit = nS
    exc = w > 0
    groups = []
    for mask, target in ((exc, "ge"), (~exc, "gi")):
        if not mask.any():
            continue
        wunit = "volt" if unit is mV else "siemens"
        S = Synapses(P, P, f"w : {wunit}", on_pre=f"{target} += w")
        S.connect(i=pre[mask], j=post[mask])
        ww = w[mask] if (cfg["model"] == "cuba" or target == "ge") else -w[mask]
        S.w = ww * unit
        S.delay = d[mask] * ms
        groups.append(S)
    M = SpikeMonitor(P)
    # An explicit Network: Brian's magic run() would miss synapses kept in a list.
    Network(P, M, *groups).run(cfg["duration"] * 1000 * ms)
    out = {"spikes": int(M.num_spikes), "run_seconds": float(device._last_run_time),
           "i": M.i[:].tolist() if cfg.get("times") else [], "t": (M.t[:] / ms).tolist() if cfg.get("times") else []}
    print(json.dumps(out))


def run_brian(model, n, duration, network, state, times=False):
    with tempfile.TemporaryDirectory() as tmp:
        cfg = dict(model=model, n=n, duration=duration, network=network, state=state,
                   builddir=os.path.join(tmp, "build"), times=times)
        t0 = time.time()
        res = subprocess.run([sys.executable, __file__, "--brian-child", json.dumps(cfg)],
                             check=True, capture_output=True, text=True)
        out = json.loads(res.stdout.strip().splitlines()[-1])
        out["total_seconds"] = time.time() - t0
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--neurogfn", default="neurogfn")
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--neurons", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--brian-child")
    a = ap.parse_args()
    if a.brian_child:
        return brian_child(a.brian_child)
    rng = np.random.default_rng(a.seed)
    results = {"duration_s": a.duration, "neurons": a.neurons, "dt_ms": DT}
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for model in ("cuba", "coba"):
            n = a.neurons
            if model == "cuba":
                v, ge, gi = rng.uniform(-60, -50, n), np.zeros(n), np.zeros(n)
            else:
                v, ge, gi = rng.normal(-65, 5, n), rng.normal(40, 15, n), rng.normal(200, 120, n)
            state = os.path.join(tmp, f"{model}_state.tsv")
            write_state(state, v, ge, gi)
            out = os.path.join(tmp, model)
            ours = run_neurogfn(a.neurogfn, model, n, a.duration, state, out, seed=a.seed)
            net = os.path.join(out, "network.tsv")
            br = run_brian(model, n, a.duration, net, state)
            rate_b = br["spikes"] / n / a.duration
            rel = ours["mean_rate_hz"] / rate_b - 1
            r = {"synapses": ours["synapses"], "rate_neurogfn_hz": ours["mean_rate_hz"], "rate_brian2_hz": rate_b,
                 "rate_rel_diff": rel, "wall_neurogfn_s": ours["wall_seconds"], "wall_brian2_run_s": br["run_seconds"],
                 "brian2_over_neurogfn": br["run_seconds"] / ours["wall_seconds"],
                 "synaptic_events": ours["synaptic_events"],
                 "events_per_s_neurogfn": ours["synaptic_events"] / ours["wall_seconds"]}
            results[model] = r
            good = abs(rel) <= 0.05
            ok &= good
            print(f"{model}: {ours['synapses']} synapses; rate neurogfn {ours['mean_rate_hz']:.3f} Hz, "
                  f"Brian2 {rate_b:.3f} Hz ({100 * rel:+.2f}%, {'ok' if good else 'FAIL'}); "
                  f"wall per simulated s: neurogfn {ours['wall_seconds'] / a.duration:.3f} s, "
                  f"Brian2 standalone {br['run_seconds'] / a.duration:.3f} s "
                  f"(ratio {br['run_seconds'] / ours['wall_seconds']:.2f}); "
                  f"{r['events_per_s_neurogfn']:.3g} synaptic events/s", flush=True)

        # Small non-chaotic network: 20 tonic CUBA neurons (El above threshold),
        # sparse feed-forward excitation, deterministic initial potentials.
        n = 20
        frng = np.random.default_rng(7)
        lines = ["pre\tpost\tweight\tdelay_ms"]
        for i in range(n):
            for j in range(i + 1, n):
                if frng.random() < 0.3:
                    lines.append(f"{i}\t{j}\t0.5\t{frng.integers(0, 20) * DT:.1f}")
        ff = os.path.join(tmp, "ff.tsv")
        with open(ff, "w") as f:
            f.write("\n".join(lines) + "\n")
        state = os.path.join(tmp, "ff_state.tsv")
        write_state(state, np.linspace(-60, -50.5, n), np.zeros(n), np.zeros(n))
        out = os.path.join(tmp, "ff")
        ours = run_neurogfn(a.neurogfn, "cuba", n, a.duration, state, out, network=ff)
        sp = read_table(os.path.join(out, "spikes.tsv"))
        br = run_brian("cuba", n, a.duration, ff, state, times=True)
        worst, mismatch = 0.0, 0
        for k in range(n):
            tb = np.sort(np.array(br["t"])[np.array(br["i"]) == k])
            to = np.sort(sp["time"][sp["neuron"] == k] * 1000)
            if len(tb) != len(to):
                mismatch += 1
                continue
            if len(tb):
                worst = max(worst, float(np.max(np.abs(to - tb))))
        good = mismatch == 0 and worst <= DT + 1e-9
        ok &= good
        results["feedforward"] = {"neurons": n, "synapses": len(lines) - 1, "spikes_neurogfn": ours["spikes"],
                                  "spikes_brian2": br["spikes"], "neurons_with_count_mismatch": mismatch,
                                  "max_abs_time_diff_ms": worst}
        print(f"feed-forward {n} neurons, {len(lines) - 1} synapses: spikes neurogfn {ours['spikes']}, "
              f"Brian2 {br['spikes']}; count mismatches {mismatch}; max |dt| {worst:.4f} ms "
              f"({'ok' if good else 'FAIL'}: within one step of {DT} ms)", flush=True)
    results["ok"] = bool(ok)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
