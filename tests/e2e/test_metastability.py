"""Metastability, reproduced: scenarios/metastable-retry-storm.yaml. A 10 s load burst
pushes a system with timeouts and retries into an overload that persists after the burst
is gone; the same system with a retry budget (gRPC throttling) or without retries recovers.
The outcomes are read from the time series of successful requests (goodput per second)
before, during and long after the trigger."""

import os
import unittest

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
