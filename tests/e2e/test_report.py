"""`rapture report` end to end: the page's figures are drawn from the file's data (the numbers
embedded beside each figure equal what h5py reads), every kind of report opens in a real
browser (Debian's chromium, headless, driven over the DevTools protocol on a pipe) from a
file:// URL with no console error, every figure present with a non-empty size and no network
request, and bad files get one line naming the file, never a traceback.

The report is made by `report()`: `rapture report` when the binary has the subcommand, else
`python3 analysis/report.py` (the script the subcommand runs); RAPTURE_REPORT=script forces the
script."""

import html.parser
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

from harness import DATA, RAPTURE, SOURCE_DIR, RaptureTest, run

SCRIPT = os.path.join(SOURCE_DIR, "analysis", "report.py")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
SHARED_HOST = os.path.join(DATA, "e2e", "shared_host.yaml")
PREMORTEM = os.path.join(DATA, "e2e", "premortem.yaml")
CELLS = os.path.join(DATA, "e2e", "cells.yaml")
RETRY_STORM = os.path.join(SOURCE_DIR, "scenarios", "metastable-retry-storm.yaml")
CACHE_FLUSH = os.path.join(SOURCE_DIR, "scenarios", "cache-flush-collapse.yaml")


def subcommand_available():
    if os.environ.get("RAPTURE_REPORT") == "script":
        return False
    try:
        top = subprocess.run([RAPTURE, "--help"], capture_output=True, text=True, timeout=60)
        sub = subprocess.run([RAPTURE, "report", "--help"], capture_output=True, text=True, timeout=60)
    except OSError:
        return False
    listed = any(line.split()[:1] == ["report"] for line in top.stdout.splitlines())
    return listed and sub.returncode == 0 and "--png" in sub.stdout


USE_SUBCOMMAND = subcommand_available()


def report(path, *args):
    """Makes the report of `path`; returns (exit code, stdout, stderr)."""
    if USE_SUBCOMMAND:
        command = [RAPTURE, "report", path, *args]
    else:
        command = [PYTHON, SCRIPT, path, *args]
    p = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


class FigureParser(html.parser.HTMLParser):
    """The figures of a page (id -> its JSON data), and every tag that could fetch something."""

    def __init__(self):
        super().__init__()
        self.figures = {}
        self.fetching = []
        self._figure = None
        self._in_data = False
        self._data = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and "figure" in (a.get("class") or ""):
            self._figure = a["id"]
        if tag == "script":
            if a.get("type") != "application/json" or "src" in a:
                self.fetching.append((tag, a))
            elif "figure-data" in (a.get("class") or ""):
                self._in_data, self._data = True, []
        if tag in ("link", "img", "iframe", "object", "embed", "audio", "video", "source", "image", "base"):
            self.fetching.append((tag, a))
        for k, v in a.items():
            if k in ("src", "href", "xlink:href", "action") and v and not v.startswith("#"):
                self.fetching.append((tag, a))
            if k == "style" and v and "url(" in v and "url(#" not in v:
                self.fetching.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "script" and self._in_data:
            self._in_data = False
            self.figures[self._figure] = json.loads("".join(self._data))
        if tag == "figure":
            self._figure = None

    def handle_data(self, data):
        if self._in_data:
            self._data.append(data)


def parse_page(path):
    with open(path, encoding="utf-8") as f:
        content = f.read()
    p = FigureParser()
    p.feed(content)
    return content, p


def nan_to_none(values):
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, dtype=float)]


FILES = {}
_TMP = None


