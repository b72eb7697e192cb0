#!/usr/bin/python3
"""Whole-run comparison on the chain benchmark: rapture, SimPy 2.3 and a hand-written
binary-heap event loop (the limit) simulate the same model side by side, in one
invocation, so that the ratios are measured on the same machine at the same moment.

Checks first that the three agree on the mean end-to-end latency (each uses its own random
numbers, so they agree up to sampling error; see `check_agreement`), then prints whole-
process wall time, simulated service calls per second and the ratios. Exits 1 if they
disagree. Builds nothing: build first with `cmake --workflow --preset release`.

Run with Debian's interpreter, which has python3-simpy and python3-h5py:

    /usr/bin/python3 bench/run_chain.py [--requests 100000,1000000] [--repeat K]
"""

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAIN = os.path.join(ROOT, "bench", "chain")
RATE = 500.0            # requests per second, as in chain.yaml
CALLS_PER_REQUEST = 5   # one visit per service of the chain
# With no queueing a request costs 5 exp(1 ms) service times and 8 hops of 100 us; the
# queueing at 500/s on 8 workers adds a few microseconds. Printed as a sanity reference.
NO_QUEUEING_LATENCY = 5 * 1e-3 + 8 * 100e-6


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd):
    """Runs `cmd`; returns (whole-process wall seconds, its CPU seconds, stdout). CPU time is
    printed too because on a shared machine it is far less disturbed by other load."""
    cpu0 = child_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    cpu = child_cpu() - cpu0
    if proc.returncode != 0:
        sys.exit("run_chain: %s failed (exit %d):\n%s" % (" ".join(cmd), proc.returncode, proc.stderr))
    return wall, cpu, proc.stdout


def run_json(cmd, n, seed):
    """Runs an implementation that takes --requests and --seed and prints the chain's JSON line
    (heap_chain, simpy_chain.py, bench/styles' styles_chain)."""
    wall, cpu, out = timed([*cmd, "--requests", str(n), "--seed", str(seed)])
    r = json.loads(out)
    return {"wall": wall, "cpu": cpu, "requests": r["requests"], "mean": r["mean_latency"], "sd": r["latency_sd"]}


def run_heap(path, n, seed):
    return run_json([path], n, seed)


def run_simpy(n, seed):
    return run_json([sys.executable, os.path.join(CHAIN, "simpy_chain.py")], n, seed)


# The target configuration: every call with a per-try timeout, Envoy retries and a
# resilience4j circuit breaker, none of which fires at this load (timeouts far above latency).
POLICIES = ["--set", "policies.defaults={timeout: {per_try: 10s}, retry: envoy, circuit_breaker: resilience4j}"]


def run_rapture(path, n, seed, workdir, extra=()):
    h5 = os.path.join(workdir, "chain-%d.h5" % n)
    wall, cpu, _ = timed([path, "run", os.path.join(CHAIN, "chain.yaml"), "-q", "-o", h5, "--seed", str(seed),
                     "--set", "duration=%rs" % (n / RATE), *extra])
    with h5py.File(h5, "r") as f:
        run = f["runs/0"]
        summary = run["summary"].attrs
        # The latency histogram of all successful requests gives the spread for the
        # agreement check (bucket midpoints: within 1.6 %, plenty for a standard error).
        counts = run["totals/requests/latency_histogram"][()].sum(axis=0).astype(float)
        edges = run["latency_bucket_edges"][()]
        mids = np.where(np.isfinite(edges[1:]), 0.5 * (edges[:-1] + edges[1:]), edges[:-1])
        mean_h = (counts * mids).sum() / counts.sum()
        sd = math.sqrt((counts * (mids - mean_h) ** 2).sum() / (counts.sum() - 1))
        result = {"wall": wall, "cpu": cpu, "requests": int(summary["successes"]), "mean": float(summary["latency_mean"]),
                  "sd": sd, "model_wall": float(run.attrs["wall_seconds"])}
    os.remove(h5)
    return result


def fastest(runs):
    """Of repeated runs, the one with the least wall time, with the least CPU time of all: the
    least disturbed by other load."""
    return dict(min(runs, key=lambda r: r["wall"]), cpu=min(r["cpu"] for r in runs))


