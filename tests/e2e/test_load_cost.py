"""Load-dependent service time, reproduced: scenarios/gc-death-spiral.yaml. A burst of
requests pushes an API whose CPU cost grows with the requests it holds into an overload it never
leaves; the same API without the cost (the scenario's design `constant-cost`) drains the burst
and recovers. The scenario's hypothesis states the spiral: --strict passes on the baseline and
fails on the twin. Outcomes are read from the per-second goodput with h5py."""

import os
import re
import unittest

import test_cascade
from harness import SOURCE_DIR, RaptureTest, read_run, run

SCENARIO = os.path.join(SOURCE_DIR, "scenarios", "gc-death-spiral.yaml")


class GcDeathSpiralTest(RaptureTest):
    def goodput(self, extra=()):
        """Successful requests per second: before the burst, and over the last 20 s of the run."""
        out = self.path("gc.h5")
        code, stdout, stderr = run(["run", SCENARIO, "-o", out, "--strict", *extra])
        data, _, _, _ = read_run(out)
        ok = data["requests/successes"][:, 0].astype(float) / 0.5  # bins of 500 ms
        with open(SCENARIO) as f:
            burst = float(re.search(r"kind: burst, at: (\d+)s", f.read())[1])
        return code, stdout + stderr, ok[: int(burst / 0.5)].mean(), ok[-40:].mean()

    def test_the_burst_leaves_the_api_in_a_spiral_and_the_hypothesis_says_so(self):
        code, text, before, after = self.goodput()
        self.assertEqual(code, 0, text)
        self.assertIn("hypothesis met", text)
        # 500/s offered: before the burst all of it is served (Poisson noise over 3 s: ~2.5 %).
        self.assertGreater(before, 450)
        # With the heap full every request costs 2.5 × 10 ms of CPU: 8 workers / ~26.2 ms ≈ 305/s.
        self.assertLess(after, 350)
        self.assertIn("METASTABLE", text)

    def test_the_spiral_is_judged_sustained_by_load_dependent_cost_at_the_api(self):
        code, text, _, _ = self.goodput()
        self.assertEqual(code, 0, text)
        self.assertIn("sustained by load-dependent cost", text)
        _, _, _, attrs = test_cascade.analysis(self.path("gc.h5"))
        self.assertEqual((attrs["verdict"], attrs["sustained_by"]), ("sustained", "load_dependent_cost"))
        self.assertEqual(attrs["evidence_place"], "api")
        # Worker time per visit: ~26 ms in the spiral against ~11 ms before the burst (1.5 x is the rule).
        self.assertGreater(attrs["evidence"], 1.5 * attrs["evidence_baseline"])

    def test_the_twin_without_the_load_cost_recovers_and_fails_the_hypothesis(self):
        code, text, before, after = self.goodput(["--design", "constant-cost"])
        self.assertEqual(code, 3, text)  # --strict: the hypothesis failed
        self.assertIn("hypothesis NOT met", text)
        self.assertGreater(before, 450)
        self.assertGreater(after, 475)  # all of the offered 500/s again (20 s: ~1 % noise)


if __name__ == "__main__":
    unittest.main(verbosity=2)
