"""Shared helpers of the end-to-end tests: run the real `rapture` binary and read its HDF5
output with h5py (Debian's python3-h5py), an implementation independent of rapture's."""

import os
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

RAPTURE = os.environ["RAPTURE_BIN"]
SOURCE_DIR = os.environ["RAPTURE_SOURCE_DIR"]
DATA = os.path.join(SOURCE_DIR, "tests", "data")


def run(args, cwd=None, timeout=600):
    """Runs rapture; returns (exit code, stdout, stderr)."""
    p = subprocess.run([RAPTURE] + args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class RaptureTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="rapture-e2e-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def run_ok(self, args, **kw):
        code, out, err = run(args, **kw)
        self.assertEqual(code, 0, f"rapture {' '.join(args)} failed:\n{out}\n{err}")
        return out, err

    def simulate(self, scenario, out_name="out.h5", extra=()):
        """Runs a scenario quietly and returns the path of its results file."""
        out = self.path(out_name)
        self.run_ok(["run", scenario, "-o", out, "-q", *extra])
        return out


def read_run(path, index=0):
    """The datasets and attributes of /runs/<index> as numpy arrays and Python values."""
    with h5py.File(path, "r") as f:
        g = f[f"runs/{index}"]
        data = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data[name] = obj[()]

        g.visititems(visit)
        attrs = {k: g.attrs[k] for k in g.attrs}
        summary = {k: g["summary"].attrs[k] for k in g["summary"].attrs} if "summary" in g else {}
        names = [s.decode() if isinstance(s, bytes) else s for s in g["service"][()]]
    return data, attrs, summary, names


def datasets_equal(a, b):
    """True when two results files hold the same datasets with identical bytes (NaN == NaN)."""
    da, _, _, _ = read_run(a)
    db, _, _, _ = read_run(b)
    if da.keys() != db.keys():
        return False
    for k in da:
        x, y = np.asarray(da[k]), np.asarray(db[k])
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        if x.dtype.hasobject:  # variable-length strings (alone or in a table): values, not pointers; NaN == NaN
            if repr(x.tolist()) != repr(y.tolist()):
                return False
        elif x.tobytes() != y.tobytes():
            return False
    return True
