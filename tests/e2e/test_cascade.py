"""The cascade analysis end to end, through SimGrid and read back with h5py: a neighbour on a
shared host is marked emergent and journalled as a hidden dependency exposed; amplifying the
StyleFlow demo's crawler burst finds a tipping point whose first cascading run reaches
services the fault never touched, and the journal says so; the propagation graph is DOT
that Graphviz reads; a scenario's hypothesis is checked and --strict fails the run."""

import os
import shutil
import subprocess
import unittest

import h5py

from harness import DATA, SOURCE_DIR, RaptureTest, run

SHARED_HOST = os.path.join(DATA, "e2e", "shared_host.yaml")
STYLEFLOW = os.path.join(SOURCE_DIR, "scenarios", "styleflow-checkout.yaml")


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def analysis(path, index=0):
    """Propagation rows and journal entries of a run, as lists of dicts with str values."""
    with h5py.File(path, "r") as f:
        g = f[f"runs/{index}/analysis"]

        def rows(name):
            table = g[name][()]
            return [{k: text(r[k]) for k in table.dtype.names} for r in table]

        return rows("propagation"), rows("journal"), [text(t) for t in g["touched"][()]], dict(g.attrs)


class CascadeTest(RaptureTest):
    def test_a_neighbour_on_a_shared_host_is_emergent_and_a_hidden_dependency(self):
        out, dot = self.path("shared.h5"), self.path("shared.dot")
        stdout, _ = self.run_ok(["run", SHARED_HOST, "-o", out, "--dot", dot])
        propagation, journal, touched, attrs = analysis(out)
        self.assertEqual(touched, ["s"])
        t = [r for r in propagation if r["service"] == "t"]
        self.assertEqual(len(t), 1, propagation)
        self.assertEqual(t[0]["cause"], "emergent")
        self.assertEqual(t[0]["mechanism"], "shared_host")
        self.assertEqual(t[0]["parent"], "s")
        # The onset falls inside the burst (40-60 s).
        self.assertGreaterEqual(t[0]["onset"], 40.0)
        self.assertLess(t[0]["onset"], 60.0)
        self.assertTrue(any(e["category"] == "hidden_dependency_exposed" and e["place"] == "t" for e in journal), journal)
        self.assertEqual(attrs["emergent"], 1)
        self.assertEqual(attrs["recovered"], 1)
        self.assertRegex(stdout, r"\n  t +\S+ +[\d.]+  EMERGENT +shared_host: host box \(s\)")
        self.assertIn("hidden_dependency_exposed", stdout)
        # Graphviz itself reads the propagation graph.
        if shutil.which("dot"):
            subprocess.run(["dot", "-Tsvg", dot, "-o", self.path("shared.svg")], check=True)
        with open(dot) as f:
            self.assertIn('"s" -> "t" [color=purple', f.read())

    def test_the_styleflow_crawler_burst_cascades_beyond_what_it_touches(self):
        out = self.path("amp.h5")
        code, stdout, stderr = run(["amplify", STYLEFLOW, "--fault", "crawler-burst", "--param", "factor",
                                    "--from", "2", "--to", "20", "--points", "4", "--rounds", "1",
                                    "--criterion", "error_rate:0.01", "-o", out, "--set", "duration=420s"])
        self.assertEqual(code, 0, stdout + stderr)
        with h5py.File(out, "r") as f:
            amp = f["amplify"]
            self.assertEqual(amp.attrs["found"], 1)
            first = int(amp.attrs["first_cascade_run"])
            self.assertGreaterEqual(first, 0)
        propagation, journal, touched, _ = analysis(out, first)
        untouched = [r for r in propagation if r["service"] not in touched]
        self.assertTrue(untouched, f"the cascade stayed on the services the fault touches: {propagation}")
        reached = {r["service"] for r in untouched}
        # The journal files the first failure outside the fault's reach as a hidden dependency.
        hidden = [e for e in journal if e["category"] == "hidden_dependency_exposed" and e["place"] in reached]
        self.assertTrue(hidden, journal)
        self.assertIn("recommendations", reached)
        self.assertIn("first cascading point", stdout)
        self.assertIn("EMERGENT (shared_host)", stdout)
        self.assertIn("[host app-2] -> recommendations", stdout)


