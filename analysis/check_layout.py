#!/usr/bin/python3
"""The documented layout of a rapture results file (docs/results-format.md), and the checks of
its parts: attributes of a kind, datasets, dimension scales, compound tables, NaN patterns.
check_results.py walks a file with them; like it, this shares no code with the C++ writer.
"""

import math

import h5py
import numpy as np

FORMAT = "rapture-results"
FORMAT_VERSION = 1
ERROR_CAUSES = ("queue_overflow", "downstream", "timeout", "circuit_open", "rejected",
                "unavailable", "injected")

# Attribute kinds: "u64" unsigned 64-bit, "i" any integer, "f64" float64, "str" string,
# "str[]" 1-D string array.
RUN_ATTRS = {
    "seed": "u64", "scenario_name": "str", "scenario_file": "str", "scenario_text": "str",
    "topology_name": "str", "topology_file": "str", "design": "str", "duration": "f64",
    "warmup": "f64", "bin_width": "f64", "rapture_version": "str", "parameters": "str[]",
}
FINISH_ATTRS = {"stopped_early": "i", "stop_reason": "str", "events": "u64", "wall_seconds": "f64"}
SUMMARY_ATTRS = {
    "measured_seconds": "f64", "requests": "u64", "successes": "u64", "failures": "u64",
    "degraded": "u64", "throughput": "f64", "goodput": "f64", "wasted_cpu": "f64",
    "error_rate": "f64", "latency_mean": "f64",
    "p50": "f64", "p95": "f64", "p99": "f64", "p999": "f64",
    "users": "u64", "users_failing": "u64",
}

U64, U32, U8, F64 = np.dtype("<u8"), np.dtype("<u4"), np.dtype("u1"), np.dtype("<f8")
# name -> (dtype, extra dimension scale after [time, service] or None)
SERVICE_SERIES = {
    "arrivals": (U64, None), "completions": (U64, None), "errors": (U64, "error_cause"),
    "queue_mean": (F64, None), "queue_max": (U32, None), "busy_mean": (F64, None),
    "latency_mean": (F64, None), "latency_p50": (F64, None), "latency_p95": (F64, None),
    "latency_p99": (F64, None),
}
REQUEST_SERIES = {
    "arrivals": U64, "successes": U64, "failures": U64,
    "latency_mean": F64, "latency_p50": F64, "latency_p99": F64,
}
EDGE_COUNTS = ("calls", "attempts", "retries", "timeouts", "failures", "fallbacks",
               "circuit_rejections", "bulkhead_rejections", "late_replies", "calls_refused")
EDGE_SERIES = dict({name: U64 for name in EDGE_COUNTS}, open_fraction=F64)
# The circuit breaker event table: column -> dtype; `time` is the table's dimension scale.
CIRCUIT_EVENTS = {"time": F64, "edge": U32, "replica": U32, "from": U8, "to": U8}
CIRCUIT_STATES = ("closed", "open", "half_open")
SERVICE_TOTALS = {
    "arrivals": U64, "completions": U64, "in_flight_end": U64, "latency_mean": F64,
    "busy_mean": F64, "queue_mean": F64, "arrival_rate": F64, "wasted_cpu": F64,
}
REQUEST_TOTALS = {
    "successes": U64, "failures": U64, "degraded": U64, "latency_mean": F64, "p50": F64,
    "p95": F64, "p99": F64, "p999": F64,
}

# The cascade analysis (/runs/<i>/analysis): the names C++'s to_string gives its enums.
HEALTH_STATES = ("healthy", "degraded", "failed")
CAUSES = ("fault", "dependency", "emergent")
MECHANISMS = ("none", "shared_host", "retries", "load_surge", "shared_downstream", "unexplained")
SYMPTOMS = ("none", "errors", "latency", "queue_saturation")
CATEGORIES = ("fault_effect", "dependency_propagation", "hidden_dependency_exposed", "retry_amplification",
              "queue_exhaustion", "metastable_loop", "architectural_hot_spot", "user_impact", "slow_drain")
SIGNALS = ("service_unhealthy", "request_unhealthy", "circuit_opened", "queue_saturated", "workers_exhausted",
           "retry_spike", "load_surge", "not_recovered", "hot_spot", "backlog_draining")
