"""The stateful look-aside cache end to end: the two cache scenarios meet their hypotheses with
--strict (a flush the database behind the cache cannot survive; keys filled together expiring
together), their twins do not, and a flush shows in the requests' failures at its bin."""

import os
import unittest

import numpy as np

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
        flush_bin = int(20 / width)
        self.assertEqual(int(failures[:flush_bin].sum()), 0, "nothing fails before the flush")
        self.assertGreater(int(failures[-4:].sum()), 0, "still failing at the end: no recovery")
        if "caches/hits" in data:  # the per-bin hit ratio, when the command writes it
            hits, lookups = data["caches/hits"][:, 0], data["caches/lookups"][:, 0]
            self.assertTrue((hits <= lookups).all())
            before = hits[flush_bin - 4:flush_bin].sum() / lookups[flush_bin - 4:flush_bin].sum()
            after = hits[flush_bin:flush_bin + 1].sum() / lookups[flush_bin:flush_bin + 1].sum()
            # Still warming at the flush: fewer distinct keys seen than the capacity (200,000), no
            # TTL, nothing failed, so a lookup hits when its key was asked before. After n
            # lookups of Zipf(0.99) keys over 10^6, that is sum_k p_k (1 - (1 - p_k)^n). The
            # window's ~10,000 lookups give a binomial deviation of ~0.005; 0.03 also covers
            # repeats that arrive while their key's first miss is still at the database.
            p = np.arange(1, 1_000_001, dtype=float) ** -0.99
            p /= p.sum()
            n = lookups[:flush_bin - 2].sum()
            self.assertAlmostEqual(before, float((p * -np.expm1(n * np.log1p(-p))).sum()), delta=0.03)
            self.assertLess(after, 0.5)
        code, out = self.strict("cache-flush-collapse.yaml", "--design", "no-cache-tier")
        self.assertEqual(code, 3, out)  # hypothesis not met: no tier, no collapse
        self.assertIn("removes", out)  # the flush goes with the tier, and the run says so

    def test_keys_filled_together_expire_together(self):
        code, out = self.strict("ttl-stampede.yaml")
        self.assertEqual(code, 0, out)
        data, _, _, _ = read_run(self.path("out.h5"))
        db = data["services/arrivals"][:, 3]  # product-db, in the topology's order
        # The waves at 15 s and 30 s (bins of 0.5 s): the database's arrivals jump there.
        calm = db[20:28].mean()
        self.assertGreater(db[30:32].max(), 1.4 * calm)
        code, out = self.strict("ttl-stampede.yaml", "--design", "no-ttl")
        self.assertEqual(code, 3, out)
        data, _, _, _ = read_run(self.path("out.h5"))
        db = data["services/arrivals"][:, 3]
        self.assertLess(db[30:32].max(), 1.2 * db[20:28].mean())


if __name__ == "__main__":
    unittest.main(verbosity=2)
