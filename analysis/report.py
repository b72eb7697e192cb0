#!/usr/bin/python3
"""`rapture report`: one self-contained HTML page of plots from a rapture results file.

    python3 analysis/report.py FILE.h5 [-o report.html] [--png DIR] [--run I ...]

Every figure is drawn by matplotlib (its SVG backend, text kept as text: no font is embedded or
fetched) or, for the propagation graph, by Graphviz's `dot`, and embedded inline; the page has
no script, no stylesheet link and no external reference, so it opens from a USB stick in any
browser without a network request. Each figure carries the numbers it plots in a JSON block
(`<script type="application/json" class="figure-data">`, data, never executed), so that tests
can check the figures against the file. docs/report.md describes the page.

Needs Python 3 with numpy, h5py and matplotlib (Debian: python3-numpy, python3-h5py,
python3-matplotlib) and Graphviz (`dot`) for the propagation graph. Any failure is reported as
one line, `rapture report: FILE: what`, with exit status 1.
"""

import argparse
import html
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

PROG = "rapture report"
MAX_RUN_SECTIONS = 3  # per-run sections drawn for a file of many runs
MAX_PLOT_BINS = 2000  # longer time series are re-binned (by a whole factor) for plotting
MAX_HEALTH_ROWS = 80  # services shown in a health timeline
MAX_LINES = 10  # request types / edges / sweep lines drawn in one panel
MAX_JOURNAL_ROWS = 200  # per triage category
HEALTH_COLOURS = ("#cfe8c6", "#f6b26b", "#cc3b2b")  # healthy, degraded, failed
HEALTH_NAMES = ("healthy", "degraded", "failed")
JOURNAL_ORDER = ("fault_effect", "dependency_propagation", "hidden_dependency_exposed", "retry_amplification",
                 "queue_exhaustion", "metastable_loop", "slow_drain", "architectural_hot_spot", "user_impact")


class ReportError(Exception):
    """A problem with the input or the output, reported as one line."""


# --------------------------------------------------------------------------------------------
# Small helpers


def text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            return text(value.item())
        except (ValueError, AttributeError):
            pass
    return str(value)


def strings(dataset):
    return [text(v) for v in dataset[()]]


def jsonable(value):
    """Numbers, arrays and containers as JSON values, NaN and infinities as null."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, (bytes, np.bytes_)):
        return text(value)
    return value


def esc(value):
    return html.escape(text(value), quote=True)


def as_float(value):
    """(float, None), or (None, markup) for what is not a finite number: text, NaN, infinities."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None, esc(value)
    if math.isnan(v):
        return None, "&ndash;"
    if math.isinf(v):
        return None, "&infin;" if v > 0 else "&minus;&infin;"
    return v, None


def fmt_number(value, digits=4):
    v, mark = as_float(value)
    if mark is not None:
        return mark
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:.{digits}g}"


def fmt_seconds(value):
    v, mark = as_float(value)
    if mark is not None:
        return mark
    if v != 0 and abs(v) < 1:
        return f"{v * 1e3:.3g} ms"
    return f"{v:.4g} s"


def fmt_value(value):
    return f"{value:g}" if isinstance(value, float) else text(value)


def attr(group, name, default=None):
    return group.attrs[name] if name in group.attrs else default


def slug(value):
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text(value)).strip("-") or "x"


# --------------------------------------------------------------------------------------------
# Faults: parsed from the scenario text and the run's --set overrides (no YAML library needed
# for this: faults are flow mappings `{name: x, start: 10s, ...}` or block mappings).

DURATION_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}


