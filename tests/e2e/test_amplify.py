"""`rapture amplify` end to end: the search finds the tipping point of a case whose
threshold is known in closed form (the arrival rate at which an M/M/c/K queue blocks 5 %
of arrivals) within its stated uncertainty plus the sampling noise of one run; every point
it ran is a run of the results file; a range that cannot bracket the tipping point is an
error, and a range without one says so. With --replications the tipping point is an interval
from a logistic fit over every run, which holds the closed form and is wider than the bracket
one seed claims."""

import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

from harness import DATA, SOURCE_DIR, RaptureTest, run

CHECKER = os.path.join(SOURCE_DIR, "analysis", "check_results.py")


def check(path):
    """The independent checker of the results format: (exit code, its problem lines)."""
    p = subprocess.run([sys.executable, CHECKER, path], capture_output=True, text=True)
    return p.returncode, p.stderr

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
            self.assertNotIn("replications", f["amplify"].attrs)  # one seed: the record as before

    def test_bad_arguments_are_rejected_before_any_run(self):
        code, _, stderr, _ = self.amplify("--from", "100/s", "--to", "50ms")
        self.assertEqual(code, 1)
        self.assertIn("same unit", stderr)
        code, _, stderr, _ = self.amplify("--from", "100/s", "--to", "500/s", "--criterion", "latency:3")
        self.assertEqual(code, 1)
        self.assertIn("unknown criterion", stderr)


# Short runs (20 s measured, ~6,000 arrivals near the tipping point) make one run's blocking
# estimate noisy: its standard error, sqrt(3 * 0.05 * 0.95 / 6000) ~ 0.005 (the factor 3 as above),
# turned into a rate through the closed form's slope (~0.0007 per 1/s), is ~7/s, while the
# single-seed bisection ends with a bracket 50/27 ~ 1.9/s wide: the bracket alone claims more
# than one run can tell. The replicated search runs every magnitude on the scenario's seeds
# 11..18 (fixed), so its interval is one deterministic outcome.
SHORT = ["--set", "duration=30s", "--criterion", "error_rate:0.05", "--from", "200/s", "--to", "400/s",
         "--points", "5", "--rounds", "3", "-j", "2", "-q"]
REPLICATIONS = 8


class ReplicatedAmplifyTest(unittest.TestCase):
    """One single-seed and one replicated search of the M/M/c/K case, the same options otherwise."""

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="rapture-e2e-")
        cls.single = os.path.join(cls._tmp.name, "single.h5")
        cls.replicated = os.path.join(cls._tmp.name, "replicated.h5")
        base = ["amplify", SCENARIO, "--param", "workload[0].arrivals.rate", *SHORT]
        cls.single_result = run([*base, "-o", cls.single])
        cls.replicated_result = run([*base, "-o", cls.replicated, "--replications", str(REPLICATIONS)])

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def searched(self):
        for code, stdout, stderr in (self.single_result, self.replicated_result):
            self.assertEqual(code, 0, stdout + stderr)

    def test_the_interval_holds_the_closed_form_and_is_wider_than_the_single_seed_bracket(self):
        self.searched()
        with h5py.File(self.single, "r") as f:
            uncertainty = float(f["amplify"].attrs["uncertainty"])
        with h5py.File(self.replicated, "r") as f:
            rec = f["amplify"].attrs
            low, high = float(rec["tipping_low"]), float(rec["tipping_high"])
            method = rec["fit_method"]
        expected = rate_at(0.05)
        self.assertLessEqual(low, expected, f"interval [{low}, {high}] ({method}), closed form {expected}")
        self.assertGreaterEqual(high, expected, f"interval [{low}, {high}] ({method}), closed form {expected}")
        self.assertGreater(high - low, 2 * uncertainty,
                           f"interval [{low}, {high}], single-seed bracket ± {uncertainty}")
        self.assertIn("95 % interval", self.replicated_result[1])

    def test_the_record_holds_the_seeds_and_the_fit(self):
        self.searched()
        with h5py.File(self.replicated, "r") as f:
            rec = f["amplify"]
            self.assertEqual(int(rec.attrs["replications"]), REPLICATIONS)
            values, seeds, cascade = rec["value"][()], rec["seed"][()], rec["cascade"][()]
            self.assertEqual(len(seeds), len(f["runs"]))
            # Paired seeds: every magnitude ran on the scenario's seed 11 .. 11 + R - 1, and each
            # run's own seed attribute says so.
            for v in set(values):
                self.assertEqual(sorted(seeds[values == v]), list(range(11, 11 + REPLICATIONS)))
            for i, seed in enumerate(seeds):
                self.assertEqual(int(f[f"runs/{i}"].attrs["seed"]), seed)
            self.assertEqual(rec.attrs["fit_method"], "fieller")
            self.assertEqual(float(rec.attrs["fit_confidence"]), 0.95)
            # Clustered by seed: Student's t with R - 1 degrees of freedom.
            self.assertEqual(int(rec.attrs["fit_clusters"]), REPLICATIONS)
            self.assertAlmostEqual(float(rec.attrs["fit_critical"]), 2.364624, places=5)
            b0, b1 = float(rec.attrs["fit_intercept"]), float(rec.attrs["fit_slope"])
            self.assertGreater(b1, 0)
            self.assertAlmostEqual(float(rec.attrs["tipping_point"]), -b0 / b1, places=6)
            covariance = rec["fit_covariance"][()]
            self.assertEqual(covariance.shape, (2, 2))
            self.assertEqual(covariance[0, 1], covariance[1, 0])
            self.assertLess(float(rec.attrs["tipping_low"]), float(rec.attrs["tipping_point"]))
            self.assertGreater(float(rec.attrs["tipping_high"]), float(rec.attrs["tipping_point"]))
            # The fit's slope is the maximum-likelihood one: the score is zero there.
            p = 1 / (1 + np.exp(-(b0 + b1 * values)))
            self.assertLess(abs(float(np.sum((cascade - p) * values))), 1e-6 * len(values) * values.max())

    def test_the_independent_checker_accepts_the_record_and_catches_a_tampered_one(self):
        self.searched()
        code, problems = check(self.replicated)
        self.assertEqual(code, 0, problems)
        tampered = os.path.join(self._tmp.name, "tampered.h5")
        shutil.copy(self.replicated, tampered)
        with h5py.File(tampered, "r+") as f:
            f["amplify"].attrs["tipping_point"] = float(f["amplify"].attrs["tipping_high"]) + 1
        code, problems = check(tampered)
        self.assertEqual(code, 1)
        self.assertIn("tipping_point", problems)

    def test_bad_replications_are_one_line_errors(self):
        for extra, message in ((["--replications", "0"], "between 1 and 1000"),
                               (["--replications", "1001"], "between 1 and 1000"),
                               (["--replications", "2", "--param2", "workload[0].arrivals.rate", "--from2", "1/s",
                                 "--to2", "2/s"], "map mode")):
            code, stdout, stderr = run(["amplify", SCENARIO, "--param", "workload[0].arrivals.rate", "-o",
                                        os.path.join(self._tmp.name, "bad.h5"), *SHORT, *extra])
            self.assertEqual(code, 1, stdout + stderr)
            self.assertEqual(len(stderr.strip().splitlines()), 1, stderr)
            self.assertIn(message, stderr)
            self.assertFalse(os.path.exists(os.path.join(self._tmp.name, "bad.h5")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
