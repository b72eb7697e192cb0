"""The StyleFlow course (docs/course/, scenarios/course/) cannot drift from what the simulator
does: every lesson's scenario passes `rapture run --strict` (its hypothesis states the lesson's
expected outcome), every lesson page names an existing scenario and the commands it shows parse
(scenario paths, designs, faults, --set overrides, the files `rapture report` is given), and the
contrasts the lessons claim hold where they are cheap to run."""

import glob
import math
import os
import re
import shlex
import shutil
import tempfile
import unittest

import h5py

from harness import SOURCE_DIR, run

SCENARIO_DIR = os.path.join(SOURCE_DIR, "scenarios", "course")
DOC_DIR = os.path.join(SOURCE_DIR, "docs", "course")
SCENARIOS = sorted(glob.glob(os.path.join(SCENARIO_DIR, "*.yaml")))
PAGES = sorted(glob.glob(os.path.join(DOC_DIR, "[0-9][0-9]-*.md")))
SCENARIO_COMMANDS = {"run", "validate", "amplify", "premortem", "compare"}


def scenario_name(path):
    with open(path) as f:
        m = re.search(r"^name:\s*(\S+)", f.read(), re.M)
    return m.group(1) if m else os.path.splitext(os.path.basename(path))[0]


def section_names(path, section):
    """The `name:` of each entry of a top-level list section (faults, designs) of a scenario."""
    names, inside = [], False
    with open(path) as f:
        for line in f:
            if re.match(r"^\S", line):
                inside = line.startswith(section + ":")
                continue
            if inside:
                m = re.match(r"^\s*-\s*(?:\{\s*)?name:\s*([^,}\s]+)", line)
                if m:
                    names.append(m.group(1))
    return names


