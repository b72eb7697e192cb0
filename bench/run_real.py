#!/usr/bin/python3
"""A real topology with its tolerance policies: DeathStarBench socialNetwork at 80 % of its
bottleneck capacity, with per-try timeouts, Envoy retries and resilience4j circuit breakers on
every synchronous call, without a fault and with one; and the same runs without policies for
comparison. See bench/README.md ("Real topology").

1. Capacity. The bottleneck is the service with the highest worker utilisation,
   busy_mean / (replicas x workers) from totals/services (a worker stays held while its
   synchronous calls are outstanding, so this is thread-pool utilisation, what saturates
   first). Replicas and workers are resolved as rapture does: the scenario's `services`, then
   the topology file's attributes, then the scenario's `defaults` for the kind, then the
   built-in default (read from `rapture topology`). Short calibration runs (no policies, no
   fault) scale `workload[0].arrivals.rate` until the bottleneck is at --target (0.80):
   rate *= target / utilisation, repeated until within --tolerance, since the utilisation
   per request grows with load (workers wait longer for busier callees).
2. Runs, at that rate, each in a child process of its own measured with os.wait4 (wall time,
   user + system CPU time, peak RSS): policies on and off x {no fault, error_rate at the
   bottleneck, error_rate at the most-visited store (cache or db)}. The policies are a --set
   overlay on the unchanged scenario (the format has no include), printed with the results.

Builds nothing; build first (`cmake --workflow --preset release`). Run with Debian's
interpreter, with python3-h5py and python3-yaml (the latter is not in cmake/install-deps.sh):

    /usr/bin/python3 bench/run_real.py [--rapture PATH] [--repeat K] [--duration 300]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import h5py

try:
    import yaml  # Debian: python3-yaml, to read the scenario's replicas and workers
except ImportError:
    sys.exit("run_real: needs PyYAML for /usr/bin/python3: apt-get install python3-yaml")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = os.path.join(ROOT, "scenarios", "deathstarbench_socialNetwork.yaml")

# The configuration: every synchronous call under a 500 ms per-try timeout, Envoy's
# retry policy (one retry of a 5xx, full-jitter back-off 25-250 ms, 15 s route timeout) and a
# resilience4j circuit breaker per caller replica (count-based window of 100, opens at 50 %).
# No retry budget: Envoy's retry_budget is opt-in (`--policies` to change any of it).
POLICIES = "policies.defaults={timeout: {per_try: 500ms}, retry: envoy, circuit_breaker: resilience4j}"
STORE_KINDS = ("cache", "db")
# --breakdown: each piece of the configuration alone, no fault, to see what each costs. Envoy's
# retry preset brings a 15 s route timeout (a deadline timer per call); "deadline: 0s" removes it.
BREAKDOWN = [
    ("per-try timeout only", "{timeout: {per_try: 500ms}}"),
    ("retry envoy only", "{retry: envoy}"),
    ("retry envoy, no route timeout", "{retry: envoy, timeout: {deadline: 0s}}"),
    ("breaker only", "{circuit_breaker: resilience4j}"),
    ("policies, no route timeout",
     "{timeout: {per_try: 500ms, deadline: 0s}, retry: envoy, circuit_breaker: resilience4j}"),
]


def run_child(cmd):
    """Runs `cmd`; returns (wall s, CPU s, peak RSS bytes) of that child alone (os.wait4)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            sys.exit("run_real: %s failed (exit %d):\n%s"
                     % (" ".join(cmd), code, err.read().decode(errors="replace")))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def names(ds):
    return [x.decode() if isinstance(x, bytes) else str(x) for x in ds[()]]


