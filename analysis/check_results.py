#!/usr/bin/python3
"""Check a rapture results file against its documented layout (docs/results-format.md).

This is the independent reader used by the end-to-end tests: it shares no code with the C++
writer and needs only h5py and numpy (Debian: python3-h5py). Usage:

    check_results.py FILE [--run I] [--json] [--require-finished]

It prints a short summary (or, with --json, the per-run totals and summary as JSON, NaN as
null) and exits 0; on any violation it prints one line per problem to stderr and exits 1.
Import it to use check_file() / read_run() from other scripts. The layout it checks against,
and the checks of single attributes, datasets and tables, are in check_layout.py beside it.
"""

import argparse
import json
import math
import warnings
import sys

import h5py
import numpy as np

sys.dont_write_bytecode = True  # run from the source tree by the tests: leave no __pycache__ there
from check_layout import (
    FORMAT, FORMAT_VERSION, ERROR_CAUSES, RUN_ATTRS, FINISH_ATTRS, SUMMARY_ATTRS, U64, U8, F64,
    SERVICE_SERIES, REQUEST_SERIES, EDGE_COUNTS, EDGE_SERIES, CIRCUIT_EVENTS, CIRCUIT_STATES, SERVICE_TOTALS,
    REQUEST_TOTALS, HEALTH_STATES, CAUSES, MECHANISMS, SYMPTOMS, CATEGORIES, SIGNALS, ANALYSIS_ATTRS,
    VERDICTS, SUSTAINING_EFFECTS, PROPAGATION_COLUMNS, JOURNAL_COLUMNS, PROBE_COLUMNS, HEALTH, Problems, read_attrs, require_dataset,
    read_strings, require_scale, check_dims, check_nan_pattern, json_number, close_enough, read_table, as_text)

# The counters of a stateful cache's time series (docs/results-format.md, `caches/`).
CACHE_COUNTS = ("lookups", "hits", "fills")


def _circuit_events(group, n_e, end, where, problems):
    """Checks the breaker event table events/circuit; returns (events per edge, total) or None."""
    where = f"{where}: events/circuit"
    circuit = group.get("events/circuit")
    if not isinstance(circuit, h5py.Group):
        problems.add(where, "group missing")
        return None
    columns = {}
    for name, dtype in CIRCUIT_EVENTS.items():
        dset = require_dataset(circuit, name, where, problems)
        if dset is None:
            continue
        if dset.dtype != dtype or dset.ndim != 1:
            problems.add(where, f"'{name}' is {dset.dtype} {dset.shape}, expected 1-D {dtype}")
            continue
        if dset.maxshape != (None,) or dset.chunks is None:
            problems.add(where, f"'{name}' is not chunked and extendible")
        columns[name] = dset
    if len(columns) != len(CIRCUIT_EVENTS):
        return None
    if len({dset.shape for dset in columns.values()}) != 1:
        problems.add(where, "columns differ in length: " +
                     ", ".join(f"{name} {dset.shape[0]}" for name, dset in columns.items()))
        return None
    time = columns["time"]
    if not h5py.h5ds.is_scale(time.id):
        problems.add(where, "'time' is not a dimension scale")
    for name in ("edge", "replica", "from", "to"):
        check_dims(columns[name], [time], where, problems)
    for name in ("from", "to"):
        attrs = columns[name].attrs
        values = attrs.get("flag_values")
        meanings = attrs.get("flag_meanings")
        if isinstance(meanings, bytes):
            meanings = meanings.decode()
        if values is None or np.asarray(values).dtype != U8 or list(np.asarray(values)) != [0, 1, 2] or \
                meanings != " ".join(CIRCUIT_STATES):
            problems.add(where, f"'{name}' lacks flag_values [0, 1, 2] (uint8) and flag_meanings "
                                f"'{' '.join(CIRCUIT_STATES)}'")
    t, edge, src, dst = (columns[n][()] for n in ("time", "edge", "from", "to"))
    if np.any(~np.isfinite(t)) or np.any(t < 0) or (end == end and np.any(t > end)):
        problems.add(where, f"event times are not within [0, {end}] (the end of the run)")
    if np.any(np.diff(t) < 0):
        problems.add(where, "events are not in time order")
    if np.any(edge >= n_e):
        problems.add(where, f"an event names an edge index >= the run's {n_e} edges")
    if np.any(src >= len(CIRCUIT_STATES)) or np.any(dst >= len(CIRCUIT_STATES)):
        problems.add(where, "a breaker state is not 0 (closed), 1 (open) or 2 (half_open)")
    if np.any(src == dst):
        problems.add(where, "an event does not change the breaker's state (from == to)")
    per_edge = np.bincount(edge[edge < n_e].astype(np.int64), minlength=n_e) if n_e else np.zeros(0, np.int64)
    return per_edge, len(t)


