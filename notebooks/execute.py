"""Executes Jupyter notebooks top to bottom without Jupyter.

A fallback for `run.sh` on machines that have pandas, pyarrow and matplotlib but no
nbconvert/nbclient: every code cell runs in order in one namespace, as in a kernel. Each
cell's printed output, the value of its last expression, `display(...)` calls and the
matplotlib figures it leaves open are stored as the cell's outputs, and the executed notebook
is written to the output folder. The first exception stops the run with a non-zero exit and
the traceback, like `jupyter nbconvert --execute`.

Usage: python3 notebooks/execute.py --output-dir DIR NOTEBOOK.ipynb...
"""

import argparse
import ast
import base64
import contextlib
import io
import json
import os
import sys
import traceback

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def mime_bundle(value):
    """Jupyter's data bundle for a displayed value: text/plain, plus HTML where it has one."""
    data = {"text/plain": repr(value)}
    html = getattr(value, "_repr_html_", None)
    if callable(html):
        with contextlib.suppress(Exception):
            h = html()
            if h:
                data["text/html"] = h
    return data


def figure_outputs():
    outs = []
    for num in plt.get_fignums():
        buf = io.BytesIO()
        plt.figure(num).savefig(buf, format="png", bbox_inches="tight")
        outs.append({
            "output_type": "display_data",
            "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"), "text/plain": "<Figure>"},
            "metadata": {},
        })
    plt.close("all")
    return outs


def run_cell(source, ns, filename, count):
    """Runs one cell's source; returns its outputs and the exception, if any."""
    outs = []
    stdout = io.StringIO()

    def flush():
        if stdout.getvalue():
            outs.append({"output_type": "stream", "name": "stdout", "text": stdout.getvalue()})
            stdout.seek(0)
            stdout.truncate()

    def display(*values):
        flush()
        for v in values:
            outs.append({"output_type": "display_data", "data": mime_bundle(v), "metadata": {}})

    ns["display"] = display
    err = None
    try:
        tree = ast.parse(source, filename=filename)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        with contextlib.redirect_stdout(stdout):
            exec(compile(tree, filename, "exec"), ns)
            if last is not None:
                value = eval(compile(last, filename, "eval"), ns)
                if value is not None:
                    flush()
                    outs.append({"output_type": "execute_result", "execution_count": count,
                                 "data": mime_bundle(value), "metadata": {}})
    except Exception as e:  # the notebook's error, reported like a kernel would
        err = e
    flush()
    outs.extend(figure_outputs())
    if err is not None:
        tb = traceback.format_exception(type(err), err, err.__traceback__)
        outs.append({"output_type": "error", "ename": type(err).__name__, "evalue": str(err), "traceback": tb})
    return outs, err


def execute(path, out_dir):
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    ns = {"__name__": "__main__"}
    count = 0
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        count += 1
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        outs, err = run_cell(src, ns, f"{os.path.basename(path)}[cell {i}]", count)
        cell["outputs"] = outs
        cell["execution_count"] = count
        for o in outs:
            if o["output_type"] == "stream":
                sys.stdout.write(o["text"])
        if err is not None:
            sys.stderr.write("".join(outs[-1]["traceback"]))
            write(nb, path, out_dir)
            raise SystemExit(f"{path}: cell {i} raised {type(err).__name__}: {err}")
    write(nb, path, out_dir)


def write(nb, path, out_dir):
    dst = os.path.join(out_dir, os.path.basename(path))
    tmp = dst + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, dst)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output-dir", required=True)
    ap.add_argument("notebooks", nargs="+")
    args = ap.parse_args()
    os.makedirs(args.output_dir, exist_ok=True)
    for nb in args.notebooks:
        execute(nb, args.output_dir)


if __name__ == "__main__":
    main()
