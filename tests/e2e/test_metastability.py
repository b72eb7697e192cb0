"""Metastability, reproduced: scenarios/metastable-retry-storm.yaml. A 10 s load burst
pushes a system with timeouts and retries into an overload that persists after the burst
is gone; the same system with a retry budget (gRPC throttling) or without retries recovers.
The outcomes are read from the time series of successful requests (goodput per second)
before, during and long after the trigger. And the slow half: scenarios/drain-stale-queue.yaml,
a stale queue that is still draining when the analysis judges it, is "recovering" with a drain
ETA that the run's own bins confirm, not metastable."""

import math
import os
import re
import unittest

import h5py
import numpy as np

import test_cascade
from harness import SOURCE_DIR, RaptureTest, read_run

SCENARIO = os.path.join(SOURCE_DIR, "scenarios", "metastable-retry-storm.yaml")
DRAIN = os.path.join(SOURCE_DIR, "scenarios", "drain-stale-queue.yaml")


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
        self.assertNotIn("slow_drain", [row["category"] for row in journal])
        # What sustains it, from the run: the gateway retries the API far more than in the baseline.
        self.assertEqual((attrs["verdict"], attrs["sustained_by"]), ("sustained", "retries"))
        self.assertEqual(attrs["evidence_place"], "gateway -> api")
        self.assertGreater(attrs["evidence"], attrs["evidence_baseline"] + 0.1)
        self.assertGreaterEqual(attrs["offered_load"], 1.0)
        self.assertTrue(math.isnan(attrs["drain_eta"]))
        self.assertIn("METASTABLE: not recovered within 60 s, sustained by retries", stdout)


class StaleQueueTest(RaptureTest):
    def test_a_stale_queue_that_drains_is_recovering_with_an_eta_within_the_measured_drain(self):
        out = self.path("drain.h5")
        stdout, _ = self.run_ok(["run", DRAIN, "-o", out])
        _, journal, _, attrs = test_cascade.analysis(out)
        with h5py.File(out, "r") as f:
            saturated = [s.decode() if isinstance(s, bytes) else s for s in f["runs/0/analysis/saturated"][()]]
        self.assertEqual(attrs["verdict"], "recovering", attrs["verdict_note"])
        self.assertEqual(attrs["metastable"], 0)
        self.assertEqual(attrs["sustained_by"], "none")
        self.assertEqual(saturated, ["api"])
        self.assertIn("recovering, drain ETA", stdout)
        self.assertNotIn("METASTABLE", stdout)
        categories = [row["category"] for row in journal]
        self.assertIn("slow_drain", categories)
        self.assertNotIn("metastable_loop", categories)
        start, end, judged = attrs["trigger_start"], attrs["trigger_end"], attrs["verdict_time"]
        self.assertEqual(judged, end + 60)  # metastable_after: the moment the old flag said METASTABLE
        self.assertLess(attrs["offered_load"], 1.0)

        # The drain as it happened: the API's backlog (queued + in service) per bin, back to the
        # largest it was in the baseline.
        data, run_attrs, _, names = read_run(out)
        w = float(run_attrs["bin_width"])
        api = names.index("api")
        backlog = data["services/queue_mean"][:, api] + data["services/busy_mean"][:, api]
        baseline = backlog[:int(start / w)]
        after = np.nonzero(backlog[int(judged / w):] <= baseline.max())[0]
        self.assertTrue(len(after), "the queue never drained within the run")
        measured_end = judged + after[0] * w
        predicted_end = judged + attrs["drain_eta"]
        # Tolerance: with every worker busy, arrivals (Poisson, rate a) and departures (exponential
        # service, rate d) make the backlog a random walk, so the moment it empties, T after the
        # trigger, varies by sqrt((a + d) T) / (d - a); four of those, plus two bins for the
        # binning of the measured end and of the time averages the line is fitted to.
        drain = slice(int(end / w), int(measured_end / w))
        a = data["services/arrivals"][drain, api].mean() / w
        d = data["services/completions"][drain, api].mean() / w
        self.assertGreater(d, a)
        sigma = math.sqrt((a + d) * (measured_end - end)) / (d - a)
        self.assertLess(abs(predicted_end - measured_end), 4 * sigma + 2 * w,
                        (predicted_end, measured_end, sigma, attrs["verdict_note"]))
        # It did come back on its own, later than metastable_after: the old flag's false alarm.
        self.assertEqual(attrs["recovered"], 1)
        self.assertGreater(attrs["recovery_time"], 60)


if __name__ == "__main__":
    unittest.main(verbosity=2)