def parse_duration(value):
    if value is None:
        return None
    s = text(value).strip().strip("'\"")
    m = re.fullmatch(r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(us|ms|s|min|m|h)?", s)
    if not m:
        return None
    return float(m.group(1)) * DURATION_UNITS[m.group(2) or "s"]


def parse_flow(s, i=0):
    """A YAML flow value at s[i:] (mapping, sequence or scalar); returns (value, next index)."""
    n = len(s)
    while i < n and s[i] in " \t\r\n":
        i += 1
    if i < n and s[i] in "{[":
        close = "}" if s[i] == "{" else "]"
        is_map = s[i] == "{"
        out = {} if is_map else []
        i += 1
        while True:
            while i < n and s[i] in " \t\r\n,":
                i += 1
            if i >= n:
                raise ValueError("unterminated flow collection")
            if s[i] == close:
                return out, i + 1
            if is_map:
                key, i = parse_scalar(s, i, ":")
                if i >= n or s[i] != ":":
                    raise ValueError("expected ':'")
                value, i = parse_flow(s, i + 1)
                out[key] = value
            else:
                value, i = parse_flow(s, i)
                out.append(value)
    return parse_scalar(s, i, ",}]")


def parse_scalar(s, i, stops):
    n = len(s)
    while i < n and s[i] in " \t":
        i += 1
    if i < n and s[i] in "'\"":
        quote = s[i]
        j = s.index(quote, i + 1)
        return s[i + 1:j], j + 1
    j = i
    while j < n and s[j] not in stops and s[j] != "\n":
        if s[j] == ":" and ":" in stops and (j + 1 >= n or s[j + 1] in " \t"):
            break
        if s[j] in "{[":
            _, j = parse_flow(s, j)
            continue
        j += 1
    return s[i:j].strip(), j


def strip_comment(line):
    out, quote = [], None
    for k, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (k == 0 or line[k - 1] in " \t"):
            break
        out.append(c)
    return "".join(out).rstrip()


def scenario_faults(scenario_text):
    """The `faults:` list of a scenario as dicts of strings (best effort; [] when absent)."""
    lines = [strip_comment(l) for l in scenario_text.splitlines()]
    for k, line in enumerate(lines):
        m = re.match(r"faults\s*:\s*(.*)$", line)
        if not m:
            continue
        rest = m.group(1)
        if rest:
            block = rest + "\n" + "\n".join(l for l in lines[k + 1:] if l.startswith((" ", "\t")))
            value, _ = parse_flow(block)
            return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
        body = []
        for l in lines[k + 1:]:
            if l and not l.startswith((" ", "\t", "-")):
                break
            body.append(l)
        items, current, item_indent = [], None, None
        for l in body:
            if not l.strip():
                continue
            stripped = l.lstrip()
            indent = len(l) - len(stripped)
            if stripped.startswith("- ") and (item_indent is None or indent <= item_indent):
                item_indent = indent
                current = stripped[2:]
                items.append([current])
            elif items:
                items[-1].append(stripped)
        faults = []
        for parts in items:
            head = parts[0].strip()
            if head.startswith("{"):
                value, _ = parse_flow(" ".join(parts))
                if isinstance(value, dict):
                    faults.append(value)
                continue
            fault = {}
            for p in parts:
                key, _, value = p.partition(":")
                if value.strip().startswith(("{", "[")):
                    fault[key.strip()], _ = parse_flow(value)
                else:
                    fault[key.strip()] = value.strip().strip("'\"")
            faults.append(fault)
        return faults
    return []


def run_faults(run):
    """The faults of a run, each {name, kind, target, start, end} (seconds), with the --set
    overrides of the run applied; [] when there are none or they cannot be read."""
    try:
        faults = scenario_faults(text(attr(run, "scenario_text", "")))
        for p in attr(run, "parameters", []):
            key, _, value = text(p).partition("=")
            if key == "faults":
                parsed, _ = parse_flow(value)
                faults = [f for f in parsed if isinstance(f, dict)] if isinstance(parsed, list) else []
                continue
            m = re.fullmatch(r"faults\[(\d+)\]\.(\w+)", key)
            if m and int(m.group(1)) < len(faults):
                faults[int(m.group(1))][m.group(2)] = value
    except (ValueError, IndexError):
        faults = []
    duration = float(attr(run, "duration", float("nan")))
    out = []
    for k, f in enumerate(faults):
        start = parse_duration(f.get("start"))
        if start is None:
            continue
        end = parse_duration(f.get("end"))
        if text(f.get("kind", "")) == "cache_flush":
            end = start  # a one-shot: its span is the instant of its start
        elif end is None:
            length = parse_duration(f.get("duration", f.get("restart")))
            end = start + length if length is not None else duration
        if math.isfinite(duration):
            end = min(end, duration)
        out.append({"name": text(f.get("name", f"faults[{k}]")), "kind": text(f.get("kind", "")),
                    "target": text(f.get("target", "")), "start": start, "end": end})
    return out


# --------------------------------------------------------------------------------------------
# The page


class Page:
    def __init__(self, path, png_dir):
        self.path = path
        self.png_dir = png_dir
        self.parts = []
        self.figures = 0
        self.names = set()
        self.toc = []

    def add(self, markup):
        self.parts.append(markup)

    def heading(self, level, title, anchor=None):
        anchor = anchor or slug(title)
        base, k = anchor, 2
        while anchor in self.names:
            anchor, k = f"{base}-{k}", k + 1
        self.names.add(anchor)
        if level == 2:
            self.toc.append((anchor, title))
        self.add(f'<h{level} id="{esc(anchor)}">{esc(title)}</h{level}>')

    def note(self, message, cls="note"):
        self.add(f'<p class="{cls}">{esc(message)}</p>')

    def table(self, header, rows, cls="data"):
        out = [f'<table class="{cls}"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead><tbody>"]
        for row in rows:
            out.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
        out.append("</tbody></table>")
        self.add("".join(out))

    def figure(self, name, title, svg, data, caption="", png=None):
        """Adds one figure: inline SVG, its data as a JSON block, and a caption."""
        base, k = slug(name), 2
        name = base
        while name in self.names:
            name, k = f"{base}-{k}", k + 1
        self.names.add(name)
        self.figures += 1
        svg = prefix_svg_ids(clean_svg(svg), f"f{self.figures}-")
        payload = json.dumps(jsonable({"figure": name, "title": title, **data}), allow_nan=False,
                             separators=(",", ":"))
        payload = payload.replace("</", "<\\/").replace("<!--", "<\\!--")
        if png is not None and self.png_dir:
            png(os.path.join(self.png_dir, name + ".png"))
        self.add(f'<figure class="figure" id="{esc(name)}" data-figure="{esc(name)}">'
                 f'<div class="svg">{svg}</div>'
                 f'<script type="application/json" class="figure-data">{payload}</script>'
                 f"<figcaption><b>{esc(title)}</b>{(' ' + esc(caption)) if caption else ''}</figcaption></figure>")

    def plot(self, fig, name, title, data, caption=""):
        import io

        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Creator": None, "Date": None, "Format": None, "Type": None})

        def png(path):
            fig.savefig(path, format="png", dpi=150)

        try:
            self.figure(name, title, buf.getvalue(), data, caption, png)
        finally:
            import matplotlib.pyplot as plt

            plt.close(fig)

    def render(self, title, subtitle):
        toc = "".join(f'<li><a href="#{esc(a)}">{esc(t)}</a></li>' for a, t in self.toc)
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{esc(title)}</title>"
                f"<style>{CSS}</style></head><body><header><h1>{esc(title)}</h1><p class=\"sub\">{subtitle}</p>"
                f"<nav><ul>{toc}</ul></nav></header><main>" + "\n".join(self.parts) + "</main></body></html>\n")


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;padding:0 1.5em 3em;color:#222;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}
.sub{color:#555;margin-top:0}nav ul{columns:2;font-size:.9em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}th,td{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0;padding:.5em;border:1px solid #e4e4e4;border-radius:4px}
figure .svg svg{max-width:100%;height:auto;display:block}figcaption{font-size:.88em;color:#444;margin-top:.3em}
.note{background:#fff8e1;border-left:4px solid #f0c36d;padding:.4em .8em}.missing{background:#fdecea;border-left:4px solid #d9534f;padding:.4em .8em}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:.85em}
.emergent{color:#7b3fa0;font-weight:600}
"""


def clean_svg(svg):
    """The <svg> element alone: no XML declaration, DOCTYPE, comments, metadata or namespace URLs
    (an inline <svg> in HTML is in the SVG namespace anyway)."""
    start = svg.find("<svg")
    if start < 0:
        raise ReportError("a figure could not be drawn (no SVG produced)")
    svg = svg[start:]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r'\s+xml:space="[^"]*"', "", svg)
    return svg.strip()


def prefix_svg_ids(svg, prefix):
    """Makes the ids of one SVG unique within the page (several SVGs share one document)."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)
    return svg


# --------------------------------------------------------------------------------------------
# Plotting helpers


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({
        "svg.fonttype": "none",  # text as text: the browser's own sans-serif, nothing embedded or fetched
        "svg.hashsalt": "rapture-report",  # stable ids
        "font.family": "sans-serif",
        "font.size": 9,
        "axes.titlesize": 10,
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
    })
    import matplotlib.pyplot as plt

    return plt


def shade_spans(ax, warmup, faults, label=True):
    if warmup and warmup > 0:
        ax.axvspan(0, warmup, color="#999999", alpha=0.18, lw=0, label="warm-up" if label else None)
    for k, f in enumerate(faults):
        name = "trigger (load change)" if f["kind"] == "trigger" else "fault"
        ax.axvspan(f["start"], f["end"], color="#d62728", alpha=0.12, lw=0,
                   label=(name if k == 0 else None) if label else None)


def rebin(time, arrays, bin_width):
    """Re-bins [T, ...] arrays by a whole factor so that at most MAX_PLOT_BINS remain (sums)."""
    import numpy as np

    t = len(time)
    factor = max(1, math.ceil(t / MAX_PLOT_BINS))
    if factor == 1:
        return time, arrays, bin_width, 1
    n = t // factor
    out = []
    for a in arrays:
        a = np.asarray(a, dtype=float)[: n * factor]
        out.append(a.reshape((n, factor) + a.shape[1:]).sum(axis=1))
    return np.asarray(time)[: n * factor: factor], out, bin_width * factor, factor


def rebin_max(a, factor):
    import numpy as np

    if factor == 1:
        return np.asarray(a, dtype=float)
    a = np.asarray(a, dtype=float)
    n = len(a) // factor
    a = a[: n * factor].reshape((n, factor) + a.shape[1:])
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmax(a, axis=1)


def ratio(num, den):
    import numpy as np

    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


# --------------------------------------------------------------------------------------------
# One run


class RunSection:
    def __init__(self, page, run, index, label):
        self.page, self.run, self.index, self.label = page, run, index, label
        self.prefix = f"run{index}"
        self.time = run["time"][()]
        self.bin_width = float(attr(run, "bin_width", 1.0))
        self.warmup = float(attr(run, "warmup", 0.0))
        self.faults = run_faults(run)
        self.analysis = run["analysis"] if "analysis" in run else None
        self.trigger = None
        if self.analysis is not None:
            ts, te = float(attr(self.analysis, "trigger_start", float("nan"))), float(
                attr(self.analysis, "trigger_end", float("nan")))
            if math.isfinite(ts):
                end = te if math.isfinite(te) else float(attr(run, "duration", self.time[-1] + self.bin_width))
                self.trigger = (ts, end)
        if not self.faults and self.trigger:
            # A change of offered load (a profile), or faults the scenario text did not show.
            self.faults = [{"name": "trigger", "kind": "trigger", "target": "", "start": self.trigger[0],
                            "end": self.trigger[1]}]

    def draw(self):
        p = self.page
        p.heading(2, f"Run {self.index}: {self.label}", anchor=self.prefix)
        self.provenance()
        if len(self.time) == 0:
            p.add('<p class="missing">This run has no time bins: nothing to plot.</p>')
            return
        if not self.faults:
            p.add('<p class="missing">This run has no fault and no change of offered load: there is no cascade to '
                  "show (no propagation graph, no signal journal; health is judged against the whole run).</p>")
        self.series()
        self.caches()
        self.health()
        self.propagation()
        self.edges()
        self.journal()

    # provenance and summary -----------------------------------------------------------------
    def provenance(self):
        p, run = self.page, self.run
        rows = [("scenario", f"{esc(attr(run, 'scenario_name', ''))} <small>({esc(attr(run, 'scenario_file', ''))})</small>"),
                ("topology", f"{esc(attr(run, 'topology_name', ''))} <small>({esc(attr(run, 'topology_file', ''))})</small>"),
                ("design", esc(attr(run, "design", "baseline"))),
                ("seed", esc(attr(run, "seed", ""))),
                ("overrides (--set)", "<br>".join(esc(v) for v in attr(run, "parameters", [])) or "none"),
                ("rapture version", esc(attr(run, "rapture_version", ""))),
                ("duration / warm-up / bin", f"{fmt_seconds(attr(run, 'duration', float('nan')))} / "
                                             f"{fmt_seconds(self.warmup)} / {fmt_seconds(self.bin_width)}"),
                ("faults", "<br>".join(f"{esc(f['name'])} ({esc(f['kind'])} {esc(f['target'])}): "
                                       f"{f['start']:g}&ndash;{f['end']:g} s" for f in self.faults) or "none")]
        if int(attr(run, "stopped_early", 0)):
            rows.append(("stopped early", esc(attr(run, "stop_reason", ""))))
        if "wall_seconds" in run.attrs:
            rows.append(("simulated in", f"{float(run.attrs['wall_seconds']):.3g} s wall clock, "
                                         f"{fmt_number(attr(run, 'events', 0))} events"))
        p.table(["provenance", ""], rows, cls="kv")
        if "scenario_text" in run.attrs:
            p.add(f"<details><summary>scenario as run</summary><pre>{esc(run.attrs['scenario_text'])}</pre></details>")
        if "summary" not in run:
            p.add('<p class="missing">This run did not finish (no <code>summary</code>): its time series stop where it '
                  "stopped; there are no totals and no cascade analysis.</p>")
        else:
            s = run["summary"].attrs
            seconds = {"latency_mean", "p50", "p95", "p99", "p999", "measured_seconds"}
            order = ["measured_seconds", "requests", "successes", "failures", "degraded", "throughput", "goodput",
                     "error_rate", "latency_mean", "p50", "p95", "p99", "p999", "wasted_cpu", "users", "users_failing"]
            keys = [k for k in order if k in s] + sorted(k for k in s if k not in order)
            p.table(["summary (measured period)", "value"],
                    [(esc(k), fmt_seconds(s[k]) if k in seconds else fmt_number(s[k])) for k in keys], cls="kv")
            if "totals/requests/successes" in run:
                t = run["totals/requests"]
                names = strings(run["request_type"])
                rows = []
                for i, n in enumerate(names):
                    rows.append([esc(n)] + [f'<span class="num">{fmt_number(t[c][i])}</span>'
                                            for c in ("successes", "failures", "degraded") if c in t] +
                                [fmt_seconds(t[c][i]) for c in ("p50", "p99") if c in t])
                p.table(["request type", "successes", "failures", "degraded", "p50", "p99"], rows)
        if self.analysis is not None:
            a = self.analysis.attrs
            keys = [("verdict", "verdict"), ("verdict_note", "verdict"), ("trigger_start", "trigger from"),
                    ("trigger_end", "trigger to"), ("time_to_detect", "time to detect"),
                    ("recovery_time", "recovery time"), ("blast_radius_requests", "blast radius (requests)"),
                    ("blast_radius_types", "blast radius (request types)"),
                    ("peak_unhealthy_share", "peak share of services unhealthy"), ("emergent", "emergent failures")]
            rows = []
            for k, label in keys:
                if k in a:
                    v = a[k]
                    shown = fmt_seconds(v) if k in ("trigger_start", "trigger_end", "time_to_detect",
                                                    "recovery_time") else (
                        esc(v) if isinstance(v, (str, bytes)) else fmt_number(v))
                    rows.append((esc(label), shown))
            p.table(["cascade analysis", ""], rows, cls="kv")
            if "hypothesis" in self.analysis:
                h = self.analysis["hypothesis"]
                p.heading(3, "Steady-state hypothesis: " + text(attr(h, "title", "")) +
                          (" (met)" if int(attr(h, "met", 0)) else " (NOT met)"))
                rows = []
                for r in h["probes"][()]:
                    rows.append([esc(r["name"]), esc(r["tolerance"]), fmt_number(r["value"]),
                                 "met" if int(r["met"]) else "<b>not met</b>", esc(r["note"])])
                p.table(["probe", "tolerance", "value", "met", "note"], rows)
        else:
            p.note("This run has no cascade analysis (written by `rapture run` on finished runs): no health "
                   "timeline, propagation graph or journal.")

    # goodput, error rate, p99 ---------------------------------------------------------------
    def series(self):
        plt = pyplot()
        run = self.run
        names = strings(run["request_type"])
        succ = run["requests/successes"][()]
        fail = run["requests/failures"][()]
        p99 = run["requests/latency_p99"][()]
        time, (succ_b, fail_b), width, factor = rebin(self.time, [succ, fail], self.bin_width)
        p99_b = rebin_max(p99, factor)
        goodput = succ_b / width
        error = ratio(fail_b, succ_b + fail_b)
        shown = list(range(len(names)))
        if len(shown) > MAX_LINES:
            shown = sorted(shown, key=lambda i: -float(succ[:, i].sum() + fail[:, i].sum()))[:MAX_LINES]
            shown.sort()
        fig, axes = plt.subplots(3, 1, figsize=(9, 6.6), sharex=True)
        data = {"kind": "run-series", "run": self.index, "time": time, "bin_width": width, "rebin": factor,
                "warmup": self.warmup, "faults": self.faults, "request_types": [names[i] for i in shown],
                "goodput": {}, "error_rate": {}, "p99": {}}
        for i in shown:
            axes[0].plot(time, goodput[:, i], lw=1, label=names[i], drawstyle="steps-post")
            axes[1].plot(time, error[:, i], lw=1, label=names[i], drawstyle="steps-post")
            axes[2].plot(time, p99_b[:, i] * 1e3, lw=1, label=names[i], drawstyle="steps-post")
            data["goodput"][names[i]] = goodput[:, i]
            data["error_rate"][names[i]] = error[:, i]
            data["p99"][names[i]] = p99_b[:, i]
        for ax, ylabel in zip(axes, ("goodput (successes/s)", "error rate", "p99 latency (ms)")):
            shade_spans(ax, self.warmup, self.faults, label=ax is axes[0])
            ax.set_ylabel(ylabel)
        axes[1].set_ylim(-0.02, 1.02)
        axes[2].set_yscale("log")
        for f in self.faults:
            axes[0].annotate(f["name"], (f["start"], 1.0), xycoords=("data", "axes fraction"), va="bottom",
                             fontsize=8, color="#a02020")
        axes[-1].set_xlabel("simulated time (s)")
        axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        fig.tight_layout()
        caption = ("Per request type, per bin" + (f" (re-binned by {factor})" if factor > 1 else "") +
                   ": successes per second, failed / ended requests, 99th percentile latency of successes. "
                   "Grey: warm-up; red: each fault's span.")
        if len(shown) < len(names):
            caption += f" The {len(shown)} busiest of {len(names)} request types are drawn."
        self.page.plot(fig, f"{self.prefix}-series", f"Run {self.index}: goodput, error rate and p99 over time",
                       data, caption)

    # stateful caches: hit ratio ------------------------------------------------------------
    def caches(self):
        run = self.run
        if "caches/hits" not in run or "cache" not in run:
            return
        plt = pyplot()
        names = strings(run["cache"])
        hits, lookups = run["caches/hits"][()], run["caches/lookups"][()]
        time, (hits_b, lookups_b), width, factor = rebin(self.time, [hits, lookups], self.bin_width)
        hit_ratio = ratio(hits_b, lookups_b)  # NaN where a bin had no lookup: a gap, not a zero
        shown = list(range(len(names)))
        if len(shown) > MAX_LINES:
            shown = sorted(sorted(shown, key=lambda i: -float(lookups[:, i].sum()))[:MAX_LINES])
        fig, ax = plt.subplots(figsize=(9, 2.8))
        data = {"kind": "cache-hit-ratio", "run": self.index, "time": time, "bin_width": width, "rebin": factor,
                "warmup": self.warmup, "faults": self.faults, "caches": [names[i] for i in shown], "hit_ratio": {}}
        for i in shown:
            ax.plot(time, hit_ratio[:, i], lw=1, label=names[i], drawstyle="steps-post")
            data["hit_ratio"][names[i]] = hit_ratio[:, i]
        shade_spans(ax, self.warmup, self.faults)
        for f in self.faults:
            ax.annotate(f["name"], (f["start"], 1.0), xycoords=("data", "axes fraction"), va="bottom", fontsize=8,
                        color="#a02020")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("hit ratio")
        ax.set_xlabel("simulated time (s)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        fig.tight_layout()
        caption = ("Per stateful look-aside cache, per bin" + (f" (re-binned by {factor})" if factor > 1 else "") +
                   ": lookups that found their key fresh / lookups (a gap where a bin had none). A flush or a "
                   "crash empties it; it refills no faster than its backend answers. Grey: warm-up; red: each "
                   "fault's span.")
        if len(shown) < len(names):
            caption += f" The {len(shown)} busiest of {len(names)} caches are drawn."
        self.page.plot(fig, f"{self.prefix}-caches", f"Run {self.index}: cache hit ratio over time", data, caption)

    # health timeline ------------------------------------------------------------------------
    def health(self):
        import numpy as np

        if self.analysis is None or "service_health" not in self.analysis:
            return
        plt = pyplot()
        run = self.run
        health = self.analysis["service_health"][()]
        services = strings(run["service"])
        order = list(range(len(services)))
        onset = {}
        if "propagation" in self.analysis:
            for r in self.analysis["propagation"][()]:
                onset[text(r["service"])] = float(r["onset"])
        emergent = self.emergent_services()
        if len(order) > MAX_HEALTH_ROWS:
            unhealthy = [i for i in order if health[:, i].any()]
            rest = [i for i in order if not health[:, i].any()]
            order = (unhealthy + rest)[:MAX_HEALTH_ROWS]
            order.sort()
        rows = len(order)
        fig, ax = plt.subplots(figsize=(9, 1.2 + 0.22 * rows))
        width = self.bin_width
        time = self.time
        data = {"kind": "health-timeline", "run": self.index, "time": time, "bin_width": width,
                "services": [services[i] for i in order], "health": {}, "faults": self.faults,
                "states": list(HEALTH_NAMES)}
        for row, i in enumerate(order):
            h = np.asarray(health[:, i], dtype=np.int8)
            data["health"][services[i]] = h
            y = rows - 1 - row
            change = np.flatnonzero(np.diff(h)) + 1
            starts = np.concatenate(([0], change))
            ends = np.concatenate((change, [len(h)]))
            for state in (0, 1, 2):
                spans = [(float(time[s]), float((e - s) * width)) for s, e in zip(starts, ends) if h[s] == state]
                if spans:
                    ax.broken_barh(spans, (y - 0.4, 0.8), facecolors=HEALTH_COLOURS[state], lw=0)
        ax.set_yticks(range(rows))
        labels = []
        for i in reversed(order):
            n = services[i]
            labels.append(n + (" *" if n in emergent else ""))
        ax.set_yticklabels(labels)
        for tick, i in zip(ax.get_yticklabels(), reversed(order)):
            if services[i] in emergent:
                tick.set_color("#7b3fa0")
                tick.set_fontweight("bold")
        ax.set_ylim(-0.6, rows - 0.4)
        end = float(time[-1] + width) if len(time) else 1.0
        ax.set_xlim(0, end)
        if self.warmup > 0:
            ax.axvspan(0, self.warmup, color="#999999", alpha=0.25, lw=0)
        for f in self.faults:
            ax.axvline(f["start"], color="#a02020", lw=1.2, ls="--")
            ax.axvline(f["end"], color="#a02020", lw=1.2, ls=":")
            ax.annotate(f["name"], (f["start"], 1.0), xycoords=("data", "axes fraction"), va="bottom", fontsize=8,
                        color="#a02020")
        ax.grid(False)
        ax.set_xlabel("simulated time (s)")
        from matplotlib.patches import Patch

        handles = [Patch(color=c, label=n) for c, n in zip(HEALTH_COLOURS, HEALTH_NAMES)]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        fig.tight_layout()
        caption = ("Each service's health per bin against the run's baseline. Dashed red: a fault starts; dotted: "
                   "it ends; grey: warm-up. * (purple): emergent, reached without a dependency path from the fault.")
        if rows < len(services):
            caption += f" {rows} of {len(services)} services shown (those that turned unhealthy first)."
        self.page.plot(fig, f"{self.prefix}-health", f"Run {self.index}: health timeline", data, caption)

    def emergent_services(self):
        out = set()
        if self.analysis is not None and "propagation" in self.analysis:
            for r in self.analysis["propagation"][()]:
                if text(r["cause"]) == "emergent":
                    out.add(text(r["service"]))
        return out

    # propagation graph ----------------------------------------------------------------------
    def propagation(self):
        if self.analysis is None or "propagation" not in self.analysis:
            return
        p = self.page
        table = self.analysis["propagation"][()]
        rows = [{k: (text(r[k]) if not isinstance(r[k], float) else float(r[k])) for k in table.dtype.names}
                for r in table]
        for r in rows:
            r["onset"] = float(r["onset"])
        if not rows:
            p.note(f"Run {self.index}: no service turned unhealthy: no propagation to draw.")
            return
        dot_text = text(self.analysis["propagation_dot"][()]) if "propagation_dot" in self.analysis else ""
        dot = shutil.which("dot")
        title = f"Run {self.index}: propagation graph"
        caption = ("Drawn by Graphviz from the analysis's propagation graph: red touched by the fault, orange a "
                   "dependency, purple (dashed) emergent, with the coupling (host, retries, ...) on the edge.")
        data = {"kind": "propagation", "run": self.index, "rows": rows,
                "emergent": sorted(self.emergent_services())}
        svg = None
        if dot and dot_text:
            try:
                proc = subprocess.run([dot, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=120)
                if proc.returncode == 0:
                    svg = proc.stdout.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                svg = None

        def png(path):
            subprocess.run([dot, "-Tpng", "-Gdpi=120", "-o", path], input=dot_text.encode(), capture_output=True,
                           timeout=120)

        if svg:
            p.figure(f"{self.prefix}-propagation", title, svg, data, caption, png)
        else:
            p.add('<p class="missing">The propagation graph could not be drawn: Graphviz\'s <code>dot</code> is '
                  "not installed or failed (Debian: graphviz). Its DOT text:</p>"
                  f"<pre>{esc(dot_text)}</pre>")
        trows = []
        for r in rows:
            cls = ' class="emergent"' if r["cause"] == "emergent" else ""
            trows.append([f"<span{cls}>{esc(r['service'])}</span>", fmt_seconds(r["onset"]), esc(r["worst"]),
                          esc(r["symptom"]), f"<span{cls}>{esc(r['cause'])}</span>",
                          esc(r["mechanism"]) if r["mechanism"] != "none" else "", esc(r["path"])])
        p.table(["service", "onset", "worst", "symptom", "cause", "coupling", "path"], trows)

    # edges: breakers and retries ------------------------------------------------------------
    def edges(self):
        import numpy as np

        run = self.run
        if "edge" not in run or len(run["edge"]) == 0 or "edges/retries" not in run:
            return
        plt = pyplot()
        edges = strings(run["edge"])
        retries = run["edges/retries"][()]
        open_fraction = run["edges/open_fraction"][()] if "edges/open_fraction" in run else None
        openings = np.zeros((len(self.time), len(edges)))
        if "events/circuit/time" in run and len(run["events/circuit/time"]):
            t = run["events/circuit/time"][()]
            e = run["events/circuit/edge"][()]
            to = run["events/circuit/to"][()]
            k = np.clip((t / self.bin_width).astype(np.int64), 0, len(self.time) - 1)
            sel = to == 1
            np.add.at(openings, (k[sel], e[sel].astype(np.int64)), 1)
        time, (retries_b, openings_b), width, factor = rebin(self.time, [retries, openings], self.bin_width)
        score = retries.sum(axis=0).astype(float) + openings.sum(axis=0) * 1000
        shown = sorted(sorted(range(len(edges)), key=lambda i: -score[i])[:MAX_LINES])
        panels = 3 if open_fraction is not None else 2
        fig, axes = plt.subplots(panels, 1, figsize=(9, 2.1 * panels + 0.4), sharex=True)
        data = {"kind": "edges", "run": self.index, "time": time, "bin_width": width, "rebin": factor,
                "edges": [edges[i] for i in shown], "retries_per_second": {}, "breaker_openings": {},
                "faults": self.faults, "warmup": self.warmup}
        for i in shown:
            axes[0].plot(time, retries_b[:, i] / width, lw=1, label=edges[i], drawstyle="steps-post")
            axes[1].plot(time, openings_b[:, i], lw=1, label=edges[i], drawstyle="steps-post")
            data["retries_per_second"][edges[i]] = retries_b[:, i] / width
            data["breaker_openings"][edges[i]] = openings_b[:, i]
            if open_fraction is not None:
                axes[2].plot(self.time, open_fraction[:, i], lw=1, label=edges[i], drawstyle="steps-post")
        axes[0].set_ylabel("retries / s")
        axes[1].set_ylabel("breaker openings / bin")
        if open_fraction is not None:
            axes[2].set_ylabel("share of breakers open")
            axes[2].set_ylim(-0.02, 1.02)
        for ax in axes:
            shade_spans(ax, self.warmup, self.faults, label=ax is axes[0])
        axes[-1].set_xlabel("simulated time (s)")
        axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        fig.tight_layout()
        caption = "Per call edge with tolerance policies: retries sent, circuit breakers opening (any caller replica), and the share of the caller's replicas whose breaker is not closed."
        if len(shown) < len(edges):
            caption += f" The {len(shown)} busiest of {len(edges)} edges are drawn."
        self.page.plot(fig, f"{self.prefix}-edges", f"Run {self.index}: breakers and retries per edge", data, caption)

    # journal --------------------------------------------------------------------------------
    def journal(self):
        if self.analysis is None or "journal" not in self.analysis:
            return
        p = self.page
        table = self.analysis["journal"][()]
        p.heading(3, f"Run {self.index}: signal journal ({len(table)} signals)", anchor=f"{self.prefix}-journal")
        if len(table) == 0:
            p.note("The journal is empty: no anomaly was seen" + ("." if self.faults else " (no trigger)."))
            return
        groups = {}
        for r in table:
            groups.setdefault(text(r["category"]), []).append(r)
        order = [c for c in JOURNAL_ORDER if c in groups] + sorted(c for c in groups if c not in JOURNAL_ORDER)
        for c in order:
            entries = groups[c]
            rows = []
            for r in entries[:MAX_JOURNAL_ROWS]:
                rows.append([fmt_seconds(r["time"]), esc(r["signal"]), esc(r["place"]), fmt_number(r["magnitude"]),
                             fmt_number(r["baseline"]), esc(r["note"])])
            p.add(f'<details open class="journal" data-category="{esc(c)}"><summary>{esc(c.replace("_", " "))} '
                  f"({len(entries)})</summary>")
            p.table(["time", "signal", "place", "magnitude", "baseline", "note"], rows)
            if len(entries) > MAX_JOURNAL_ROWS:
                p.note(f"{len(entries) - MAX_JOURNAL_ROWS} more not shown.")
            p.add("</details>")


# --------------------------------------------------------------------------------------------
# Records beside the runs


def criterion_level(criterion):
    m = re.match(r"\s*(\w+)\s*:\s*([0-9.eE+-]+)", criterion)
    if not m:
        return None, None
    return m.group(1), float(m.group(2))


def draw_amplify(page, f):
    import numpy as np

    plt = pyplot()
    a = f["amplify"]
    mode = text(attr(a, "mode", "search"))
    criterion = text(attr(a, "criterion", ""))
    param, unit = text(attr(a, "param", "")), text(attr(a, "unit", ""))
    value = a["value"][()].astype(float)
    measure = a["measure"][()].astype(float)
    cascade = a["cascade"][()].astype(int)
    page.heading(2, "Tipping point search (amplify)" if mode != "map" else "Region map (amplify)", anchor="amplify")
    page.table(["amplify", ""], [("scenario", esc(attr(a, "scenario", ""))), ("magnitude", esc(param + (f" ({unit})" if unit else ""))),
                                 ("criterion", esc(criterion)), ("verdict", esc(attr(a, "verdict", "")))], cls="kv")
    kind, level = criterion_level(criterion)
    xlabel = param + (f" ({unit})" if unit else "")
    if mode == "map" and "value2" in a:
        value2 = a["value2"][()].astype(float)
        region = a["region"][()].astype(int)
        names = text(attr(a, "region_names", "recovered,degraded,metastable")).split(",")
        colours = ["#4daf4a", "#ff9f1c", "#7b3fa0"]
        fig, ax = plt.subplots(figsize=(7.5, 5))
        xs, ys = np.unique(value), np.unique(value2)
        if len(xs) * len(ys) == len(value) and len(xs) > 1 and len(ys) > 1:
            from matplotlib.colors import ListedColormap

            grid = np.full((len(ys), len(xs)), np.nan)
            for v, w, r in zip(value, value2, region):
                grid[np.searchsorted(ys, w), np.searchsorted(xs, v)] = r

            def edges(c):
                mid = (c[1:] + c[:-1]) / 2
                return np.concatenate(([c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]))

            ax.grid(False)
            ax.pcolormesh(edges(xs), edges(ys), grid, cmap=ListedColormap(colours[: max(3, len(names))]), vmin=-0.5,
                          vmax=2.5, shading="flat", alpha=0.85)
        for r in range(len(names)):
            sel = region == r
            ax.scatter(value[sel], value2[sel], c=colours[r % 3], edgecolors="black", s=40, label=names[r], zorder=3)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(text(attr(a, "param2", "")) + (f" ({text(attr(a, 'unit2', ''))})" if attr(a, "unit2", "") else ""))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.tight_layout()
        page.plot(fig, "amplify-map", "Region map: recovered, degraded, metastable",
                  {"kind": "amplify-map", "value": value, "value2": value2, "region": region, "region_names": names,
                   "criterion": criterion},
                  "Each point one run: recovered (the criterion held), degraded (it cascaded and came back), "
                  "metastable (the run's analysis found a self-sustaining loop).")
        return
    order = np.argsort(value, kind="stable")
    fig, ax = plt.subplots(figsize=(8, 4.6))
    ax.plot(value[order], measure[order], color="#555", lw=1, zorder=1)
    ax.scatter(value[cascade == 0], measure[cascade == 0], c="#4daf4a", edgecolors="black", s=36, label="holds",
               zorder=3)
    ax.scatter(value[cascade == 1], measure[cascade == 1], c="#d62728", edgecolors="black", s=36, label="cascade",
               zorder=3)
    if level is not None:
        ax.axhline(level, color="#d62728", ls="--", lw=1, label=f"criterion {criterion}")
    found = int(attr(a, "found", 0))
    threshold = float(attr(a, "threshold", float("nan")))
    uncertainty = float(attr(a, "uncertainty", float("nan")))
    if found and math.isfinite(threshold):
        ax.axvline(threshold, color="black", lw=1.2, label=f"tipping point {threshold:.4g} ± {uncertainty:.2g}")
        if math.isfinite(uncertainty) and uncertainty > 0:
            ax.axvspan(threshold - uncertainty, threshold + uncertainty, color="black", alpha=0.12, lw=0)
    ax.set_xlabel(xlabel)
    ylabel = {"goodput": "served share of the offered load", "error_rate": "error rate",
              "unhealthy": "largest share of services unhealthy", "no_recovery": "served share at the end"}
    ax.set_ylabel(ylabel.get(kind, "measure"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    page.plot(fig, "amplify-search", "Measure against the magnitude",
              {"kind": "amplify-search", "value": value, "measure": measure, "cascade": cascade,
               "criterion": criterion, "criterion_level": level, "found": found, "threshold": threshold,
               "uncertainty": uncertainty},
              "Each point one run (one seed); red: the criterion found a cascade. Dashed: the criterion; black "
              "line and band: the tipping point ± half its final bracket (add the run's own sampling noise).")
    rows = []
    for i in order:
        rows.append([fmt_number(value[i]), fmt_number(measure[i]), "yes" if cascade[i] else "no",
                     fmt_number(a["peak_unhealthy_share"][i]) if "peak_unhealthy_share" in a else "",
                     fmt_number(a["emergent"][i]) if "emergent" in a else ""])
    page.table(["value", "measure", "cascade", "peak unhealthy", "emergent"], rows)


def draw_premortem(page, f):
    import numpy as np

    plt = pyplot()
    pm = f["premortem"]
    page.heading(2, "Pre-mortem: where a failure hurts most", anchor="premortem")
    services = strings(pm["service"])
    rank = pm["rank"][()].astype(int)
    radius = pm["blast_radius_requests"][()].astype(float)
    types = pm["blast_radius_types"][()].astype(float)
    emergent = pm["emergent"][()].astype(int)
    metastable = pm["metastable"][()].astype(int)
    order = list(np.argsort(rank, kind="stable"))
    page.table(["pre-mortem", ""], [("scenario", esc(attr(pm, "scenario", ""))),
                                    ("crash window", f"{fmt_seconds(attr(pm, 'start', float('nan')))} for "
                                                     f"{fmt_seconds(attr(pm, 'duration', float('nan')))}")], cls="kv")
    n = len(order)
    fig, ax = plt.subplots(figsize=(8, 1.0 + 0.32 * n))
    y = np.arange(n)[::-1]
    colours = ["#7b3fa0" if emergent[i] else "#d62728" for i in order]
    ax.barh(y, radius[order], color=colours, edgecolor="black", lw=0.5)
    for yy, i in zip(y, order):
        tags = [f"{types[i]:.0%} of types"]
        if emergent[i]:
            tags.append(f"{emergent[i]} emergent")
        if metastable[i] == 1:
            tags.append("metastable")
        ax.annotate("  " + ", ".join(tags), (radius[i], yy), va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{rank[i]}. {services[i]}" for i in order])
    ax.set_xlabel("blast radius: failed / ended requests from the crash on")
    ax.set_xlim(0, max(1e-9, float(np.nanmax(radius)) if n else 1) * 1.35)
    fig.tight_layout()
    page.plot(fig, "premortem-ranking", "Pre-mortem ranking",
              {"kind": "premortem", "service": [services[i] for i in order], "rank": rank[order],
               "blast_radius_requests": radius[order], "blast_radius_types": types[order],
               "emergent": emergent[order], "metastable": metastable[order]},
              "One crash per service, ranked: more requests failed, then more request types, then more emergent "
              "failures. Purple: the crash caused emergent failures.")
    rows = []
    for i in order:
        rows.append([str(rank[i]), esc(services[i]), fmt_number(radius[i]), fmt_number(types[i]),
                     fmt_number(pm["peak_unhealthy_share"][i]), fmt_seconds(pm["recovery_time"][i]),
                     str(emergent[i]), {1: "yes", 0: "no"}.get(int(metastable[i]), "cannot tell")])
    page.table(["rank", "service", "blast radius (requests)", "(types)", "peak unhealthy", "recovery", "emergent",
                "metastable"], rows)


def draw_compare(page, f):
    import numpy as np

    plt = pyplot()
    c = f["compare"]
    page.heading(2, "Design comparison", anchor="compare")
    designs = strings(c["designs"])
    metrics = strings(c["metrics"])
    labels = strings(c["labels"]) if "labels" in c else metrics
    units = strings(c["units"]) if "units" in c else [""] * len(metrics)
    mean, half = c["mean"][()], c["half_width"][()]
    diff, diff_half = c["difference"][()], c["difference_half_width"][()]
    verdict = c["verdict"][()]
    descriptions = strings(c["descriptions"]) if "descriptions" in c else [""] * len(designs)
    page.table(["comparison", ""], [("scenario", esc(attr(c, "scenario", ""))),
                                    ("replications", esc(attr(c, "replications", ""))),
                                    ("seeds", esc(", ".join(str(s) for s in c["seeds"][()]))),
                                    ("verdict", esc(attr(c, "verdict", "")))], cls="kv")
    page.table(["design", "description"], [(esc(d) + (" (reference)" if i == 0 else ""), esc(descriptions[i]))
                                           for i, d in enumerate(designs)])
    drawn = [m for m in range(len(metrics)) if np.isfinite(mean[:, m]).any()]
    skipped = [metrics[m] for m in range(len(metrics)) if m not in drawn]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    def unit_label(m):
        return {"ratio": "", "per_second": " (/s)", "seconds": " (s)", "count": "", "plain": ""}.get(units[m], "")

    def panels(shown, names, values, halves, colour, zero=False):
        """One panel per metric in `shown`: each name's value ± half width, names down the side."""
        cols = 4
        rows = max(1, math.ceil(len(shown) / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(11, 0.55 + rows * (0.45 + 0.24 * len(designs))), squeeze=False)
        axes = axes.ravel()
        ys = np.arange(len(names))[::-1]
        for ax, m in zip(axes, shown):
            for j in range(len(names)):
                hw = halves[j, m] if np.isfinite(halves[j, m]) else 0
                ax.errorbar(values[j, m], ys[j], xerr=hw, fmt="o", color=colour(j, m), capsize=3, ms=4)
            if zero:
                ax.axvline(0, color="black", lw=0.8)
            ax.set_yticks(ys)
            ax.set_yticklabels(names, fontsize=7)
            ax.set_title(labels[m] + unit_label(m), fontsize=8)
            ax.tick_params(axis="x", labelsize=7)
            ax.set_ylim(-0.6, len(names) - 0.4)
        for ax in axes[len(shown):]:
            ax.set_visible(False)
        fig.tight_layout()
        return fig

    fig = panels(drawn, designs, mean, half, lambda k, m: colours[k % len(colours)])
    data = {"kind": "compare-means", "designs": designs, "metrics": [metrics[m] for m in drawn],
            "mean": {metrics[m]: mean[:, m] for m in drawn}, "half_width": {metrics[m]: half[:, m] for m in drawn},
            "skipped": skipped}
    caption = "Each metric's mean over the replications and its 95 % Student-t interval, per design."
    if skipped:
        caption += " Not measurable in any design (not drawn): " + ", ".join(skipped) + "."
    page.plot(fig, "compare-means", "Metrics per design: mean and 95 % interval", data, caption)

    if len(designs) > 1:
        others = list(range(1, len(designs)))
        drawn_d = [m for m in drawn if np.isfinite(diff[others, m]).any()]
        fig = panels(drawn_d, [designs[k] for k in others], diff[others], diff_half[others],
                     lambda j, m: {1: "#2ca02c", -1: "#d62728"}.get(int(verdict[others[j], m]), "#777777"), zero=True)
        page.plot(fig, "compare-differences", f"Paired differences from {designs[0]}",
                  {"kind": "compare-differences", "reference": designs[0], "designs": [designs[k] for k in others],
                   "metrics": [metrics[m] for m in drawn_d],
                   "difference": {metrics[m]: diff[others, m] for m in drawn_d},
                   "difference_half_width": {metrics[m]: diff_half[others, m] for m in drawn_d},
                   "verdict": {metrics[m]: verdict[others, m] for m in drawn_d}},
                  f"Design − {designs[0]} over the paired replications (common random numbers), with its 95 % "
                  "interval. Green: better, red: worse, grey: not distinguishable (or no better direction: "
                  "green higher, red lower).")

    rows = []
    for m in range(len(metrics)):
        cells = [esc(labels[m])]
        for k in range(len(designs)):
            cell = f"{fmt_number(mean[k, m])} ± {fmt_number(half[k, m], 2)}"
            if k > 0:
                cell += f"<br><small>Δ {fmt_number(diff[k, m])} ± {fmt_number(diff_half[k, m], 2)}</small>"
            cells.append(cell)
        rows.append(cells)
    page.table(["metric"] + designs, rows)

    # Goodput over time, every design overlaid (mean over replications, band min..max).
    runs = c["runs"][()]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    data = {"kind": "compare-goodput", "designs": designs, "goodput_mean": {}, "goodput_min": {},
            "goodput_max": {}}
    faults, warmup, time0 = [], 0.0, None
    for k, d in enumerate(designs):
        series = []
        for r in runs[k]:
            if r < 0 or str(int(r)) not in f["runs"]:
                continue
            g = f["runs"][str(int(r))]
            bw = float(attr(g, "bin_width", 1.0))
            series.append(g["requests/successes"][()].sum(axis=1) / bw)
            if time0 is None:
                time0 = g["time"][()]
                faults, warmup = run_faults(g), float(attr(g, "warmup", 0.0))
        if not series:
            continue
        n = min(len(s) for s in series)
        stack = np.vstack([s[:n] for s in series])
        m, lo, hi = stack.mean(axis=0), stack.min(axis=0), stack.max(axis=0)
        t = time0[:n]
        colour = colours[k % len(colours)]
        ax.plot(t, m, lw=1.1, color=colour, label=d, drawstyle="steps-post")
        if len(series) > 1:
            ax.fill_between(t, lo, hi, color=colour, alpha=0.15, lw=0, step="post")
        data["goodput_mean"][d], data["goodput_min"][d], data["goodput_max"][d] = m, lo, hi
    data["time"] = time0[: max((len(v) for v in data["goodput_mean"].values()), default=0)] if time0 is not None else []
    data["faults"], data["warmup"] = faults, warmup
    shade_spans(ax, warmup, faults)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("goodput (successes/s, all request types)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    page.plot(fig, "compare-goodput", "Goodput over time, designs overlaid", data,
              "Successes per second of all request types, mean over the replications (band: lowest to highest "
              "replication). Grey: warm-up; red: the faults' spans (the same in every design).")


def draw_suggest(page, f):
    import numpy as np

    plt = pyplot()
    s = f["suggest"]
    c = f["compare"]
    page.heading(2, "Post-mortem of possibility: suggestions, tested", anchor="suggest")
    designs = strings(c["designs"])
    metrics = strings(c["metrics"])
    diff = c["difference"][()].astype(float)
    half = c["difference_half_width"][()].astype(float)
    users = metrics.index("users_failing")
    requests = metrics.index("blast_radius_requests")
    page.table(["suggest", ""], [("scenario", esc(attr(s, "scenario", ""))),
                                 ("starting design", esc(attr(s, "design", ""))),
                                 ("amplified to", esc(attr(s, "amplified", "") or "the scenario as written")),
                                 ("verdict", esc(attr(s, "verdict", "")))], cls="kv")
    fs = s["findings"]
    kinds = strings(fs["kind"])
    page.table(["#", "finding", "what we assumed that this failure proved false", "evidence"],
               [[str(i + 1), esc(kinds[i]), esc(a), esc(e)]
                for i, (a, e) in enumerate(zip(strings(fs["assumption"]), strings(fs["evidence"])))])
    cand = s["candidates"]
    names = strings(cand["name"])
    rank = cand["rank"][()].astype(int)
    better = cand["better"][()].astype(int)
    rules = strings(cand["rule"])
    finding = cand["finding"][()].astype(int)
    order = list(np.argsort(rank, kind="stable"))
    abl = s["ablations"]
    anames = strings(abl["name"])
    judgement = strings(abl["judgement"])
    rows = [names[i] for i in order] + anames
    if rows:
        idx = [designs.index(n) for n in rows]
        n = len(rows)
        fig, axes = plt.subplots(1, 2, figsize=(10, 1.2 + 0.34 * n), sharey=True)
        y = np.arange(n)[::-1]
        colours = []
        for k, name in enumerate(rows):
            if k < len(order):
                b = better[order[k]]
            else:
                j = judgement[k - len(order)]
                b = 1 if j == "harmful" else (-1 if j == "earns its keep" else 0)
            colours.append({1: "#2ca02c", -1: "#d62728"}.get(int(b), "#999999"))
        for ax, m, label in ((axes[0], users, "users failing"), (axes[1], requests, "requests failed")):
            x = 100 * diff[idx, m]
            err = 100 * np.nan_to_num(half[idx, m])
            ax.barh(y, x, xerr=err, color=colours, edgecolor="black", lw=0.5, capsize=2)
            ax.axvline(0, color="black", lw=0.8)
            ax.set_xlabel(f"{label}: paired difference from {designs[0]} (points, 95 %)")
        axes[0].set_yticks(y)
        labels = [f"{rank[order[k]]}. {rows[k]}" for k in range(len(order))] + [f"stop: {a}" for a in anames]
        axes[0].set_yticklabels(labels, fontsize=8)
        fig.tight_layout()
        page.plot(fig, "suggest-ranking", "Candidates ranked, and each policy removed",
                  {"kind": "suggest", "design": rows, "users_failing_difference": diff[idx, users],
                   "users_failing_half_width": half[idx, users], "requests_failed_difference": diff[idx, requests],
                   "requests_failed_half_width": half[idx, requests]},
                  "Each candidate redesign (ranked: least user harm first) and each tolerance policy removed in "
                  "turn, as the paired difference from the starting design over the same seeds. Left of zero: "
                  "less harm. Green: better (a candidate) or harmful (a policy whose removal helps); red: worse "
                  "(or a policy that earns its keep); grey: the runs cannot tell.")
    page.table(["rank", "candidate", "rule", "answers", "better"],
               [[str(rank[i]), esc(names[i]), esc(rules[i]), str(finding[i] + 1),
                 {1: "yes", -1: "worse", 0: "not shown"}[int(better[i])]] for i in order])
    if anames:
        page.table(["policy removed", "judgement", "users failing (points)", "requests failed (points)"],
                   [[esc(a), esc(j), f"{100 * d:+.1f} ± {100 * h:.1f}", f"{100 * rd:+.1f} ± {100 * rh:.1f}"]
                    for a, j, d, h, rd, rh in zip(anames, judgement, abl["users_failing_difference"][()],
                                                  abl["users_failing_half_width"][()],
                                                  abl["requests_failed_difference"][()],
                                                  abl["requests_failed_half_width"][()])])


def draw_sweep(page, f):
    import numpy as np

    plt = pyplot()
    s = f["sweep"]
    page.heading(2, "Sweep: metrics over the factors", anchor="sweep")
    metrics = [text(m) for m in np.atleast_1d(attr(s, "metrics", []))]
    if not metrics:
        metrics = sorted(k[: -len("_mean")] for k in s if k.endswith("_mean") and not k.endswith("_diff_mean"))
    page.table(["sweep", ""], [("sweep", esc(attr(s, "sweep", ""))), ("sweep file", esc(attr(s, "sweep_file", ""))),
                               ("scenario", esc(attr(s, "scenario", ""))),
                               ("reference design", esc(attr(s, "reference", "")) or "none"),
                               ("runs", esc(len(f["runs"]) if "runs" in f else 0))], cls="kv")
    metrics = [m for m in metrics if f"{m}_mean" in s]
    if not metrics:
        page.add('<p class="missing">The /sweep group has no metric means to draw.</p>')
        return
    first = s[f"{metrics[0]}_mean"]
    axes_names = [d.label or f"axis{i}" for i, d in enumerate(first.dims)]

    def axis_values(name, size):
        if name in s:
            v = s[name][()]
            return [text(x) for x in v] if v.dtype.kind in "OSU" else [float(x) for x in v]
        return list(range(size))

    values = {n: axis_values(n, first.shape[i]) for i, n in enumerate(axes_names)}
    cols = min(3, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig, axs = plt.subplots(rows, cols, figsize=(3.6 * cols + 1.6, 3.0 * rows), squeeze=False)
    axs = axs.ravel()
    data = {"kind": "sweep", "axes": axes_names, "axis_values": values, "metrics": {}}
    import itertools

    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, m in zip(axs, metrics):
        mean = s[f"{m}_mean"][()]
        ci = s[f"{m}_ci95"][()] if f"{m}_ci95" in s else np.zeros_like(mean)
        data["metrics"][m] = {"mean": mean, "ci95": ci}
        if mean.ndim == 0:
            ax.errorbar([0], [float(mean)], yerr=[float(ci) if np.isfinite(ci) else 0], fmt="o")
            ax.set_title(m)
            continue
        x = values[axes_names[0]]
        numeric = all(isinstance(v, float) for v in x)
        xs = np.asarray(x, dtype=float) if numeric else np.arange(len(x))
        others = [range(n) for n in mean.shape[1:]]
        combos = list(itertools.product(*others))[:MAX_LINES]
        for j, combo in enumerate(combos):
            idx = (slice(None),) + combo
            y = mean[idx]
            e = np.where(np.isfinite(ci[idx]), ci[idx], 0)
            label = ", ".join(f"{axes_names[1 + a]}={fmt_value(values[axes_names[1 + a]][k])}"
                              for a, k in enumerate(combo))
            ax.errorbar(xs, y, yerr=e, fmt="-o", ms=3, capsize=2, lw=1, color=colours[j % len(colours)],
                        label=label or None)
        if not numeric:
            ax.set_xticks(xs)
            ax.set_xticklabels(x, rotation=30, fontsize=7)
        ax.set_xlabel(axes_names[0])
        ax.set_title(m)
    for ax in axs[len(metrics):]:
        ax.set_visible(False)
    handles, labels = axs[0].get_legend_handles_labels()
    if labels:
        fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.80, 0.98), fontsize=7, frameon=False)
        fig.tight_layout(rect=(0, 0, 0.79, 1))
    else:
        fig.tight_layout()
    caption = (f"One panel per metric: the mean over the replications and its 95 % interval, against "
               f"{axes_names[0]}" + (", one line per value of " + ", ".join(axes_names[1:]) if len(axes_names) > 1 else "") + ".")
    page.plot(fig, "sweep-metrics", "Sweep: each metric's mean ± 95 % interval", data, caption)


# --------------------------------------------------------------------------------------------
# The file


def open_results(path):
    import h5py

    if not os.path.exists(path):
        raise ReportError("no such file")
    if os.path.isdir(path):
        raise ReportError("is a directory, not a results file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as e:
        raise ReportError(f"cannot read it: {e.strerror or e}")
    if not h5py.is_hdf5(path):
        if len(head) == 0:
            raise ReportError("empty file, not a rapture results file")
        raise ReportError("not an HDF5 file, so not a rapture results file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ReportError(f"cannot open it as HDF5 (truncated or damaged?): {first_line(e)}")
    if text(attr(f, "format", "")) != "rapture-results" or "runs" not in f:
        f.close()
        raise ReportError("an HDF5 file, but not a rapture results file (no format=\"rapture-results\" attribute "
                          "or no /runs)")
    return f


def first_line(e):
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def choose_runs(f, requested):
    """(run indices to draw, why) for the file's kind."""
    names = sorted((n for n in f["runs"] if n.isdigit()), key=int)
    if requested:
        missing = [r for r in requested if str(r) not in f["runs"]]
        if missing:
            raise ReportError(f"no run {missing[0]} in the file (it has {len(names)} runs)")
        return [(r, "as asked") for r in requested]
    if "amplify" in f:
        a = f["amplify"]
        first = int(attr(a, "first_cascade_run", -1))
        if first >= 0 and str(first) in f["runs"]:
            out = [(first, "the first cascading point")]
            values = a["value"][()]
            cascade = a["cascade"][()]
            if text(attr(a, "mode", "search")) != "map" and len(values) == len(names):
                holding = [int(names[i]) for i in range(len(names)) if not cascade[i] and values[i] < values[int(
                    names.index(str(first)))]] if str(first) in names else []
                if holding:
                    best = max(holding, key=lambda r: values[names.index(str(r))])
                    out.insert(0, (best, "the highest point that held"))
            return out
        return [(int(names[-1]), "the highest magnitude (no cascade found)")] if names else []
    if "premortem" in f:
        pm = f["premortem"]
        rank = pm["rank"][()]
        services = strings(pm["service"])
        order = sorted(range(len(rank)), key=lambda i: rank[i])[:2]
        return [(int(names[i]), f"crash of {services[i]} (rank {rank[i]})") for i in order if i < len(names)]
    if "compare" in f:
        c = f["compare"]
        designs = strings(c["designs"])
        runs = c["runs"][()]
        return [(int(runs[k, 0]), f"design {d}, replication 0") for k, d in enumerate(designs[:4]) if runs[k, 0] >= 0]
    out = []
    for n in names[:MAX_RUN_SECTIONS]:
        g = f["runs"][n]
        out.append((int(n), f"{text(attr(g, 'scenario_name', ''))}, design {text(attr(g, 'design', 'baseline'))}, "
                            f"seed {text(attr(g, 'seed', ''))}"))
    return out


def runs_table(page, f, shown):
    names = sorted((n for n in f["runs"] if n.isdigit()), key=int)
    if len(names) <= 1:
        return
    page.heading(2, f"All runs ({len(names)})", anchor="runs")
    limit = 200
    rows = []
    for n in names[:limit]:
        g = f["runs"][n]
        s = g["summary"].attrs if "summary" in g else None
        rows.append([n + (" (drawn)" if int(n) in shown else ""), esc(attr(g, "design", "")), esc(attr(g, "seed", "")),
                     "<br>".join(esc(p) for p in attr(g, "parameters", [])),
                     fmt_number(s["goodput"]) if s is not None and "goodput" in s else "unfinished",
                     fmt_number(s["error_rate"]) if s is not None and "error_rate" in s else "",
                     fmt_seconds(s["p99"]) if s is not None and "p99" in s else ""])
    page.table(["run", "design", "seed", "overrides", "goodput (/s)", "error rate", "p99"], rows)
    if len(names) > limit:
        page.note(f"The first {limit} of {len(names)} runs are listed.")


def build(path, out, png_dir, requested):
    f = open_results(path)
    with f:
        page = Page(out, png_dir)
        kinds = [k for k in ("amplify", "premortem", "suggest", "compare", "sweep") if k in f]
        names = sorted((n for n in f["runs"] if n.isdigit()), key=int)
        if not names and not kinds:
            raise ReportError("a rapture results file with no run in /runs: nothing to report")
        version = text(attr(f, "rapture_version", "?"))
        if "amplify" in f:
            draw_amplify(page, f)
        if "premortem" in f:
            draw_premortem(page, f)
        if "suggest" in f:
            draw_suggest(page, f)
        if "compare" in f:
            draw_compare(page, f)
        if "sweep" in f:
            draw_sweep(page, f)
        chosen = choose_runs(f, requested)
        shown = [r for r, _ in chosen]
        if len(names) > len(chosen):
            page.note(f"This file holds {len(names)} runs; the sections below draw {len(chosen)} of them: " +
                      "; ".join(f"run {r} ({why})" for r, why in chosen) + ". `--run I` draws another.")
        notes = []
        for r, why in chosen:
            g = f["runs"][str(r)]
            section = RunSection(page, g, r, why)
            section.draw()
            if not section.faults:
                notes.append(f"run {r} has no fault: the page says so and shows no cascade")
        runs_table(page, f, shown)
        kind = ", ".join(kinds) or ("run" if len(names) == 1 else "runs")
        title = f"rapture report: {os.path.basename(path)}"
        subtitle = (f"{esc(kind)} file, {len(names)} run{'s' if len(names) != 1 else ''}, written by rapture "
                    f"{esc(version)}; {page.figures} figures. Source: {esc(os.path.abspath(path))}")
        return page.render(title, subtitle), notes


def write_output(out, content):
    directory = os.path.dirname(os.path.abspath(out)) or "."
    if os.path.isdir(out):
        raise ReportError(f"{out}: the output is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=directory)
    except OSError as e:
        raise ReportError(f"{out}: cannot write there: {e.strerror or e}")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ReportError(f"{out}: cannot write it: {e.strerror or e}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROG, description="One self-contained HTML page of plots from a rapture "
                                                            "results file (no network access needed to view it).")
    parser.add_argument("file", help="a rapture results file (.h5)")
    parser.add_argument("-o", "--output", help="the HTML file to write (default: FILE with .html)")
    parser.add_argument("--png", metavar="DIR", help="also write every figure as a PNG into DIR")
    parser.add_argument("--run", type=int, action="append", metavar="I", help="draw run I (repeatable) instead of "
                                                                              "the ones chosen for the file's kind")
    args = parser.parse_args(argv)
    path = args.file
    try:
        try:
            import h5py  # noqa: F401
            import matplotlib  # noqa: F401
            import numpy  # noqa: F401
        except ImportError as e:
            raise ReportError(f"needs Python's {e.name} (Debian: python3-h5py python3-matplotlib python3-numpy; "
                              "sh cmake/install-deps.sh installs them)")
        out = args.output or (re.sub(r"\.(h5|hdf5|hdf)$", "", path, flags=re.I) + ".html")
        if os.path.exists(out) and os.path.exists(path) and os.path.samefile(out, path):
            raise ReportError("the output would replace the results file itself: give -o")
        if args.png:
            try:
                os.makedirs(args.png, exist_ok=True)
            except OSError as e:
                raise ReportError(f"{args.png}: cannot create the PNG directory: {e.strerror or e}")
        content, notes = build(path, out, args.png, args.run)
        write_output(out, content)
        for n in notes:
            print(f"{PROG}: {path}: note: {n}", file=sys.stderr)
        print(out)
        return 0
    except ReportError as e:
        print(f"{PROG}: {path}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: {path}: interrupted", file=sys.stderr)
        return 130
    except (OSError, KeyError, ValueError, IndexError, TypeError) as e:
        # h5py raises these on a damaged or truncated file (a dataset whose chunks are gone).
        print(f"{PROG}: {path}: cannot read the file (truncated or damaged?): {type(e).__name__}: {first_line(e)}",
              file=sys.stderr)
        return 1
    except Exception as e:  # never a traceback: one line naming the file
        print(f"{PROG}: {path}: {type(e).__name__}: {first_line(e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
