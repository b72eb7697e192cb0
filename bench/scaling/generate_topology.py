#!/usr/bin/python3
"""Generates a call graph of N services shaped like the bundled real topologies, and a
scenario for it, for the scaling benchmark (bench/README.md, "Scaling").

    /usr/bin/python3 bench/scaling/generate_topology.py N [--seed S] [--out-dir DIR]
    /usr/bin/python3 bench/scaling/generate_topology.py --stats   # the measured distributions

Writes DIR/gen-N.dot and DIR/gen-N.yaml and prints a one-line JSON summary of what it made.
The same N, seed and options always give the same files.

How the graph is made (numbers from `measure()`, which reads the real .dot files each time):

* The real topologies are the six bundled benchmark graphs (DeathStarBench socialNetwork, both
  designs, and hotelReservation, Online Boutique, Sock Shop, TrainTicket); StyleFlow is
  fictional and left out. Only active calls (`active` not false) count.
* Entry fan-out: the number of services the frontend calls, one value per real topology
  (Sock Shop's edge-router only forwards to front-end, so front-end is its entry):
  {4, 5, 7, 7, 8, 38}.
* Internal fan-out: for every real `kind=service` node that some service calls, the pair
  (services it calls, caches/dbs it calls); the generator draws a pair for each service it
  expands (90 pairs; mean 1.5 service callees and 0.74 stores; 47 % call no other service).
* Sharing: in the real graphs a service callee is often called by several services
  (ts-station-service by 11). `share` = 1 - distinct callees / calls between non-entry services
  (0.59): each service callee slot reuses, with that probability, a service already made one
  level further down (the result stays a DAG and keeps its depth bound), else makes a new one.
* Stores: a store callee is a cache with the measured share of caches among store callees
  (0.25), else a db; caches and dbs are leaves. A service calling both a cache and a db calls
  the db only on a cache miss (probability `--miss`, 0.2; `when="cache-miss"`).
* Depth: nodes are expanded breadth-first from the frontend (depth 1); a service at depth
  `--depth-cap` (default 8: the real graphs' longest call paths are 4-10 nodes, see
  `--stats`) calls nothing, so no call path is longer than the cap.
* Size: expansion stops when N nodes (services + stores, the frontend included) exist; services
  still waiting to be expanded then call nothing. If the expansion dies out before N (the
  internal draws can make a subtree end early), the frontend calls one more new service and
  expansion goes on: the entry's fan-out grows with N (236 at N=1000, 24 % of the nodes).
  The real frontends call 19-67 % of their graph's nodes directly (TrainTicket's 38 of 64),
  and the Alibaba traces' entry fan-out is heavy-tailed (topologies/SOURCES.md: p99 33, max
  38,785): wide entries are what large real graphs look like. (Why expansions die out: with
  reuse, a service makes on average 1.5 x (1 - 0.59) = 0.62 new services.)

The scenario: one request type `r` at the frontend following every call, Poisson arrivals at
`--rate` (2000/s). Probabilities: every call below the frontend is made (probability 1), except
a db behind a cache (`--miss`); the frontend's calls share a budget of T - 1 expected visits,
T = `--visits` (15, a request of ~10-20 visits as in the real call trees): call i is made with
probability min(1, c / V_i), where V_i is the expected number of visits one call to callee i
causes (itself and everything below it) and c is the level at which the min(V_i, c) sum to
T - 1 (water-filling: small subtrees are always called, large ones in proportion). So a
request makes T visits on average whatever N (fewer only when the whole graph has fewer to
give: all calls are then made). Capacities: one replica per
service; workers = 2 L + 4, where L = rate x visits per request x mean residence time (service
time plus the calls it waits for, 100 us per hop) is the mean number of busy workers, so no
service is more than half busy on average; queues of 100,000. Service times: frontend
exp(1ms), service exp(2ms), cache exp(0.5ms), db exp(3ms). All calls are synchronous and
sequential; no host is shared, so the run needs no SimGrid activity (the model alone).
"""

import argparse
import collections
import glob
import json
import math
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOPOLOGIES = os.path.join(ROOT, "topologies")
REAL = [
    "deathstarbench_hotelReservation.dot",
    "deathstarbench_socialNetwork.dot",
    "deathstarbench_socialNetwork_v1_rabbitmq.dot",
    "online_boutique.dot",
    "sock_shop.dot",
    "trainticket_2021.dot",
]
STORES = ("cache", "db")
SERVICE_TIME = {"frontend": 1e-3, "service": 2e-3, "cache": 0.5e-3, "db": 3e-3}  # means, seconds
HOP = 100e-6  # the platform's default latency, seconds

