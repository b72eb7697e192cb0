"""The hostile user: inputs and command lines a careless or malicious user gives. Each must end
with a clear message and exit 1 (bad input) or 2 (usage), leave nothing partial behind, and
never crash, hang or destroy a file."""

import os
import signal
import subprocess
import time
import unittest

from harness import RAPTURE, RaptureTest, run

DOT = """digraph shop {
  frontend -> db;
}
"""

SCENARIO = """name: {name}
topology: shop.dot
duration: {duration}
workload:
  - request: browse
    entry: frontend
    arrivals: {{kind: poisson, rate: 100/s}}
"""


class HostileUserTest(RaptureTest):
    def write(self, name, text, directory=None):
        path = os.path.join(directory or self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def scenario(self, name="shop", duration="5s", directory=None):
        self.write("shop.dot", DOT, directory)
        return self.write("s.yaml", SCENARIO.format(name=name, duration=duration), directory)

    @staticmethod
    def read(path):
        with open(path) as f:
            return f.read()

    def leftovers(self, directory=None):
        directory = directory or self.tmp
        return [f for f in os.listdir(directory) if ".tmp-" in f or f.startswith(".rapture-runs-")]

    def expect_refused(self, args, victim):
        code, _, err = run(args, timeout=120)
        self.assertEqual(code, 1, err)
        self.assertIn(os.path.basename(victim), err)
        self.assertEqual(self.leftovers(), [])

    # -- output that destroys input, files that are not regular files ----------------------------

    def test_an_output_naming_an_input_or_a_non_results_file_is_refused_and_left_intact(self):
        scenario = self.scenario()
        topology = self.path("shop.dot")
        notes = self.write("notes.txt", "keep me\n")
        for victim in (scenario, topology, notes):
            before = self.read(victim)
            for command in (["run", scenario, "-q"], ["premortem", scenario, "-j", "1"]):
                self.expect_refused([*command, "-o", victim], victim)
                self.assertEqual(self.read(victim), before, f"{command[0]} -o {victim} replaced it")

    def test_an_output_naming_a_fifo_or_a_directory_is_refused_before_the_run(self):
        scenario = self.scenario()
        fifo = self.path("pipe")
        os.mkfifo(fifo)
        adir = self.path("adir")
        os.mkdir(adir)
        self.expect_refused(["run", scenario, "-q", "-o", fifo], fifo)
        self.assertTrue(os.path.exists(fifo) and not os.path.isfile(fifo))
        # --dot into a directory fails before the results file is written, not after.
        out = self.path("out.h5")
        self.expect_refused(["run", scenario, "-q", "-o", out, "--dot", adir], adir)
        self.assertFalse(os.path.exists(out))
        self.expect_refused(["run", scenario, "-q", "-o", out, "--dot", fifo], fifo)

    def test_an_earlier_results_file_is_replaced(self):
        scenario = self.scenario()
        out = self.simulate(scenario)
        self.simulate(scenario)
        self.assertTrue(os.path.isfile(out))

    def test_a_scenario_name_cannot_place_the_default_output_outside_the_working_directory(self):
        work = self.path("work")
        os.mkdir(work)
        for name in ('"../escape"', '"/tmp/rapture-escape-%d"' % os.getpid(), '"a/../../b"'):
            scenario = self.scenario(name=name, directory=work)
            out, _ = self.run_ok(["run", scenario], cwd=work)
            written = next(line for line in out.splitlines() if line.startswith("results: "))[len("results: "):]
            self.assertEqual(os.path.dirname(written), work, written)
            os.remove(written)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["work"])
        self.assertFalse(os.path.exists("/tmp/rapture-escape-%d.h5" % os.getpid()))

    # -- interrupts ------------------------------------------------------------------------------

    def interrupt(self, args, sig, wait_for):
        """Starts rapture, waits until `wait_for()` holds, sends `sig`; returns the exit status."""
        p = subprocess.Popen([RAPTURE, *args], cwd=self.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not wait_for() and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        self.assertIsNone(p.poll(), "finished before it could be interrupted")
        time.sleep(0.3)
        p.send_signal(sig)
        p.communicate(timeout=60)
        return p.returncode

    def test_an_interrupted_run_or_search_leaves_no_temporary_file_or_directory(self):
        scenario = self.scenario(duration="100000s")
        out = self.path("out.h5")
        for sig in (signal.SIGINT, signal.SIGTERM):
            code = self.interrupt(["run", scenario, "-q", "-o", out], sig, lambda: self.leftovers() != [])
            self.assertEqual(code, -sig)
            self.assertEqual(self.leftovers(), [])
            self.assertFalse(os.path.exists(out))
            args = ["amplify", scenario, "--param", "workload[0].arrivals.rate", "--from", "10/s", "--to", "20/s",
                    "-j", "2", "-o", out]
            runs = lambda: any(f.startswith(".rapture-runs-") and os.listdir(self.path(f)) for f in self.leftovers())
            code = self.interrupt(args, sig, runs)
            self.assertEqual(code, -sig)
            time.sleep(0.5)  # children killed by the signal are waited for by the parent already
            self.assertEqual(self.leftovers(), [])
            self.assertFalse(os.path.exists(out))

    # -- exit codes ------------------------------------------------------------------------------

    def test_every_usage_error_exits_2_and_a_seed_outside_yamls_range_is_one(self):
        scenario = self.scenario()
        amplify = ["amplify", scenario, "--param", "workload[0].arrivals.rate", "--from", "10/s", "--to", "20/s"]
        cases = [
            [],
            ["frobnicate"],
            ["run", scenario, "--frobnicate"],
            ["run", scenario, "--seed", "abc"],
            ["run", scenario, "--seed", "-1"],
            ["run", scenario, "--seed", "18446744073709551616"],
            [*amplify, "--points", "1e9"],
            [*amplify, "-j", "0"],
            [*amplify, "-j", "-1"],
            ["compare", scenario, "-j", "0"],
            ["validate", scenario, "--strict"],
        ]
        for args in cases:
            code, _, err = run(args, cwd=self.tmp, timeout=60)
            self.assertEqual(code, 2, f"rapture {' '.join(args)}: {err}")
        self.assertEqual(self.leftovers(), [])
        self.assertEqual([f for f in os.listdir(self.tmp) if f.endswith(".h5")], [])

    def test_too_many_jobs_are_lowered_with_a_note(self):
        scenario = self.scenario(duration="2s")
        out = self.path("amp.h5")
        _, err = self.run_ok(["amplify", scenario, "--param", "workload[0].arrivals.rate", "--from", "10/s",
                              "--to", "20/s", "--points", "2", "--rounds", "1", "-j", "100000", "-o", out])
        self.assertIn("-j 100000 lowered to", err)
        self.assertTrue(os.path.isfile(out))
        self.assertEqual(self.leftovers(), [])

    # -- valid scenarios that hang -----------------------------------------------------------------

    def test_a_closed_loop_with_more_users_than_the_entry_holds_and_no_think_time_finishes(self):
        self.write("shop.dot", DOT)
        scenario = self.write("s.yaml", """name: crowd
topology: shop.dot
duration: 5s
seed: 1
workload:
  - request: browse
    entry: frontend
    arrivals: {kind: closed, users: 200}
services:
  frontend: {replicas: 1, workers: 2, queue: 1, service_time: exp(5ms)}
""")
        out = self.path("crowd.h5")
        code, stdout, err = run(["run", scenario, "-o", out, "-q"], timeout=60)
        self.assertEqual(code, 0, err)
        self.assertTrue(os.path.isfile(out))


if __name__ == "__main__":
    unittest.main(verbosity=2)
