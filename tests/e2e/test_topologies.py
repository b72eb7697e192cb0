"""Every topology in topologies/ loads (`rapture topology`) and every one is exercised by a
scenario in scenarios/ that runs: a short run of each completes requests and writes a
results file that passes the independent check."""

import glob
import os
import re
import subprocess
import sys
import unittest

from harness import SOURCE_DIR, RaptureTest, read_run

TOPOLOGIES = sorted(glob.glob(os.path.join(SOURCE_DIR, "topologies", "*.dot")) +
                    glob.glob(os.path.join(SOURCE_DIR, "topologies", "*.graphml")))
# Sweep files (scenarios/sweeps/) are not scenarios: test_sweep checks the shipped ones.
SCENARIOS = sorted(p for p in glob.glob(os.path.join(SOURCE_DIR, "scenarios", "**", "*.yaml"), recursive=True)
                   if os.sep + "sweeps" + os.sep not in p)
CHECKER = os.path.join(SOURCE_DIR, "analysis", "check_results.py")


def topology_of(scenario):
    with open(scenario) as f:
        m = re.search(r"^topology:\s*(\S+)", f.read(), re.M)
    return os.path.normpath(os.path.join(os.path.dirname(scenario), m.group(1))) if m else None


class TopologiesTest(RaptureTest):
    def test_every_topology_loads_and_is_described(self):
        self.assertGreaterEqual(len(TOPOLOGIES), 7)
        for topo in TOPOLOGIES:
            with self.subTest(topology=os.path.basename(topo)):
                out, _ = self.run_ok(["topology", topo])
                self.assertIn("services", out)

    def test_report_names_the_findings(self):
        for name, fragments in (
                ("deathstarbench_socialNetwork.dot",
                 ("topology 'deathstarbench_socialNetwork'", "26 (2 frontend, 11 service, 6 cache, 7 db)",
                  "33 (33 sync", "user-service <-> social-graph-service", "unreachable  media-memcached",
                  "upper bound", "compose-post-service: unique-id-service, user-service, text-service")),
                ("styleflow.dot",
                 ("frontend: {catalog; pricing; inventory; recommendations (soft)}, search (p=0.35)",
                  "app-2: search, recommendations", "notifications (dead)", "order-events (async)",
                  "cart-db (x2)", "sync cycles  none"))):
            with self.subTest(topology=name):
                out, _ = self.run_ok(["topology", os.path.join(SOURCE_DIR, "topologies", name)])
                for fragment in fragments:
                    self.assertIn(fragment, out)

    def test_every_topology_has_a_scenario(self):
        used = {topology_of(s) for s in SCENARIOS}
        for topo in TOPOLOGIES:
            with self.subTest(topology=os.path.basename(topo)):
                self.assertIn(os.path.normpath(topo), used)

    def test_every_scenario_validates_and_runs_briefly(self):
        self.assertTrue(SCENARIOS)
        for scenario in SCENARIOS:
            name = os.path.relpath(scenario, SOURCE_DIR)
            with self.subTest(scenario=name):
                self.run_ok(["validate", scenario])
                out = self.path(os.path.basename(scenario) + ".h5")
                self.run_ok(["run", scenario, "-o", out, "-q", "--set", "duration=4s", "--set", "warmup=0s"])
                p = subprocess.run([sys.executable, CHECKER, out], capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                data, _, summary, _ = read_run(out)
                self.assertGreater(int(summary["requests"]), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
