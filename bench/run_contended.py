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

With `--before PATH`, a second binary (the build before a change) runs every case too,
interleaved with the first, and the table gives both side by side with the speed-up; each run
is the fastest of `--repeat`. Peak RSS is the largest resident set of the run's process.

Builds nothing: build first with `cmake --workflow --preset release`.

    /usr/bin/python3 bench/run_contended.py [--rapture PATH] [--before PATH] [--repeat N] [--quick]
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
    """CPU seconds (user + system) and peak RSS in MiB of one `rapture run`, which writes `out`."""
    args = [rapture, "run", scenario, "-q", "-o", out]
    for s in sets:
        args += ["--set", s]
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        p = subprocess.Popen(args, cwd=cwd, stdout=out_f, stderr=err_f, text=True)
        _, status, usage = os.wait4(p.pid, 0)  # this child's own rusage, peak RSS included
        p.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 3):
            out_f.seek(0)
            err_f.seek(0)
            sys.exit(f"{' '.join(args)} failed:\n{out_f.read()}\n{err_f.read()}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


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
    ap.add_argument("--before", help="a second binary to compare with (the build before a change)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each configuration; the fastest counts")
    ap.add_argument("--quick", action="store_true", help="shorter runs (a check of the script, not a measurement)")
    args = ap.parse_args()
    binaries = [("after", os.path.abspath(args.rapture))]
    if args.before:
        binaries.insert(0, ("before", os.path.abspath(args.before)))
    rapture = binaries[-1][1]
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
            measured = {}
            for kind, (scenario, sets) in (("free", free), ("shared", shared)):
                extra = quick if scenario.startswith(ROOT) else []
                best = {}
                for _ in range(args.repeat):
                    for tag, binary in binaries:  # interleaved, so that both see the same load
                        out = os.path.join(d, f"{tag}.h5")
                        cpu, rss = run(binary, scenario, sets + extra, out, d)
                        n, latency = visits(out)
                        if tag not in best or cpu < best[tag][0]:
                            best[tag] = (cpu, rss, n, latency)
                for tag, value in best.items():
                    measured[(tag, kind)] = value
            rows.append((label, measured))
    for tag, _ in binaries:
        print(f"{tag}: {dict(binaries)[tag]}")
        print(f"{'case':<28}{'free CPU s':>11}{'shared CPU s':>13}{'free us/visit':>15}{'shared us/visit':>17}"
              f"{'ratio':>7}{'free MiB':>10}{'shared MiB':>12}{'visits':>11}")
        for label, m in rows:
            (cf, rf, nf, _), (cs, rs, ns, _) = m[(tag, "free")], m[(tag, "shared")]
            uf, us = 1e6 * cf / nf, 1e6 * cs / ns
            print(f"{label:<28}{cf:>11.2f}{cs:>13.2f}{uf:>15.2f}{us:>17.2f}{us / uf:>7.1f}{rf:>10.1f}{rs:>12.1f}{ns:>11}")
        m = rows[0][1]
        lf, ls = m[(tag, "free")][3], m[(tag, "shared")][3]
        print(f"single service mean latency: free {1e3 * lf:.4f} ms, shared {1e3 * ls:.4f} ms "
              f"(M/M/4 closed form {1e3 * mmc_response(2000, 1000, 4):.4f} ms)\n")
    if len(binaries) == 2:
        print("CPU per visit, before / after:")
        for label, m in rows:
            parts = []
            for kind in ("free", "shared"):
                (cb, _, nb, _), (ca, _, na, _) = m[("before", kind)], m[("after", kind)]
                parts.append(f"{kind} x{(cb / nb) / (ca / na):.2f}")
            print(f"  {label:<28}{', '.join(parts)}")


if __name__ == "__main__":
    main()