def results(kind):
    """A small results file of each kind, made once for the whole module."""
    global _TMP
    if kind in FILES:
        return FILES[kind]
    if _TMP is None:
        _TMP = tempfile.TemporaryDirectory(prefix="rapture-report-")
    out = os.path.join(_TMP.name, kind + ".h5")
    commands = {
        "run": ["run", SHARED_HOST, "-q"],
        "policies": ["run", RETRY_STORM, "-q", "--set", "duration=120s"],
        "nofault": ["run", SHARED_HOST, "-q", "--set", "faults=[]"],
        "cache": ["run", CACHE_FLUSH, "-q", "--set", "duration=35s"],
        "amplify": ["amplify", SHARED_HOST, "--fault", "s-burst", "--param", "factor", "--from", "1", "--to", "6",
                    "--points", "3", "--rounds", "1", "--criterion", "error_rate:0.02", "-j", "2"],
        "map": ["amplify", SHARED_HOST, "--fault", "s-burst", "--param", "factor", "--from", "1", "--to", "5",
                "--points", "2", "--param2", "duration", "--from2", "5s", "--to2", "20s", "--points2", "2",
                "--criterion", "error_rate:0.02", "-j", "2"],
        "premortem": ["premortem", PREMORTEM, "-j", "2"],
        "compare": ["compare", CELLS, "--designs", "baseline,cells", "-r", "2", "-j", "2"],
    }
    if kind == "sweep":
        # A merged sweep: 2 rates x 2 worker counts x 2 replications of a 4 s run.
        files = {"shop.dot": "digraph shop {\n  frontend -> db;\n}\n",
                 "shop.yaml": "name: shop\ntopology: shop.dot\nduration: 4s\nseed: 3\nworkload:\n"
                              "  - request: browse\n    entry: frontend\n    arrivals: {kind: poisson, rate: 100/s}\n"
                              "services:\n  db: {workers: 4}\n",
                 "sweep.yaml": "scenario: shop.yaml\nfactors:\n  - path: workload[0].arrivals.rate\n"
                               "    values: [50/s, 150/s]\n  - path: services.db.workers\n    values: [1, 4]\n"
                               "replications: 2\nmetrics: [p99, error_rate]\n"}
        for name, content in files.items():
            with open(os.path.join(_TMP.name, name), "w") as f:
                f.write(content)
        for args in (["sweep", "sweep.yaml", "-o", "store", "-j", "2"], ["sweep", "merge", "store", "-o", out]):
            code, stdout, stderr = run(args, cwd=_TMP.name)
            if code != 0:
                raise AssertionError(f"rapture {' '.join(args)} failed:\n{stdout}\n{stderr}")
        FILES[kind] = out
        return out
    code, stdout, stderr = run(commands[kind] + ["-o", out])
    if code != 0:
        raise AssertionError(f"rapture {' '.join(commands[kind])} failed:\n{stdout}\n{stderr}")
    FILES[kind] = out
    return out


def tearDownModule():
    if _TMP is not None:
        _TMP.cleanup()


class ReportTest(RaptureTest):
    def make(self, kind, *extra):
        path = results(kind)
        page = self.path(kind + ".html")
        code, stdout, stderr = report(path, "-o", page, *extra)
        self.assertEqual(code, 0, stdout + stderr)
        self.assertNotIn("Traceback", stderr)
        return path, page

    def figures(self, kind, *extra):
        """Makes the report of a file of that kind; returns (file, page text, page figures by id)."""
        path, page = self.make(kind, *extra)
        content, parsed = parse_page(page)
        return path, content, parsed.figures


