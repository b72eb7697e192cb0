"""`rapture sweep` on this machine: a grid of factors with replications run into a store, merged
into one file whose /sweep group xarray reads as a labelled Dataset; reruns make only what is
missing; a sweep killed with SIGKILL and rerun makes every run once and merges identically; bad
sweeps are refused at their line with nothing written."""

import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

import h5py
import numpy as np

from harness import RAPTURE, SOURCE_DIR, RaptureTest, run

DOT = """digraph shop {
  frontend -> db;
}
"""

SCENARIO = """name: shop
topology: shop.dot
duration: 4s
seed: 3
workload:
  - request: browse
    entry: frontend
    arrivals: {kind: poisson, rate: 100/s}
services:
  db: {workers: 4}
designs:
  - name: bigger
    set: {services.db.workers: 8}
"""

SWEEP = """scenario: shop.yaml
factors:
  - path: workload[0].arrivals.rate
    values: {from: 50/s, to: 150/s, points: 3}
  - path: services.db.workers
    values: [2, 4]
replications: 2
metrics: [p99, error_rate, served_share]
"""


def datasets(path):
    """Every dataset of a file by name, with its values (numbers only)."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu":
                out[name] = obj[()]
            elif isinstance(obj, h5py.Dataset) and obj.dtype.names:
                out[name] = obj[()].tobytes()
        f.visititems(visit)
    return out


def children_writing(cwd, directory):
    """Pids of the processes working in `cwd` whose command line names a file in `directory`."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if os.readlink(f"/proc/{pid}/cwd") == cwd and (directory + "/").encode() in f.read():
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


