#!/usr/bin/python3
"""Scaling of rapture's cost: wall time, CPU time and peak memory against topology size and
run length, and the memory a request in flight costs. See bench/README.md ("Scaling").

Three series, each point in a child process of its own (whole process: start-up, the model,
HDF5 output), measured with os.wait4, which gives that child's own CPU time and peak resident
set size (ru_maxrss):

1. Topology size: generated call graphs of N in --sizes nodes (bench/scaling/
   generate_topology.py: fan-out, sharing and depth drawn from the bundled real topologies,
   ~15 visits per request whatever N) at a fixed number of requests (--size-requests).
2. Run length: a fixed topology (--length-topology: the chain of run_chain.py, or a generated
   N) over --lengths requests. Targets: cost linear in requests, peak memory flat.
3. Backlog: the chain with arrivals above what its first service can take (8 workers holding
   each request ~5.8 ms: ~1,380/s) and an unbounded queue, so that --backlog requests are still
   waiting at the end; peak RSS against the same run at 500/s (no backlog). Bytes per request
   in flight = RSS difference / visits in flight at the end (totals/services/in_flight_end).
   Target <= 1 KiB.

Builds nothing; build first (`cmake --workflow --preset release`). Run with Debian's
interpreter, which has python3-h5py:

    /usr/bin/python3 bench/run_scaling.py [--repeat K] [--rapture PATH] [--only sizes,lengths,backlog]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAIN_YAML = os.path.join(ROOT, "bench", "chain", "chain.yaml")
CHAIN_RATE = 500.0
sys.path.insert(0, os.path.join(ROOT, "bench", "scaling"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import generate_topology  # noqa: E402

# The chain's first service: 8 workers, each held for a request's whole life (5 exp(1 ms)
# services and 8 hops of 100 us, ~5.8 ms): it serves about 8 / 5.8 ms requests per second.
CHAIN_CAPACITY = 8 / (5 * 1e-3 + 8 * 100e-6)
BACKLOG_SECONDS = 50.0


def run_child(cmd):
    """Runs `cmd` in a child process; returns (wall s, CPU s, peak RSS in bytes) of that child
    alone (os.wait4 gives its own rusage, unlike RUSAGE_CHILDREN, whose maxrss is the largest
    of all children so far)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            sys.exit("run_scaling: %s failed (exit %d):\n%s"
                     % (" ".join(cmd), proc.returncode, err.read().decode(errors="replace")))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def run_rapture(rapture, scenario, h5, sets, seed):
    cmd = [rapture, "run", scenario, "-q", "-o", h5, "--seed", str(seed)]
    for s in sets:
        cmd += ["--set", s]
    wall, cpu, rss = run_child(cmd)
    with h5py.File(h5, "r") as f:
        run = f["runs/0"]
        totals = run["totals/services"]
        summary = run["summary"].attrs
        out = {
            "wall": wall, "cpu": cpu, "rss": rss,
            "visits": int(totals["arrivals"][()].sum()),
            "in_flight": int(totals["in_flight_end"][()].sum()),
            "requests": int(summary["requests"]),
            "failures": int(summary["failures"]),
            "model_wall": float(run.attrs["wall_seconds"]),
            "events": int(run.attrs["events"]),
            "stopped_early": int(run.attrs["stopped_early"]),
        }
    out["file_bytes"] = os.path.getsize(h5)
    os.remove(h5)
    return out


def best(runs):
    """The fastest wall and CPU times of the repeats (the least disturbed by other load) and the
    largest peak RSS (the conservative one; it varies little)."""
    r = dict(min(runs, key=lambda x: x["wall"]))
    r["cpu"] = min(x["cpu"] for x in runs)
    r["rss"] = max(x["rss"] for x in runs)
    return r


def per_10x(x0, y0, x1, y1):
    """Growth of y per 10x growth of x between two points: (y1/y0)^(1/log10(x1/x0))."""
    return (y1 / y0) ** (1.0 / math.log10(x1 / x0))


def loglog_slope(xs, ys):
    """Least-squares exponent b of y ~ x^b."""
    b, _ = np.polyfit(np.log10(xs), np.log10(ys), 1)
    return float(b)


def mib(b):
    return b / 2 ** 20