_NODE = re.compile(r'^\s*"([^"]+)"\s*\[(.*)\]\s*;?\s*$')
_EDGE = re.compile(r'^\s*"([^"]+)"\s*->\s*"([^"]+)"\s*(?:\[(.*)\])?\s*;?\s*$')
_ATTR = re.compile(r'(\w+)\s*=\s*"([^"]*)"')


def read_dot(path):
    """The bundled files' own style of DOT (one quoted node or edge per line): returns
    ({name: kind}, [(caller, callee, attributes)])."""
    kinds, edges = {}, []
    with open(path) as f:
        for line in f:
            m = _EDGE.match(line)
            if m:
                a, b = m.group(1), m.group(2)
                edges.append((a, b, dict(_ATTR.findall(m.group(3) or ""))))
                kinds.setdefault(a, "service")
                kinds.setdefault(b, "service")
                continue
            m = _NODE.match(line)
            if m:
                kinds[m.group(1)] = dict(_ATTR.findall(m.group(2))).get("kind", "service")
    return kinds, edges


def longest_path(out, starts):
    """Longest simple call path, in services, from any of `starts` (exhaustive; the graphs are small)."""
    best = 0

    def walk(v, on_path):
        nonlocal best
        best = max(best, len(on_path))
        for c in out[v]:
            if c not in on_path:
                on_path.add(c)
                walk(c, on_path)
                on_path.discard(c)

    for s in starts:
        walk(s, {s})
    return best


def measure(topologies=TOPOLOGIES):
    """The empirical distributions the generator draws from (see the module's docstring)."""
    entry_fanout, internal, longest = [], [], {}
    internal_calls, internal_callees = 0, set()
    store_kinds = collections.Counter()
    for name in REAL:
        kinds, edges = read_dot(os.path.join(topologies, name))
        out, indeg = collections.defaultdict(list), collections.Counter()
        for a, b, attrs in edges:
            if attrs.get("active", "true").lower() in ("false", "0", "no"):
                continue
            if b not in out[a]:
                out[a].append(b)
                indeg[b] += 1
        # The entry: the frontend no one calls and that calls services; a frontend that only
        # forwards to another frontend (Sock Shop's edge-router) hands the role on.
        entries = [v for v, k in kinds.items() if k == "frontend" and indeg[v] == 0
                   and any(kinds[c] not in STORES for c in out[v])]
        resolved = []
        for e in entries:
            while len(out[e]) == 1 and kinds[out[e][0]] == "frontend":
                e = out[e][0]
            resolved.append(e)
        for e in resolved:
            entry_fanout.append(sum(1 for c in out[e] if kinds[c] not in STORES))
        for v, k in kinds.items():
            if k != "service" or indeg[v] == 0:
                continue
            svc = [c for c in out[v] if kinds[c] not in STORES]
            internal.append((len(svc), len(out[v]) - len(svc)))
            for c in svc:
                internal_calls += 1
                internal_callees.add((name, c))
            for c in out[v]:
                if kinds[c] in STORES:
                    store_kinds[kinds[c]] += 1
        longest[name] = longest_path(out, entries)
    return {
        "entry_fanout": sorted(entry_fanout),
        "internal": sorted(internal),
        "share": 1.0 - len(internal_callees) / internal_calls,
        "cache_share": store_kinds["cache"] / (store_kinds["cache"] + store_kinds["db"]),
        "longest_path": longest,
    }


class Graph:
    def __init__(self):
        self.names, self.kinds, self.depth = [], [], []
        self.out = []  # per node: [(callee, probability, when)]

    def add(self, kind, depth):
        i = len(self.names)
        self.names.append("frontend" if kind == "frontend" else "%s%04d" % ({"service": "svc"}.get(kind, kind), i))
        self.kinds.append(kind)
        self.depth.append(depth)
        self.out.append([])
        return i