def run_rapture(args, h5, sets):
    cmd = [args.rapture, "run", args.scenario, "-q", "-o", h5, "--seed", str(args.seed)]
    for s in sets:
        cmd += ["--set", s]
    wall, cpu, rss = run_child(cmd)
    with h5py.File(h5, "r") as f:
        run = f["runs/0"]
        totals = run["totals/services"]
        summary = run["summary"].attrs
        edges = run["edges"]
        causes = names(run["error_cause"])
        errors = totals["errors"][()]
        out = {
            "wall": wall, "cpu": cpu, "rss": rss,
            "services": names(run["service"]),
            "busy_mean": totals["busy_mean"][()].tolist(),
            "arrivals": totals["arrivals"][()].tolist(),
            "visits": int(totals["arrivals"][()].sum()),
            "overflows": int(errors[:, causes.index("queue_overflow")].sum()),
            "injected": int(errors[:, causes.index("injected")].sum()),
            "wasted_cpu": float(totals["wasted_cpu"][()].sum()),
            "requests": int(summary["requests"]),  # ended in the measured period
            "requests_all": int(run["requests/arrivals"][()].sum()),  # arrived in the whole run, as the visits
            "error_rate": float(summary["error_rate"]),
            "goodput": float(summary["goodput"]),
            "throughput": float(summary["throughput"]),
            "p99": float(summary["p99"]),
            "latency_mean": float(summary["latency_mean"]),
            "model_wall": float(run.attrs["wall_seconds"]),
            "events": int(run.attrs["events"]),
            "stopped_early": int(run.attrs["stopped_early"]),
            "breaker_transitions": int(run["events/circuit/time"].shape[0]),
            "breaker_opens": int((run["events/circuit/to"][()] == 1).sum()),
        }
        for k in ("calls", "attempts", "retries", "timeouts", "circuit_rejections", "late_replies", "failures"):
            out[k] = int(edges[k][()].sum())
    os.remove(h5)
    return out


def resolve_capacity(args):
    """Workers x replicas of every service, as rapture resolves them (see the docstring)."""
    with open(args.scenario) as f:
        sc = yaml.safe_load(f)
    topo = os.path.join(os.path.dirname(os.path.abspath(args.scenario)), sc["topology"])
    text = subprocess.run([args.rapture, "topology", topo], check=True, stdout=subprocess.PIPE, text=True).stdout
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.split()[:4] == ["service", "kind", "replicas", "workers"])
    kinds, capacity = {}, {}
    defaults = sc.get("defaults") or {}
    services = sc.get("services") or {}
    for line in lines[start + 1:]:
        cols = line.split()
        if len(cols) < 4 or cols[0].startswith("("):  # the table ends with a blank line or "(* built-in ...)"
            break
        name, kind = cols[0], cols[1]
        kinds[name] = kind
        value = {}
        for key, col in (("replicas", cols[2]), ("workers", cols[3])):
            builtin = col.endswith("*")
            v = int(col.rstrip("*"))
            if key in (services.get(name) or {}):
                v = int(services[name][key])
            elif builtin and key in (defaults.get(kind) or {}):
                v = int(defaults[kind][key])
            value[key] = v
        capacity[name] = value["replicas"] * value["workers"]
    rate = sc["workload"][0]["arrivals"]["rate"]
    base_rate = float(str(rate).split("/")[0])
    return kinds, capacity, base_rate


def utilisation(r, capacity):
    u = {s: b / capacity[s] for s, b in zip(r["services"], r["busy_mean"])}
    top = max(u, key=u.get)
    return top, u[top], u