if __name__ == "__main__":
    unittest.main()


PREMORTEM = os.path.join(DATA, "e2e", "premortem.yaml")


class PremortemTest(RaptureTest):
    def test_the_shared_database_ranks_first(self):
        out = self.path("pm.h5")
        stdout, _ = self.run_ok(["premortem", PREMORTEM, "-o", out])
        with h5py.File(out, "r") as f:
            pm = f["premortem"]
            services = [text(s) for s in pm["service"][()]]
            rank = dict(zip(services, pm["rank"][()]))
            radius = dict(zip(services, pm["blast_radius_requests"][()]))
            types = dict(zip(services, pm["blast_radius_types"][()]))
            self.assertEqual(len(f["runs"]), 5)
        self.assertEqual(sorted(services), ["db", "x", "y", "z", "zdb"])
        self.assertEqual(rank["db"], 1)
        self.assertAlmostEqual(types["db"], 2 / 3)
        self.assertAlmostEqual(types["x"], 1 / 3)
        # The crash lasts a third of the measured run from a third in: 2/3 of the requests of the
        # crash window fail for db, over the 2/3 of the run from the crash on: about a third.
        self.assertGreater(radius["db"], 1.5 * radius["x"])
        self.assertRegex(stdout, r"\n +1  db ")

    def test_an_unknown_service_is_an_error(self):
        code, _, err = run(["premortem", PREMORTEM, "--services", "nope", "-o", self.path("pm.h5")])
        self.assertEqual(code, 1)
        self.assertIn("service 'nope'", err)
        self.assertFalse(os.path.exists(self.path("pm.h5")))


class HypothesisTest(RaptureTest):
    PROBES = ("hypothesis={title: t stays up, probes: ["
              "{metric: error_rate, request: to-t, window: during_fault, below: 1%}, "
              "{metric: error_rate, request: to-t, window: steady, below: 1%}]}")

    def test_probes_are_reported_and_strict_fails_the_run(self):
        out = self.path("h.h5")
        code, stdout, _ = run(["run", SHARED_HOST, "-o", out, "--set", self.PROBES])
        self.assertEqual(code, 0)
        self.assertIn("NOT MET", stdout)
        self.assertRegex(stdout, r"\n +met +error_rate of to-t")
        with h5py.File(out, "r") as f:
            h = f["runs/0/analysis/hypothesis"]
            self.assertEqual(h.attrs["met"], 0)
            met = list(h["probes"]["met"])
            self.assertEqual(met, [0, 1])
        code, _, err = run(["run", SHARED_HOST, "-o", out, "-q", "--strict", "--set", self.PROBES])
        self.assertEqual(code, 3)
        self.assertIn("NOT MET", err)
        self.assertTrue(os.path.exists(out), "the results are kept when the hypothesis fails")


class MapTest(RaptureTest):
    def test_a_map_over_two_magnitudes_marks_each_region(self):
        out = self.path("map.h5")
        stdout, _ = self.run_ok(["amplify", SHARED_HOST, "--fault", "s-burst", "--param", "factor", "--from", "1",
                                 "--to", "5", "--points", "2", "--param2", "duration", "--from2", "5s", "--to2", "20s",
                                 "--points2", "2", "--criterion", "error_rate:0.02", "-o", out])
        with h5py.File(out, "r") as f:
            amp = f["amplify"]
            self.assertEqual(text(amp.attrs["mode"]), "map")
            self.assertEqual(text(amp.attrs["param2"]), "faults[0].duration")
            points = list(zip(amp["value"][()], amp["value2"][()], amp["region"][()], amp["cascade"][()]))
            self.assertEqual(len(f["runs"]), 4)
        self.assertEqual(sorted((v, w) for v, w, _, _ in points), [(1, 5), (1, 20), (5, 5), (5, 20)])
        regions = {(v, w): r for v, w, r, _ in points}
        # No burst (factor 1) holds; the long burst at factor 5 cascades and the run comes back.
        self.assertEqual(regions[(1, 5)], 0)
        self.assertEqual(regions[(1, 20)], 0)
        self.assertEqual(regions[(5, 20)], 1)
        self.assertIn("map of 4 points", stdout)