def generate(n, seed=1, depth_cap=8, miss=0.2, stats=None):
    """The graph: N nodes, breadth-first expansion with draws from `stats` (see the docstring)."""
    if n < 2:
        raise ValueError("N must be at least 2")
    stats = stats or measure()
    rng = random.Random(seed)
    g = Graph()
    entry = g.add("frontend", 1)
    pending = collections.deque()
    by_depth = collections.defaultdict(list)  # services per depth, for sharing

    def new(kind, depth, caller, probability=1.0, when=None):
        if len(g.names) >= n:
            return None
        v = g.add(kind, depth)
        g.out[caller].append((v, probability, when))
        if kind == "service":
            pending.append(v)
            by_depth[depth].append(v)
        return v

    for _ in range(rng.choice(stats["entry_fanout"])):
        new("service", 2, entry)
    while len(g.names) < n:
        if not pending:  # died out before N: the frontend calls one more service
            new("service", 2, entry)
            continue
        v = pending.popleft()
        d = g.depth[v]
        if d >= depth_cap:
            continue
        n_svc, n_store = rng.choice(stats["internal"])
        stores = ["cache" if rng.random() < stats["cache_share"] else "db" for _ in range(n_store)]
        stores.sort()  # caches first: a db behind a cache is read on a miss
        for kind in stores:
            behind_cache = kind == "db" and "cache" in stores
            new(kind, d + 1, v, miss if behind_cache else 1.0, "cache-miss" if behind_cache else None)
        for _ in range(n_svc):
            callees = {c for c, _, _ in g.out[v]}
            shared = [u for u in by_depth[d + 1] if u not in callees]
            if shared and rng.random() < stats["share"]:
                g.out[v].append((rng.choice(shared), 1.0, None))
            else:
                new("service", d + 1, v)
    return g


def calibrate(g, visits=15.0, rate=2000.0):
    """Sets the frontend's call probabilities for ~`visits` visits per request, and returns
    (expected visits per request, per-node visits per request, workers per node)."""
    order = sorted(range(len(g.names)), key=lambda v: g.depth[v])  # every call goes one level down or more
    subtree = [0.0] * len(g.names)  # expected visits caused by one visit of v, v included
    for v in reversed(order):
        if v != 0:
            subtree[v] = 1.0 + sum(p * subtree[c] for c, p, _ in g.out[v])
    # Water-filling: each of the frontend's calls brings at most `cap` expected visits, with
    # `cap` such that they sum to visits - 1 (all calls made when the graph has fewer to give).
    budget = visits - 1.0
    sizes = sorted(subtree[c] for c, _, _ in g.out[0])
    cap = math.inf
    if sum(sizes) > budget:
        for i, size in enumerate(sizes):
            rest = len(sizes) - i  # calls not yet below the cap share what is left
            if size * rest >= budget:
                cap = budget / rest
                break
            budget -= size
    g.out[0] = [(c, min(1.0, cap / subtree[c]), w) for c, _, w in g.out[0]]
    subtree[0] = 1.0 + sum(p * subtree[c] for c, p, _ in g.out[0])
    per_node = [0.0] * len(g.names)
    per_node[0] = 1.0
    for v in order:
        for c, p, _ in g.out[v]:
            per_node[c] += per_node[v] * p
    residence = [0.0] * len(g.names)  # mean time a visit holds a worker: compute, then sequential calls
    for v in reversed(order):
        residence[v] = SERVICE_TIME[g.kinds[v]] + sum(p * (2 * HOP + residence[c]) for c, p, _ in g.out[v])
    workers = [int(math.ceil(2 * rate * per_node[v] * residence[v])) + 4 for v in range(len(g.names))]
    return subtree[0], per_node, workers


def describe(g):
    edges = sum(len(o) for o in g.out)
    internal = [len(g.out[v]) for v in range(1, len(g.names)) if g.kinds[v] == "service"]
    out = collections.defaultdict(list)
    for v, o in enumerate(g.out):
        out[v] = [c for c, _, _ in o]
    return {
        "nodes": len(g.names),
        "kinds": dict(collections.Counter(g.kinds)),
        "calls": edges,
        "entry_fanout": len(g.out[0]),
        "max_fanout_internal": max(internal, default=0),
        "mean_fanout_internal": round(sum(internal) / len(internal), 2) if internal else 0,
        "longest_path": max(g.depth),
    }