def calibrate(args, workdir, capacity, base_rate):
    print("== Calibration: %g simulated s per run (%g s warm-up), no policies, no fault; target %.0f %% at the"
          " bottleneck" % (args.calibration_duration, args.calibration_warmup, 100 * args.target))
    rate = base_rate
    for i in range(args.max_iterations):
        r = run_rapture(args, os.path.join(workdir, "calibrate.h5"),
                        ["duration=%gs" % args.calibration_duration, "warmup=%gs" % args.calibration_warmup,
                         "workload[0].arrivals.rate=%.3f/s" % rate])
        top, u, _ = utilisation(r, capacity)
        print("  rate %8.1f/s: bottleneck %s at %.1f %% (busy %.2f of %d workers); error rate %.4f"
              % (rate, top, 100 * u, u * capacity[top], capacity[top], r["error_rate"]))
        if abs(u - args.target) <= args.tolerance:
            return rate, top, u, r
        if i + 1 < args.max_iterations:
            rate *= args.target / u
    print("  (not within %.3f after %d iterations: using the last rate)" % (args.tolerance, args.max_iterations))
    return rate, top, u, r


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rapture", default=os.path.join(ROOT, "build", "release", "rapture"))
    p.add_argument("--scenario", default=SCENARIO)
    p.add_argument("--target", type=float, default=0.8, help="bottleneck utilisation to run at")
    p.add_argument("--tolerance", type=float, default=0.01, help="calibration stops within this of --target")
    p.add_argument("--max-iterations", type=int, default=5)
    p.add_argument("--calibration-duration", type=float, default=60, help="simulated s per calibration run")
    p.add_argument("--calibration-warmup", type=float, default=10)
    p.add_argument("--rate", type=float, help="skip the calibration and run at this many requests/s")
    p.add_argument("--duration", type=float, default=300, help="simulated s per measured run")
    p.add_argument("--warmup", type=float, default=20)
    p.add_argument("--error-rate", type=float, default=0.2, help="error_rate of the faulty service")
    p.add_argument("--faults", default="bottleneck,store",
                   help="comma-separated: 'bottleneck', 'store' (the most-visited cache or db) or a service name")
    p.add_argument("--policies", default=POLICIES, help="the --set that enables the policies")
    p.add_argument("--breakdown", action="store_true",
                   help="also run each policy alone (and without Envoy's 15 s route timeout), no fault")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs per configuration, interleaved; the fastest wall and CPU times, the largest RSS are kept")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", help="also write every measured configuration to this file")
    args = p.parse_args()
    if not os.access(args.rapture, os.X_OK):
        sys.exit("run_real: %s not found; build with `cmake --workflow --preset release` or pass --rapture"
                 % args.rapture)

    load = os.getloadavg()[0]
    started = time.perf_counter()
    kinds, capacity, base_rate = resolve_capacity(args)
    with tempfile.TemporaryDirectory(prefix="run_real-") as workdir:
        if args.rate:
            rate = args.rate
            r = run_rapture(args, os.path.join(workdir, "probe.h5"),
                            ["duration=%gs" % args.calibration_duration, "warmup=%gs" % args.calibration_warmup,
                             "workload[0].arrivals.rate=%.3f/s" % rate])
            bottleneck, u, _ = utilisation(r, capacity)
        else:
            rate, bottleneck, u, r = calibrate(args, workdir, capacity, base_rate)
        # The most-visited store, from the last calibration (or probe) run's visits.
        stores = [(a, s) for s, a in zip(r["services"], r["arrivals"]) if kinds.get(s) in STORE_KINDS]
        store = max(stores)[1]
        print("\nrate %.1f requests/s (scenario: %g/s): %s at %.1f %% of its %d workers; most-visited store: %s"
              % (rate, base_rate, bottleneck, 100 * u, capacity[bottleneck], store))

        faults = []
        for fault in [x for x in args.faults.split(",") if x]:
            faults.append(bottleneck if fault == "bottleneck" else store if fault == "store" else fault)
        base = ["duration=%gs" % args.duration, "warmup=%gs" % args.warmup, "workload[0].arrivals.rate=%.3f/s" % rate]
        configs = []
        for policies in (True, False):
            for fault in [None] + faults:
                sets = list(base)
                if policies:
                    sets.append(args.policies)
                if fault:
                    sets.append("services.%s.error_rate=%g" % (fault, args.error_rate))
                configs.append({"policies": "policies" if policies else "no policies", "fault": fault, "sets": sets,
                                "runs": []})
        if args.breakdown:
            for name, value in BREAKDOWN:
                configs.append({"policies": name, "fault": None, "sets": base + ["policies.defaults=" + value],
                                "runs": []})

        print("== Runs: %g simulated s (%g s warm-up) at %.1f/s, %d configurations x %d repeats"
              % (args.duration, args.warmup, rate, len(configs), args.repeat))
        print("  policies: --set '%s'" % args.policies)
        for _ in range(args.repeat):
            for i, c in enumerate(configs):
                c["runs"].append(run_rapture(args, os.path.join(workdir, "run-%d.h5" % i), c["sets"]))

    rows = []
    for c in configs:
        best = dict(min(c["runs"], key=lambda x: x["wall"]))
        best["cpu"] = min(x["cpu"] for x in c["runs"])
        best["rss"] = max(x["rss"] for x in c["runs"])
        best["bottleneck_u"] = utilisation(best, capacity)[2][bottleneck]
        rows.append((c, best))

    def label(c):
        return "%s, %s" % (c["policies"],
                           "no fault" if not c["fault"] else "fault: %s error_rate %g" % (c["fault"], args.error_rate))

    print()
    print("| run | requests | visits | wall s | cpu s | model s | peak RSS MiB | visits/s (wall) | visits/CPU s "
          "| CPU ns/visit |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for c, r in rows:
        print("| %s | %s | %s | %.3f | %.3f | %.3f | %.1f | %s | %s | %.0f |"
              % (label(c), "{:,}".format(r["requests_all"]), "{:,}".format(r["visits"]), r["wall"], r["cpu"],
                 r["model_wall"], r["rss"] / 2 ** 20, "{:,.0f}".format(r["visits"] / r["wall"]),
                 "{:,.0f}".format(r["visits"] / r["cpu"]), 1e9 * r["cpu"] / r["visits"]))
    print()
    print("| run | %s busy | error rate | goodput/s | p99 ms | visits/request | attempts/call | retries | timeouts "
          "| circuit rejections | breaker opens | queue overflows | wasted CPU s |" % bottleneck)
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c, r in rows:
        amp = "%.3f" % (r["attempts"] / r["calls"]) if r["calls"] else "-"
        print("| %s | %.1f %% | %.4f | %.1f | %.1f | %.2f | %s | %s | %s | %s | %s | %s | %.1f |"
              % (label(c), 100 * r["bottleneck_u"], r["error_rate"], r["goodput"], 1e3 * r["p99"],
                 r["visits"] / max(r["requests_all"], 1), amp, "{:,}".format(r["retries"]), "{:,}".format(r["timeouts"]),
                 "{:,}".format(r["circuit_rejections"]), "{:,}".format(r["breaker_opens"]),
                 "{:,}".format(r["overflows"]), r["wasted_cpu"]))
    print()
    by = {(c["policies"], c["fault"]): r for c, r in rows}
    for fault in [None] + faults:
        on, off = by.get(("policies", fault)), by.get(("no policies", fault))
        if on and off:
            print("  %-45s policies / none: CPU x%.2f, CPU per visit x%.2f, visits x%.2f, peak RSS x%.2f"
                  % ("no fault:" if not fault else "fault at %s:" % fault, on["cpu"] / off["cpu"],
                     (on["cpu"] / on["visits"]) / (off["cpu"] / off["visits"]), on["visits"] / off["visits"],
                     on["rss"] / off["rss"]))
    off = by.get(("no policies", None))
    if args.breakdown and off:
        print("  against no policies, no fault (breakdown):")
        for name, _ in [("policies", None)] + BREAKDOWN:
            r = by[(name, None)]
            print("    %-32s CPU x%.2f (+%.0f ns per visit), peak RSS %+.1f MiB"
                  % (name + ":", r["cpu"] / off["cpu"], 1e9 * (r["cpu"] / r["visits"] - off["cpu"] / off["visits"]),
                     (r["rss"] - off["rss"]) / 2 ** 20))
    for c, r in rows:
        if r["stopped_early"]:
            print("  WARNING: %s stopped early (limits.max_in_flight)" % label(c))
    print("\n%d cores, load average %.1f at the start and %.1f at the end; %.0f s in all. wall s: whole process;"
          "\ncpu s: its user + system CPU time; model s: the run's wall_seconds (the simulation without start-up and"
          "\noutput); the fastest of %d runs, peak RSS the largest; visits = sum of totals/services/arrivals (tries"
          "\nincluded); requests: arrived in the whole run, warm-up included, as the visits; visits/request: the two's"
          "\nratio; retries, timeouts, circuit rejections: sums over runs/0/edges (whole run); breaker opens: transitions"
          "\nto open in events/circuit; error rate, goodput, p99: the summary (measured period)."
          % (os.cpu_count(), load, os.getloadavg()[0], time.perf_counter() - started, args.repeat))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rate": rate, "bottleneck": bottleneck, "store": store,
                       "runs": [dict(label=label(c), sets=c["sets"], **{k: v for k, v in r.items()
                                                                         if k not in ("services", "busy_mean",
                                                                                      "arrivals")})
                                for c, r in rows]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
