#!/usr/bin/env python3
"""Load SWC files written by `neurogfn morphology convert` with NEURON's
Import3d and compare section counts and total length with neurogfn's numbers.

Usage: neuron_crosscheck.py STATS.jsonl
  STATS.jsonl: the output of `neurogfn morphology stats --json` on the
  written files (one JSON object per line; "file" names the SWC file).

Prints one line per file and exits non-zero if a file fails to load, the
neurite section counts differ, or total length differs by more than 0.1%.

Two conventions differ between NEURON and NeuroM (whose conventions neurogfn
follows), and the comparison accounts for them, reading the SWC file itself:
- A stem whose first sample is already a fork gives NeuroM a one-point root
  section; NEURON has no one-point sections and hangs both branches on the
  soma wire, so it has one section fewer per such stem.
- With a spherical soma (one point, or a 3-point soma NEURON recognises as a
  sphere) NEURON does not count the soma-to-stem link, like NeuroM. With a
  soma of several cylinders it keeps the link from the soma point to the stem
  in the stem's section, so its length includes those links.
Import3d sets its err flag for notices too (a one-point soma, a branch on a
stem's first point); that flag is reported, not treated as a failure.
Needs NEURON (Debian: apt-get install python3-neuron; run with /usr/bin/python3).
"""
import json
import sys

from neuron import h

h.load_file("stdlib.hoc")
h.load_file("import3d.hoc")

PREFIX_TYPE = {"axon": "axon", "dend": "basal", "apic": "apical"}


def load(path):
    """Instantiate path at top level; return {kind: [sections]}."""
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(path)
    gui = h.Import3d_GUI(reader, False)
    gui.instantiate(None)
    kinds = {}
    for sec in h.allsec():
        name = sec.name().split("[")[0]
        kinds.setdefault(name, []).append(sec)
    return kinds, int(reader.err)


def swc_facts(path):
    """Soma samples, one-point root sections and soma-to-stem link length."""
    samples = {}
    for line in open(path):
        f = line.split("#")[0].split()
        if len(f) >= 7:
            samples[int(f[0])] = (int(f[1]), tuple(map(float, f[2:5])), int(f[6]))
    children = {}
    for i, (_, _, p) in samples.items():
        children.setdefault(p, []).append(i)
    soma = sum(1 for t, _, _ in samples.values() if t == 1)
    stems = [i for i, (t, _, p) in samples.items() if t != 1 and p in samples and samples[p][0] == 1]
    one_point = sum(1 for i in stems if len(children.get(i, [])) >= 2)
    links = sum(sum((a - b) ** 2 for a, b in zip(samples[i][1], samples[samples[i][2]][1])) ** 0.5 for i in stems)
    return soma, one_point, links


def main(stats_path):
    ok = True
    rows = [json.loads(line) for line in open(stats_path) if line.strip()]
    print(f"NEURON {h.nrnversion(5)}")
    print(f"{'file':26s} {'soma':>4s} {'ours sec':>8s} {'1-pt':>4s} {'nrn sec':>7s} "
          f"{'ours L (um)':>12s} {'links':>8s} {'nrn L (um)':>12s} {'rel diff':>9s} {'err':>3s}  by type (nrn - ours, um)")
    for row in rows:
        path = row["file"]
        try:
            kinds, err = load(path)
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"{path}: NEURON failed to load: {e}")
            ok = False
            continue
        soma, one_point, links = swc_facts(path)
        neurite = [s for k, secs in kinds.items() if k != "soma" for s in secs]
        length = sum(s.L for s in neurite)
        want_sections = row["sections"] - one_point
        spherical = soma in (1, 3)
        want_length = row["total_length_um"] + (0 if spherical else links)
        rel = (length - want_length) / want_length
        by_type = []
        for prefix, key in PREFIX_TYPE.items():
            if prefix in kinds:
                lt = sum(s.L for s in kinds[prefix])
                by_type.append(f"{key} {lt - row['total_length_um_by_type'].get(key, 0):+.4f}")
        print(f"{path:26s} {soma:4d} {row['sections']:8d} {one_point:4d} {len(neurite):7d} "
              f"{row['total_length_um']:12.4f} {0 if spherical else links:8.3f} {length:12.4f} {rel:9.1e} {err:3d}  {', '.join(by_type)}")
        if len(neurite) != want_sections or abs(rel) > 1e-3:
            ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
