"""`rapture suggest` end to end, read back with h5py: the StyleFlow demo's cascade (recommendations
failing through host app-2, which it shares with search) yields a candidate that separates them
or drops checkout's call, and the best candidate measured ends the emergent failure; on the
metastable retry storm a retry-budget candidate restores goodput; on a scenario built for it the
ablation finds a harmful back-off and a breaker that does not earn its keep; bad input is one
line."""

import os
import shutil

import h5py
import numpy as np

from harness import DATA, SOURCE_DIR, RaptureTest, run
from test_report import parse_page, report

STYLEFLOW = os.path.join(SOURCE_DIR, "scenarios", "styleflow-checkout.yaml")
STORM = os.path.join(SOURCE_DIR, "scenarios", "metastable-retry-storm.yaml")
ABLATION = os.path.join(DATA, "e2e", "ablation.yaml")
CHAIN = os.path.join(DATA, "e2e", "chain.yaml")
SHARED_HOST = os.path.join(DATA, "e2e", "shared_host.yaml")


def text(values):
    return [v.decode() if isinstance(v, bytes) else v for v in values]


def attr(group, name):
    v = group.attrs[name]
    return v.decode() if isinstance(v, bytes) else v


class Suggestion:
    """What a suggest file holds: /compare's designs and means, /suggest's tables."""

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            c = f["compare"]
            self.designs = text(c["designs"][()])
            self.metrics = text(c["metrics"][()])
            self.mean = c["mean"][()]
            self.values = c["values"][()]
            self.runs = c["runs"][()]
            self.run_count = len(f["runs"])
            s = f["suggest"]
            self.verdict = attr(s, "verdict")
            self.findings = {k: text(s["findings"][k][()]) for k in ("kind", "service", "other", "host")}
            cand = s["candidates"]
            self.candidates = text(cand["name"][()])
            self.rank = list(cand["rank"][()])
            self.better = list(cand["better"][()])
            self.rules = text(cand["rule"][()])
            abl = s["ablations"]
            self.ablations = text(abl["name"][()])
            self.judgement = text(abl["judgement"][()])
            self.harm = abl["users_failing_difference"][()]
            self.harm_hw = abl["users_failing_half_width"][()]
            self.requests = abl["requests_failed_difference"][()]
            self.requests_hw = abl["requests_failed_half_width"][()]

    def of(self, design, metric):
        return self.mean[self.designs.index(design), self.metrics.index(metric)]

    def best(self):
        return self.candidates[self.rank.index(1)]


