"""`rapture sweep --slurm` against a real Slurm: a throwaway single-node cluster from Debian's
slurm-wlm and munge (this host as controller and compute node, state in a temporary directory,
daemons started here and stopped after). A sweep is submitted as a throttled job array, one task
is cancelled to leave a hole, `sweep status` names the hole as an --array= list read from the
store, the hole is resubmitted, and the merged file holds every run.

Needs root (the daemons and munge run as root here); it is skipped, saying so, only where the
test cannot be root. `cmake/install-deps.sh --test` installs slurm-wlm and munge."""

import os
import re
import shutil
import subprocess
import unittest

import h5py
import numpy

from harness import RAPTURE, RaptureTest
from slurm_cluster import SingleNodeSlurm

DOT = "digraph shop {\n  frontend -> db;\n}\n"
SCENARIO = """name: shop
topology: shop.dot
duration: 2s
seed: 1
workload:
  - request: browse
    entry: frontend
    arrivals: {kind: poisson, rate: 50/s}
"""
DESIGNS = """designs:
  - name: wider
    set: {services.db.workers: 4}
"""
SWEEP = """scenario: shop.yaml
factors:
  - path: services.db.workers
    values: [1, 2, 4, 8]
replications: 3
metrics: [p99, served_share]
"""


@unittest.skipUnless(os.geteuid() == 0, "the single-node Slurm cluster needs root; not root here")
class SlurmSweepTest(RaptureTest):
    def setUp(self):
        super().setUp()
        for tool in ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo"):
            self.assertIsNotNone(shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/bin"),
                                 f"{tool} is missing: run cmake/install-deps.sh --test")
        os.chmod(self.tmp, 0o755)
        self.cluster = SingleNodeSlurm(os.path.join(self.tmp, "cluster"))
        self.env = self.cluster.env
        try:
            self.cluster.start()
        except RuntimeError as e:
            self.cluster.stop()
            self.fail(str(e))

    def tearDown(self):
        self.cluster.stop()
        super().tearDown()

    def sh(self, args):
        p = self.cluster.sh(args, check=False)
        self.assertEqual(p.returncode, 0, f"{' '.join(args)}:\n{p.stdout}\n{p.stderr}")
        return p

    def rapture(self, *args):
        p = subprocess.run([RAPTURE, *args], cwd=self.tmp, capture_output=True, text=True, env=self.env, timeout=300)
        return p.returncode, p.stdout, p.stderr

    def wait_for(self, job, seconds=300):
        self.assertTrue(self.cluster.wait_for(job, seconds), f"job {job} still queued after {seconds} s")

    def test_a_sweep_runs_as_a_throttled_job_array_and_a_cancelled_task_is_resubmitted_from_status(self):
        for name, text in (("shop.dot", DOT), ("shop.yaml", SCENARIO), ("sweep.yaml", SWEEP)):
            with open(self.path(name), "w") as f:
                f.write(text)
        code, out, err = self.rapture("sweep", "sweep.yaml", "-o", "store", "--slurm", "--max-concurrent", "2",
                                      "--runs-per-task", "2")
        self.assertEqual(code, 0, out + err)
        job = re.search(r"submitted job array (\d+): 6 tasks of up to 2 runs", out)
        self.assertIsNotNone(job, out)
        job = job.group(1)
        # With 2 at once, task 5 waits behind the others: cancel it to leave a hole.
        self.sh(["scancel", f"{job}_5"])
        self.wait_for(job)
        code, out, err = self.rapture("sweep", "status", "store")
        self.assertEqual(code, 0, err)
        self.assertIn("12 runs: 10 done, 2 missing, 0 failed", out)
        self.assertIn("--array=5", out)
        script = re.search(r"resubmit them: sbatch --array=5 (\S+)", out).group(1)
        resubmitted = self.sh(["sbatch", "--parsable", "--array=5", script]).stdout.strip().split(";")[0]
        self.wait_for(resubmitted)
        code, out, err = self.rapture("sweep", "status", "store")
        self.assertIn("12 runs: 12 done, 0 missing, 0 failed", out)
        logs = os.listdir(self.path("store/logs"))
        self.assertIn(f"{job}_0.out", logs)
        code, out, err = self.rapture("sweep", "merge", "store", "-o", "merged.h5")
        self.assertEqual(code, 0, out + err)
        with h5py.File(self.path("merged.h5"), "r") as f:
            self.assertEqual(len(f["runs"]), 12)
            self.assertEqual(f["sweep/p99"].shape, (4, 3))
            self.assertTrue((f["sweep/run"][()] >= 0).all())

    def test_a_comparison_sent_to_the_cluster_prints_the_table_a_local_comparison_prints(self):
        for name, text in (("shop.dot", DOT), ("shop.yaml", SCENARIO + DESIGNS)):
            with open(self.path(name), "w") as f:
                f.write(text)
        code, local, err = self.rapture("compare", "shop.yaml", "-r", "3", "-o", "local.h5")
        self.assertEqual(code, 0, local + err)
        code, out, err = self.rapture("compare", "shop.yaml", "-r", "3", "--slurm", "--store", "store",
                                      "-o", "cluster.h5")
        self.assertEqual(code, 0, out + err)
        job = re.search(r"submitted job array (\d+): 6 tasks of up to 1 runs", out)
        self.assertIsNotNone(job, out)
        self.assertIn("run this command again", out)
        self.assertFalse(os.path.exists(self.path("cluster.h5")), "nothing to compare before the array ran")
        self.wait_for(job.group(1))
        code, out, err = self.rapture("sweep", "status", "store")
        self.assertIn("6 runs: 6 done, 0 missing, 0 failed", out)
        # Rerun once the array is done: nothing is made again, the table is the local one.
        code, cluster, err = self.rapture("compare", "shop.yaml", "-r", "3", "--slurm", "--store", "store",
                                          "-o", "cluster.h5")
        self.assertEqual(code, 0, cluster + err)
        self.assertNotIn("submitted", cluster)
        self.assertEqual(cluster.replace("cluster.h5", "local.h5"), local)
        with h5py.File(self.path("local.h5"), "r") as a, h5py.File(self.path("cluster.h5"), "r") as b:
            self.assertEqual(len(b["runs"]), 6)
            self.assertTrue(numpy.array_equal(a["compare/values"][()], b["compare/values"][()], equal_nan=True))

if __name__ == "__main__":
    unittest.main()
