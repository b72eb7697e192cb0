"""Design variants end to end, through SimGrid and read back with h5py: cells contain a crash to
the tenants of one cell where the baseline fails every user; a fault in the database the cells
share still crosses every cell; a design that changes nothing reproduces the baseline exactly
(common random numbers); `rapture compare` runs every design over the same seeds and writes a
comparison that an independent reader finds consistent with the runs it holds."""

import os
import shutil
import subprocess

import h5py
import numpy as np

from harness import DATA, SOURCE_DIR, RaptureTest, datasets_equal, read_run, run

CELLS = os.path.join(DATA, "e2e", "cells.yaml")
STYLEFLOW = os.path.join(SOURCE_DIR, "scenarios", "styleflow-redesign.yaml")
CHECKER = os.path.join(SOURCE_DIR, "analysis", "check_results.py")


def users_failing(path, index=0):
    _, _, summary, _ = read_run(path, index)
    return int(summary["users_failing"]) / int(summary["users"]), int(summary["users"])


class DesignTest(RaptureTest):
    def test_cells_contain_a_crash_to_about_a_quarter_of_users(self):
        base = self.simulate(CELLS, "base.h5")
        cells = self.simulate(CELLS, "cells.h5", ["--design", "cells"])
        share_base, users = users_failing(base)
        share_cells, users_cells = users_failing(cells)
        self.assertEqual(users, 400)
        self.assertEqual(users_cells, 400)
        # The baseline's only api is down for the whole window: every user fails.
        self.assertGreater(share_base, 0.99)
        # 400 tenants hashed to 4 cells: the crashed cell holds Binomial(400, 1/4) of them,
        # 100 +- 8.7 (one sigma); 3 sigma is 0.065 of the users.
        self.assertLess(abs(share_cells - 0.25), 0.065, share_cells)
        with h5py.File(cells, "r") as f:
            services = [s.decode() for s in f["runs/0/service"][()]]
            self.assertEqual(f["runs/0"].attrs["design"].decode() if isinstance(f["runs/0"].attrs["design"], bytes)
                             else f["runs/0"].attrs["design"], "cells")
        self.assertEqual(sorted(services), sorted(["db"] + [f"{s}@c{i}" for s in ("fe", "api") for i in range(4)]))

    def test_a_fault_in_the_shared_database_crosses_every_cell(self):
        crash_db = "faults=[{name: db-crash, kind: crash, target: db, start: 20s, duration: 20s}]"
        cells = self.simulate(CELLS, "cells-db.h5", ["--design", "cells", "--set", crash_db])
        share, _ = users_failing(cells)
        self.assertGreater(share, 0.99)

    def test_shuffle_sharding_places_tenants_on_pairs_of_cells(self):
        shuffled = self.simulate(CELLS, "shuffled.h5", ["--design", "shuffled"])
        share, _ = users_failing(shuffled)
        # A tenant fails when one of its two cells is the crashed one: 3 of the C(4,2) = 6 pairs
        # hold cell 0, so about half the tenants see failures (each of their requests has a 1/2
        # chance of landing there, far above the 5 % a failing user needs).
        self.assertLess(abs(share - 0.5), 0.08, share)

    def test_a_design_that_changes_nothing_reproduces_the_baseline_exactly(self):
        base = self.simulate(CELLS, "base.h5")
        same = self.simulate(CELLS, "same.h5", ["--design", "same"])
        self.assertTrue(datasets_equal(base, same))

    def test_a_decay_layer_reports_its_legacy_path_worsening_over_time(self):
        out = self.simulate(CELLS, "legacy.h5", ["--design", "legacy"])
        with h5py.File(out, "r") as f:
            types = [t.decode() for t in f["runs/0/request_type"][()]]
            self.assertEqual(types, ["order", "order@legacy"])
            g = f["runs/0/analysis/decay/order@legacy"]
            self.assertEqual(g.attrs["legacy_service"].decode() if isinstance(g.attrs["legacy_service"], bytes)
                             else g.attrs["legacy_service"], "api-legacy")
            errors, start, end = g["legacy_error_rate"][()], g["start"][()], g["end"][()]
            requests = g["legacy_requests"][()]
        self.assertEqual(len(errors), 4)
        # The ramp goes linearly from 0 to 40 % over the 50 s run: a window's expected error share
        # is the ramp at its middle; ~675 legacy requests per window give a binomial sigma below
        # 2 points, so 6 points is over 3 sigma.
        for k in (0, 3):
            expected = 0.4 * (start[k] + end[k]) / 2 / 50
            self.assertGreater(requests[k], 500)
            self.assertLess(abs(errors[k] - expected), 0.06, (k, errors[k], expected))

    def test_the_design_topology_is_dot_that_graphviz_reads(self):
        dot = self.path("cells.dot")
        self.run_ok(["validate", CELLS, "--design", "cells", "--design-dot", dot])
        with open(dot) as f:
            text = f.read()
        self.assertIn('"api@c3"', text)
        if shutil.which("dot"):
            subprocess.run(["dot", "-Tsvg", dot, "-o", self.path("cells.svg")], check=True)

    def test_compare_writes_a_side_by_side_table_and_record(self):
        out = self.path("compare.h5")
        stdout, _ = self.run_ok(["compare", CELLS, "--designs", "baseline,cells,same", "-r", "3", "-j", "2",
                                 "-o", out])
        self.assertIn("users failing", stdout)
        # The independent checker recomputes /compare's means and paired differences from its values.
        checked = subprocess.run(["/usr/bin/python3", CHECKER, out], capture_output=True, text=True)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        with h5py.File(out, "r") as f:
            c = f["compare"]
            designs = [d.decode() for d in c["designs"][()]]
            self.assertEqual(designs, ["baseline", "cells", "same"])
            metrics = [m.decode() for m in c["metrics"][()]]
            values = c["values"][()]
            self.assertEqual(values.shape, (3, 3, len(metrics)))
            runs = c["runs"][()]
            users = metrics.index("users_failing")
            for d in range(3):
                for r in range(3):
                    s = f[f"runs/{runs[d, r]}/summary"].attrs
                    self.assertAlmostEqual(values[d, r, users], s["users_failing"] / s["users"])
                    self.assertEqual(f[f"runs/{runs[d, r]}"].attrs["seed"], f[f"runs/{runs[0, r]}"].attrs["seed"])
            # Same seeds: the no-op design equals the baseline run for run, so it is not distinguishable.
            np.testing.assert_array_equal(values[2], values[0])
            verdict = c["verdict"][()]
            self.assertEqual(verdict[2, users], 0)
            # Cells: fewer users failing than the baseline, and the paired interval says so.
            self.assertEqual(verdict[1, users], 1)
            self.assertLess(c["mean"][1, users], 0.4)
            self.assertGreater(c["mean"][0, users], 0.99)
            self.assertIn("api@c0", c["dot"][1].decode())

    def test_the_styleflow_comparison_shows_which_design_contains_the_burst(self):
        out = self.path("styleflow.h5")
        stdout, _ = self.run_ok(["compare", STYLEFLOW, "-r", "3", "-j", "2", "-o", out], timeout=900)
        self.assertIn("recomposed", stdout)
        with h5py.File(out, "r") as f:
            c = f["compare"]
            designs = [d.decode() for d in c["designs"][()]]
            self.assertEqual(designs, ["baseline", "cells", "recomposed"])
            metrics = [m.decode() for m in c["metrics"][()]]
            users, emergent = metrics.index("users_failing"), metrics.index("emergent")
            mean, verdict = c["mean"][()], c["verdict"][()]
            # The tolerance setup lets the burst reach checkout users through the shared host;
            # without the cross-sell call and the shared host, nobody fails.
            self.assertGreater(mean[0, users], 0.1)
            self.assertEqual(verdict[2, users], 1)
            self.assertLess(mean[2, users], 0.01)
            self.assertGreater(mean[0, emergent], 0)
            # Cells confine the crawler (one tenant) to one cell: at most about a quarter of users.
            self.assertLess(mean[1, users], 0.3)
            replicas = metrics.index("replicas")
            self.assertGreater(mean[1, replicas], mean[0, replicas])


