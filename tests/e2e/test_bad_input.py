"""Bad input: every case gets one clear line on stderr naming the file and the line (or the
service/edge), a non-zero exit, no crash, no hang, and no results file."""

import os
import unittest

from harness import RaptureTest, run

GOOD_DOT = """digraph shop {
  frontend [kind=frontend];
  frontend -> cart;
  cart -> db;
  db [kind=db];
}
"""

GOOD_YAML = """name: shop
topology: shop.dot
duration: 5s
workload:
  - request: browse
    entry: frontend
    arrivals: {kind: poisson, rate: 10/s}
"""


class BadInputTest(RaptureTest):
    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def expect_error(self, yaml=GOOD_YAML, dot=GOOD_DOT, args=None, must_contain=(), timeout=60):
        self.write("shop.dot", dot)
        scenario = self.write("s.yaml", yaml)
        out = self.path("out.h5")
        code, stdout, stderr = run(args if args is not None else ["run", scenario, "-o", out, "-q"], timeout=timeout)
        self.assertNotEqual(code, 0, f"expected failure, got success:\n{stdout}")
        self.assertLess(code, 128, f"crashed with a signal:\n{stderr}")
        lines = [l for l in stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, f"expected one line, got:\n{stderr}")
        self.assertTrue(lines[0].startswith("rapture: "), lines[0])
        self.assertNotIn("internal error", lines[0])
        for part in must_contain:
            self.assertIn(part, lines[0])
        self.assertFalse(os.path.exists(out))
        return lines[0]

    def test_good_files_run(self):
        self.write("shop.dot", GOOD_DOT)
        code, out, err = run(["run", self.write("s.yaml", GOOD_YAML), "-o", self.path("ok.h5"), "-q"])
        self.assertEqual(code, 0, err)

    def test_malformed_dot(self):
        self.expect_error(dot="digraph shop {\n  frontend [kind=frontend];\n  frontend -> -> cart;\n}\n",
                          must_contain=("shop.dot", ":3"))

    def test_malformed_graphml(self):
        self.write("g.graphml", "<?xml version='1.0'?>\n<graphml>\n<graph edgedefault='directed'>\n<node id='a'>\n</graph>")
        line = self.expect_error(yaml=GOOD_YAML.replace("shop.dot", "g.graphml"), must_contain=("g.graphml",))
        self.assertIn("g.graphml", line)

    def test_malformed_yaml(self):
        self.expect_error(yaml="name: shop\ntopology: shop.dot\nduration: [5s\n", must_contain=("s.yaml", ":"))

    def test_missing_topology_file(self):
        self.expect_error(yaml=GOOD_YAML.replace("shop.dot", "nowhere.dot"), must_contain=("nowhere.dot",))

    def test_unknown_entry_service(self):
        self.expect_error(yaml=GOOD_YAML.replace("entry: frontend", "entry: frontdoor"),
                          must_contain=("s.yaml", ":6", "frontdoor"))

    def test_unknown_service_override(self):
        self.expect_error(yaml=GOOD_YAML + "services:\n  payment: {replicas: 2}\n", must_contain=("s.yaml", ":9", "payment"))

    def test_unknown_request_in_mix(self):
        yaml = GOOD_YAML + "  - mix: {browse: 1, checkout: 1}\n    arrivals: {kind: poisson, rate: 5/s}\n"
        self.expect_error(yaml=yaml, must_contain=("s.yaml", "checkout"))

    def test_zero_and_negative_rates(self):
        self.expect_error(yaml=GOOD_YAML.replace("10/s", "0/s"), must_contain=("s.yaml", ":7", "rate"))
        self.expect_error(yaml=GOOD_YAML.replace("10/s", "-3/s"), must_contain=("s.yaml", ":7", "rate"))

    def test_probability_above_one(self):
        self.expect_error(dot=GOOD_DOT.replace("frontend -> cart;", "frontend -> cart [probability=1.5];"),
                          must_contain=("shop.dot", ":3", "frontend -> cart", "probability"))

    def test_negative_queue(self):
        self.expect_error(dot=GOOD_DOT.replace("db [kind=db];", "db [kind=db, queue=-1];"),
                          must_contain=("shop.dot", ":5", "db", "queue"))
        self.expect_error(yaml=GOOD_YAML + "services:\n  cart: {queue: -1}\n", must_contain=("s.yaml", ":9", "queue"))

    def test_sync_call_cycle(self):
        line = self.expect_error(dot=GOOD_DOT.replace("cart -> db;", "cart -> db;\n  db -> cart;"),
                                 must_contain=("shop.dot", "cycle"))
        self.assertIn("cart -> db -> cart", line)

    def test_unwritable_output_path(self):
        self.write("shop.dot", GOOD_DOT)
        scenario = self.write("s.yaml", GOOD_YAML)
        code, _, err = run(["run", scenario, "-o", "/nonexistent-dir/x/out.h5", "-q"])
        self.assertEqual(code, 1)
        self.assertIn("/nonexistent-dir/x/out.h5", err)
        self.assertEqual(len(err.strip().splitlines()), 1)

    def test_absurd_request_count(self):
        self.expect_error(yaml=GOOD_YAML.replace("10/s", "1000000000/s").replace("5s", "1000s"),
                          must_contain=("s.yaml", "requests"))

    def test_absurd_replicas(self):
        self.expect_error(yaml=GOOD_YAML + "services:\n  cart: {replicas: 1000000000}\n",
                          must_contain=("s.yaml", ":9", "replicas"))
        self.expect_error(dot=GOOD_DOT.replace("frontend [kind=frontend];", "frontend [kind=frontend, replicas=1000000000];"),
                          must_contain=("shop.dot", ":2", "replicas"))

    def test_unknown_policy_preset(self):
        self.expect_error(yaml=GOOD_YAML + "policies:\n  defaults:\n    retry: envoyy\n",
                          must_contain=("s.yaml", ":10", "envoyy"))
        self.expect_error(yaml=GOOD_YAML + "policies:\n  defaults:\n    circuit_breaker: {preset: sentinel}\n",
                          must_contain=("s.yaml", ":10", "sentinel"))

    def test_per_try_timeout_longer_than_the_deadline(self):
        self.expect_error(yaml=GOOD_YAML + "policies:\n  defaults:\n    timeout: {per_try: 2s, deadline: 1s}\n",
                          must_contain=("s.yaml", ":10", "deadline"))

    def test_breaker_threshold_above_100_percent_and_empty_window(self):
        self.expect_error(yaml=GOOD_YAML + "policies:\n  defaults:\n    circuit_breaker: {failure_rate_threshold: 150%}\n",
                          must_contain=("s.yaml", ":10", "failure_rate_threshold"))
        self.expect_error(yaml=GOOD_YAML + "policies:\n  defaults:\n    circuit_breaker: {window_size: 0}\n",
                          must_contain=("s.yaml", ":10", "window"))

    def test_policy_on_an_edge_that_does_not_exist(self):
        self.expect_error(yaml=GOOD_YAML + "policies:\n  edges:\n    \"cart -> payment\": {retry: envoy}\n",
                          must_contain=("s.yaml", ":10", "cart -> payment"))

    def test_fault_on_an_unknown_target_or_contradicting_another(self):
        self.expect_error(yaml=GOOD_YAML + "faults:\n  - {name: f, kind: crash, target: payment, start: 1s, restart: 2s}\n",
                          must_contain=("s.yaml", ":9", "payment"))
        self.expect_error(yaml=GOOD_YAML + "faults:\n  - {kind: slowdown, target: rack-9, factor: 0.5, start: 1s, duration: 2s}\n",
                          must_contain=("s.yaml", ":9", "rack-9"))
        self.expect_error(yaml=GOOD_YAML + "faults:\n  - {name: a, kind: queue_shrink, target: cart, size: 1, start: 1s, end: 3s}\n"
                                           "  - {name: b, kind: queue_shrink, target: cart, size: 5, start: 2s, end: 4s}\n",
                          must_contain=("s.yaml", ":10", "contradicts"))
        self.expect_error(yaml=GOOD_YAML + "faults:\n  - {kind: meltdown, target: cart, start: 1s}\n",
                          must_contain=("s.yaml", ":9", "meltdown"))

    def expect_exit_1(self, yaml, must_contain):
        """expect_error, and the exit status is 1 (bad input), not a crash or a usage error."""
        self.expect_error(yaml=yaml, must_contain=must_contain)
        code, _, _ = run(["run", self.path("s.yaml"), "-o", self.path("out.h5"), "-q"])
        self.assertEqual(code, 1)

    def test_bad_load_costs(self):
        for shape, what in (("{linear: -2}", "the slope must be a finite number >= 0"),
                            ("{exponential: .nan}", "expected a number, got '.nan'"),
                            ("{polynomial: [1, -1]}", "a polynomial coefficient must be a finite number >= 0"),
                            ("{of: queue, table: []}", "at least one [x, multiplier] point"),
                            ("{of: queue, table: [[5, 1], [2, 3]]}", "strictly increasing"),
                            ("{of: heap, linear: 1}", "unknown load variable 'heap'")):
            with self.subTest(load_cost=shape):
                self.expect_exit_1(GOOD_YAML + f"services:\n  cart: {{load_cost: {shape}}}\n",
                                   ("s.yaml:9:", "services.cart.load_cost", what))

    def test_bad_bursts(self):
        burst = GOOD_YAML.replace("arrivals: {kind: poisson, rate: 10/s}",
                                  "arrivals:\n      rate: 10/s\n      profile: [{kind: burst, at: AT, count: N}]")
        for at, n, what in (("1s", "0", "expected a whole number from 1"), ("1s", "-5", "expected a whole number from 1"),
                            ("5s", "100", "falls after the end of the run"), ("-1s", "100", "negative")):
            with self.subTest(at=at, count=n):
                self.expect_exit_1(burst.replace("AT", at).replace("N", n), ("s.yaml:9:", "profile[0]", what))

    def test_bad_retry_quota(self):
        self.expect_exit_1(GOOD_YAML + "policies:\n  defaults:\n    retry_quota: {retry_cost: -1}\n",
                           ("s.yaml:10:", "retry_cost"))

    def test_bad_caches(self):
        cache = "services:\n  cart: {cache: {keys: {size: SIZE}, capacity: CAP, ttl: TTL, eviction: EV, backend: BE}}\n"
        good = dict(SIZE="100", CAP="10", TTL="60s", EV="lru", BE="db")
        for key, value, what in (("SIZE", "0", "a key space size must be a whole number from 1 to 1e15"),
                                 ("SIZE", "-5", "a key space size must be a whole number"),
                                 ("SIZE", ".nan", "expected a number, got '.nan'"),
                                 ("CAP", "0", "expected a whole number from 1"),
                                 ("TTL", "0s", "a ttl must be > 0"),
                                 ("TTL", "-1s", "ttl"),
                                 ("EV", "random", "unknown eviction 'random' (expected lru or fifo)"),
                                 ("BE", "frontend", "the backend of cache 'cart' must be one of its callees")):
            with self.subTest(**{key: value}):
                text = cache
                for k, v in dict(good, **{key: value}).items():
                    text = text.replace(k, v)
                self.expect_exit_1(GOOD_YAML + text, ("s.yaml:9:", what))

    def test_cache_flush_of_a_service_that_is_no_cache(self):
        self.expect_exit_1(GOOD_YAML + "faults:\n  - {name: f, kind: cache_flush, target: db, start: 1s}\n",
                           ("s.yaml:9:", "fault 'f': a cache_flush needs a stateful cache", "'db' is not one"))

    def test_cache_capacity_above_the_key_space_is_a_note(self):
        self.write("shop.dot", GOOD_DOT)
        scenario = self.write("s.yaml", GOOD_YAML + "services:\n  cart: {cache: {keys: {size: 5}, capacity: 10, "
                                                    "backend: db}}\nfaults:\n  - {kind: cache_flush, target: cart, "
                                                    "start: 2s, share: 50%}\n")
        code, _, err = run(["run", scenario, "-o", self.path("out.h5")])  # notes are printed without -q
        self.assertEqual(code, 0, err)
        self.assertIn("note: ", err)
        self.assertIn("s.yaml:9: cache 'cart': capacity 10 is above the key space (5 keys)", err)

    def test_unknown_subcommand_and_missing_argument(self):
        code, _, err = run(["fly"])
        self.assertNotEqual(code, 0)
        code, _, err = run(["run"])
        self.assertNotEqual(code, 0)
        self.assertIn("scenario", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