# The verdict after the trigger, and the metastable flag each kind implies.
VERDICTS = {"none": -1, "cannot_tell": -1, "recovered": 0, "recovering": 0, "sustained": 1}
SUSTAINING_EFFECTS = ("none", "retries", "load_dependent_cost", "amplified_arrivals", "cache_misses", "unknown")
ANALYSIS_ATTRS = {
    "trigger_start": "f64", "trigger_end": "f64", "baseline_from": "f64", "baseline_to": "f64",
    "has_baseline": "i", "time_to_detect": "f64", "recovery_time": "f64", "recovered": "i",
    "metastable": "i", "blast_radius_requests": "f64", "blast_radius_types": "f64",
    "peak_unhealthy_share": "f64", "emergent": "i", "bin_width": "f64",
    "verdict": "str", "sustained_by": "str", "drain_eta": "f64", "verdict_time": "f64", "backlog": "f64",
    "backlog_slope": "f64", "offered_load": "f64", "evidence": "f64", "evidence_baseline": "f64",
    "evidence_place": "str", "verdict_note": "str",
}
# Compound tables: column -> "str" (variable-length string) or a numpy dtype.
PROPAGATION_COLUMNS = {
    "service": "str", "onset": F64, "worst": "str", "symptom": "str", "cause": "str", "mechanism": "str",
    "parent": "str", "via": "str", "path": "str",
}
JOURNAL_COLUMNS = {
    "time": F64, "category": "str", "signal": "str", "place": "str", "magnitude": F64, "baseline": F64,
    "note": "str",
}
PROBE_COLUMNS = {"name": "str", "tolerance": "str", "value": F64, "met": np.dtype("<i4"), "note": "str"}
HEALTH = np.dtype("i1")

REL_TOL = 1e-6


class Problems:
    """Collects violations, so one run of the checker reports all of them."""

    def __init__(self):
        self.items = []

    def add(self, where, message):
        self.items.append(f"{where}: {message}" if where else message)

    def __bool__(self):
        return bool(self.items)


def attr_ok(obj, name, kind):
    """Whether attribute `name` of `obj` exists with the documented kind."""
    if name not in obj.attrs:
        return False
    aid = obj.attrs.get_id(name)
    dtype, shape = aid.dtype, aid.shape
    is_str = h5py.check_string_dtype(dtype) is not None
    if kind == "str":
        return is_str and shape == ()
    if kind == "str[]":
        return is_str and len(shape) == 1
    if shape != ():
        return False
    if kind == "u64":
        return dtype == U64
    if kind == "f64":
        return dtype == F64
    if kind == "i":
        return dtype.kind in "iu"
    raise ValueError(kind)


def read_attrs(obj, spec, where, problems):
    values = {}
    for name, kind in spec.items():
        if not attr_ok(obj, name, kind):
            problems.add(where, f"attribute '{name}' missing or not {kind}")
            continue
        value = obj.attrs[name]
        if kind == "str[]":
            value = [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(value).ravel()]
        elif kind == "str":
            value = value.decode() if isinstance(value, bytes) else str(value)
        elif kind in ("u64", "i"):
            value = int(value)
        else:
            value = float(value)
        values[name] = value
    return values


def require_dataset(group, name, where, problems):
    obj = group.get(name)
    if not isinstance(obj, h5py.Dataset):
        problems.add(where, f"dataset '{name}' missing")
        return None
    return obj


def read_strings(dset):
    return [s.decode() if isinstance(s, bytes) else str(s) for s in dset[()]]


def require_scale(group, name, where, problems):
    """A 1-D dimension-scale dataset of the run."""
    dset = require_dataset(group, name, where, problems)
    if dset is None:
        return None
    if dset.ndim != 1:
        problems.add(where, f"'{name}' is not 1-D")
    if not h5py.h5ds.is_scale(dset.id):
        problems.add(where, f"'{name}' is not a dimension scale")
    return dset


def check_dims(dset, scales, where, problems):
    """Each dimension of `dset` must have the named scale attached."""
    for axis, scale in enumerate(scales):
        if scale is None:
            continue
        if axis >= dset.ndim or not h5py.h5ds.is_attached(dset.id, scale.id, axis):
            problems.add(where, f"dimension {axis} of '{dset.name}' has no scale '{scale.name}' attached")


def check_nan_pattern(values, counts, where, name, count_name, problems):
    """Latencies are NaN exactly where nothing completed, and otherwise finite and >= 0."""
    missing = np.isnan(values)
    empty = counts == 0
    if np.any(missing & ~empty):
        problems.add(where, f"'{name}' is NaN where {count_name} > 0")
    if np.any(~missing & empty):
        problems.add(where, f"'{name}' is not NaN where {count_name} == 0")
    defined = values[~missing]
    if np.any(~np.isfinite(defined)) or np.any(defined < 0):
        problems.add(where, f"'{name}' has infinite or negative values")


def json_number(value):
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def close_enough(a, b):
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)


def as_text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def read_table(group, name, columns, where, problems):
    """A 1-D compound dataset with exactly the documented columns; its rows as dicts, or None."""
    dset = require_dataset(group, name, where, problems)
    if dset is None:
        return None
    names = dset.dtype.names or ()
    if dset.ndim != 1 or tuple(names) != tuple(columns):
        problems.add(where, f"'{name}' is not a 1-D table of columns {list(columns)} "
                            f"(it has {list(names)}, shape {dset.shape})")
        return None
    for column, kind in columns.items():
        dtype = dset.dtype[column]
        if (h5py.check_string_dtype(dtype) is None) if kind == "str" else dtype != kind:
            problems.add(where, f"column '{column}' of '{name}' is {dtype}, expected {kind}")
            return None
    data = dset[()]
    return [{column: as_text(row[column]) if kind == "str" else row[column].item()
             for column, kind in columns.items()} for row in data]
