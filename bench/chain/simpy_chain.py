#!/usr/bin/python3
"""The chain benchmark in SimPy 2.3 (Debian's python3-simpy): the model most users would
write by hand, one Process per request and a Resource per service. bench/run_chain.py runs
it side by side with rapture and the hand-written heap loop (bench/chain/heap_chain.cpp).

Same semantics as bench/chain/chain.yaml: open-loop Poisson arrivals at service 1; a chain
of 5 services, each one replica with 8 workers and an unbounded FIFO queue; a visit takes
a worker, computes an exponential(1 ms) service time, then (services 1..4) calls the next
service synchronously - one 100 us hop there, the worker held until the reply is back one
hop later - then frees the worker and replies. Latency runs from the arrival at service 1
to its completion. The run covers [0, N / rate) simulated seconds, as rapture's
`duration`; requests still in flight at the end are not counted.

Prints one JSON line: {"requests", "mean_latency", "latency_sd", "wall_seconds", ...}.

    /usr/bin/python3 bench/chain/simpy_chain.py [--requests N] [--seed S]
"""

import argparse
import json
import math
import random
import time

from SimPy.Simulation import Process, Resource, activate, hold, initialize, now, release, request, simulate


class Chain:
    """Parameters, the services' worker pools and the latency accumulators of one run."""

    def __init__(self, args):
        self.services = args.services
        self.service_time = args.service_time
        self.hop = args.hop
        # One stream per service and one for arrivals, as rapture keys its streams.
        self.service_rng = [random.Random(args.seed * 1000003 + 101 + s) for s in range(self.services)]
        self.pools = [Resource(capacity=args.workers, name="s%d" % (s + 1), monitored=False)
                      for s in range(self.services)]
        self.completed = 0
        self.latency_sum = 0.0
        self.latency_sq = 0.0


class Request(Process):
    def run(self, chain):
        start = now()
        last = chain.services - 1
        # Forward: at each service, take a worker (waiting in FIFO order), compute, and, but
        # at the last one, travel to the next service still holding the worker.
        for s in range(chain.services):
            yield request, self, chain.pools[s]
            yield hold, self, chain.service_rng[s].expovariate(1.0 / chain.service_time)
            if s < last:
                yield hold, self, chain.hop
        # Back: each service frees its worker as its reply leaves; the reply takes one hop.
        for s in range(last, -1, -1):
            yield release, self, chain.pools[s]
            if s > 0:
                yield hold, self, chain.hop
        latency = now() - start
        chain.completed += 1
        chain.latency_sum += latency
        chain.latency_sq += latency * latency


class Source(Process):
    def run(self, chain, rate, seed):
        rng = random.Random(seed * 1000003 + 17)
        self.arrivals = 0
        while True:
            yield hold, self, rng.expovariate(rate)
            self.arrivals += 1
            r = Request()
            activate(r, r.run(chain))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=float, default=1e5, help="N: simulate N / rate seconds")
    p.add_argument("--rate", type=float, default=500.0, help="arrivals per second")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--services", type=int, default=5)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--service-time", type=float, default=1e-3, help="mean, seconds")
    p.add_argument("--hop", type=float, default=100e-6, help="one-way network latency, seconds")
    args = p.parse_args()

    wall_start = time.perf_counter()
    end = args.requests / args.rate
    initialize()
    chain = Chain(args)
    source = Source()
    activate(source, source.run(chain, args.rate, args.seed))
    simulate(until=end)
    wall = time.perf_counter() - wall_start

    n = chain.completed
    mean = chain.latency_sum / n if n else float("nan")
    sd = math.sqrt(max(0.0, (chain.latency_sq - n * mean * mean) / (n - 1))) if n > 1 else float("nan")
    print(json.dumps({"implementation": "simpy", "requests": n, "arrivals": source.arrivals,
                      "mean_latency": mean, "latency_sd": sd, "simulated_seconds": end,
                      "wall_seconds": round(wall, 6)}))


if __name__ == "__main__":
    main()