class FiguresFromTheFileTest(ReportTest):
    """The numbers beside each figure are the file's."""

    def test_a_run_report_plots_the_files_goodput_error_rate_and_health(self):
        path, page = self.make("run")
        content, parsed = parse_page(page)
        self.assertEqual(parsed.fetching, [], "the page references something outside itself")
        self.assertNotIn("http://", content)
        self.assertNotIn("https://", content)
        series = parsed.figures["run0-series"]
        health = parsed.figures["run0-health"]
        with h5py.File(path, "r") as f:
            r = f["runs/0"]
            width = float(r.attrs["bin_width"])
            types = [t.decode() for t in r["request_type"][()]]
            i = types.index("to-t")
            goodput = r["requests/successes"][:, i] / width
            ended = r["requests/successes"][:, i] + r["requests/failures"][:, i]
            with np.errstate(all="ignore"):
                error = np.where(ended > 0, r["requests/failures"][:, i] / np.maximum(ended, 1), np.nan)
            services = [s.decode() for s in r["service"][()]]
            row = r["analysis/service_health"][:, services.index("t")]
            time_axis = r["time"][()]
            warmup = float(r.attrs["warmup"])
        self.assertEqual(series["time"], time_axis.tolist())
        self.assertEqual(series["goodput"]["to-t"], goodput.tolist())
        self.assertEqual(series["error_rate"]["to-t"], nan_to_none(error))
        self.assertEqual(series["warmup"], warmup)
        # The fault's span, read from the scenario: s-burst, 40-60 s.
        self.assertEqual([(x["name"], x["start"], x["end"]) for x in series["faults"]], [("s-burst", 40.0, 60.0)])
        self.assertEqual(health["health"]["t"], row.tolist())
        self.assertTrue(any(health["health"]["t"]), "t turns unhealthy in this scenario: the row must show it")
        # The propagation graph (Graphviz, inline) names the emergent service.
        self.assertEqual(parsed.figures["run0-propagation"]["emergent"], ["t"])
        self.assertIn("hidden dependency exposed", content)

    def test_a_compare_report_plots_each_designs_interval_and_paired_difference(self):
        path, _, figures = self.figures("compare")
        means, diffs, overlay = figures["compare-means"], figures["compare-differences"], figures["compare-goodput"]
        with h5py.File(path, "r") as f:
            c = f["compare"]
            metrics = [m.decode() for m in c["metrics"][()]]
            m = metrics.index("users_failing")
            mean, half = c["mean"][:, m], c["half_width"][:, m]
            diff, diff_half = c["difference"][1:, m], c["difference_half_width"][1:, m]
            runs = c["runs"][()]
            per_run = [f["runs"][str(r)]["requests/successes"][()].sum(axis=1) / f["runs"][str(r)].attrs["bin_width"]
                       for r in runs[1]]
        self.assertEqual(means["designs"], ["baseline", "cells"])
        self.assertEqual(means["mean"]["users_failing"], nan_to_none(mean))
        self.assertEqual(means["half_width"]["users_failing"], nan_to_none(half))
        self.assertEqual(diffs["difference"]["users_failing"], nan_to_none(diff))
        self.assertEqual(diffs["difference_half_width"]["users_failing"], nan_to_none(diff_half))
        np.testing.assert_allclose(overlay["goodput_mean"]["cells"], np.mean(per_run, axis=0), rtol=1e-12)

    def test_amplify_premortem_and_map_reports_plot_their_records(self):
        path, _, figures = self.figures("amplify")
        search = figures["amplify-search"]
        with h5py.File(path, "r") as f:
            a = f["amplify"]
            self.assertEqual(search["value"], a["value"][()].tolist())
            self.assertEqual(search["measure"], a["measure"][()].tolist())
            self.assertEqual(search["threshold"], float(a.attrs["threshold"]))
            self.assertEqual(search["uncertainty"], float(a.attrs["uncertainty"]))
        self.assertEqual(search["criterion_level"], 0.02)
        path, _, figures = self.figures("premortem")
        ranking = figures["premortem-ranking"]
        with h5py.File(path, "r") as f:
            pm = f["premortem"]
            order = np.argsort(pm["rank"][()], kind="stable")
            self.assertEqual(ranking["service"], [pm["service"][i].decode() for i in order])
            self.assertEqual(ranking["blast_radius_requests"], pm["blast_radius_requests"][()][order].tolist())
        self.assertEqual(ranking["service"][0], "db")
        path, _, figures = self.figures("map")
        with h5py.File(path, "r") as f:
            self.assertEqual(figures["amplify-map"]["region"], f["amplify/region"][()].tolist())

    def test_a_sweep_report_plots_each_metrics_mean_and_interval_over_the_factors(self):
        path, content, figures = self.figures("sweep")
        sweep = figures["sweep-metrics"]
        with h5py.File(path, "r") as f:
            s = f["sweep"]
            self.assertEqual(sweep["axes"], ["rate", "workers"])
            for metric in ("p99", "error_rate"):
                self.assertEqual(sweep["metrics"][metric]["mean"], s[f"{metric}_mean"][()].tolist())
                self.assertEqual(sweep["metrics"][metric]["ci95"], s[f"{metric}_ci95"][()].tolist())
            runs = len(f["runs"])
        # 8 runs: the aggregate, and a few runs drawn (the page says which).
        self.assertIn(f"This file holds {runs} runs", content)
        self.assertEqual(len([k for k in figures if k.endswith("-series")]), 3)

    def test_a_run_with_policies_plots_retries_per_edge(self):
        path, _, figures = self.figures("policies")
        edges = figures["run0-edges"]
        with h5py.File(path, "r") as f:
            r = f["runs/0"]
            names = [e.decode() for e in r["edge"][()]]
            k = names.index(edges["edges"][0])
            retries = r["edges/retries"][:, k] / r.attrs["bin_width"]
        self.assertEqual(edges["retries_per_second"][names[k]], retries.tolist())

    def test_a_run_with_a_cache_plots_its_hit_ratio_as_the_file_holds_it(self):
        path, _, figures = self.figures("cache")
        caches = figures["run0-caches"]
        with h5py.File(path, "r") as f:
            r = f["runs/0"]
            names = [c.decode() for c in r["cache"][()]]
            hits, lookups = r["caches/hits"][:, 0], r["caches/lookups"][:, 0]
            with np.errstate(all="ignore"):
                ratio = np.where(lookups > 0, hits / np.maximum(lookups, 1), np.nan)
            time_axis = r["time"][()]
        self.assertEqual(caches["caches"], names)
        self.assertEqual(caches["time"], time_axis.tolist())
        self.assertEqual(caches["hit_ratio"][names[0]], nan_to_none(ratio))
        # The flush, shaded like the other timelines: an instant at 30 s.
        self.assertEqual([(x["name"], x["start"], x["end"]) for x in caches["faults"]], [("flush", 30.0, 30.0)])
        flush_bin = int(30 / float(caches["bin_width"]))
        self.assertGreater(caches["hit_ratio"][names[0]][flush_bin - 1], 0.7, "warm before the flush")
        # Emptied by it: the popular keys come back within the flush's bin, the tail does not.
        self.assertLess(caches["hit_ratio"][names[0]][flush_bin], 0.5, "emptied by it")

    def test_a_run_without_caches_draws_no_hit_ratio(self):
        _, _, figures = self.figures("run")
        self.assertNotIn("run0-caches", figures)

    def test_png_figures_are_written_on_request(self):
        pngs = self.path("png")
        self.make("run", "--png", pngs)
        written = sorted(os.listdir(pngs))
        self.assertEqual(written, ["run0-health.png", "run0-propagation.png", "run0-series.png"])
        for name in written:
            with open(os.path.join(pngs, name), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class BadFilesTest(ReportTest):
    def one_line_error(self, path):
        code, stdout, stderr = report(path, "-o", self.path("bad.html"))
        self.assertEqual(code, 1, stdout + stderr)
        self.assertNotIn("Traceback", stderr)
        lines = stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, stderr)
        self.assertIn(path, lines[0])
        self.assertFalse(os.path.exists(self.path("bad.html")))
        return lines[0]

    def test_a_file_that_is_not_rapture_s_is_one_line(self):
        text_file = self.path("notes.h5")
        with open(text_file, "w") as f:
            f.write("not HDF5 at all\n")
        self.assertIn("not an HDF5 file", self.one_line_error(text_file))
        other = self.path("other.h5")
        with h5py.File(other, "w") as f:
            f["x"] = np.arange(3)
        self.assertIn("not a rapture results file", self.one_line_error(other))
        self.assertIn("no such file", self.one_line_error(self.path("missing.h5")))
        empty = self.path("empty.h5")
        open(empty, "w").close()
        self.one_line_error(empty)

    def test_a_truncated_file_is_one_line(self):
        source = results("run")
        size = os.path.getsize(source)
        for keep in (size // 2, size - 4096, 2048):
            truncated = self.path(f"truncated-{keep}.h5")
            with open(source, "rb") as f, open(truncated, "wb") as g:
                g.write(f.read(keep))
            with self.subTest(keep=keep):
                self.one_line_error(truncated)

    def test_a_run_with_no_faults_says_what_is_missing(self):
        path = results("nofault")
        page = self.path("nofault.html")
        code, stdout, stderr = report(path, "-o", page)
        self.assertEqual(code, 0, stdout + stderr)
        self.assertNotIn("Traceback", stderr)
        self.assertIn("no fault", stderr)
        content, parsed = parse_page(page)
        self.assertIn("This run has no fault", content)
        self.assertIn("run0-series", parsed.figures)
        self.assertEqual(parsed.figures["run0-series"]["faults"], [])


# --------------------------------------------------------------------------------------------
# A real browser: chromium headless, driven over the DevTools protocol on a pipe (fd 3: its
# commands, fd 4: its replies and events; each message JSON followed by a NUL byte).


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class DevTools:
    def __init__(self, executable, profile):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def child_fds():
            a, b = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=child_fds)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next = 0
        self.events = []

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None, timeout=60):
        self._next += 1
        ident = self._next
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, session, timeout=60):
        deadline = time.monotonic() + timeout
        for e in self.events:
            if e.get("method") == method and e.get("sessionId") == session:
                return e
        while True:
            e = self._read_message(deadline)
            self.events.append(e)
            if e.get("method") == method and e.get("sessionId") == session:
                return e

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass


