"""`rapture run` end to end: the results file's layout and conservation (checked by the
independent reader analysis/check_results.py), determinism, queueing theory through the
SimGrid engine, bandwidth sharing, and the demo scenario."""

import json
import math
import os
import subprocess
import sys
import unittest

from harness import DATA, SOURCE_DIR, RaptureTest, datasets_equal, read_run

CHECKER = os.path.join(SOURCE_DIR, "analysis", "check_results.py")


def erlang_c(c, a):
    term, total = 1.0, 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    top = term * a / c / (1 - a / c)
    return top / (total + top)


class RunTest(RaptureTest):
    def check_file(self, path):
        p = subprocess.run([sys.executable, CHECKER, path, "--json"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return json.loads(p.stdout)

    def test_results_file_passes_the_independent_layout_and_conservation_check(self):
        out = self.simulate(os.path.join(DATA, "e2e", "chain.yaml"))
        report = self.check_file(out)
        self.assertIn("runs", report)
        data, attrs, summary, names = read_run(out)
        self.assertEqual(names, ["a", "b", "c"])
        self.assertEqual(int(attrs["seed"]), 1)
        self.assertIn("workload", str(attrs["scenario_text"]))
        # The overload shows up as overflow errors at b and downstream errors at a.
        self.assertGreater(data["totals/services/errors"].sum(), 0)
        self.assertEqual(data["services/arrivals"].shape, (20, 3))

    def test_same_seed_identical_datasets_other_seed_differs(self):
        scenario = os.path.join(DATA, "e2e", "chain.yaml")
        one = self.simulate(scenario, "one.h5")
        two = self.simulate(scenario, "two.h5")
        other = self.simulate(scenario, "other.h5", ["--seed", "2"])
        self.assertTrue(datasets_equal(one, two))
        self.assertFalse(datasets_equal(one, other))

    def test_set_overrides_a_scenario_value_and_is_recorded(self):
        out = self.simulate(os.path.join(DATA, "e2e", "chain.yaml"), extra=["--set", "services.b.workers=64"])
        data, attrs, _, _ = read_run(out)
        # With 64 workers b no longer overflows.
        self.assertEqual(int(data["totals/services/errors"][1].sum()), 0)
        self.assertIn("services.b.workers=64", [p.decode() if isinstance(p, bytes) else p for p in attrs["parameters"]])

    def test_mmc_mean_response_time_matches_erlang_c(self):
        out = self.simulate(os.path.join(DATA, "e2e", "mmc.yaml"))
        data, _, _, _ = read_run(out)
        c, lam, mu = 4, 300.0, 100.0
        expected = erlang_c(c, lam / mu) / (c * mu - lam) + 1 / mu
        # Batch means over 20 batches of 20 one-second bins after the warm-up.
        comp = data["services/completions"][10:410, 0].astype(float)
        lat = data["services/latency_mean"][10:410, 0]
        batches = [(lat[i:i + 20] * comp[i:i + 20]).sum() / comp[i:i + 20].sum() for i in range(0, 400, 20)]
        mean = (lat * comp).sum() / comp.sum()
        se = (sum((b - mean) ** 2 for b in batches) / 19 / 20) ** 0.5
        self.assertLess(abs(mean - expected), 4 * se, f"mean {mean}, expected {expected}, se {se}")
        self.assertLess(se, 0.03 * expected)

    def test_cores_shared_through_simgrid_behave_as_mm1_processor_sharing(self):
        out = self.simulate(os.path.join(DATA, "e2e", "mm1_ps.yaml"))
        data, _, _, names = read_run(out)
        lam, mu = 600.0, 1000.0
        expected = 1 / (mu - lam)
        for s in range(2):
            comp = data["services/completions"][10:410, s].astype(float)
            lat = data["services/latency_mean"][10:410, s]
            batches = [(lat[i:i + 20] * comp[i:i + 20]).sum() / comp[i:i + 20].sum() for i in range(0, 400, 20)]
            mean = (lat * comp).sum() / comp.sum()
            se = (sum((b - mean) ** 2 for b in batches) / 19 / 20) ** 0.5
            self.assertLess(abs(mean - expected), 4 * se, f"{names[s]}: mean {mean}, expected {expected}, se {se}")
            # Without sharing (a core per worker) the same load would be an M/M/4: far faster.
            self.assertGreater(mean, 2 * (erlang_c(4, lam / mu) / (4 * mu - lam) + 1 / mu))

    def test_a_slowdown_through_simgrid_slows_only_its_host(self):
        out = self.simulate(os.path.join(DATA, "e2e", "slowdown_ps.yaml"))
        data, _, _, names = read_run(out)
        lam = 300.0
        for s, mu in ((0, 500.0), (1, 1000.0)):
            expected = 1 / (mu - lam)
            comp = data["services/completions"][10:410, s].astype(float)
            lat = data["services/latency_mean"][10:410, s]
            batches = [(lat[i:i + 20] * comp[i:i + 20]).sum() / comp[i:i + 20].sum() for i in range(0, 400, 20)]
            mean = (lat * comp).sum() / comp.sum()
            se = (sum((b - mean) ** 2 for b in batches) / 19 / 20) ** 0.5
            self.assertLess(abs(mean - expected), 4 * se, f"{names[s]}: mean {mean}, expected {expected}, se {se}")

    def test_payloads_share_link_bandwidth(self):
        out = self.simulate(os.path.join(DATA, "e2e", "shared_link.yaml"))
        data, _, _, _ = read_run(out)
        client = data["totals/services/latency_mean"][0]
        # 1 MB at 100 MB/s takes 10 ms alone; at 50 transfers/s the link is half busy and a
        # processor-sharing link stretches it to 10 / (1 - 0.5) = 20 ms on average, plus the
        # 1 ms latency each way. Latency-only hops would give about 2 ms.
        self.assertGreater(client, 0.015)
        self.assertLess(client, 0.035)

    def test_a_degraded_link_shares_less_bandwidth(self):
        scenario = os.path.join(DATA, "e2e", "shared_link.yaml")
        plain = read_run(self.simulate(scenario, "plain.h5"))[0]["totals/services/latency_mean"][0]
        fault = "faults=[{kind: link_degradation, target: h-1, factor: 0.75, start: 0s, end: 1000s}]"
        degraded = read_run(self.simulate(scenario, "degraded.h5", ["--set", fault]))[0]["totals/services/latency_mean"][0]
        # 1 MB at 75 MB/s: 13.3 ms alone, 13.3 / (1 - 0.67) = 40 ms shared, against 20 ms.
        self.assertGreater(degraded, 1.5 * plain)

    def test_progress_summary_and_path_are_printed(self):
        out = self.path("chain.h5")
        stdout, _ = self.run_ok(["run", os.path.join(DATA, "e2e", "chain.yaml"), "-o", out])
        self.assertIn("results: " + out, stdout)
        self.assertIn("request type", stdout)
        self.assertTrue(os.path.exists(out))
        self.assertFalse([f for f in os.listdir(self.tmp) if ".tmp" in f])


if __name__ == "__main__":
    unittest.main(verbosity=2)
