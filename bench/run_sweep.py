#!/usr/bin/python3
"""What `rapture sweep` costs beyond its runs, on this machine: the fixed cost per run (spawn,
engine start, results file, rename) from a sweep of runs that simulate almost nothing; the
parallel efficiency of the local executor for runs of about 1 s and 10 s (the time of J runs at
once against J times one run alone, J = the machine's cores); and the time and peak memory of
`sweep merge` for 10, 100 and 1,000 runs; with --slurm (as root), the overhead per task of a
job array on a throwaway single-node Slurm (tests/e2e/slurm_cluster.py) against the local executor.

Builds nothing: build first with `cmake --workflow --preset release`.

    /usr/bin/python3 bench/run_sweep.py [--rapture PATH] [--skip-merge-1000] [--slurm]
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DOT = "digraph shop {\n  frontend -> db;\n}\n"
SCENARIO = """name: shop
topology: shop.dot
duration: {duration}
bin: 1s
workload:
  - request: browse
    entry: frontend
    arrivals: {{kind: poisson, rate: {rate}}}
"""
SWEEP = """name: {name}
scenario: shop.yaml
factors:
  - path: services.db.workers
    values: [{values}]
replications: {replications}
"""


def timed(args, cwd):
    """Wall seconds, and the peak RSS (MiB) of the children that ended meanwhile."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{p.stdout}\n{p.stderr}")
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, before


def setup(d, duration, rate):
    with open(os.path.join(d, "shop.dot"), "w") as f:
        f.write(DOT)
    with open(os.path.join(d, "shop.yaml"), "w") as f:
        f.write(SCENARIO.format(duration=duration, rate=rate))


def sweep_file(d, name, runs, replications=1):
    values = ", ".join(str(v) for v in range(1, runs // replications + 1))
    path = os.path.join(d, name + ".yaml")
    with open(path, "w") as f:
        f.write(SWEEP.format(name=name, values=values, replications=replications))
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rapture", default=os.path.join(ROOT, "build", "release", "rapture"))
    p.add_argument("--skip-merge-1000", action="store_true")
    p.add_argument("--slurm", action="store_true", help="also measure a job array on a single-node Slurm (root)")
    args = p.parse_args()
    rapture = os.path.abspath(args.rapture)
    cores = os.cpu_count()
    print(f"machine: {cores} cores; rapture: {rapture}")

    with tempfile.TemporaryDirectory(prefix="rapture-bench-sweep-") as d:
        # Fixed cost: runs that simulate one second at 1 request/s.
        setup(d, "1s", "1/s")
        n = 50
        wall, _, _ = timed([rapture, "sweep", sweep_file(d, "fixed", n), "-o", "fixed.sweep", "-j", "1"], d)
        print(f"fixed cost per run (sweep of {n} near-empty runs, -j 1): {1000 * wall / n:.0f} ms")
        start = time.perf_counter()
        for _ in range(10):
            timed([rapture, "--version"], d)
        print(f"  of which starting the process (rapture --version): {100 * (time.perf_counter() - start):.0f} ms")

        # Parallel efficiency: J runs at once against one alone, for ~1 s and ~10 s runs.
        for duration in ("2500s", "25000s"):
            setup(d, duration, "2000/s")
            # The same run (replications of one point) alone, then 2 per core at once.
            one, _, _ = timed([rapture, "run", "shop.yaml", "--set", "services.db.workers=1", "-q", "-o", "one.h5"], d)
            runs = 2 * cores
            wall, _, _ = timed([rapture, "sweep", sweep_file(d, f"par{duration}", runs, replications=runs), "-o",
                                f"par{duration}.sweep", "-j", str(cores)], d)
            ideal = runs * one / cores
            print(f"runs of {one:.2f} s (one alone): {runs} runs on {cores} cores in {wall:.2f} s, "
                  f"ideal {ideal:.2f} s: efficiency {100 * ideal / wall:.0f} %")

        # Merge: time and peak memory against the number of runs.
        setup(d, "10s", "50/s")
        sizes = (10, 100) if args.skip_merge_1000 else (10, 100, 1000)
        for runs in sizes:
            name = f"merge{runs}"
            timed([rapture, "sweep", sweep_file(d, name, runs, replications=10), "-o", name + ".sweep",
                   "-j", str(cores)], d)
            # Peak RSS of the merge alone: a fresh process measured by /usr/bin/time if present.
            if shutil.which("/usr/bin/time"):
                start = time.perf_counter()
                p = subprocess.run(["/usr/bin/time", "-f", "%M", rapture, "sweep", "merge", name + ".sweep", "-o",
                                    name + ".h5"], cwd=d, capture_output=True, text=True)
                wall = time.perf_counter() - start
                peak = int(p.stderr.strip().splitlines()[-1]) / 1024
            else:
                wall, peak, _ = timed([rapture, "sweep", "merge", name + ".sweep", "-o", name + ".h5"], d)
            size = os.path.getsize(os.path.join(d, name + ".h5")) / 2**20
            print(f"merge of {runs:>5} runs: {wall:6.2f} s, {1000 * wall / runs:5.1f} ms per run, "
                  f"peak RSS {peak:6.1f} MiB, file {size:.1f} MiB")

        if args.slurm:
            slurm_overhead(rapture, d, cores)


def slurm_overhead(rapture, d, cores):
    """Wall time of the same runs as a job array (one run per task, all cores) and locally."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    from slurm_cluster import SingleNodeSlurm
    import re
    setup(d, "2000s", "2000/s")
    runs = 4 * cores
    local, _, _ = timed([rapture, "sweep", sweep_file(d, "local", runs), "-o", "local.sweep", "-j", str(cores)], d)
    os.chmod(d, 0o755)  # munged wants every directory above its socket open to all
    cluster = SingleNodeSlurm(os.path.join(d, "cluster"))
    try:
        cluster.start()
        start = time.perf_counter()
        p = subprocess.run([rapture, "sweep", sweep_file(d, "array", runs), "-o", "array.sweep", "--slurm"], cwd=d,
                           capture_output=True, text=True, env=cluster.env)
        job = re.search(r"submitted job array (\d+)", p.stdout)
        if not job:
            sys.exit("sbatch failed:\n" + p.stdout + p.stderr)
        if not cluster.wait_for(job.group(1), 600):
            sys.exit("the job array did not finish in 600 s")
        array = time.perf_counter() - start
    finally:
        cluster.stop()
    print(f"{runs} runs of ~{local * cores / runs:.1f} s: local -j {cores} {local:.2f} s, Slurm array "
          f"(1 run per task) {array:.2f} s: {1000 * (array - local) * cores / runs:.0f} ms more per task")


if __name__ == "__main__":
    main()