class SuggestTest(RaptureTest):
    def suggest(self, scenario, *extra):
        out = self.path("suggest.h5")
        stdout, _ = self.run_ok(["suggest", scenario, "-o", out, "-q", *extra], timeout=1500)
        return Suggestion(out), stdout

    def test_the_styleflow_cascade_is_answered_by_separating_recommendations_and_the_best_candidate_ends_it(self):
        designs = self.path("suggested.yaml")
        s, stdout = self.suggest(STYLEFLOW, "-r", "3", "-j", "2", "--no-ablation", "--write-designs", designs)
        # The finding: recommendations failed through the host it shares with search.
        shared = [i for i, k in enumerate(s.findings["kind"]) if k == "shared_host"]
        self.assertEqual(len(shared), 1, s.findings)
        i = shared[0]
        self.assertEqual((s.findings["service"][i], s.findings["other"][i], s.findings["host"][i]),
                         ("recommendations", "search", "app-2"))
        self.assertIn("search and recommendations were assumed independent: they share host app-2", stdout)
        self.assertTrue({"separate-recommendations", "drop-checkout-recommendations"} & set(s.candidates), s.candidates)
        # Every design ran R times on the same seeds, all in the file.
        self.assertEqual(s.run_count, 3 * len(s.designs))
        self.assertEqual(s.designs[1:], s.candidates)
        # The scenario as written has the emergent failure in every replication; the best candidate in none.
        base = s.designs.index("baseline")
        emergent = s.metrics.index("emergent")
        self.assertTrue(np.all(s.values[base, :, emergent] >= 1), s.values[base, :, emergent])
        best = s.best()
        self.assertTrue(np.all(s.values[s.designs.index(best), :, emergent] == 0), (best, s.values[:, :, emergent]))
        self.assertEqual(s.better[s.candidates.index(best)], 1)
        self.assertLess(s.of(best, "users_failing") + s.of(best, "blast_radius_requests"),
                        s.of("baseline", "users_failing") + s.of("baseline", "blast_radius_requests"))
        self.assertIn(f"best tested redesign: {best}", stdout)
        # The winners written as a designs: section read back by the scenario reader, and the best runs.
        with open(designs) as f:
            section = f.read()
        self.assertIn(f'- name: "{best}"', section)
        scenario = self.path("styleflow-suggested.yaml")
        with open(STYLEFLOW) as f:
            original = f.read()
        with open(scenario, "w") as f:
            f.write(original + "\n" + section)
        topology = os.path.join(SOURCE_DIR, "topologies", "styleflow.dot")
        self.run_ok(["validate", scenario, "--set", f"topology={topology}", "--design", best])

    def test_on_the_metastable_retry_storm_a_retry_budget_candidate_restores_goodput(self):
        s, stdout = self.suggest(STORM, "-r", "2", "-j", "2", "--no-ablation", "--top", "20")
        kinds = set(s.findings["kind"])
        self.assertIn("metastable_loop", kinds)
        self.assertIn("retry_amplification", kinds)
        budget = [c for c, r in zip(s.candidates, s.rules) if r == "a retry budget"]
        self.assertEqual(budget, ["retry-budget-api"])
        # 600 requests/s offered. The storm serves a fraction of them from the spike's end (70 s) to
        # the end (240 s); with the budget the API drains its queue within ~20 s and then serves them
        # all: at least (170 - 25) / 170 of 600/s on average over the 170 s.
        self.assertLess(s.of("baseline", "goodput_after"), 300)
        self.assertGreater(s.of("retry-budget-api", "goodput_after"), (170 - 25) / 170 * 600)
        self.assertEqual(s.better[s.candidates.index("retry-budget-api")], 1)
        self.assertIn("retry-budget-api", stdout)

    def test_the_ablation_finds_a_harmful_backoff_and_a_breaker_that_does_not_earn_its_keep(self):
        s, stdout = self.suggest(ABLATION, "-r", "3", "-j", "2", "--top", "1")
        self.assertEqual(sorted(s.ablations),
                         ["without-backoff-api-db", "without-circuit_breaker-fe-static", "without-retries-api-db"])
        backoff = s.ablations.index("without-backoff-api-db")
        self.assertEqual(s.judgement[backoff], "harmful")
        # Removing it lowers the share of requests failed, the whole 95 % interval below zero.
        self.assertLess(s.requests[backoff] + s.requests_hw[backoff], 0)
        breaker = s.ablations.index("without-circuit_breaker-fe-static")
        self.assertEqual(s.judgement[breaker], "not earning its keep")
        # It never opens: the runs without it are the same runs (common random numbers).
        self.assertEqual((s.harm[breaker], s.requests[breaker]), (0.0, 0.0))
        self.assertIn("harmful", stdout)
        self.assertIn("without-backoff-api-db", stdout)
        # The report draws the file as one ranked chart: the candidates best first, then each policy removed,
        # each bar the paired difference /compare holds.
        page = self.path("suggest.html")
        code, _, err = report(self.path("suggest.h5"), "-o", page)
        self.assertEqual(code, 0, err)
        _, parsed = parse_page(page)
        chart = parsed.figures["suggest-ranking"]
        ranked = [s.candidates[s.rank.index(r)] for r in range(1, len(s.candidates) + 1)]
        self.assertEqual(chart["design"], ranked + s.ablations)
        with h5py.File(self.path("suggest.h5"), "r") as f:
            difference = f["compare/difference"][()]
        rows = [s.designs.index(d) for d in chart["design"]]
        np.testing.assert_allclose(chart["users_failing_difference"], difference[rows, s.metrics.index("users_failing")])
        np.testing.assert_allclose(chart["requests_failed_difference"],
                                   difference[rows, s.metrics.index("blast_radius_requests")])

    def test_with_amplify_options_it_works_at_the_first_cascading_magnitude(self):
        # t fails through the host it shares with s once s's burst is large enough; the burst's
        # factor 1 (no burst) does not cascade, 5 does.
        s, stdout = self.suggest(SHARED_HOST, "-r", "2", "--no-ablation", "--fault", "s-burst", "--param", "factor",
                                 "--from", "1", "--to", "5")
        with h5py.File(self.path("suggest.h5"), "r") as f:
            amplified = attr(f["suggest"], "amplified")
        self.assertRegex(amplified, r"^faults\[0\]\.factor=[0-9.]+$")
        factor = float(amplified.split("=")[1])
        self.assertGreater(factor, 1)
        self.assertLessEqual(factor, 5)
        self.assertIn("the first cascading magnitude is " + amplified, stdout)
        i = s.findings["kind"].index("shared_host")
        self.assertEqual((s.findings["service"][i], s.findings["other"][i], s.findings["host"][i]), ("t", "s", "box"))
        self.assertIn("separate-t", s.candidates)
        self.assertEqual(s.better[s.candidates.index("separate-t")], 1)

    def test_a_run_where_nothing_cascades_has_nothing_to_suggest_and_still_lists_what_to_stop_doing(self):
        # The database's errors at 0.1 %: every call retries its way through; no service leaves its band.
        s, stdout = self.suggest(ABLATION, "-r", "2", "--set", "faults[0].error_rate=0.001")
        self.assertEqual(s.candidates, [])
        self.assertIn("nothing to suggest", stdout)
        self.assertEqual(len(s.ablations), 3)

    def test_bad_input_is_one_line(self):
        cases = [
            (["suggest", CHAIN], "no fault and no change of load"),
            (["suggest", ABLATION, "--design", "nope"], "no design named 'nope'"),
            (["suggest", ABLATION, "-r", "1"], "between 2 and 1000"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                code, out, err = run(args + ["-o", self.path("x.h5")])
                self.assertEqual(code, 1, err)
                lines = err.strip().splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertIn(message, lines[0])
                self.assertFalse(os.path.exists(self.path("x.h5")))