def _analysis(run, attrs, services, request_types, time, service, request_type, end, where, problems):
    """Checks the run's analysis group (the cascade analysis); returns its --json report."""
    where = f"{where}: analysis"
    group = run["analysis"]
    if not isinstance(group, h5py.Group):
        problems.add(where, "is not a group")
        return None
    values = read_attrs(group, ANALYSIS_ATTRS, where, problems)
    for name, allowed in (("has_baseline", (0, 1)), ("recovered", (0, 1)), ("metastable", (-1, 0, 1))):
        if name in values and values[name] not in allowed:
            problems.add(where, f"{name} is {values[name]}, expected one of {list(allowed)}")
    for name in ("blast_radius_requests", "blast_radius_types", "peak_unhealthy_share"):
        v = values.get(name, 0.0)
        if not (v >= 0 and v <= 1 or math.isnan(v)):
            problems.add(where, f"{name} {v} is not within [0, 1]")
    if "bin_width" in values and "bin_width" in attrs and not close_enough(values["bin_width"], attrs["bin_width"]):
        problems.add(where, f"bin_width {values['bin_width']} differs from the run's {attrs['bin_width']}")
    start, stop = values.get("trigger_start", math.nan), values.get("trigger_end", math.nan)
    if start > stop:
        problems.add(where, f"trigger_start {start} is after trigger_end {stop}")

    n_t = len(time)
    for name, axis, width in (("service_health", service, len(services)),
                              ("request_health", request_type, len(request_types))):
        dset = require_dataset(group, name, where, problems)
        if dset is None:
            continue
        if dset.dtype != HEALTH or dset.shape != (n_t, width):
            problems.add(where, f"'{name}' is {dset.dtype} {dset.shape}, expected int8 {(n_t, width)}")
            continue
        if dset.maxshape[0] is not None or dset.chunks is None:
            problems.add(where, f"'{name}' is not chunked with an unlimited time axis")
        check_dims(dset, [time, axis], where, problems)
        if dset.size and not np.isin(dset[()], (0, 1, 2)).all():
            problems.add(where, f"'{name}' holds values other than 0 (healthy), 1 (degraded), 2 (failed)")

    names = set(services)
    propagation = read_table(group, "propagation", PROPAGATION_COLUMNS, where, problems) or []
    for row in propagation:
        at = f"propagation of '{row['service']}'"
        if row["service"] not in names:
            problems.add(where, f"{at}: not a service of the run")
        if row["parent"] and row["parent"] not in names:
            problems.add(where, f"{at}: parent '{row['parent']}' is not a service of the run")
        if not (0 <= row["onset"] <= end):
            problems.add(where, f"{at}: onset {row['onset']} is not within [0, {end}]")
        for column, allowed in (("worst", HEALTH_STATES[1:]), ("symptom", SYMPTOMS), ("cause", CAUSES),
                                ("mechanism", MECHANISMS)):
            if row[column] not in allowed:
                problems.add(where, f"{at}: {column} '{row[column]}' is not one of {list(allowed)}")
        if (row["cause"] == "emergent") == (row["mechanism"] == "none"):
            problems.add(where, f"{at}: mechanism '{row['mechanism']}' with cause '{row['cause']}' "
                                "(only emergent failures have one)")
    if any(a["onset"] > b["onset"] for a, b in zip(propagation, propagation[1:])):
        problems.add(where, "propagation is not in onset order")
    emergent = sum(row["cause"] == "emergent" for row in propagation)
    if "emergent" in values and values["emergent"] != emergent:
        problems.add(where, f"emergent is {values['emergent']}, the propagation table has {emergent} emergent rows")

    _verdict(group, values, names, where, problems)

    journal = read_table(group, "journal", JOURNAL_COLUMNS, where, problems) or []
    times = [row["time"] for row in journal]
    if any(not (0 <= t <= end) for t in times):
        problems.add(where, f"journal times are not within [0, {end}]")
    if any(a > b for a, b in zip(times, times[1:])):
        problems.add(where, "journal is not in time order")
    for row in journal:
        if row["category"] not in CATEGORIES:
            problems.add(where, f"journal category '{row['category']}' is not one of {list(CATEGORIES)}")
        if row["signal"] not in SIGNALS:
            problems.add(where, f"journal signal '{row['signal']}' is not one of {list(SIGNALS)}")
    # The journal follows the verdict: drains are journalled only when recovering, loops only when sustained.
    for category, kind in (("slow_drain", "recovering"), ("metastable_loop", "sustained")):
        if "verdict" in values and values["verdict"] != kind and any(row["category"] == category for row in journal):
            problems.add(where, f"journal has '{category}' entries but the verdict is '{values['verdict']}'")

    _service_names(group, "touched", names, where, problems)
    dot = require_dataset(group, "propagation_dot", where, problems)
    if dot is not None and (dot.shape != () or h5py.check_string_dtype(dot.dtype) is None):
        problems.add(where, "'propagation_dot' is not a scalar string")

    report = {k: (json_number(v) if isinstance(v, float) else v) for k, v in values.items()}
    report["propagation"] = [{k: (json_number(v) if isinstance(v, float) else v) for k, v in row.items()}
                             for row in propagation]
    report["journal_entries"] = len(journal)
    report["categories"] = {c: sum(row["category"] == c for row in journal) for c in CATEGORIES}
    hypothesis = group.get("hypothesis")
    if hypothesis is not None:
        report["hypothesis"] = _hypothesis(hypothesis, f"{where}/hypothesis", problems)
    return report