def series_sizes(args, workdir):
    print("== Topology size: generated graphs, %s requests each (--size-requests)" % "{:,}".format(args.size_requests))
    stats = generate_topology.measure()
    points = []
    for n in args.sizes:
        g = generate_topology.generate(n, seed=args.gen_seed, stats=stats)
        info = generate_topology.write(g, workdir, n, args.gen_seed, 8, 15.0, 2000.0, 0.2, args.size_requests)
        points.append((n, info))
        print("  N=%-5d %4d calls, entry fan-out %3d, longest path %d, %.1f expected visits per request"
              % (n, info["calls"], info["entry_fanout"], info["longest_path"], info["expected_visits"]))
    runs = {n: [] for n, _ in points}
    for _ in range(args.repeat):
        for n, info in points:
            runs[n].append(run_rapture(args.rapture, info["yaml"], os.path.join(workdir, "size-%d.h5" % n),
                                       ["duration=%rs" % (args.size_requests / 2000.0)], args.seed))
    rows = [(n, best(runs[n])) for n, _ in points]
    for _, r in rows:
        if r["failures"] or r["stopped_early"]:
            print("  WARNING: N=%d: %d failed requests, stopped_early=%d (the generated capacities should prevent this)"
                  % (_, r["failures"], r["stopped_early"]))
    print()
    print("| N | requests | visits | wall s | cpu s | model s | peak RSS MiB | visits/s (wall) | visits/CPU s | CPU ns/visit |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, r in rows:
        print("| %d | %s | %s | %.3f | %.3f | %.3f | %.1f | %s | %s | %.0f |"
              % (n, "{:,}".format(r["requests"]), "{:,}".format(r["visits"]), r["wall"], r["cpu"], r["model_wall"],
                 mib(r["rss"]), "{:,.0f}".format(r["visits"] / r["wall"]), "{:,.0f}".format(r["visits"] / r["cpu"]),
                 1e9 * r["cpu"] / r["visits"]))
    growth(rows, "N", per_visit=True)
    return rows


def series_lengths(args, workdir):
    if args.length_topology == "chain":
        scenario, rate, label = CHAIN_YAML, CHAIN_RATE, "the chain (bench/chain, 5 services, 500 requests/s)"
    else:
        n = int(args.length_topology)
        info = generate_topology.write(generate_topology.generate(n, seed=args.gen_seed), workdir, n, args.gen_seed,
                                       8, 15.0, 2000.0, 0.2, 1e6)
        scenario, rate, label = info["yaml"], 2000.0, "generated N=%d (2,000 requests/s)" % n
    print("== Run length: %s" % label)
    runs = {n: [] for n in args.lengths}
    for _ in range(args.repeat):
        for n in args.lengths:
            runs[n].append(run_rapture(args.rapture, scenario, os.path.join(workdir, "length-%d.h5" % n),
                                       ["duration=%rs" % (n / rate)], args.seed))
    rows = [(n, best(runs[n])) for n in args.lengths]
    print()
    print("| requests | visits | wall s | cpu s | model s | peak RSS MiB | visits/s (wall) | visits/CPU s | HDF5 file KiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, r in rows:
        print("| %s | %s | %.3f | %.3f | %.3f | %.1f | %s | %s | %.0f |"
              % ("{:,}".format(n), "{:,}".format(r["visits"]), r["wall"], r["cpu"], r["model_wall"], mib(r["rss"]),
                 "{:,.0f}".format(r["visits"] / r["wall"]), "{:,.0f}".format(r["visits"] / r["cpu"]),
                 r["file_bytes"] / 1024))
    growth(rows, "requests", per_visit=False)
    # Linear in requests: a fixed start-up cost plus a constant cost per request.
    xs = np.array([n for n, _ in rows], float)
    cpu = np.array([r["cpu"] for _, r in rows])
    b, a = np.polyfit(xs, cpu, 1)
    print("  CPU = %.3f s + %.0f ns x requests (least squares); marginal CPU per request between successive points: %s"
          % (a, b * 1e9, ", ".join("%.0f ns" % (1e9 * (r1["cpu"] - r0["cpu"]) / (n1 - n0))
                                   for (n0, r0), (n1, r1) in zip(rows, rows[1:]))))
    rss = [r["rss"] for _, r in rows]
    print("  peak RSS from %s to %s requests: %.1f -> %.1f MiB (x%.3f; largest/smallest x%.3f)"
          % ("{:,}".format(rows[0][0]), "{:,}".format(rows[-1][0]), mib(rss[0]), mib(rss[-1]), rss[-1] / rss[0],
             max(rss) / min(rss)))
    return rows


def growth(rows, xname, per_visit):
    print()
    print("  growth per 10x %s between successive points (1.00 = flat, 10.0 = linear):" % xname)
    for (x0, r0), (x1, r1) in zip(rows, rows[1:]):
        extra = ""
        if per_visit:
            extra = ", CPU per visit x%.2f" % per_10x(x0, r0["cpu"] / r0["visits"], x1, r1["cpu"] / r1["visits"])
        print("    %s -> %s: wall x%.2f, cpu x%.2f, model x%.2f, peak RSS x%.2f%s"
              % ("{:,}".format(x0), "{:,}".format(x1), per_10x(x0, r0["wall"], x1, r1["wall"]),
                 per_10x(x0, r0["cpu"], x1, r1["cpu"]), per_10x(x0, r0["model_wall"], x1, r1["model_wall"]),
                 per_10x(x0, r0["rss"], x1, r1["rss"]), extra))
    xs = [x for x, _ in rows]
    fit = {k: loglog_slope(xs, [r[k] for _, r in rows]) for k in ("wall", "cpu", "model_wall", "rss")}
    print("    log-log fit over all points: wall ~ %s^%.2f, cpu ~ %s^%.2f, model ~ %s^%.2f, peak RSS ~ %s^%.2f"
          % (xname, fit["wall"], xname, fit["cpu"], xname, fit["model_wall"], xname, fit["rss"]))


def series_backlog(args, workdir):
    print("== Memory per request in flight: the chain, %g simulated s, arrivals above s1's ~%.0f/s"
          % (BACKLOG_SECONDS, CHAIN_CAPACITY))
    levels = [0] + args.backlog
    runs = {b: [] for b in levels}
    for _ in range(args.repeat):
        for b in levels:
            rate = CHAIN_RATE if b == 0 else b / BACKLOG_SECONDS + CHAIN_CAPACITY
            runs[b].append(run_rapture(args.rapture, CHAIN_YAML, os.path.join(workdir, "backlog-%d.h5" % b),
                                       ["duration=%rs" % BACKLOG_SECONDS, "workload[0].arrivals.rate=%r/s" % rate],
                                       args.seed))
    rows = [(b, best(runs[b])) for b in levels]
    base = rows[0][1]
    print()
    print("| target backlog | arrival rate /s | visits | in flight at end | wall s | cpu s | peak RSS MiB | RSS - no backlog, MiB | bytes per visit in flight |")
    print("|---|---|---|---|---|---|---|---|---|")
    per = []
    for b, r in rows:
        rate = CHAIN_RATE if b == 0 else b / BACKLOG_SECONDS + CHAIN_CAPACITY
        diff = r["rss"] - base["rss"]
        bpr = diff / (r["in_flight"] - base["in_flight"]) if b else float("nan")
        if b:
            per.append(bpr)
        print("| %s | %.0f | %s | %s | %.3f | %.3f | %.1f | %.1f | %s |"
              % ("{:,}".format(b) if b else "none", rate, "{:,}".format(r["visits"]), "{:,}".format(r["in_flight"]),
                 r["wall"], r["cpu"], mib(r["rss"]), mib(diff), "-" if not b else "%.0f" % bpr))
    xs = [r["in_flight"] for _, r in rows]
    ys = [r["rss"] for _, r in rows]
    slope, _ = np.polyfit(xs, ys, 1)
    print("  least-squares slope of peak RSS over visits in flight: %.0f bytes per visit (target <= 1024): %s"
          % (slope, "met" if slope <= 1024 and max(per) <= 1024 else "NOT met"))
    return rows, slope


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rapture", default=os.path.join(ROOT, "build", "release", "rapture"))
    p.add_argument("--sizes", default="10,30,100,300,1000", help="topology sizes N (nodes)")
    p.add_argument("--size-requests", type=float, default=1e6, help="requests per run of the size series")
    p.add_argument("--lengths", default="1e4,1e5,1e6,1e7", help="requests per run of the length series")
    p.add_argument("--length-topology", default="chain", help="'chain' or a generated size N")
    p.add_argument("--backlog", default="250000,1000000", help="requests left waiting at the end")
    p.add_argument("--repeat", type=int, default=3, help="runs per point; the fastest times, the largest RSS are kept")
    p.add_argument("--seed", type=int, default=1, help="simulation seed")
    p.add_argument("--gen-seed", type=int, default=1, help="seed of the generated topologies")
    p.add_argument("--only", default="sizes,lengths,backlog", help="which series to run")
    p.add_argument("--json", help="also write every measured point to this file")
    args = p.parse_args()
    if not os.access(args.rapture, os.X_OK):
        sys.exit("run_scaling: %s not found; build with `cmake --workflow --preset release` or pass --rapture"
                 % args.rapture)
    args.sizes = [int(float(x)) for x in args.sizes.split(",") if x]
    args.lengths = [int(float(x)) for x in args.lengths.split(",") if x]
    args.backlog = [int(float(x)) for x in args.backlog.split(",") if x]
    args.size_requests = int(args.size_requests)
    only = set(args.only.split(","))
    load = os.getloadavg()[0]
    started = time.perf_counter()
    out = {}
    with tempfile.TemporaryDirectory(prefix="run_scaling-") as workdir:
        if "sizes" in only:
            out["sizes"] = series_sizes(args, workdir)
            print()
        if "lengths" in only:
            out["lengths"] = series_lengths(args, workdir)
            print()
        if "backlog" in only:
            rows, slope = series_backlog(args, workdir)
            out["backlog"] = rows
            out["backlog_slope"] = slope
    print("\n%d cores, load average %.1f at the start and %.1f at the end; %.0f s in all. wall s: whole process;"
          "\ncpu s: its user + system CPU time; model s: the run's own wall_seconds (the simulation without start-up"
          "\nand output); times are the fastest of %d runs, peak RSS the largest; visits = sum of totals/services/arrivals."
          % (os.cpu_count(), load, os.getloadavg()[0], time.perf_counter() - started, args.repeat))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