def page_commands(text):
    """Every `rapture ...` command of a page: the lines of its sh blocks (with continuations
    joined) and the inline code spans that start with `rapture `."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip() if " #" in line else line.strip()
            if line.startswith("rapture "):
                commands.append(line)
    commands += [c for c in re.findall(r"`([^`\n]+)`", text) if c.startswith("rapture ") and len(c.split()) > 2]
    return commands


def analysis(path):
    with h5py.File(path, "r") as f:
        a = f["runs/0/analysis"]
        attrs = {k: a.attrs[k] for k in a.attrs}
        rows = a["propagation"][()]

    def s(x):
        return x.decode() if isinstance(x, bytes) else str(x)

    prop = {s(r["service"]): (s(r["cause"]), s(r["mechanism"])) for r in rows}
    return attrs, prop


class CourseTest(unittest.TestCase):
    tmp = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rapture-course-")
        cls.results = {}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def strict(self, scenario):
        """Runs the scenario as written (its own seed) with --strict, once; the results file."""
        if scenario not in self.results:
            out = os.path.join(self.tmp, os.path.basename(scenario) + ".h5")
            code, stdout, stderr = run(["run", scenario, "-o", out, "--strict"])
            self.assertEqual(code, 0, f"{os.path.relpath(scenario, SOURCE_DIR)}: --strict exited {code} "
                                      f"(3: the lesson's hypothesis is not met)\n{stdout[-3000:]}\n{stderr[-2000:]}")
            self.assertIn("hypothesis met", stdout)
            self.results[scenario] = out
        return self.results[scenario]

    def design(self, scenario, name):
        out = os.path.join(self.tmp, f"{os.path.basename(scenario)}-{name}.h5")
        code, stdout, stderr = run(["run", scenario, "--design", name, "-o", out, "-q"])
        self.assertEqual(code, 0, stdout + stderr)
        return out

    def lesson(self, prefix):
        matches = [s for s in SCENARIOS if os.path.basename(s).startswith(prefix)]
        self.assertEqual(len(matches), 1, f"one scenarios/course/{prefix}*.yaml")
        return matches[0]

    # --- every lesson passes --strict ------------------------------------------------------

    def test_every_lesson_scenario_passes_strict(self):
        self.assertGreaterEqual(len(SCENARIOS), 6)
        for scenario in SCENARIOS:
            with self.subTest(scenario=os.path.basename(scenario)):
                with open(scenario) as f:
                    text = f.read()
                self.assertRegex(text, r"(?m)^hypothesis:", "each lesson states its outcome as a hypothesis")
                self.assertRegex(text, r"(?m)^seed:", "each lesson fixes its seed")
                self.strict(scenario)

    # --- the pages match the scenarios -----------------------------------------------------

    def test_every_page_names_its_scenario_and_its_commands_parse(self):
        self.assertEqual(len(PAGES), len(SCENARIOS))
        with open(os.path.join(DOC_DIR, "README.md")) as f:
            index = f.read()
        for page in PAGES:
            base = os.path.basename(page)
            with self.subTest(page=base):
                self.assertIn(base, index, "the index links every lesson")
                with open(page) as f:
                    text = f.read()
                self.assertIn("**Question.**", text)
                own = self.lesson(base[:3])
                self.assertIn(os.path.relpath(own, SOURCE_DIR), text)
                for ref in re.findall(r"scenarios/[\w./-]+\.yaml", text):
                    self.assertTrue(os.path.isfile(os.path.join(SOURCE_DIR, ref)), ref)
                commands = page_commands(text)
                self.assertTrue(any(c.split()[1] == "run" and "--strict" in c for c in commands),
                                "a lesson shows its --strict run")
                outputs = set()
                for command in commands:
                    self.check_command(command, outputs)

    def check_command(self, command, outputs):
        words = shlex.split(command)
        sub, args = words[1], words[2:]
        self.assertIn(sub, SCENARIO_COMMANDS | {"report"}, command)
        if sub == "report":
            self.assertEqual(len(args), 1, command)
            self.assertIn(args[0], outputs, f"{command}: names the file a command before it writes")
            return
        scenario = os.path.join(SOURCE_DIR, args[0])
        self.assertTrue(os.path.isfile(scenario), command)
        name = scenario_name(scenario)
        suffix = "" if sub in ("run", "validate") else "-" + sub
        outputs.add(name + suffix + ".h5")
        options = {}
        sets = []
        i = 1
        while i < len(args):
            key = args[i]
            value = args[i + 1] if i + 1 < len(args) and not args[i + 1].startswith("--") else None
            if key == "--set":
                sets.append(value)
            else:
                options[key] = value
            i += 2 if value is not None else 1
        if "-o" in options:
            outputs.add(options["-o"])
        validate = ["validate", scenario]
        for s in sets:
            validate += ["--set", s]
        designs = section_names(scenario, "designs")
        if "--design" in options:
            self.assertIn(options["--design"], designs, command)
            validate += ["--design", options["--design"]]
        if "--designs" in options:
            for d in options["--designs"].split(","):
                self.assertIn(d, designs + ["baseline"], command)
        if sub == "compare":
            self.assertTrue(designs, f"{command}: the scenario has designs")
        if sub == "amplify":
            fault = options.get("--fault")
            if fault:
                faults = section_names(scenario, "faults")
                self.assertIn(fault, faults, command)
                path = f"faults[{faults.index(fault)}].{options['--param']}"
            else:
                path = options["--param"]
            for end in ("--from", "--to"):
                code, out, err = run(validate + ["--set", f"{path}={options[end]}"])
                self.assertEqual(code, 0, f"{command}: {end}\n{out}{err}")
        if sub == "premortem":
            for svc in (options.get("--services") or "").split(","):
                if svc:
                    self.assertIn(f'"{svc}"', open(os.path.join(SOURCE_DIR, "topologies", "styleflow.dot")).read())
        code, out, err = run(validate)
        self.assertEqual(code, 0, f"{command}\n{out}{err}")

    # --- the outcomes the lessons claim ----------------------------------------------------

    def test_lesson2_recommendations_fail_emergently_through_app2(self):
        attrs, prop = analysis(self.strict(self.lesson("02")))
        self.assertEqual(prop.get("recommendations"), ("emergent", "shared_host"))
        self.assertEqual(prop.get("checkout", ("",))[0], "dependency")
        self.assertGreaterEqual(int(attrs["emergent"]), 1)

    def test_lesson3_more_workers_hide_the_overflow(self):
        scenario = self.lesson("03")
        base, _ = analysis(self.strict(scenario))
        more, _ = analysis(self.design(scenario, "more-workers"))
        self.assertGreater(float(base["blast_radius_requests"]), 0.05)
        self.assertLess(float(more["blast_radius_requests"]), 0.001)

    def test_lesson4_retry_budget_removes_the_metastable_failure(self):
        scenario = self.lesson("04")
        base, _ = analysis(self.strict(scenario))
        self.assertEqual(int(base["metastable"]), 1)
        self.assertEqual(int(base["recovered"]), 0)
        if "sustained_by" in base:  # builds with the metastability verdict name what sustains it
            self.assertEqual(str(base["sustained_by"].decode() if isinstance(base["sustained_by"], bytes)
                                 else base["sustained_by"]), "retries")
        budget, _ = analysis(self.design(scenario, "retry-budget"))
        self.assertEqual(int(budget["metastable"]), 0)
        self.assertEqual(int(budget["recovered"]), 1)
        self.assertLess(float(budget["recovery_time"]), 30)
        envoy, _ = analysis(self.design(scenario, "envoy-budget"))
        self.assertEqual(int(envoy["metastable"]), 1)

    def test_lesson5_the_cache_crash_hides_behind_breakers(self):
        attrs, prop = analysis(self.strict(self.lesson("05")))
        self.assertGreater(float(attrs["blast_radius_requests"]), 0.25)
        self.assertTrue(math.isfinite(float(attrs["recovery_time"])))

    def test_lesson6_recomposition_contains_the_burst(self):
        scenario = self.lesson("06")
        base, prop = analysis(self.strict(scenario))
        self.assertEqual(prop.get("recommendations", ("",))[0], "emergent")
        recomposed, rprop = analysis(self.design(scenario, "recomposed"))
        self.assertEqual(int(recomposed["emergent"]), 0)
        self.assertNotIn("checkout", rprop)
        self.assertLess(float(recomposed["blast_radius_requests"]), float(base["blast_radius_requests"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