FIGURES_JS = """JSON.stringify({
  figures: Array.from(document.querySelectorAll('figure.figure')).map(f => {
    const svg = f.querySelector('svg');
    const r = (svg || f).getBoundingClientRect();
    return {id: f.id, svg: !!svg, width: r.width, height: r.height,
            drawn: svg ? svg.querySelectorAll('path, polygon, rect, text, use, polyline, ellipse').length : 0,
            data: !!f.querySelector('script.figure-data')};
  }),
  title: document.title,
  scripts: document.querySelectorAll('script:not([type="application/json"])').length,
  resources: performance.getEntriesByType('resource').map(e => e.name)
})"""


@unittest.skipIf(chromium_path() is None, "chromium is not installed (sh cmake/install-deps.sh --test installs it): "
                                          "the browser test did not run")
class BrowserTest(ReportTest):
    def open_in_browser(self, page):
        """Loads the page in headless chromium; returns (figures, requests, errors)."""
        url = "file://" + os.path.abspath(page)
        browser = DevTools(chromium_path(), self.path("profile"))
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Network", "Page", "Runtime", "Log"):
                browser.send(f"{domain}.enable", session=session)
            browser.events.clear()
            browser.send("Page.navigate", {"url": url}, session=session)
            browser.wait_for("Page.loadEventFired", session)
            browser.drain(1.0)
            result = browser.send("Runtime.evaluate", {"expression": FIGURES_JS, "returnByValue": True},
                                  session=session)
            state = json.loads(result["result"]["value"])
        finally:
            browser.close()
        requests = [e["params"]["request"]["url"] for e in browser.events
                    if e.get("method") == "Network.requestWillBeSent"]
        errors = []
        for e in browser.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                errors.append(params)
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                errors.append(params)
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                errors.append(params["entry"])
            elif method == "Network.loadingFailed":
                errors.append(params)
        return url, state, requests, errors

    def check_page(self, kind, expected):
        _, page = self.make(kind)
        _, parsed = parse_page(page)
        self.assertEqual(parsed.fetching, [], f"{kind}: the page references something outside itself")
        url, state, requests, errors = self.open_in_browser(page)
        self.assertEqual(errors, [], f"{kind}: console errors")
        # The only request is the page itself (its navigation): nothing is fetched.
        self.assertEqual(requests, [url], f"{kind}: network requests")
        self.assertEqual(state["resources"], [])
        self.assertEqual(state["scripts"], 0)
        ids = [f["id"] for f in state["figures"]]
        self.assertEqual(sorted(ids), sorted(parsed.figures), "every figure of the page is in the browser's DOM")
        for name in expected:
            self.assertIn(name, ids, f"{kind}: missing figure")
        for f in state["figures"]:
            self.assertTrue(f["svg"] and f["data"], f)
            self.assertGreater(f["width"], 50, f)
            self.assertGreater(f["height"], 50, f)
            self.assertGreater(f["drawn"], 10, f)
        return state

    def test_a_run_report_opens_in_a_browser(self):
        self.check_page("run", ["run0-series", "run0-health", "run0-propagation"])

    def test_an_amplify_report_opens_in_a_browser(self):
        self.check_page("amplify", ["amplify-search"])

    def test_a_premortem_report_opens_in_a_browser(self):
        self.check_page("premortem", ["premortem-ranking"])

    def test_a_compare_report_opens_in_a_browser(self):
        self.check_page("compare", ["compare-means", "compare-differences", "compare-goodput"])

    def test_a_run_with_policies_opens_in_a_browser(self):
        self.check_page("policies", ["run0-edges"])


if __name__ == "__main__":
    unittest.main()
