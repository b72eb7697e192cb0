"""`rapture amplify` end to end: the search finds the tipping point of a case whose
threshold is known in closed form (the arrival rate at which an M/M/c/K queue blocks 5 %
of arrivals) within its stated uncertainty plus the sampling noise of one run; every point
it ran is a run of the results file; a range that cannot bracket the tipping point is an
error, and a range without one says so."""

import math
import os
import unittest

import h5py

from harness import DATA, RaptureTest, run

SCENARIO = os.path.join(DATA, "e2e", "mmck_amplify.yaml")
C, QUEUE, MU = 4, 4, 100.0


def blocking(lam, c=C, k=C + QUEUE, mu=MU):
    a = lam / mu
    terms, t = [1.0], 1.0
    for n in range(1, k + 1):
        t *= a / min(n, c)
        terms.append(t)
    return terms[-1] / sum(terms)


def rate_at(p):
    lo, hi = 1.0, 1000.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if blocking(mid) < p else (lo, mid)
    return (lo + hi) / 2


class AmplifyTest(RaptureTest):
    def amplify(self, *extra):
        out = self.path("amp.h5")
        code, stdout, stderr = run(["amplify", SCENARIO, "--param", "workload[0].arrivals.rate", "-o", out, *extra])
        return code, stdout, stderr, out

    def test_finds_the_known_tipping_point_of_an_mmck_queue(self):
        code, stdout, stderr, out = self.amplify("--from", "100/s", "--to", "500/s", "--criterion", "error_rate:0.05",
                                                 "--points", "6", "--rounds", "3", "-j", "2")
        self.assertEqual(code, 0, stdout + stderr)
        with h5py.File(out, "r") as f:
            rec = f["amplify"]
            self.assertEqual(int(rec.attrs["found"]), 1)
            threshold, uncertainty = float(rec.attrs["threshold"]), float(rec.attrs["uncertainty"])
            values = rec["value"][()]
            self.assertEqual(len(f["runs"]), len(values))  # every point is a run of the file
        expected = rate_at(0.05)
        # Sampling noise of one run's blocking estimate (200 s, ~55,000 arrivals; successive
        # arrivals' fates are correlated: a factor 3 on the binomial variance is generous),
        # turned into a rate error through the slope of the closed form.
        n = 190 * expected
        se_p = math.sqrt(3 * 0.05 * 0.95 / n)
        slope = (blocking(expected * 1.01) - blocking(expected * 0.99)) / (0.02 * expected)
        tolerance = uncertainty + 4 * se_p / slope
        self.assertLess(abs(threshold - expected), tolerance,
                        f"found {threshold} ± {uncertainty}, closed form {expected}, tolerance {tolerance}")
        self.assertLess(uncertainty, 5.0)
        self.assertIn("tipping point at", stdout)

    def test_a_range_that_already_cascades_is_an_error(self):
        code, stdout, _, _ = self.amplify("--from", "400/s", "--to", "500/s", "--criterion", "error_rate:0.05",
                                          "--points", "2", "--rounds", "0")
        self.assertNotEqual(code, 0)
        self.assertIn("cannot bracket", stdout)

    def test_a_range_without_tipping_point_says_so(self):
        code, stdout, _, out = self.amplify("--from", "10/s", "--to", "50/s", "--criterion", "error_rate:0.05",
                                            "--points", "2", "--rounds", "0")
        self.assertEqual(code, 0)
        self.assertIn("no tipping point", stdout)
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f["amplify"].attrs["found"]), 0)
            self.assertEqual(len(f["runs"]), 2)

    def test_bad_arguments_are_rejected_before_any_run(self):
        code, _, stderr, _ = self.amplify("--from", "100/s", "--to", "50ms")
        self.assertEqual(code, 1)
        self.assertIn("same unit", stderr)
        code, _, stderr, _ = self.amplify("--from", "100/s", "--to", "500/s", "--criterion", "latency:3")
        self.assertEqual(code, 1)
        self.assertIn("unknown criterion", stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
