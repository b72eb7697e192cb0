"""The hostile user, memory: a scenario that would need more memory than the limit is refused
before anything is built or run, with exit 1 and a message naming the estimate and the option
that raises the limit; what the reader changed in the scenario is said once, as a note; and the
tries per call of an edge leave out the calls its breaker refused (edges/calls_refused)."""

import os
import re
import resource
import subprocess
import time
import unittest

import h5py
import numpy as np

from harness import RAPTURE, RaptureTest, run

CHAIN = """digraph chain {
  frontend -> api;
  api -> db;
}
"""

SCENARIO = """name: {name}
topology: chain.dot
duration: {duration}
bin: {bin}
workload:
  - request: browse
    entry: frontend
    arrivals: {{kind: poisson, rate: 50/s}}
"""


def tree(services):
    """A DOT topology of `services` services, each called by one parent (a binary tree)."""
    lines = [f"  s{(i - 1) // 2} -> s{i};" for i in range(1, services)]
    return "digraph big {\n" + "\n".join(lines) + "\n}\n"


def limit_address_space(gib):
    """A preexec_fn: the child may map at most `gib` GiB, so that a build of gigabytes fails."""
    def apply():
        size = gib << 30
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return apply


class HostileMemoryTest(RaptureTest):
    def write(self, name, text):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def chain(self, duration, bin_width, name="mem"):
        self.write("chain.dot", CHAIN)
        return self.write("s.yaml", SCENARIO.format(name=name, duration=duration, bin=bin_width))

    def leftovers(self):
        return [f for f in os.listdir(self.tmp) if f.endswith(".h5") or ".tmp-" in f]

    def test_ten_million_bins_on_three_services_are_refused_before_the_run_naming_the_estimate_and_the_option(self):
        scenario = self.chain("10000s", "1ms")
        for command in (["run", scenario, "-o", self.path("out.h5")], ["validate", scenario]):
            started = time.monotonic()
            code, _, err = run(command, timeout=60)
            self.assertEqual(code, 1, err)
            self.assertLess(time.monotonic() - started, 20, "refused before the run, not after it")
            self.assertIn("s.yaml: this run needs about", err)
            self.assertIn("10,000,000 bins", err)
            self.assertIn("3 services", err)
            self.assertIn("lower duration or raise bin", err)
            # The estimate is gigabytes (about 7 GiB), over the default limit, and the message
            # says which limit to ask for.
            need = re.search(r"needs about ([0-9.]+) GiB", err)
            self.assertIsNotNone(need, err)
            self.assertGreater(float(need.group(1)), 4)
            self.assertRegex(err, r"--memory-limit \d+GiB")
            self.assertEqual(err.count("\n"), 1, "one line")
        self.assertEqual(self.leftovers(), [], "nothing written")

    def test_a_raised_limit_lets_the_same_scenario_through(self):
        scenario = self.chain("10000s", "1ms")
        code, out, err = run(["validate", scenario, "--memory-limit", "64GiB"], timeout=60)
        self.assertEqual(code, 0, err)
        self.assertIn("a run needs about", out)

    def test_a_moderate_run_is_refused_just_under_its_estimate_and_runs_just_over_it(self):
        # 20,000 bins of three services: about 66 MiB in all, most of it the process itself.
        scenario = self.chain("20s", "1ms")
        out = self.path("out.h5")
        code, _, err = run(["run", scenario, "-q", "-o", out, "--memory-limit", "60MiB"], timeout=60)
        self.assertEqual(code, 1, err)
        self.assertIn("limit 60 MiB", err)
        self.assertFalse(os.path.exists(out))
        code, _, err = run(["run", scenario, "-q", "-o", out, "--memory-limit", "100MiB"], timeout=120)
        self.assertEqual(code, 0, err)
        with h5py.File(out, "r") as f:
            self.assertEqual(f["runs/0/time"].shape[0], 20000)

    def test_an_unreadable_memory_limit_is_a_usage_error(self):
        scenario = self.chain("5s", "1s")
        for bad in ("lots", "0", "-1GiB", "8 parsecs"):
            code, _, err = run(["validate", scenario, "--memory-limit", bad], timeout=60)
            self.assertEqual(code, 2, f"{bad}: {err}")
            self.assertIn("--memory-limit", err)

    def test_a_thousand_cells_on_a_large_graph_are_refused_by_validate_quickly_and_without_building_them(self):
        self.write("big.dot", tree(2000))
        scenario = self.write("s.yaml", """name: cells
topology: big.dot
duration: 10s
workload:
  - request: browse
    entry: s0
    arrivals: {kind: poisson, rate: 10/s}
designs:
  - name: celled
    cells: {count: 1000}
""")
        started = time.monotonic()
        p = subprocess.run([RAPTURE, "validate", scenario], capture_output=True, text=True, timeout=60,
                           preexec_fn=limit_address_space(2))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertLess(time.monotonic() - started, 30)
        # Blamed on the design's cells, with the services it would have.
        self.assertRegex(p.stderr, r"s\.yaml:\d+: .*cells.*this design needs about [0-9.]+ GiB")
        self.assertIn("2,000,001 services", p.stderr)
        self.assertIn("fewer cells", p.stderr)
        self.assertIn("--memory-limit", p.stderr)

    def test_the_grpc_presets_lowered_max_attempts_is_said_once_as_a_note_before_the_run(self):
        self.write("chain.dot", CHAIN)
        scenario = self.write("s.yaml", SCENARIO.format(name="grpc", duration="2s", bin="1s") + """policies:
  defaults:
    retry: {preset: grpc, max_attempts: 8}
""")
        for command in (["validate", scenario], ["run", scenario, "-o", self.path("out.h5")]):
            code, _, err = run(command, timeout=120)
            self.assertEqual(code, 0, err)
            notes = [line for line in err.splitlines() if line.startswith("note: ")]
            self.assertEqual(len(notes), 1, err)
            self.assertRegex(notes[0], r"^note: .*s\.yaml:\d+: ")
            self.assertIn("5", notes[0])

    def test_calls_a_breaker_refuses_are_counted_apart_from_the_calls_made(self):
        self.write("chain.dot", CHAIN)
        scenario = self.write("s.yaml", SCENARIO.format(name="breaker", duration="30s", bin="1s") + """policies:
  defaults:
    retry: none
    circuit_breaker: {preset: resilience4j, window_size: 20, minimum_calls: 10, wait_in_open: 2s}
faults:
  - {name: down, kind: crash, target: db, start: 10s, duration: 10s}
""")
        out = self.simulate(scenario)
        with h5py.File(out, "r") as f:
            e = f["runs/0/edges"]
            self.assertIn("calls_refused", e)
            refused = e["calls_refused"][()]
            calls, attempts = e["calls"][()], e["attempts"][()]
            rejections = e["circuit_rejections"][()] + e["bulkhead_rejections"][()]
        self.assertEqual(refused.dtype, np.dtype("<u8"))
        self.assertEqual(refused.shape, calls.shape)
        self.assertGreater(refused.sum(), 0, "the open breaker refused calls")
        self.assertTrue(np.all(np.cumsum(refused, axis=0) <= np.cumsum(calls, axis=0)))
        # Without retries each call is one try, sent or refused: the tries are the calls made.
        self.assertTrue(np.all(refused <= rejections))
        made = calls.sum(axis=0).astype(np.int64) - refused.sum(axis=0).astype(np.int64)
        self.assertTrue(np.all(attempts.sum(axis=0).astype(np.int64) >= made))
        self.assertTrue(np.all(attempts.sum(axis=0) + refused.sum(axis=0) >= calls.sum(axis=0) - 10),
                        "every call sends a try or is refused (a few may still be pending at the end)")


if __name__ == "__main__":
    unittest.main()
