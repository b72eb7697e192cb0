#!/usr/bin/python3
"""What a stateful look-aside cache costs: the same read path (a front service calling its cache,
the cache calling its database on a miss) run with a stateful cache (each visit draws a Zipf key
from the key space, looks it up in an LRU table of `capacity` keys and fills it from the
database's answer) and with the stateless cache rapture had before (a miss edge of fixed
probability: one Bernoulli draw), the probability set to the miss ratio the stateful run
measured, so that both runs make the same visits. In CPU seconds and CPU microseconds per
service visit. The case of issue 17: 10^6 keys, Zipf 0.99, 200,000 held, 5,000 reads/s for
200 s (a million requests), a database large enough never to queue.

Builds nothing: build first with `cmake --workflow --preset release`.

    /usr/bin/python3 bench/run_cache.py [--rapture PATH] [--quick]
"""

import argparse
import os
import sys
import tempfile

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_contended import ROOT, run, visits  # noqa: E402  (the same measurement, not a copy)

TOPOLOGY = """digraph read_path {
  front [workers=10000, service_time="const(0.05ms)"];
  cache [kind=cache, workers=10000, service_time="exp(0.1ms)"];
  db [kind=db, workers=10000, service_time="const(1ms)"];
  front -> cache;
  cache -> db [probability={probability}];
}
"""
SCENARIO = """name: {name}
topology: {name}.dot
duration: {duration}
warmup: 10s
seed: 1
workload:
  - request: read
    entry: front
    arrivals: {{kind: poisson, rate: 5000/s}}
"""
STATEFUL = """services:
  cache:
    cache: {keys: {size: 1000000, popularity: zipf, exponent: 0.99}, capacity: 200000, eviction: lru, backend: db}
"""


def miss_ratio(path):
    """The database's visits over the cache's: every miss (and only a miss) calls it once."""
    with h5py.File(path, "r") as f:
        run_group = f["runs/0"]
        names = [n.decode() for n in run_group["service"][()]]
        arrivals = run_group["totals/services/arrivals"][()]
    return float(arrivals[names.index("db")]) / float(arrivals[names.index("cache")])


def write_case(d, name, probability, duration, stateful):
    with open(os.path.join(d, name + ".dot"), "w") as f:
        f.write(TOPOLOGY.replace("{probability}", f"{probability:.6f}"))
    with open(os.path.join(d, name + ".yaml"), "w") as f:
        f.write(SCENARIO.replace("{name}", name).replace("{duration}", duration).replace("{{", "{")
                .replace("}}", "}") + (STATEFUL if stateful else ""))
    return name + ".yaml"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rapture", default=os.path.join(ROOT, "build", "release", "rapture"))
    ap.add_argument("--quick", action="store_true", help="shorter runs (a check of the script, not a measurement)")
    args = ap.parse_args()
    rapture = os.path.abspath(args.rapture)
    duration = "30s" if args.quick else "210s"
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.h5")
        cpu_s = run(rapture, write_case(d, "stateful", 1.0, duration, True), [], out, d)
        n_s, _ = visits(out)
        miss = miss_ratio(out)
        cpu_f = run(rapture, write_case(d, "fixed", miss, duration, False), [], out, d)
        n_f, _ = visits(out)
    print(f"{'cache':<30}{'CPU s':>8}{'visits':>11}{'us/visit':>10}")
    for label, cpu, n in (("fixed-probability miss edge", cpu_f, n_f), ("stateful look-aside (LRU)", cpu_s, n_s)):
        print(f"{label:<30}{cpu:>8.2f}{n:>11}{1e6 * cpu / n:>10.3f}")
    extra = 1e6 * (cpu_s / n_s - cpu_f / n_f)
    print(f"\nmiss ratio of the stateful cache: {miss:.4f} (the fixed edge's probability); "
          f"the stateful cache costs {extra:+.3f} us per visit")


if __name__ == "__main__":
    main()