def check_agreement(n, results, sigmas):
    """Pairwise: |mean_a - mean_b| <= sigmas * sqrt(se_a^2 + se_b^2), se = sd / sqrt(requests).

    The three implementations draw different random numbers, so their means differ by
    sampling error alone; sd ~ 2.2 ms (five exponential service times) gives se ~ 7 us at
    10^5 requests and ~ 2.2 us at 10^6 (the pair: x sqrt 2), i.e. a tolerance of ~ 0.7 % and
    ~ 0.2 % of the mean at 4 sigmas; a false alarm is a ~1e-4 event per pair. Latencies of
    successive requests are nearly independent here (at 500/s a request rarely waits for a
    worker), so sd / sqrt(n) is an honest standard error. What it catches: a hop too many
    or too few (100 us = 10 to 30 se), a wrong service-time mean or a worker released
    before the reply is back and the queueing that depends on it (the whole queueing
    delay is only ~10 us here, so a subtle queueing difference is detectable only at 10^6).
    Also checks that each completed ~N requests (Poisson count: within 5 sqrt(N))."""
    ok = True
    names = list(results)
    for name in names:
        r = results[name]
        if abs(r["requests"] - n) > 5 * math.sqrt(n) + 10:
            print("  FAIL %-8s completed %d requests, expected about %d" % (name, r["requests"], n))
            ok = False
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ra, rb = results[a], results[b]
            se = math.hypot(ra["sd"] / math.sqrt(ra["requests"]), rb["sd"] / math.sqrt(rb["requests"]))
            diff = ra["mean"] - rb["mean"]
            good = abs(diff) <= sigmas * se
            ok &= good
            print("  %-4s %-7s vs %-7s: %+7.2f us, tolerance %.2f us (%g x se %.2f us)"
                  % ("ok" if good else "FAIL", a, b, diff * 1e6, sigmas * se * 1e6, sigmas, se * 1e6))
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rapture", default=os.path.join(ROOT, "build", "release", "rapture"))
    p.add_argument("--heap", default=os.path.join(ROOT, "build", "release", "bench", "heap_chain"))
    p.add_argument("--requests", default="100000,1000000", help="comma-separated run lengths N")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=1,
                   help="run each K times and keep the fastest (the least disturbed by other load)")
    p.add_argument("--simpy-limit", type=float, default=60.0,
                   help="skip a SimPy run expected to take longer than this many seconds")
    p.add_argument("--sigmas", type=float, default=4.0, help="agreement tolerance in standard errors")
    args = p.parse_args()

    for path in (args.rapture, args.heap):
        if not os.access(path, os.X_OK):
            sys.exit("run_chain: %s not found; build with `cmake --workflow --preset release` "
                     "or pass --rapture/--heap" % path)
    sizes = [int(float(x)) for x in args.requests.split(",")]

    rows = []
    all_ok = True
    simpy_per_request = None  # seconds per request, from the shortest SimPy run so far
    with tempfile.TemporaryDirectory(prefix="run_chain-") as workdir:
        for n in sorted(sizes):
            expected = None if simpy_per_request is None else simpy_per_request * n
            with_simpy = expected is None or expected <= args.simpy_limit
            if not with_simpy:
                print("N=%d: SimPy skipped: expected %.0f s (> --simpy-limit %.0f s)" % (n, expected, args.simpy_limit))
            # Repeats interleave the implementations, so that a burst of other load on the
            # machine hits all of them alike; each keeps its fastest wall and CPU time.
            runs = {"heap": [], "rapture": [], "rapture+policies": []}
            if with_simpy:
                runs["simpy"] = []
            for _ in range(args.repeat):
                runs["heap"].append(run_heap(args.heap, n, args.seed))
                runs["rapture"].append(run_rapture(args.rapture, n, args.seed, workdir))
                runs["rapture+policies"].append(run_rapture(args.rapture, n, args.seed, workdir, POLICIES))
                if with_simpy:
                    runs["simpy"].append(run_simpy(n, args.seed))
            results = {name: fastest(rs) for name, rs in runs.items()}
            if with_simpy:
                simpy_per_request = results["simpy"]["wall"] / n

            print("N=%d requests (%g simulated s): mean latency %s (no-queueing reference %.3f ms)"
                  % (n, n / RATE, ", ".join("%s %.4f ms" % (k, r["mean"] * 1e3) for k, r in results.items()),
                     NO_QUEUEING_LATENCY * 1e3))
            all_ok &= check_agreement(n, results, args.sigmas)
            print("  rapture: %.3f s of the %.3f s process is the simulation itself (the rest: dynamic linking, "
                  "SimGrid start-up, reading, HDF5 output)" % (results["rapture"]["model_wall"], results["rapture"]["wall"]))
            for name in ("rapture", "rapture+policies", "simpy", "heap"):
                if name in results:
                    rows.append((name, n, results[name], results.get("heap"), results.get("simpy")))

    print()
    print("%-16s %9s %8s %8s %15s %10s %11s %9s %10s"
          % ("impl", "requests", "wall s", "cpu s", "service calls/s", "wall/heap", "SimPy/wall", "cpu/heap",
             "SimPy/cpu"))
    for name, n, r, heap, simpy in rows:
        calls = CALLS_PER_REQUEST * r["requests"] / r["wall"]
        vs_heap = "%.2f" % (r["wall"] / heap["wall"])
        vs_simpy = "%.1f" % (simpy["wall"] / r["wall"]) if simpy else "-"
        cpu_heap = "%.2f" % (r["cpu"] / heap["cpu"])
        cpu_simpy = "%.1f" % (simpy["cpu"] / r["cpu"]) if simpy else "-"
        print("%-16s %9d %8.3f %8.3f %15s %10s %11s %9s %10s"
              % (name, n, r["wall"], r["cpu"], "{:,.0f}".format(calls), vs_heap, vs_simpy, cpu_heap, cpu_simpy))
    print("\nwall s: whole-process wall time; cpu s: user + system CPU time of the process (each the fastest"
          "\nof %d runs); service calls/s = %d per completed request / wall s; wall/heap, cpu/heap: times the"
          "\nhand-written loop's time (1 = the limit); SimPy/wall, SimPy/cpu: times faster than SimPy. On a"
          "\nloaded machine wall time includes waiting for a core; CPU time does not." % (args.repeat, CALLS_PER_REQUEST))
    if not all_ok:
        print("\nrun_chain: the implementations DISAGREE (see the checks above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
