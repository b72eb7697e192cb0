"""The hostile user's files: a scenario, topology or sample file that is not a regular file, is
too large, nests too deeply, or hides data the readers used to drop. Each must end with exit 1
and one line naming the file (and the line, where there is one), never a crash or a hang."""

import os
import unittest

from harness import RaptureTest, run

DOT = """digraph shop {
  frontend -> db;
}
"""

SCENARIO = """name: shop
topology: {topology}
duration: 5s
workload:
  - request: browse
    entry: frontend
    arrivals: {{kind: poisson, rate: 100/s}}
"""

GRAPHML_HEAD = """<?xml version="1.0"?>
<graphml>
<key id="k" for="node" attr.name="kind" attr.type="string"/>
<graph edgedefault="directed">
<node id="frontend"><data key="k">frontend</data></node>
<node id="db"><data key="k">database</data></node>
<edge source="frontend" target="db"/>
"""
GRAPHML_TAIL = """</graph>
</graphml>
"""

# A file over the 64 MiB limit of scenario and topology files; sparse, so nothing is written.
OVERSIZE = (64 << 20) + 1


class HostileFilesTest(RaptureTest):
    def write(self, name, text):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def scenario_on(self, topology):
        return self.write("s.yaml", SCENARIO.format(topology=topology))

    def refused(self, args, named, line=None, timeout=60):
        """Runs rapture (a hang fails by timeout); it must exit 1 naming `named` (at `line`)."""
        code, _, err = run(args, cwd=self.tmp, timeout=timeout)
        self.assertEqual(code, 1, f"exit {code} (a negative code is a signal):\n{err[-2000:]}")
        where = named if line is None else f"{named}:{line}:"
        self.assertIn(where, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err[-2000:])
        return err

    # -- files that are not regular files ----------------------------------------------------------

    def test_a_scenario_that_is_a_device_a_fifo_or_a_directory_is_refused_without_reading_it(self):
        fifo = self.path("pipe.yaml")
        os.mkfifo(fifo)
        adir = self.path("adir.yaml")
        os.mkdir(adir)
        for path, kind in (("/dev/zero", "a device"), (fifo, "a FIFO"), (adir, "a directory")):
            err = self.refused(["validate", path], path)
            self.assertIn(f"cannot read the scenario file: it is {kind}, not a regular file", err)
            err = self.refused(["run", path, "-q", "-o", self.path("out.h5")], path)
            self.assertIn(kind, err)

    def test_a_topology_that_is_a_device_a_fifo_or_a_directory_is_refused_without_reading_it(self):
        os.symlink("/dev/zero", self.path("zero.dot"))
        os.mkfifo(self.path("pipe.dot"))
        os.mkdir(self.path("adir.dot"))
        for name, kind in (("zero.dot", "a device"), ("pipe.dot", "a FIFO"), ("adir.dot", "a directory")):
            err = self.refused(["validate", self.scenario_on(name)], name)
            self.assertIn(f"cannot read the topology file: it is {kind}, not a regular file", err)

    def test_a_sample_file_that_is_a_device_a_fifo_or_a_directory_is_refused_naming_its_service(self):
        os.symlink("/dev/zero", self.path("zero.txt"))
        os.mkfifo(self.path("pipe.txt"))
        os.mkdir(self.path("adir.txt"))
        for name, kind in (("zero.txt", "a device"), ("pipe.txt", "a FIFO"), ("adir.txt", "a directory")):
            self.write("e.dot", 'digraph shop {\n  frontend -> db;\n  db [service_time="empirical(%s)"]\n}\n' % name)
            err = self.refused(["validate", self.scenario_on("e.dot")], "e.dot", line=3)
            self.assertIn(name, err)
            self.assertIn(f"it is {kind}, not a regular file", err)

    def test_a_scenario_or_topology_over_the_size_limit_is_refused_naming_the_limit(self):
        big = self.path("big.yaml")
        with open(big, "w") as f:
            f.truncate(OVERSIZE)
        err = self.refused(["validate", big], big)
        self.assertIn("larger than the limit of 64 MiB", err)
        with open(self.path("big.dot"), "w") as f:
            f.write(DOT)
            f.truncate(OVERSIZE)
        err = self.refused(["validate", self.scenario_on("big.dot")], "big.dot")
        self.assertIn("larger than the limit of 64 MiB", err)

    def test_a_sample_file_over_its_size_limit_is_refused_naming_the_limit(self):
        with open(self.path("big.txt"), "w") as f:
            f.write("1ms\n")
            f.truncate((256 << 20) + 1)
        self.write("e.dot", 'digraph shop {\n  frontend -> db;\n  db [service_time="empirical(big.txt)"]\n}\n')
        err = self.refused(["validate", self.scenario_on("e.dot")], "e.dot", line=3)
        self.assertIn("larger than the limit of 256 MiB", err)

    # -- depth -----------------------------------------------------------------------------------

    def test_deeply_nested_dot_subgraphs_are_refused_with_their_line(self):
        self.write("deep.dot", "digraph shop {\n  frontend -> db;\n" + "subgraph {" * 100000 + "}" * 100000 + "\n}\n")
        err = self.refused(["validate", self.scenario_on("deep.dot")], "deep.dot", line=3)
        self.assertIn("nesting deeper than 256 levels", err)

    def test_deeply_nested_graphml_elements_are_refused_with_their_line(self):
        self.write("deep.graphml", GRAPHML_HEAD + "<x>" * 100000 + "</x>" * 100000 + "\n" + GRAPHML_TAIL)
        err = self.refused(["validate", self.scenario_on("deep.graphml")], "deep.graphml", line=8)
        self.assertIn("nesting deeper than 256 levels", err)

    # -- GraphML data that used to be dropped ----------------------------------------------------

    def test_graphml_data_under_an_undeclared_key_is_refused_with_its_line(self):
        text = GRAPHML_HEAD.replace('<data key="k">database', '<data key="kind">database')
        self.write("t.graphml", text + GRAPHML_TAIL)
        err = self.refused(["validate", self.scenario_on("t.graphml")], "t.graphml", line=6)
        self.assertIn("undeclared key", err)

    def test_a_graphml_key_declared_twice_is_refused_with_its_line(self):
        text = GRAPHML_HEAD.replace(
            "<graph ", '<key id="k" for="node" attr.name="host" attr.type="string"/>\n<graph ')
        self.write("t.graphml", text + GRAPHML_TAIL)
        err = self.refused(["validate", self.scenario_on("t.graphml")], "t.graphml", line=4)
        self.assertIn("declared twice", err)

    def test_a_graphml_hyperedge_is_refused_with_its_line(self):
        text = GRAPHML_HEAD + '<node id="cache"/>\n<hyperedge><endpoint node="frontend"/><endpoint node="db"/>' \
            '<endpoint node="cache"/></hyperedge>\n'
        self.write("t.graphml", text + GRAPHML_TAIL)
        err = self.refused(["validate", self.scenario_on("t.graphml")], "t.graphml", line=9)
        self.assertIn("hyperedge", err)

    # -- messages ----------------------------------------------------------------------------------

    def test_a_dot_syntax_error_found_only_by_boost_reports_its_line(self):
        self.write("t.dot", "digraph shop {\n  frontend -> db;\n  db:port:x:y\n}\n")
        err = self.refused(["validate", self.scenario_on("t.dot")], "t.dot", line=3)
        self.assertIn("malformed DOT", err)

    def test_a_nul_byte_in_a_dot_file_is_refused_with_its_line_and_a_whole_message(self):
        self.write("t.dot", 'digraph shop {\n  frontend -> db;\n  db [label="a\0b"] \0 >\n}\n')
        err = self.refused(["validate", self.scenario_on("t.dot")], "t.dot", line=3)
        self.assertIn("a NUL byte (a topology file is text)", err)

    def test_a_huge_value_is_echoed_only_in_part(self):
        self.write("t.dot", 'digraph shop {\n  frontend -> db;\n  db [replicas="%sx"]\n}\n' % ("9" * 100000))
        err = self.refused(["validate", self.scenario_on("t.dot")], "t.dot", line=3)
        self.assertIn("\u2026", err)
        self.assertLess(len(err), 600, err[:600])


if __name__ == "__main__":
    unittest.main()
