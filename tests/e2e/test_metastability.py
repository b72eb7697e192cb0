"""Metastability, reproduced: scenarios/metastable-retry-storm.yaml. A 10 s load burst
pushes a system with timeouts and retries into an overload that persists after the burst
is gone; the same system with a retry budget (gRPC throttling) or without retries recovers.
The outcomes are read from the time series of successful requests (goodput per second)
before, during and long after the trigger."""

import os
import re
import unittest

import test_cascade
from harness import SOURCE_DIR, RaptureTest, read_run

SCENARIO = os.path.join(SOURCE_DIR, "scenarios", "metastable-retry-storm.yaml")


class MetastabilityTest(RaptureTest):
    def goodput(self, extra=()):
        out = self.simulate(SCENARIO, "ms.h5", ["--set", "duration=200s", *extra])
        data, _, summary, _ = read_run(out)
        ok = data["requests/successes"][:, 0].astype(float)
        windows = {"before": ok[10:60].mean(), "during": ok[60:70].mean(), "after": ok[120:200].mean()}
        return windows, data, summary

    def test_retries_without_budget_stay_overloaded_after_the_trigger(self):
        g, data, summary = self.goodput()
        self.assertGreater(g["before"], 570)  # 600/s offered, ~1 % noise
        self.assertLess(g["during"], 0.5 * g["before"])
        self.assertLess(g["after"], 0.05 * g["before"], g)
        # The storm is visible: retries and timeouts on the edge, CPU spent on abandoned tries.
        self.assertGreater(data["edges/retries"][120:200, 0].sum(), 0)
        self.assertGreater(data["edges/timeouts"][120:200, 0].sum(), 0)
        self.assertGreater(float(summary["wasted_cpu"]), 0)

    def test_a_retry_budget_lets_the_system_recover(self):
        g, _, _ = self.goodput(["--set", "policies.defaults.budget=grpc"])
        self.assertGreater(g["before"], 570)
        self.assertLess(g["during"], 0.5 * g["before"])
        self.assertGreater(g["after"], 0.95 * g["before"], g)

    def test_without_retries_the_system_recovers(self):
        g, _, _ = self.goodput(["--set", 'policies.edges."gateway -> api".retry.max_attempts=1'])
        self.assertGreater(g["after"], 0.95 * g["before"], g)

    def test_the_analysis_takes_the_profile_spike_as_the_trigger_and_flags_metastability(self):
        # The trigger is the workload profile's spike, not a fault: read its window from the scenario.
        with open(SCENARIO) as f:
            spike = re.search(r"kind: spike, at: (\d+)s, duration: (\d+)s", f.read())
        start, end = float(spike[1]), float(spike[1]) + float(spike[2])
        out = self.path("ms.h5")
        stdout, _ = self.run_ok(["run", SCENARIO, "-o", out])
        self.assertIn(f"trigger {start:.1f}-{end:.1f} s; baseline 0.0-{start:.1f} s", stdout)
        self.assertIn("METASTABLE", stdout)
        self.assertNotIn("EMERGENT", stdout)
        propagation, journal, touched, attrs = test_cascade.analysis(out)
        self.assertEqual((attrs["trigger_start"], attrs["trigger_end"]), (start, end))
        self.assertEqual(attrs["metastable"], 1)
        self.assertEqual(attrs["emergent"], 0)
        # The burst enters at the gateway: it is touched by the load change, not emergent.
        self.assertIn("gateway", touched)
        gateway = next(row for row in propagation if row["service"] == "gateway")
        self.assertEqual(gateway["cause"], "fault")
        self.assertTrue(gateway["path"].startswith(f"load 'profile spike {start:g}-{end:g} s' -> gateway"), gateway)
        self.assertIn("metastable_loop", [row["category"] for row in journal])


if __name__ == "__main__":
    unittest.main(verbosity=2)