def _service_names(group, name, names, where, problems):
    """Checks that dataset `name` of the group is a 1-D list of the run's services."""
    dset = require_dataset(group, name, where, problems)
    if dset is None:
        return
    if dset.ndim != 1 or h5py.check_string_dtype(dset.dtype) is None:
        problems.add(where, f"'{name}' is not a 1-D string dataset")
    elif any(service not in names for service in read_strings(dset)):
        problems.add(where, f"'{name}' names a service the run does not have")


def _verdict(group, values, names, where, problems):
    """Checks the verdict after the trigger against itself, the metastable flag and the trigger."""
    kind, effect = values.get("verdict"), values.get("sustained_by")
    if kind is not None and kind not in VERDICTS:
        problems.add(where, f"verdict '{kind}' is not one of {list(VERDICTS)}")
        return
    if effect is not None and effect not in SUSTAINING_EFFECTS:
        problems.add(where, f"sustained_by '{effect}' is not one of {list(SUSTAINING_EFFECTS)}")
    if kind is None:
        return
    if "metastable" in values and values["metastable"] != VERDICTS[kind]:
        problems.add(where, f"metastable is {values['metastable']} but the verdict is '{kind}'")
    if effect is not None and (effect != "none") != (kind == "sustained"):
        problems.add(where, f"sustained_by '{effect}' with verdict '{kind}' (only a sustained verdict has one)")
    if (kind == "none") != math.isnan(values.get("trigger_start", math.nan)):
        problems.add(where, f"verdict '{kind}' with trigger_start {values.get('trigger_start')}")
    eta = values.get("drain_eta", math.nan)
    if kind == "recovering":
        if not (eta >= 0 and math.isfinite(eta)):
            problems.add(where, f"a recovering verdict has drain_eta {eta}, expected a finite value >= 0")
        if not values.get("backlog_slope", math.nan) < 0:
            problems.add(where, f"a recovering verdict has backlog_slope {values.get('backlog_slope')}, expected < 0")
    elif not math.isnan(eta):
        problems.add(where, f"drain_eta {eta} with verdict '{kind}' (only a recovering verdict has one)")
    load = values.get("offered_load", math.nan)
    if not (math.isnan(load) or load >= 0):
        problems.add(where, f"offered_load {load} is negative")
    _service_names(group, "saturated", names, where, problems)


def _hypothesis(group, where, problems):
    """Checks the steady-state hypothesis group; returns its --json report."""
    if not isinstance(group, h5py.Group):
        problems.add(where, "is not a group")
        return None
    values = read_attrs(group, {"title": "str", "met": "i"}, where, problems)
    probes = read_table(group, "probes", PROBE_COLUMNS, where, problems)
    if probes is None:
        return values
    if any(p["met"] not in (0, 1) for p in probes):
        problems.add(where, "a probe's met is not 0 or 1")
    if "met" in values and values["met"] != int(all(p["met"] == 1 for p in probes)):
        problems.add(where, f"met is {values['met']} but the probes say otherwise")
    values["probes"] = [{k: (json_number(v) if isinstance(v, float) else v) for k, v in p.items()} for p in probes]
    return values


