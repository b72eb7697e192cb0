"""The hostile user, scenario side: a long --set path, deep nesting, alias bombs, faults that would
do nothing, errors that must name their file and line. Each must end with exit 1 and a located
message, without a crash, a hang or gigabytes of memory."""

import os
import resource
import subprocess
import unittest

from harness import RAPTURE, RaptureTest, run

DOT = """digraph shop {
  frontend -> db;
}
"""

BASE = """name: shop
topology: shop.dot
duration: 5s
workload:
  - request: browse
    entry: frontend
    arrivals: {kind: poisson, rate: 100/s}
"""  # lines 1-7

MEMORY_LIMIT = 2 << 30  # bytes of address space a refused scenario may use


def limited_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def alias_bomb(indent, levels=9):
    """Nine lists of nine aliases of the one before: 9^levels nodes once expanded."""
    lines = [f"{indent}l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"{indent}l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


class HostileScenarioTest(RaptureTest):
    def write(self, name, text):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def scenario(self, extra="", name="s.yaml"):
        self.write("shop.dot", DOT)
        return self.write(name, BASE + extra)

    def refused(self, args, timeout=60):
        """Runs rapture with at most 2 GiB of address space; asserts exit 1 and returns stderr."""
        p = subprocess.run([RAPTURE] + args, cwd=self.tmp, capture_output=True, text=True, timeout=timeout,
                           preexec_fn=limited_memory)
        self.assertEqual(p.returncode, 1, f"exit {p.returncode}:\n{p.stderr[-2000:]}")
        self.assertLess(len(p.stderr), 2000, "the input is echoed whole")
        return p.stderr

    # -- depth and size ----------------------------------------------------------------------------

    def test_a_very_long_set_path_is_refused_not_a_crash(self):
        scenario = self.scenario()
        # 120,000 characters: about what one argument may hold (MAX_ARG_STRLEN is 128 KiB).
        for key in ("a" + ".a" * 60_000, "name" + "[0]" * 40_000):
            err = self.refused(["validate", scenario, "--set", key + "=1"])
            self.assertIn("--set: key ", err)
            self.assertIn("more than 64 steps", err)

    def test_deeply_nested_yaml_names_its_line_and_why(self):
        scenario = self.scenario("hypothesis: " + "[" * 100_000 + "]" * 100_000 + "\n")
        err = self.refused(["validate", scenario])
        self.assertIn("s.yaml:8:", err)
        self.assertIn("nested more than 2000 levels deep", err)
        self.assertNotIn("bad file", err)

    def test_an_alias_bomb_in_a_design_set_is_refused_in_bounded_memory(self):
        scenario = self.scenario("designs:\n  - name: boom\n    set:\n" + alias_bomb("      "))  # l8 on line 19
        for args in (["validate", scenario], ["run", scenario, "--design", "boom", "-q", "-o", "out.h5"]):
            err = self.refused(args)
            self.assertIn("s.yaml:19: key designs[0].set.l8:", err)
            self.assertIn("aliases (*name) expand to more than", err)

    def test_an_alias_bomb_anywhere_in_the_scenario_or_a_set_is_refused(self):
        scenario = self.scenario("services:\n  frontend:\n" + alias_bomb("    "))  # l8 on line 18
        err = self.refused(["validate", scenario])
        self.assertIn("s.yaml:18: key services.frontend.l8:", err)
        value = "[&a [x,x,x,x,x,x,x,x,x]" + "".join(
            f", &{n} [" + ",".join([f"*{p}"] * 9) + "]" for p, n in zip("abcdefg", "bcdefgh")) + "]"
        err = self.refused(["validate", self.scenario(), "--set", "name=" + value])
        self.assertIn("--set: key name:", err)
        self.assertIn("aliases (*name) expand to more than", err)

    # -- faults validated like everything else ----------------------------------------------------

    def test_a_fault_field_of_another_kind_is_an_error_listing_the_kinds_fields(self):
        scenario = self.scenario(
            "faults:\n  - {name: slow, kind: latency, target: db, latency: 5ms, size: 3, start: 1s, duration: 1s}\n")
        err = self.refused(["validate", scenario])
        self.assertIn("s.yaml:9: key faults[0].size: a latency fault has no field 'size'", err)
        self.assertIn("start, duration, end or latency", err)

    def test_amplify_refuses_a_param_the_faults_kind_does_not_have(self):
        scenario = self.scenario(
            "faults:\n  - {name: slow, kind: latency, target: db, latency: 5ms, start: 1s, duration: 1s}\n")
        err = self.refused(["amplify", scenario, "--fault", "slow", "--param", "size", "--from", "1", "--to", "5",
                            "-o", "out.h5"])
        self.assertIn("--param: fault 'slow' is a latency fault, which has no field 'size'", err)
        self.assertEqual([f for f in os.listdir(self.tmp) if f.endswith(".h5") or ".rapture-runs" in f], [])

    def test_a_fault_starting_after_the_run_ends_is_named_in_a_note(self):
        scenario = self.scenario(
            "faults:\n  - {name: late, kind: crash, target: db, start: 10s, duration: 1s}\n")
        code, _, err = run(["validate", scenario], timeout=60)
        self.assertEqual(code, 0, err)
        self.assertIn("note: " + scenario + ":9: key faults[0].start: fault 'late' starts at 10s, when the run has "
                      "ended (duration 5s): it has no effect", err)

    def test_a_latency_fault_on_a_call_the_topology_does_not_make_is_an_error(self):
        # db -> frontend: both services exist, the call does not (as under policies.edges).
        scenario = self.scenario(
            "faults:\n  - {name: slow, kind: latency, target: \"db -> frontend\", latency: 5ms, start: 1s, "
            "duration: 1s}\n")
        err = self.refused(["validate", scenario])
        self.assertIn("s.yaml:9: fault 'slow': edge db -> frontend is not in topology 'shop'", err)

    # -- messages with their location ----------------------------------------------------------

    def test_an_unknown_placed_service_names_its_line(self):
        scenario = self.scenario("platform:\n  hosts: [{name: h1}]\n  placement:\n    nosuch: h1\n")
        err = self.refused(["validate", scenario])
        self.assertIn("s.yaml:11: platform.placement.nosuch: placed service 'nosuch'", err)

    def test_the_request_count_guard_names_the_workload_entry_and_a_short_number(self):
        scenario = self.scenario(name="big.yaml")
        err = self.refused(["validate", scenario, "--set", "workload[0].arrivals.rate=1e9/s", "--set",
                            "duration=1e6s", "--set", "bin=1000s"])
        self.assertIn("big.yaml:5: workload[0]", err)
        self.assertIn("about 1e+15 requests", err)

    def test_an_error_in_a_design_set_names_the_file_the_design_and_the_line(self):
        scenario = self.scenario("designs:\n  - name: faster\n    set:\n      duration: 4s\n"
                                 "      workload[0].arrivals.rate: lots\n")  # line 12
        for args in (["validate", scenario], ["run", scenario, "--design", "faster", "-q", "-o", "out.h5"]):
            err = self.refused(args)
            self.assertIn("s.yaml:12: design 'faster', key workload[0].arrivals.rate: expected a rate", err)
            self.assertNotIn("--set", err)

    def test_amplify_blames_param_and_from_not_set(self):
        scenario = self.scenario()
        err = self.refused(["amplify", scenario, "--param", "workload[3].arrivals.rate", "--from", "1/s", "--to",
                            "5/s", "-o", "out.h5"])
        self.assertIn("--param: key workload[3].arrivals.rate: index 3 is out of range", err)
        err = self.refused(["amplify", scenario, "--param", "workload[0].arrivals.rate", "--from", "1ms", "--to",
                            "5ms", "-o", "out.h5"])
        self.assertIn("--from: key workload[0].arrivals.rate:", err)

    def test_a_scenario_note_is_printed_with_its_location(self):
        scenario = self.scenario("policies:\n  edges:\n    \"frontend -> db\":\n"
                                 "      retry: {preset: grpc, max_attempts: 9}\n")  # line 11
        p = subprocess.run([RAPTURE, "validate", scenario], cwd=self.tmp, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("note: " + scenario + ":11: ", p.stdout + p.stderr)
        self.assertIn("max_attempts 9 lowered to 5", p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