class DesignBadInputTest(RaptureTest):
    def invalid(self, scenario, sets, *needles):
        args = ["validate", scenario]
        for s in sets:
            args += ["--set", s]
        code, out, err = run(args)
        self.assertEqual(code, 1, out + err)
        self.assertEqual(err.count("\n"), 1, err)
        for needle in needles:
            self.assertIn(needle, err)

    def test_invalid_designs_are_errors_naming_what_is_wrong(self):
        cases = [
            ("designs=[{name: k0, cells: {count: 0}}]", ["designs[0].cells.count", "at least 1"]),
            ("designs=[{name: x, cells: {count: 4, shared: [nosuch]}}]", ["'nosuch' is not a service"]),
            ("designs=[{name: x, recompose: [{merge: [api, nosuch]}]}]", ["merge", "'nosuch' is not a service"]),
            ("designs=[{name: x, recompose: [{drop: \"fe -> db\"}]}]", ["no call fe -> db"]),
            ("designs=[{name: x, decay: {request: order, share: 1.5}}]", ["designs[0].decay.share", "0 to 1"]),
            ("designs=[{name: x, decay: {request: nosuch, share: 0.2}}]", ["unknown request type 'nosuch'"]),
            ("designs=[{name: x, recompose: [{remove: fe}]}]", ["'fe'", "unroutable"]),
            ("designs=[{name: x, recompose: [{split: {service: api, parts: {api-a: [order], api-b: []}}}]}]",
             ["api"]),
            ("designs=[{name: x, cells: {count: 2, services: [api]}}]", ["shared service 'fe' calls 'api'"]),
            ("designs=[{name: baseline}]", ["other than 'baseline'"]),
            ("designs=[{name: x, recompose: [{frobnicate: api}]}]", ["unknown recomposition step 'frobnicate'"]),
        ]
        for sets, needles in cases:
            with self.subTest(sets=sets):
                self.invalid(CELLS, [sets], *needles)

    def test_a_design_that_makes_a_call_cycle_is_an_error(self):
        code, out, err = run(["validate", os.path.join(DATA, "e2e", "loop.yaml"), "--design", "sync-notify"])
        self.assertEqual(code, 1, out + err)
        self.assertIn("cycle app -> relay -> app", err)

    def test_an_unknown_design_lists_the_known_ones(self):
        code, _, err = run(["run", CELLS, "--design", "nosuch", "-o", self.path("x.h5")])
        self.assertEqual(code, 1)
        self.assertIn("no design named 'nosuch'", err)
        self.assertIn("baseline, cells, same, shuffled, legacy", err)
        self.assertFalse(os.path.exists(self.path("x.h5")))

    def test_a_fault_in_a_cell_that_does_not_exist_is_an_error(self):
        sets = "faults=[{name: f, kind: crash, target: api, start: 20s, duration: 5s, cell: 7}]"
        code, _, err = run(["validate", CELLS, "--design", "cells", "--set", sets])
        self.assertEqual(code, 1)
        self.assertIn("cell 7 does not exist", err)

    def test_compare_rejects_bad_arguments_before_running_anything(self):
        out = self.path("c.h5")
        for args, needle in ((["--designs", "baseline"], "at least two designs"),
                             (["--designs", "baseline,nosuch"], "no design named 'nosuch'"),
                             (["-r", "0"], "replications must be between 1 and 1000")):
            with self.subTest(args=args):
                code, _, err = run(["compare", CELLS, "-o", out, *args])
                self.assertEqual(code, 1)
                self.assertIn(needle, err)
                self.assertFalse(os.path.exists(out))