def read_run(group, problems, require_finished=False):
    """Checks one /runs/<i> group and returns its report (the --json content of the run)."""
    where = f"run {group.name.rsplit('/', 1)[-1]}"
    report = {"index": int(group.name.rsplit("/", 1)[-1]), "finished": False}
    attrs = read_attrs(group, RUN_ATTRS, where, problems)
    report["attributes"] = attrs

    service = require_scale(group, "service", where, problems)
    request_type = require_scale(group, "request_type", where, problems)
    error_cause = require_scale(group, "error_cause", where, problems)
    time = require_scale(group, "time", where, problems)
    edges = require_scale(group, "latency_bucket_edges", where, problems)
    bucket = require_scale(group, "latency_bucket", where, problems)
    if None in (service, request_type, error_cause, time, edges, bucket):
        return report

    services, request_types = read_strings(service), read_strings(request_type)
    report["services"], report["request_types"] = services, request_types
    # Call edges with tolerance policies: always present, empty when the run has none.
    edge_scale = require_scale(group, "edge", where, problems)
    edge_names = read_strings(edge_scale) if edge_scale is not None else []
    report["edges"] = edge_names
    n_e = len(edge_names)
    if len(set(services)) != len(services):
        problems.add(where, "service names are not unique")
    if len(set(request_types)) != len(request_types):
        problems.add(where, "request type names are not unique")
    if tuple(read_strings(error_cause)) != ERROR_CAUSES:
        problems.add(where, f"error_cause is {read_strings(error_cause)}, expected {list(ERROR_CAUSES)}")
    n_s, n_r, n_c = len(services), len(request_types), len(ERROR_CAUSES)

    # Time: extendible float64, bin starts at bin_width spacing from 0.
    if time.dtype != F64 or time.maxshape != (None,):
        problems.add(where, "time is not an extendible float64 dataset")
    t = time[()]
    n_t = len(t)
    report["bins"] = n_t
    bin_width = attrs.get("bin_width", float("nan"))
    if not bin_width > 0:
        problems.add(where, f"bin_width {bin_width} is not positive")
    elif n_t:
        if np.any(np.diff(t) <= 0):
            problems.add(where, "time is not strictly increasing")
        expected = np.arange(n_t) * bin_width
        if not np.allclose(t, expected, rtol=1e-9, atol=1e-9 * bin_width):
            problems.add(where, "time is not at bin_width spacing from 0")

    e = edges[()]
    if edges.dtype != F64 or bucket.dtype != F64:
        problems.add(where, "latency bucket edges are not float64")
    if len(e) > 1 and np.any(np.diff(e) <= 0):
        problems.add(where, "latency_bucket_edges are not strictly increasing")
    n_b = max(len(e) - 1, 0)
    if bucket.shape != (n_b,) or (n_b and not np.array_equal(bucket[()], e[:-1])):
        problems.add(where, "latency_bucket is not the lower edges of latency_bucket_edges")

    # Time series.
    series = {}
    scales = {"error_cause": error_cause}
    for group_name, spec, axis_scale, width in (
            ("services", {k: v for k, v in SERVICE_SERIES.items()}, service, n_s),
            ("requests", {k: (v, None) for k, v in REQUEST_SERIES.items()}, request_type, n_r),
            ("edges", {k: (v, None) for k, v in EDGE_SERIES.items()}, edge_scale, n_e)):
        sub = group.get(group_name)
        if not isinstance(sub, h5py.Group):
            problems.add(where, f"group '{group_name}' missing")
            continue
        for name, (dtype, extra) in spec.items():
            dset = require_dataset(sub, name, f"{where}: {group_name}", problems)
            if dset is None:
                continue
            shape = (n_t, width) + ((n_c,) if extra else ())
            if dset.dtype != dtype:
                problems.add(where, f"'{dset.name}' has dtype {dset.dtype}, expected {dtype}")
            if dset.shape != shape:
                problems.add(where, f"'{dset.name}' has shape {dset.shape}, expected {shape}")
                continue
            if dset.maxshape[0] is not None or dset.chunks is None:
                problems.add(where, f"'{dset.name}' is not chunked with an unlimited time axis")
            check_dims(dset, [time, axis_scale] + ([scales[extra]] if extra else []), where, problems)
            series[(group_name, name)] = dset[()]

    s = lambda name: series.get(("services", name))  # noqa: E731
    r = lambda name: series.get(("requests", name))  # noqa: E731
    if all(x is not None for x in (s("arrivals"), s("completions"), s("errors"))):
        arrivals = s("arrivals").astype(np.int64)
        ended = s("completions").astype(np.int64) + s("errors").astype(np.int64).sum(axis=2)
        # A visit ends no earlier than it arrives, so the running balance never goes negative.
        if n_t and np.any(np.cumsum(arrivals - ended, axis=0) < 0):
            problems.add(where, "a service has more completions + errors than arrivals so far")
        for name in ("queue_mean", "busy_mean"):
            v = s(name)
            if v is not None and (np.any(~np.isfinite(v)) or np.any(v < 0)):
                problems.add(where, f"services/{name} has negative or non-finite values")
        for name in ("latency_mean", "latency_p50", "latency_p95", "latency_p99"):
            if s(name) is not None:
                check_nan_pattern(s(name), s("completions"), where, f"services/{name}", "completions", problems)
        report["series_totals"] = {"services": [
            {"name": services[i], "arrivals": int(s("arrivals")[:, i].sum()),
             "completions": int(s("completions")[:, i].sum()),
             "errors": {c: int(s("errors")[:, i, k].sum()) for k, c in enumerate(ERROR_CAUSES)}}
            for i in range(n_s)]}
    if r("successes") is not None:
        for name in ("latency_mean", "latency_p50", "latency_p99"):
            if r(name) is not None:
                check_nan_pattern(r(name), r("successes"), where, f"requests/{name}", "successes", problems)
        if r("arrivals") is not None and r("failures") is not None:
            report.setdefault("series_totals", {})["requests"] = [
                {"name": request_types[i], "arrivals": int(r("arrivals")[:, i].sum()),
                 "successes": int(r("successes")[:, i].sum()),
                 "failures": int(r("failures")[:, i].sum())} for i in range(n_r)]

    ed = lambda name: series.get(("edges", name))  # noqa: E731
    if all(ed(name) is not None for name in EDGE_SERIES):
        # Retries are tries, and a try times out after it was sent: never more of either than
        # attempts so far (a timeout may fall in a later bin than its try, hence the running sums).
        attempts = np.cumsum(ed("attempts"), axis=0, dtype=np.uint64)
        for name in ("retries", "timeouts"):
            for i in np.nonzero(np.any(np.cumsum(ed(name), axis=0, dtype=np.uint64) > attempts, axis=0))[0]:
                problems.add(where, f"edge {i} '{edge_names[i]}': more {name} than attempts so far")
        # A call is counted when it starts and, refused, when it ends: never more refused than
        # started so far.
        calls = np.cumsum(ed("calls"), axis=0, dtype=np.uint64)
        for i in np.nonzero(np.any(np.cumsum(ed("calls_refused"), axis=0, dtype=np.uint64) > calls, axis=0))[0]:
            problems.add(where, f"edge {i} '{edge_names[i]}': more calls_refused than calls so far")
        of = ed("open_fraction")
        if np.any(~np.isfinite(of)) or np.any(of < 0) or np.any(of > 1):
            problems.add(where, "edges/open_fraction is not within [0, 1]")
        report.setdefault("series_totals", {})["edges"] = [
            {"name": edge_names[i], **{name: int(ed(name)[:, i].sum()) for name in EDGE_COUNTS},
             "open_fraction_mean": json_number(of[:, i].mean()) if n_t else None}
            for i in range(n_e)]
    # Stateful look-aside caches: the `cache` axis and `caches/` exist only in runs with caches.
    if "caches" in group or "cache" in group:
        cache_scale = require_scale(group, "cache", where, problems)
        sub = group.get("caches")
        if not isinstance(sub, h5py.Group):
            problems.add(where, "group 'caches' missing beside the 'cache' axis")
        elif cache_scale is not None:
            cache_names = read_strings(cache_scale)
            report["caches"] = cache_names
            counts = {}
            for name in CACHE_COUNTS:
                dset = require_dataset(sub, name, f"{where}: caches", problems)
                if dset is None:
                    continue
                if dset.dtype != U64:
                    problems.add(where, f"'{dset.name}' has dtype {dset.dtype}, expected {U64}")
                if dset.shape != (n_t, len(cache_names)):
                    problems.add(where, f"'{dset.name}' has shape {dset.shape}, expected {(n_t, len(cache_names))}")
                    continue
                check_dims(dset, [time, cache_scale], where, problems)
                counts[name] = dset[()]
            if len(counts) == len(CACHE_COUNTS):
                for i in np.nonzero(np.any(counts["hits"] > counts["lookups"], axis=0))[0]:
                    problems.add(where, f"cache {i} '{cache_names[i]}': more hits than lookups in a bin")
                report.setdefault("series_totals", {})["caches"] = [
                    {"name": cache_names[i], **{name: int(counts[name][:, i].sum()) for name in CACHE_COUNTS}}
                    for i in range(len(cache_names))]
    # Events are reported at bin ends: none after the run's duration, nor after the end of the bin
    # following the last one written (synthetic files may have more bins than the duration).
    end = max(attrs.get("duration", float("nan")), (n_t + 1) * bin_width) if bin_width > 0 else float("nan")
    events = _circuit_events(group, n_e, end, where, problems)
    if events is not None:
        per_edge, report["circuit_events"] = events
        for row, count in zip(report.get("series_totals", {}).get("edges", []), per_edge):
            row["circuit_events"] = int(count)
    if "analysis" in group:
        report["analysis"] = _analysis(group, attrs, services, request_types, time, service, request_type,
                                       end, where, problems)

    if "summary" not in group:
        report["attributes"] = {k: (json_number(v) if isinstance(v, float) else v) for k, v in attrs.items()}
        report["totals"] = report["summary"] = None
        if require_finished:
            problems.add(where, "the run was not finished (no summary)")
        return report
    report["finished"] = True
    attrs.update(read_attrs(group, FINISH_ATTRS, where, problems))
    report["attributes"] = {k: (json_number(v) if isinstance(v, float) else v) for k, v in attrs.items()}
    if attrs.get("stopped_early") not in (0, 1, None):
        problems.add(where, "stopped_early is not 0 or 1")

    totals = {"services": [], "requests": []}
    report["totals"] = totals
    tot = {}
    for group_name, spec, axis_scale, width in (("totals/services", SERVICE_TOTALS, service, n_s),
                                                ("totals/requests", REQUEST_TOTALS, request_type, n_r)):
        for name, dtype in spec.items():
            dset = require_dataset(group, f"{group_name}/{name}", where, problems)
            if dset is None:
                continue
            if dset.dtype != dtype or dset.shape != (width,):
                problems.add(where, f"'{dset.name}' is {dset.dtype} {dset.shape}, expected {dtype} ({width},)")
                continue
            check_dims(dset, [axis_scale], where, problems)
            tot[(group_name, name)] = dset[()]
    errors = require_dataset(group, "totals/services/errors", where, problems)
    if errors is not None:
        if errors.dtype != U64 or errors.shape != (n_s, n_c):
            problems.add(where, f"'{errors.name}' is {errors.dtype} {errors.shape}, expected uint64 ({n_s}, {n_c})")
        else:
            check_dims(errors, [service, error_cause], where, problems)
            tot[("totals/services", "errors")] = errors[()]
    visits = require_dataset(group, "totals/requests/visits_per_request", where, problems)
    if visits is not None:
        if visits.dtype != F64 or visits.shape != (n_r, n_s):
            problems.add(where, f"'{visits.name}' is {visits.dtype} {visits.shape}, expected float64 ({n_r}, {n_s})")
        else:
            check_dims(visits, [request_type, service], where, problems)
            tot[("totals/requests", "visits_per_request")] = visits[()]
    hist = require_dataset(group, "totals/requests/latency_histogram", where, problems)
    if hist is not None:
        if hist.dtype != U64 or hist.shape != (n_r, n_b):
            problems.add(where, f"'{hist.name}' is {hist.dtype} {hist.shape}, expected uint64 ({n_r}, {n_b})")
        else:
            check_dims(hist, [request_type, bucket], where, problems)
            tot[("totals/requests", "latency_histogram")] = hist[()]

    ts = lambda name: tot.get(("totals/services", name))  # noqa: E731
    tr = lambda name: tot.get(("totals/requests", name))  # noqa: E731
    if all(ts(n) is not None for n in ("arrivals", "completions", "in_flight_end", "errors")):
        arrivals = ts("arrivals").astype(object)  # Python ints: no overflow in the sums
        ended = ts("completions").astype(object) + ts("errors").astype(object).sum(axis=1)
        in_flight = ts("in_flight_end").astype(object)
        for i in np.nonzero(arrivals != ended + in_flight)[0]:
            problems.add(where, f"service '{services[i]}': totals break conservation: arrivals "
                                f"{arrivals[i]} != completions + errors {ended[i]} + in_flight_end {in_flight[i]}")
        if s("arrivals") is not None and s("completions") is not None and s("errors") is not None:
            sa = s("arrivals").astype(object).sum(axis=0)
            sc = s("completions").astype(object).sum(axis=0)
            se = s("errors").astype(object).sum(axis=0)
            for i in range(n_s):
                if sa[i] != sc[i] + se[i].sum() + in_flight[i]:
                    problems.add(where, f"service '{services[i]}': time series break conservation: arrivals "
                                        f"{sa[i]} != completions + errors {sc[i] + se[i].sum()} + "
                                        f"in_flight_end {in_flight[i]}")
                if sa[i] != arrivals[i] or sc[i] != ts("completions")[i] or \
                        list(se[i]) != [int(x) for x in ts("errors")[i]]:
                    problems.add(where, f"service '{services[i]}': summed time series differ from totals")
        for i in range(n_s):
            row = {"name": services[i]}
            for name in SERVICE_TOTALS:
                if ts(name) is not None:
                    v = ts(name)[i]
                    row[name] = int(v) if SERVICE_TOTALS[name] == U64 else json_number(v)
            row["errors"] = {c: int(ts("errors")[i, k]) for k, c in enumerate(ERROR_CAUSES)}
            totals["services"].append(row)
    for name in ("busy_mean", "queue_mean", "arrival_rate", "wasted_cpu"):
        v = ts(name)
        if v is not None and (np.any(~np.isfinite(v)) or np.any(v < 0)):
            problems.add(where, f"totals/services/{name} has negative or non-finite values")

    if tr("successes") is not None:
        for name in ("latency_mean", "p50", "p95", "p99", "p999"):
            if tr(name) is not None:
                check_nan_pattern(tr(name), tr("successes"), where, f"totals/requests/{name}", "successes", problems)
        h = tr("latency_histogram")
        if h is not None and n_b and np.any(h.astype(object).sum(axis=1) > tr("successes").astype(object)):
            problems.add(where, "a latency histogram counts more than the successes")
        if tr("degraded") is not None and np.any(tr("degraded") > tr("successes")):
            problems.add(where, "totals/requests/degraded exceeds successes")
        vpr = tr("visits_per_request")
        if vpr is not None and tr("failures") is not None:
            # NaN exactly for a request type of which no request ended (one NaN row).
            ended = tr("successes").astype(object) + tr("failures").astype(object)
            missing, none = np.isnan(vpr), (ended == 0).astype(bool)[:, None]
            if np.any(missing & ~none) or np.any(~missing & none):
                problems.add(where, "totals/requests/visits_per_request is not NaN exactly for request types "
                                    "with no request ended")
            defined = vpr[~missing]
            if np.any(~np.isfinite(defined)) or np.any(defined < 0):
                problems.add(where, "totals/requests/visits_per_request has infinite or negative values")
        for i in range(n_r):
            row = {"name": request_types[i]}
            for name in REQUEST_TOTALS:
                if tr(name) is not None:
                    v = tr(name)[i]
                    row[name] = int(v) if REQUEST_TOTALS[name] == U64 else json_number(v)
            if h is not None:
                row["latency_histogram"] = [int(x) for x in h[i]]
            if vpr is not None:
                row["visits_per_request"] = {services[k]: json_number(vpr[i, k]) for k in range(n_s)}
            totals["requests"].append(row)

    summary_group = group["summary"]
    summary = read_attrs(summary_group, SUMMARY_ATTRS, f"{where}: summary", problems)
    report["summary"] = {k: (json_number(v) if isinstance(v, float) else v) for k, v in summary.items()}
    if len(summary) == len(SUMMARY_ATTRS):
        requests, successes, failures = summary["requests"], summary["successes"], summary["failures"]
        if requests != successes + failures:
            problems.add(where, f"summary: requests {requests} != successes {successes} + failures {failures}")
        if tr("successes") is not None and successes != int(tr("successes").astype(object).sum()):
            problems.add(where, "summary: successes differ from the sum over request types")
        if tr("failures") is not None and failures != int(tr("failures").astype(object).sum()):
            problems.add(where, "summary: failures differ from the sum over request types")
        if summary["degraded"] > successes:
            problems.add(where, f"summary: degraded {summary['degraded']} > successes {successes}")
        if tr("degraded") is not None and summary["degraded"] != int(tr("degraded").astype(object).sum()):
            problems.add(where, "summary: degraded differs from the sum over request types")
        if not (math.isfinite(summary["wasted_cpu"]) and summary["wasted_cpu"] >= 0):
            problems.add(where, f"summary: wasted_cpu {summary['wasted_cpu']} is negative or not finite")
        measured = summary["measured_seconds"]
        if measured > 0:
            if not close_enough(summary["throughput"], requests / measured):
                problems.add(where, "summary: throughput != requests / measured_seconds")
            if not close_enough(summary["goodput"], successes / measured):
                problems.add(where, "summary: goodput != successes / measured_seconds")
        if requests > 0 and not close_enough(summary["error_rate"], failures / requests):
            problems.add(where, "summary: error_rate != failures / requests")
        if summary["users_failing"] > summary["users"]:
            problems.add(where, f"summary: users_failing {summary['users_failing']} > users {summary['users']}")
        for name in ("latency_mean", "p50", "p95", "p99", "p999"):
            v = summary[name]
            if math.isnan(v) != (successes == 0) or (not math.isnan(v) and (v < 0 or math.isinf(v))):
                problems.add(where, f"summary: {name} is {v} with {successes} successes")
    return report