class SweepTest(RaptureTest):
    def setUp(self):
        super().setUp()
        for name, text in (("shop.dot", DOT), ("shop.yaml", SCENARIO), ("sweep.yaml", SWEEP)):
            with open(self.path(name), "w") as f:
                f.write(text)

    def sweep(self, *args, sweep="sweep.yaml", store="store", code=0):
        c, out, err = run(["sweep", sweep, "-o", store, *args], cwd=self.tmp, timeout=600)
        self.assertEqual(c, code, out + err)
        return out, err

    def run_files(self, store="store"):
        return sorted(f for f in os.listdir(self.path(store + "/runs")) if f.endswith(".h5"))

    def test_a_grid_sweep_merges_into_a_labelled_dataset_equal_to_the_same_runs_made_one_by_one(self):
        self.sweep("-j", "2")
        self.assertEqual(len(self.run_files()), 12)
        self.run_ok(["sweep", "merge", "store", "-o", "merged.h5"], cwd=self.tmp)
        check = subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "analysis", "check_results.py"),
                                self.path("merged.h5")], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        with h5py.File(self.path("merged.h5"), "r") as f:
            s = f["sweep"]
            self.assertEqual(s["p99"].shape, (3, 2, 2))
            self.assertEqual(list(s["rate"][()]), [50, 100, 150])
            self.assertEqual(list(s["workers"][()]), [2, 4])
            self.assertEqual(len(f["runs"]), 12)
            # Point (rate=100/s, workers=4), replication 1 is the run `rapture run --set ... --seed 4` makes.
            merged_run = f["runs"][str(s["run"][1, 1, 1])]
            p99 = s["p99"][1, 1, 1]
            merged_summary = dict(merged_run["summary"].attrs)
        self.run_ok(["run", "shop.yaml", "--seed", "4", "--set", "workload[0].arrivals.rate=100/s",
                     "--set", "services.db.workers=4", "-q", "-o", "single.h5"], cwd=self.tmp)
        with h5py.File(self.path("single.h5"), "r") as f:
            single = dict(f["runs/0/summary"].attrs)
        self.assertEqual(single["p99"], p99)
        for key, value in single.items():
            if key in ("rapture_version",):
                continue
            np.testing.assert_array_equal(merged_summary[key], value, err_msg=key)

        import xarray  # python3-xarray with python3-h5netcdf, from Debian
        ds = xarray.open_dataset(self.path("merged.h5"), engine="h5netcdf", group="sweep")
        self.assertEqual(dict(ds["p99"].sizes), {"rate": 3, "workers": 2, "replication": 2})
        self.assertEqual(float(ds["p99"].sel(rate=100, workers=4, replication=1)), p99)
        mean = float(ds["p99_mean"].sel(rate=100, workers=4))
        self.assertAlmostEqual(mean, float(ds["p99"].sel(rate=100, workers=4).mean()), places=12)

    def test_a_rerun_makes_nothing_and_added_replications_or_values_make_only_the_new_runs(self):
        self.sweep()
        first = {f: os.stat(self.path("store/runs/" + f)).st_mtime_ns for f in self.run_files()}
        out, _ = self.sweep()
        self.assertIn("all 12 runs are done", out)
        with open(self.path("sweep.yaml"), "w") as f:
            f.write(SWEEP.replace("replications: 2", "replications: 3").replace("values: [2, 4]", "values: [2, 4, 8]"))
        self.sweep()
        after = self.run_files()
        self.assertEqual(len(after), 27)
        for name, mtime in first.items():
            self.assertEqual(os.stat(self.path("store/runs/" + name)).st_mtime_ns, mtime, name)

    def test_a_damaged_run_file_is_made_again_and_not_counted(self):
        self.sweep()
        victim = self.path("store/runs/" + self.run_files()[0])
        with open(victim, "wb") as f:
            f.write(b"not HDF5")
        out = self.run_ok(["sweep", "status", "store"], cwd=self.tmp)[0]
        self.assertIn("11 done, 1 missing", out)
        code, _, err = run(["sweep", "merge", "store", "-o", "m.h5"], cwd=self.tmp)
        self.assertEqual(code, 1)
        self.assertIn("1 of 12 runs are not done", err)
        self.assertFalse(os.path.exists(self.path("m.h5")))
        self.run_ok(["sweep", "merge", "store", "-o", "m.h5", "--partial"], cwd=self.tmp)
        self.sweep()
        with h5py.File(victim, "r") as f:
            self.assertEqual(f.attrs["format"], "rapture-results")

    def test_a_sweep_killed_mid_way_and_rerun_makes_every_run_once_and_merges_identically(self):
        with open(self.path("sweep.yaml"), "w") as f:
            f.write(SWEEP.replace("replications: 2", "replications: 4"))
        proc = subprocess.Popen([RAPTURE, "sweep", "sweep.yaml", "-o", "store", "-j", "2"], cwd=self.tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline:
            if os.path.isdir(self.path("store/runs")) and len(self.run_files()) >= 5:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done_before = len(self.run_files())
        self.assertLess(done_before, 24, "the sweep ended before it could be killed")
        # No child run of the killed sweep is left running (they end with their parent, or finish).
        store_runs = (os.path.realpath(self.tmp), "store/runs")
        deadline = time.time() + 10
        while time.time() < deadline and children_writing(*store_runs):
            time.sleep(0.1)
        self.assertEqual(children_writing(*store_runs), [], "child runs outlived the killed sweep")
        self.sweep()
        self.assertEqual(len(self.run_files()), 24)
        self.assertEqual([f for f in os.listdir(self.path("store/runs")) if not f.endswith(".h5")], [])
        self.run_ok(["sweep", "merge", "store", "-o", "resumed.h5"], cwd=self.tmp)
        self.sweep(store="clean")
        self.run_ok(["sweep", "merge", "clean", "-o", "clean.h5"], cwd=self.tmp)
        resumed, clean = datasets(self.path("resumed.h5")), datasets(self.path("clean.h5"))
        self.assertEqual(sorted(resumed), sorted(clean))
        for name in clean:
            np.testing.assert_array_equal(resumed[name], clean[name], err_msg=name)

    def test_the_runs_of_a_killed_sweep_end_with_it_instead_of_running_to_their_end(self):
        # Runs of several seconds each: a child that outlived its parent would still be running,
        # or would finish its file, well after the parent's death.
        with open(self.path("long.yaml"), "w") as f:
            f.write(SCENARIO.replace("duration: 4s", "duration: 8000s").replace("rate: 100/s", "rate: 4000/s"))
        with open(self.path("long-sweep.yaml"), "w") as f:
            f.write("scenario: long.yaml\nfactors:\n  - {path: services.db.workers, values: [4, 8]}\n")
        proc = subprocess.Popen([RAPTURE, "sweep", "long-sweep.yaml", "-o", "long", "-j", "2"], cwd=self.tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs = (os.path.realpath(self.tmp), "long/runs")
        deadline = time.time() + 60
        while time.time() < deadline and len(children_writing(*runs)) < 2:
            time.sleep(0.05)
        self.assertEqual(len(children_writing(*runs)), 2, "the two runs did not start")
        time.sleep(0.5)  # well into the runs
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 2
        while time.time() < deadline and children_writing(*runs):
            time.sleep(0.05)
        self.assertEqual(children_writing(*runs), [], "child runs outlived the killed sweep")
        self.assertEqual(self.run_files("long"), [], "a run finished: the runs are too short to tell")

    def test_bad_sweeps_are_refused_at_their_line_and_write_nothing(self):
        cases = [
            ("  - path: services.db.workerz\n    values: [1]\n", "bad.yaml:3", "workerz"),
            ("  - path: workload[0].arrivals.rate\n    values: [fast]\n", "bad.yaml:3", "fast"),
            ("  - path: services.db.workers\n    values: {from: 1, to: 4, points: 0}\n", "bad.yaml:4", "points"),
            ("  - {design: [baseline, smaller]}\n", "bad.yaml:3", "no design 'smaller'"),
            ("  - {fault: crash, field: duration, values: [1s]}\n", "bad.yaml:3", "no fault named 'crash'"),
        ]
        for factor, where, says in cases:
            with self.subTest(factor=factor):
                with open(self.path("bad.yaml"), "w") as f:
                    f.write("scenario: shop.yaml\nfactors:\n" + factor)
                code, _, err = run(["sweep", "bad.yaml", "-o", "bad-store"], cwd=self.tmp)
                self.assertEqual(code, 1, err)
                self.assertIn(where, err)
                self.assertIn(says, err)
                self.assertFalse(os.path.exists(self.path("bad-store")))
        with open(self.path("zero.yaml"), "w") as f:
            f.write(SWEEP.replace("replications: 2", "replications: 0"))
        code, _, err = run(["sweep", "zero.yaml", "-o", "bad-store"], cwd=self.tmp)
        self.assertEqual(code, 1)
        self.assertIn("zero.yaml:7", err)
        with open(self.path("dropall.yaml"), "w") as f:
            f.write(SWEEP + 'constraint: "rate > 1000"\n')
        code, _, err = run(["sweep", "dropall.yaml", "-o", "bad-store"], cwd=self.tmp)
        self.assertEqual(code, 1)
        self.assertIn("dropall.yaml:9", err)
        self.assertIn("drops every one", err)
        self.assertFalse(os.path.exists(self.path("bad-store")))

    def test_a_store_made_by_another_sweep_is_refused(self):
        self.sweep()
        with open(self.path("other.yaml"), "w") as f:
            f.write(SWEEP)
        code, _, err = run(["sweep", "other.yaml", "-o", "store"], cwd=self.tmp)
        self.assertEqual(code, 1)
        self.assertIn("holds sweep 'sweep'", err)

    def test_slurm_without_sbatch_is_refused_before_anything_is_written(self):
        env = dict(os.environ, PATH="/nonexistent")
        p = subprocess.run([RAPTURE, "sweep", "sweep.yaml", "-o", "store", "--slurm"], cwd=self.tmp,
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("sbatch", p.stderr)
        self.assertFalse(os.path.exists(self.path("store")))

    def test_a_dry_run_writes_an_array_script_over_the_missing_runs_only(self):
        self.sweep()
        os.remove(self.path("store/runs/" + self.run_files()[0]))
        out, _ = self.sweep("--slurm", "--dry-run", "--runs-per-task", "2", "--max-concurrent", "3")
        script = [f for f in os.listdir(self.path("store/slurm")) if f.endswith(".sbatch")]
        self.assertEqual(len(script), 1)
        with open(self.path("store/slurm/" + script[0])) as f:
            text = f.read()
        self.assertIn("#SBATCH --array=0-0%3", text)
        self.assertIn(" sweep task ", text)

    def test_the_shipped_sweeps_plan_every_point_and_write_their_array_script(self):
        sweeps = os.path.join(SOURCE_DIR, "scenarios", "sweeps")
        for name in sorted(os.listdir(sweeps)):
            with self.subTest(sweep=name):
                store = self.path(name + ".sweep")
                out, err = self.run_ok(["sweep", os.path.join(sweeps, name), "-o", store, "--slurm", "--dry-run"],
                                       cwd=self.tmp)
                self.assertRegex(out, r"wrote \S+\.sbatch \(\d+ tasks of up to 1 runs\)")
                with open(os.path.join(store, "runs.tsv")) as f:
                    self.assertGreater(len(f.readlines()), 1)

    def test_a_premortem_and_a_comparison_keep_their_runs_in_a_store_that_a_rerun_reuses(self):
        for command, extra, runs in (("premortem", [], 2), ("compare", ["-r", "2"], 4)):
            with self.subTest(command=command):
                store = command + ".sweep"
                first = self.run_ok([command, "shop.yaml", *extra, "--store", store, "-o", command + "-1.h5"],
                                    cwd=self.tmp)
                files = {f: os.stat(self.path(store + "/runs/" + f)).st_mtime_ns
                         for f in self.run_files(store)}
                self.assertEqual(len(files), runs)
                status = self.run_ok(["sweep", "status", store], cwd=self.tmp)[0]
                self.assertIn(f"{runs} runs: {runs} done, 0 missing, 0 failed", status)
                second = self.run_ok([command, "shop.yaml", *extra, "--store", store, "-o", command + "-2.h5"],
                                     cwd=self.tmp)
                self.assertEqual(second[0].replace(command + "-2.h5", command + "-1.h5"), first[0])
                self.assertEqual({f: os.stat(self.path(store + "/runs/" + f)).st_mtime_ns
                                  for f in self.run_files(store)}, files)
                self.assertIn(f"{command} shop: {runs}/{runs} runs", first[1])  # the progress line
                self.assertNotIn(f"{command} shop:", second[1])  # none: nothing was made
                self.run_ok(["sweep", "merge", store, "-o", command + "-merged.h5"], cwd=self.tmp)
                with h5py.File(self.path(command + "-merged.h5"), "r") as f:
                    self.assertEqual(len(f["runs"]), runs)

    def test_progress_is_one_rewritten_line_on_a_terminal_plain_lines_elsewhere_and_nothing_with_q(self):
        import pty
        primary, secondary = pty.openpty()
        p = subprocess.run([RAPTURE, "premortem", "shop.yaml", "-o", "tty.h5"], cwd=self.tmp, stdout=subprocess.PIPE,
                           stderr=secondary, timeout=120)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(primary)
        self.assertEqual(p.returncode, 0)
        terminal = b"".join(chunks).decode()
        self.assertIn("\r\x1b[Kpremortem shop: 2/2 runs", terminal)  # rewritten in place
        self.assertEqual(terminal.count("\n"), terminal.count("note:") + 1, terminal)  # one line in the end
        _, err = self.run_ok(["premortem", "shop.yaml", "-o", "plain.h5"], cwd=self.tmp)
        self.assertNotIn("\x1b", err)
        self.assertRegex(err, r"premortem shop: 2/2 runs, [0-9.]+ (runs/s|s/run) in \d+s\n")
        _, err = self.run_ok(["premortem", "shop.yaml", "-q", "-o", "quiet.h5"], cwd=self.tmp)
        self.assertNotIn("premortem shop", err)

    def test_a_premortem_for_slurm_writes_an_array_script_that_passes_the_memory_limit_on(self):
        out, _ = self.run_ok(["premortem", "shop.yaml", "--slurm", "--dry-run", "--memory-limit", "2GiB",
                              "--store", "pm", "-o", "pm.h5"], cwd=self.tmp)
        self.assertRegex(out, r"wrote \S+\.sbatch \(2 tasks of up to 1 runs\)")
        script = [f for f in os.listdir(self.path("pm/slurm")) if f.endswith(".sbatch")]
        with open(self.path("pm/slurm/" + script[0])) as f:
            text = f.read()
        self.assertIn(" sweep task ", text)
        self.assertIn("'--memory-limit' '2147483648'", text)
        self.assertFalse(os.path.exists(self.path("pm.h5")))


if __name__ == "__main__":
    unittest.main()
