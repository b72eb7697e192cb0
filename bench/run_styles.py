#!/usr/bin/python3
"""What a simulated service call costs in each modelling style, on the chain benchmark of
run_chain.py (Poisson 500/s into 5 services of 8 workers, exponential 1 ms service, 100 us
per hop): the hand-written heap loop (the limit), rapture (the model's own event loop,
SimGrid only for contended activities), SimGrid actors with semaphores and sleep_for,
SimPy, and SimGrid actors with mailboxes, execute() on hosts and CM02 links.

The same model five ways, run one after the other in one invocation. Checks first that all
agree on the mean end-to-end latency (run_chain.check_agreement), then prints one table:
whole-process wall and CPU time, and each per service call (5 per completed request).
Exits 1 if they disagree. Builds nothing: build first with `cmake --workflow --preset release`.

    /usr/bin/python3 bench/run_styles.py [--requests 100000] [--repeat K]
"""

import argparse
import os
import sys
import tempfile

import run_chain
from run_chain import CALLS_PER_REQUEST, RATE, ROOT

BUILD = os.path.join(ROOT, "build", "release")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rapture", default=os.path.join(BUILD, "rapture"))
    p.add_argument("--heap", default=os.path.join(BUILD, "bench", "heap_chain"))
    p.add_argument("--styles", default=os.path.join(BUILD, "bench", "styles_chain"))
    p.add_argument("--requests", type=int, default=100000, help="N: simulate N / 500 seconds")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=1,
                   help="run each K times and keep the fastest (the least disturbed by other load)")
    p.add_argument("--sigmas", type=float, default=4.0, help="agreement tolerance in standard errors")
    args = p.parse_args()

    for path in (args.rapture, args.heap, args.styles):
        if not os.access(path, os.X_OK):
            sys.exit("run_styles: %s not found; build with `cmake --workflow --preset release` "
                     "or pass --rapture/--heap/--styles" % path)
    n = args.requests

    # Cheapest first; the label says what the style is, the key is the agreement check's.
    styles = [
        ("heap", "hand-written heap loop", lambda: run_chain.run_heap(args.heap, n, args.seed)),
        ("rapture", "rapture (model events; SimGrid for contention)",
         lambda: run_chain.run_rapture(args.rapture, n, args.seed, workdir)),
        ("sg-sem", "SimGrid actors + semaphores + sleep_for",
         lambda: run_chain.run_json([args.styles, "semaphores"], n, args.seed)),
        ("simpy", "SimPy 2.3 (a process per request)", lambda: run_chain.run_simpy(n, args.seed)),
        ("sg-mbox", "SimGrid actors + mailboxes + execute + CM02",
         lambda: run_chain.run_json([args.styles, "mailboxes"], n, args.seed)),
    ]
    runs = {key: [] for key, _, _ in styles}
    with tempfile.TemporaryDirectory(prefix="run_styles-") as workdir:
        # Repeats interleave the styles, so that a burst of other load hits all of them alike.
        for _ in range(args.repeat):
            for key, _, run in styles:
                runs[key].append(run())
    results = {key: run_chain.fastest(rs) for key, rs in runs.items()}

    print("N=%d requests (%g simulated s), seed %d, fastest of %d" % (n, n / RATE, args.seed, args.repeat))
    ok = run_chain.check_agreement(n, results, args.sigmas)
    print()
    print("| implementation | wall s | CPU s | wall per call | CPU per call | mean latency |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, label, _ in styles:
        r = results[key]
        calls = CALLS_PER_REQUEST * r["requests"]
        print("| %s | %.3f | %.3f | %.2f us | %.2f us | %.4f ms |"
              % (label, r["wall"], r["cpu"], r["wall"] / calls * 1e6, r["cpu"] / calls * 1e6, r["mean"] * 1e3))
    print("\nwall s, CPU s: the whole process (start-up and output included), wall time and user + system"
          "\nCPU time; per call: divided by %d service calls per completed request. On a loaded machine"
          "\nwall time includes waiting for a core; CPU time does not." % CALLS_PER_REQUEST)
    if not ok:
        print("\nrun_styles: the implementations DISAGREE (see the checks above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