def check_file(path, run=None, require_finished=False):
    """Checks the file (or only run `run`); returns (report, list of problem strings)."""
    problems = Problems()
    report = {"file": str(path), "runs": []}
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as error:
        problems.add("", f"cannot open: {error}")
        return report, problems.items
    with f:
        root = read_attrs(f, {"format": "str", "format_version": "i", "rapture_version": "str"}, "root", problems)
        report.update(root)
        if root.get("format") not in (None, FORMAT):
            problems.add("root", f"format is '{root.get('format')}', expected '{FORMAT}'")
        if root.get("format_version") not in (None, FORMAT_VERSION):
            problems.add("root", f"format_version {root.get('format_version')} is not {FORMAT_VERSION}")
        runs = f.get("runs")
        if not isinstance(runs, h5py.Group):
            problems.add("", "group /runs missing")
            return report, problems.items
        names = list(runs.keys())
        for name in names:
            if not name.isdigit() or str(int(name)) != name:
                problems.add("", f"/runs/{name} is not named by a run index")
        indices = sorted(int(n) for n in names if n.isdigit() and str(int(n)) == n)
        if run is not None:
            if run not in indices:
                problems.add("", f"no run {run} in the file (runs: {indices})")
                return report, problems.items
            indices = [run]
        for index in indices:
            group = runs[str(index)]
            if not isinstance(group, h5py.Group):
                problems.add(f"run {index}", "is not a group")
                continue
            report["runs"].append(read_run(group, problems, require_finished))
        if "compare" in f:
            _compare(f["compare"], indices, problems)
        if "amplify" in f:
            _amplify(f["amplify"], runs, problems)
    return report, problems.items


