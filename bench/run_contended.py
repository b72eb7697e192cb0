#!/usr/bin/python3
"""What contention costs: the same scenario run with its services on hosts they share (every
execution a SimGrid activity: CPU sharing computed by SimGrid's solver) and on dedicated cores
(the model alone), side by side, in CPU seconds and CPU microseconds per service visit. The
cases of issue 16: one service of 16 workers, exp(1 ms) service, Poisson 2,000/s for 500 s, on
a 4-core host against 16 dedicated cores; the StyleFlow demo as shipped (recommendations and
search share app-2) against no hosts; socialNetwork as shipped against its services placed
round-robin on four 8-core hosts. The mean latency of the single service is printed with the
M/M/c closed form of the contended case (processor sharing on c cores of exponential work
has the M/M/c mean response time).

Builds nothing: build first with `cmake --workflow --preset release`.

    /usr/bin/python3 bench/run_contended.py [--rapture PATH] [--quick]
"""

import argparse
import math
import os
import re
import resource
import subprocess
import sys
import tempfile

import h5py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SINGLE = """name: single
topology: single.dot
duration: {duration}
warmup: 10s
seed: 1
workload:
  - request: call
    entry: api
    arrivals: {{kind: poisson, rate: 2000/s}}
services:
  api: {{workers: 16, service_time: exp(1ms), queue: 100000}}
"""
SINGLE_HOST = """platform:
  hosts: [{{name: box, cores: 4}}]
  placement: {{api: box}}
"""


def run(rapture, scenario, sets, out, cwd):
    """CPU seconds (user + system) of one `rapture run`, and its results file."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    args = [rapture, "run", scenario, "-q", "-o", out]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if p.returncode not in (0, 3):
        sys.exit(f"{' '.join(args)} failed:\n{p.stdout}\n{p.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def visits(path):
    with h5py.File(path, "r") as f:
        run = f["runs/0"]
        return int(run["totals/services/arrivals"][()].sum()), float(run["summary"].attrs["latency_mean"])


def mmc_response(lam, mu, c):
    """Mean response time of M/M/c (Erlang C)."""
    a = lam / mu
    rho = a / c
    s = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    wait = top / (s + top) / (c * mu - lam)
    return wait + 1 / mu


def services_of(rapture, topology):
    """The services of `topology`, from the table `rapture topology` prints."""
    lines = subprocess.run([rapture, "topology", topology], capture_output=True, text=True, check=True).stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\s+service\s+kind\s", line)) + 1
    names = []
    for line in lines[start:]:
        if not line.startswith("  ") or not line.split()[0][0].isalnum():
            break
        names.append(line.split()[0])
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rapture", default=os.path.join(ROOT, "build", "release", "rapture"))
    ap.add_argument("--quick", action="store_true", help="shorter runs (a check of the script, not a measurement)")
    args = ap.parse_args()
    rapture = os.path.abspath(args.rapture)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "single.dot"), "w") as f:
            f.write("digraph single {\n  api;\n}\n")
        duration = "60s" if args.quick else "500s"
        for name, text in (("free", SINGLE), ("shared", SINGLE + SINGLE_HOST)):
            with open(os.path.join(d, name + ".yaml"), "w") as f:
                f.write(text.replace("{duration}", duration).replace("{{", "{").replace("}}", "}"))
        cases = [
            ("single service, 16 workers", ("free.yaml", []), ("shared.yaml", [])),
        ]
        demo = os.path.join(ROOT, "scenarios", "styleflow-checkout.yaml")
        cases.append(("StyleFlow demo", (demo, ["platform.hosts=[]", "platform.placement={}"]), (demo, [])))
        social = os.path.join(ROOT, "scenarios", "deathstarbench_socialNetwork.yaml")
        names = services_of(rapture, os.path.join(ROOT, "topologies", "deathstarbench_socialNetwork.dot"))
        placement = ", ".join(f"{s}: node-{i % 4}" for i, s in enumerate(names))
        cases.append(("socialNetwork", (social, []),
                      (social, ["platform.hosts=[{name: node, cores: 8, count: 4}]", f"platform.placement={{{placement}}}"])))
        quick = ["duration=90s", "warmup=10s"] if args.quick else []
        for label, free, shared in cases:
            measured = []
            for scenario, sets in (free, shared):
                extra = quick if scenario.startswith(ROOT) else []
                out = os.path.join(d, "out.h5")
                cpu = run(rapture, scenario, sets + extra, out, d)
                n, latency = visits(out)
                measured.append((cpu, n, latency))
            rows.append((label, measured))
    print(f"{'case':<28}{'free CPU s':>11}{'shared CPU s':>13}{'free us/visit':>15}{'shared us/visit':>17}"
          f"{'ratio':>7}{'visits':>11}")
    for label, ((cf, nf, lf), (cs, ns, ls)) in rows:
        uf, us = 1e6 * cf / nf, 1e6 * cs / ns
        print(f"{label:<28}{cf:>11.2f}{cs:>13.2f}{uf:>15.2f}{us:>17.2f}{us / uf:>7.1f}{ns:>11}")
    (_, _, lf), (_, _, ls) = rows[0][1]
    print(f"\nsingle service mean latency: free {1e3 * lf:.4f} ms, shared {1e3 * ls:.4f} ms "
          f"(M/M/4 closed form {1e3 * mmc_response(2000, 1000, 4):.4f} ms)")


if __name__ == "__main__":
    main()
