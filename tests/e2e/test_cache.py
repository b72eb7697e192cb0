"""The stateful look-aside cache end to end: the two cache scenarios meet their hypotheses with
--strict (a flush the database behind the cache cannot survive, judged a loop sustained by cache
misses; keys filled together expiring together and stampeding the database), their twins do not,
and a flush shows in the requests' failures and the hit ratio at its bin."""

import os
import unittest

import numpy as np

import test_cascade
from harness import RaptureTest, SOURCE_DIR, read_run, run

SCENARIOS = os.path.join(SOURCE_DIR, "scenarios")


class CacheTest(RaptureTest):
    def strict(self, scenario, *extra):
        code, out, err = run(["run", os.path.join(SCENARIOS, scenario), "-o", self.path("out.h5"), "--strict",
                              *extra])
        return code, out + err

    def test_the_flush_collapses_the_database_and_removing_the_tier_does_not(self):
        code, out = self.strict("cache-flush-collapse.yaml")
        self.assertEqual(code, 0, out)
        self.assertIn("hypothesis met", out)
        self.assertIn("product-cache", out)  # the flush's target, in the cascade analysis
        data, _, _, _ = read_run(self.path("out.h5"))
        failures, width = data["requests/failures"][:, 0], 0.5
        flush_bin = int(30 / width)
        self.assertEqual(int(failures[:flush_bin].sum()), 0, "nothing fails before the flush")
        self.assertGreater(int(failures[-4:].sum()), 0, "still failing at the end: no recovery")
        hits, lookups = data["caches/hits"][:, 0], data["caches/lookups"][:, 0]
        self.assertTrue((hits <= lookups).all())
        # Every miss, and nothing else, calls the database (no retry): its arrivals are the misses
        # (but for the few still on their way to it when the run ends).
        self.assertLessEqual(abs(int(data["services/arrivals"][:, 3].sum()) - int((lookups - hits).sum())), 10)

        def ratio(a, b):
            return hits[a:b].sum() / lookups[a:b].sum()

        before, after = ratio(flush_bin - 4, flush_bin), ratio(flush_bin, flush_bin + 1)
        # Warm before the flush: the 20,000 most popular of 10^5 Zipf(0.99) keys are 87 % of the
        # reads (H(20000) / H(100000)), the most an LRU cache of 20,000 can hit; 20 s after a cold
        # start it is still filling the tail, above 75 %.
        p = np.arange(1, 100_001, dtype=float) ** -0.99
        self.assertGreater(before, 0.75)
        self.assertLess(before, float(p[:20_000].sum() / p.sum()) + 0.01)
        self.assertLess(after, 0.5, "emptied by the flush")
        self.assertLess(ratio(len(hits) - 10, len(hits)), before, "and it does not come back")
        code, out = self.strict("cache-flush-collapse.yaml", "--design", "no-cache-tier")
        self.assertEqual(code, 3, out)  # hypothesis not met: no tier, no collapse
        self.assertIn("removes", out)  # the flush goes with the tier, and the run says so

    def test_the_flush_collapse_is_judged_a_loop_sustained_by_cache_misses(self):
        code, out = self.strict("cache-flush-collapse.yaml")
        self.assertEqual(code, 0, out)
        # The trigger is the flush alone (an instant): the warm-up's low rate is no trigger.
        self.assertIn("trigger 30.0-30.0 s; baseline 20.0-30.0 s", out)
        self.assertIn("METASTABLE: not recovered within 10 s, sustained by cache misses", out)
        propagation, journal, _, attrs = test_cascade.analysis(self.path("out.h5"))
        # The flush's misses land on the database: it is touched by the flush, not emergent.
        db = next(row for row in propagation if row["service"] == "product-db")
        self.assertEqual(db["cause"], "fault")
        self.assertEqual((attrs["verdict"], attrs["sustained_by"]), ("sustained", "cache_misses"))
        self.assertEqual(attrs["metastable"], 1)
        self.assertEqual(attrs["evidence_place"], "product-cache")
        # The evidence: the cache's hit ratio after the flush, far below its baseline's.
        self.assertLess(attrs["evidence"], attrs["evidence_baseline"] - 0.1)
        self.assertIn("metastable_loop", [row["category"] for row in journal])

    def test_keys_filled_together_expire_together_and_stampede_the_database(self):
        code, out = self.strict("ttl-stampede.yaml")
        self.assertEqual(code, 0, out)
        self.assertIn("hypothesis met", out)
        data, _, _, _ = read_run(self.path("out.h5"))
        db = data["services/arrivals"][:, 3]  # product-db, in the topology's order
        failures = data["requests/failures"][:, 0]
        # Bins of 0.5 s. The keys filled in the warm-up's first fraction of a second expire at ~30 s
        # (ttl): the database's arrivals jump there, far above the calm before (a warm cache sends
        # it a few queries a second), and nothing fails before.
        calm = db[50:58].mean()
        self.assertGreater(db[59:62].max(), 10 * max(calm, 1.0))
        self.assertEqual(int(failures[:59].sum()), 0, "nothing fails before the expiry")
        # The stampede does not pass: requests still fail in the last 5 s.
        self.assertGreater(int(failures[-10:].sum()), 0)
        code, out = self.strict("ttl-stampede.yaml", "--design", "no-ttl")
        self.assertEqual(code, 3, out)
        data, _, _, _ = read_run(self.path("out.h5"))
        self.assertEqual(int(data["requests/failures"][:, 0].sum()), 0, "keys that never expire: no stampede")
        db = data["services/arrivals"][:, 3]
        self.assertLess(db[59:62].max(), 10 * max(db[50:58].mean(), 1.0))

if __name__ == "__main__":
    unittest.main(verbosity=2)