AMPLIFY_RUN_DATASETS = ("value", "cascade", "measure", "peak_unhealthy_share", "emergent", "metastable")
FIT_METHODS = ("fieller", "separated", "none")


def _amplify(group, runs, problems):
    """/amplify: one entry per run in /runs, by increasing magnitude; with replications, each
    magnitude on the same seeds (those of its runs) and a tipping point inside its interval."""
    where = "/amplify"
    mode = as_text(group.attrs.get("mode"))
    per_run = AMPLIFY_RUN_DATASETS + (("value2", "region") if mode == "map" else ())
    missing = [n for n in per_run if n not in group]
    if missing:
        problems.add(where, f"missing {', '.join(missing)}")
        return
    n = len(runs)
    for name in per_run:
        if group[name].shape != (n,):
            problems.add(where, f"{name} has shape {group[name].shape}, expected ({n},): one entry per run")
            return
    values = group["value"][()]
    if mode != "map" and (np.diff(values) < 0).any():
        problems.add(where, "value is not in increasing order of the runs")
    first = int(group.attrs.get("first_cascade_run", -1))
    if first >= n or first < -1 or (first >= 0 and group["cascade"][first] != 1):
        problems.add(where, f"first_cascade_run {first} is not a cascading run")
    if "replications" not in group.attrs:
        return
    reps = int(group.attrs["replications"])
    if reps < 2 or "seed" not in group or group["seed"].shape != (n,):
        problems.add(where, "replications below 2, or no seed per run")
        return
    seeds = group["seed"][()]
    for i, seed in enumerate(seeds):
        if str(i) in runs and int(runs[str(i)].attrs.get("seed", -1)) != int(seed):
            problems.add(where, f"seed[{i}] is not the seed of run {i}")
    for v in np.unique(values):
        if sorted(seeds[values == v]) != sorted(seeds[:reps]) or (values == v).sum() != reps:
            problems.add(where, f"magnitude {v} did not run on the R paired seeds")
            break
    method = as_text(group.attrs.get("fit_method"))
    if method not in FIT_METHODS:
        problems.add(where, f"fit_method '{method}' is not one of {', '.join(FIT_METHODS)}")
        return
    point, low, high = (float(group.attrs[k]) for k in ("tipping_point", "tipping_low", "tipping_high"))
    if method == "none":
        if not all(math.isnan(x) for x in (point, low, high)):
            problems.add(where, "fit_method none with a tipping point")
        return
    if not low <= point <= high:
        problems.add(where, f"tipping_point {point} is outside [{low}, {high}]")
    if method == "fieller":
        b0, b1 = float(group.attrs["fit_intercept"]), float(group.attrs["fit_slope"])
        if not close_enough(point, -b0 / b1):
            problems.add(where, "tipping_point is not -fit_intercept / fit_slope")