def write(g, directory, n, seed, depth_cap, visits, rate, miss, requests):
    mean_visits, per_node, workers = calibrate(g, visits, rate)
    os.makedirs(directory, exist_ok=True)
    name = "gen-%d" % n
    head = ("generated by bench/scaling/generate_topology.py %d --seed %d --depth-cap %d --visits %g --rate %g "
            "--miss %g" % (n, seed, depth_cap, visits, rate, miss))
    dot = os.path.join(directory, name + ".dot")
    with open(dot, "w") as f:
        f.write("// %s\n// Structure only; probabilities and capacities are in %s.yaml.\n" % (head, name))
        f.write('digraph "%s" {\n' % name)
        for v, nm in enumerate(g.names):
            f.write('  "%s" [kind="%s"];\n' % (nm, g.kinds[v]))
        for v, o in enumerate(g.out):
            for c, _, when in o:
                extra = ', when="%s"' % when if when else ""
                f.write('  "%s" -> "%s" [mode="sync"%s];\n' % (g.names[v], g.names[c], extra))
        f.write("}\n")
    yml = os.path.join(directory, name + ".yaml")
    with open(yml, "w") as f:
        f.write("# %s\n" % head)
        f.write("# One request type following every call; %.2f expected visits per request.\n" % mean_visits)
        f.write("# Workers: 2 x the mean busy workers + 4 at %g requests/s. run_scaling.py sets duration.\n" % rate)
        f.write("name: %s\ntopology: %s.dot\nduration: %gs\nwarmup: 0s\nseed: 1\nbin: 1s\n\n" % (name, name, requests / rate))
        f.write("requests:\n  r: {entry: frontend}\n\n")
        f.write("workload:\n  - request: r\n    arrivals: {kind: poisson, rate: %g/s}\n\n" % rate)
        f.write("defaults:\n")
        for kind in ("frontend", "service", "cache", "db"):
            f.write("  %s: {replicas: 1, queue: 100000, service_time: exp(%gms)}\n" % (kind, SERVICE_TIME[kind] * 1e3))
        f.write("\nservices:\n")
        for v, nm in enumerate(g.names):
            f.write("  %s: {workers: %d}\n" % (nm, workers[v]))
        probabilistic = [(v, c, p) for v, o in enumerate(g.out) for c, p, _ in o if p < 1.0]
        if probabilistic:
            f.write("\nedges:\n")
            for v, c, p in probabilistic:
                f.write('  "%s -> %s": {probability: %.6g}\n' % (g.names[v], g.names[c], p))
        f.write("\nplatform:\n  network: {latency: 100us}\n")
    summary = describe(g)
    summary.update({"dot": dot, "yaml": yml, "expected_visits": round(mean_visits, 3),
                    "busiest_service_visits": round(max(per_node[1:], default=0), 3)})
    return summary


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, nargs="?", help="number of nodes: services, caches and dbs, the frontend included")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out-dir", default=".")
    p.add_argument("--depth-cap", type=int, default=8, help="longest call path, in services (frontend = 1)")
    p.add_argument("--visits", type=float, default=15.0, help="target mean visits per request")
    p.add_argument("--rate", type=float, default=2000.0, help="requests per second (sizes the worker pools)")
    p.add_argument("--miss", type=float, default=0.2, help="probability of reading a db behind a cache")
    p.add_argument("--requests", type=float, default=1e6, help="sets duration = requests / rate in the YAML")
    p.add_argument("--stats", action="store_true", help="print the distributions measured on the real topologies")
    args = p.parse_args()
    stats = measure()
    if args.stats:
        s = dict(stats)
        pairs = collections.Counter(stats["internal"])
        s["internal"] = {"%d svc + %d store" % k: v for k, v in sorted(pairs.items())}
        s["internal_mean_services"] = sum(a for a, _ in stats["internal"]) / len(stats["internal"])
        s["internal_mean_stores"] = sum(b for _, b in stats["internal"]) / len(stats["internal"])
        s["internal_no_service_callee"] = sum(1 for a, _ in stats["internal"] if a == 0) / len(stats["internal"])
        print(json.dumps(s, indent=1))
        return 0
    if args.n is None:
        p.error("give N (or --stats)")
    g = generate(args.n, args.seed, args.depth_cap, args.miss, stats)
    print(json.dumps(write(g, args.out_dir, args.n, args.seed, args.depth_cap, args.visits, args.rate, args.miss,
                           args.requests)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