def _compare(group, runs, problems):
    """/compare: shapes agree, every run exists, and the statistics follow from the values."""
    where = "/compare"
    needed = ("designs", "seeds", "metrics", "values", "runs", "mean", "half_width", "difference", "verdict")
    missing = [n for n in needed if n not in group]
    if missing:
        problems.add(where, f"missing {', '.join(missing)}")
        return
    values = group["values"][()]
    d, r, m = len(group["designs"]), len(group["seeds"]), len(group["metrics"])
    if values.shape != (d, r, m):
        problems.add(where, f"values has shape {values.shape}, expected {(d, r, m)}")
        return
    index = group["runs"][()]
    if index.shape != (d, r) or any(int(i) not in runs for i in index.ravel()):
        problems.add(where, "runs does not index the file's runs, one per design and replication")
    if not _finite_mean_agrees(values, group["mean"][()]):
        problems.add(where, "mean is not the mean of the finite values over replications")
    if not _finite_mean_agrees(values - values[0:1], group["difference"][()]):
        problems.add(where, "difference is not the mean paired difference from designs[0]")


def _finite_mean_agrees(values, stored):
    """Whether `stored` [design, metric] is the mean of the finite `values` over replications."""
    with warnings.catch_warnings():  # an all-NaN column (never measurable) is NaN, as stored
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(np.where(np.isfinite(values), values, np.nan), axis=1)
    return bool((np.isclose(mean, stored, rtol=1e-9, atol=1e-12) | (np.isnan(mean) & np.isnan(stored))).all())


def _fmt(value):
    return "n/a" if value is None else f"{value:.4g}"


def summary_lines(report):
    """A few human-readable lines about the file."""
    lines = [f"{report['file']}: {report.get('format')} v{report.get('format_version')}, "
             f"rapture {report.get('rapture_version')}, {len(report['runs'])} run(s)"]
    for run in report["runs"]:
        attrs = run.get("attributes", {})
        line = (f"  run {run['index']}: {run.get('bins', '?')} bins x {len(run.get('services', []))} services, "
                f"{len(run.get('request_types', []))} request types, {len(run.get('edges', []))} edges "
                f"({run.get('circuit_events', '?')} breaker events); scenario '{attrs.get('scenario_name')}', "
                f"design {attrs.get('design')}, seed {attrs.get('seed')}")
        summary = run.get("summary")
        if summary:
            line += (f"; {summary.get('requests')} requests, error rate {_fmt(summary.get('error_rate'))}, "
                     f"p99 {_fmt(summary.get('p99'))} s")
            if attrs.get("stopped_early"):
                line += f"; stopped early: {attrs.get('stop_reason')}"
        else:
            line += "; unfinished"
        analysis = run.get("analysis")
        if analysis:
            line += (f"; analysis: {len(analysis.get('propagation', []))} unhealthy service(s), peak share "
                     f"{_fmt(analysis.get('peak_unhealthy_share'))}, metastable {analysis.get('metastable')}, "
                     f"verdict {analysis.get('verdict')}")
        lines.append(line)
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check a rapture results file against docs/results-format.md.")
    parser.add_argument("file")
    parser.add_argument("--run", type=int, help="check only this run index")
    parser.add_argument("--json", action="store_true", help="print per-run totals and summary as JSON")
    parser.add_argument("--require-finished", action="store_true",
                        help="treat a run without totals (interrupted) as a violation")
    args = parser.parse_args(argv)
    report, problems = check_file(args.file, args.run, args.require_finished)
    if problems:
        for problem in problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        print(f"{args.file}: {len(problems)} violation(s) of the results format", file=sys.stderr)
        return 1
    if args.json:
        json.dump(report, sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
    else:
        print("\n".join(summary_lines(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
