#include "command/amplify.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <iostream>
#include <optional>
#include <tuple>

#include <fmt/format.h>

#include "analysis/run_metrics.hpp"
#include "command/child_runs.hpp"
#include "command/outputs.hpp"
#include "command/progress.hpp"
#include "command/run.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "common/units.hpp"
#include "io/results_reader.hpp"
#include "io/scenario_reader.hpp"
#include "io/search_record.hpp"
#include "io/topology_reader.hpp"
#include "model/system.hpp"

namespace rapture {

namespace {

/// When a run counts as a cascade.
struct Criterion {
  enum class Kind { Goodput, ErrorRate, Unhealthy, NoRecovery };
  Kind kind = Kind::Goodput;
  double threshold = 0.9;
  double window = 0;  ///< NoRecovery: the last seconds of the run

  static Criterion parse(const std::string& text) {
    const SourceLocation where{"--criterion", 0, ""};
    Criterion c;
    const auto colon = text.find(':');
    if (colon == std::string::npos) {
      throw InputError(where, "expected goodput:F, error_rate:X, unhealthy:F or no_recovery:F@T, got '" + text + "'");
    }
    const std::string name = text.substr(0, colon);
    std::string rest = text.substr(colon + 1);
    if (name == "no_recovery") {
      const auto at = rest.find('@');
      if (at == std::string::npos) throw InputError(where, "no_recovery needs F@T, e.g. no_recovery:0.9@60s");
      try {
        c.window = units::parse_duration(rest.substr(at + 1));
      } catch (const std::invalid_argument& e) {
        throw InputError(where, e.what());
      }
      rest = rest.substr(0, at);
      c.kind = Kind::NoRecovery;
    } else if (name == "goodput") {
      c.kind = Kind::Goodput;
    } else if (name == "error_rate") {
      c.kind = Kind::ErrorRate;
    } else if (name == "unhealthy") {
      c.kind = Kind::Unhealthy;
    } else {
      throw InputError(where,
                       "unknown criterion '" + name + "' (expected goodput, error_rate, unhealthy or no_recovery)");
    }
    try {
      c.threshold = units::parse_number(rest);
    } catch (const std::invalid_argument& e) {
      throw InputError(where, e.what());
    }
    if (!(c.threshold >= 0 && c.threshold <= 1)) throw InputError(where, "the threshold must be in [0, 1]");
    return c;
  }

  /// The measured quantity: served share of the offered load (over the whole run, or its last
  /// `window` seconds), the error rate, or the largest share of services unhealthy at once.
  [[nodiscard]] double measure(const RunDigest& d) const {
    switch (kind) {
      case Kind::Goodput: return run_metric("served_share").measure(d);
      case Kind::ErrorRate: return run_metric("error_rate").measure(d);
      case Kind::Unhealthy: return run_metric("peak_unhealthy").measure(d);
      case Kind::NoRecovery: return served_share(d, last_bins(d, window));
    }
    return NAN;
  }
  /// Whether a run cascades by this criterion; a run the analysis sees draining has not failed
  /// to recover, it is slow (no_recovery follows the verdict).
  [[nodiscard]] bool cascades(double measured, const RunDigest& d) const {
    if (kind == Kind::NoRecovery && d.verdict == RecoveryKind::Recovering) return false;
    return kind == Kind::ErrorRate || kind == Kind::Unhealthy ? measured > threshold : measured < threshold;
  }
};

/// A magnitude with its unit: "250ms" is 250 and "ms".
struct Magnitude {
  double value = 0;
  std::string unit;
  static Magnitude parse(const std::string& text, const char* flag) {
    Magnitude m;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), m.value);
    if (ec != std::errc() || !std::isfinite(m.value)) {
      throw InputError({flag, 0, ""},
                       "expected a number with an optional unit, e.g. 250ms or 300/s, got '" + text + "'");
    }
    m.unit = std::string(ptr, text.data() + text.size());
    return m;
  }
};

struct Point {
  double value = 0, value2 = 0;
  std::optional<uint64_t> seed;  ///< with replications: this run's seed (else the command's --seed, if any)
  std::string file;
  double measure = 0;
  bool cascade = false;
  RunDigest digest;
  /// Map mode: 2 metastable, 1 degraded (cascaded, came back), 0 recovered.
  [[nodiscard]] int region() const { return digest.metastable == 1 ? 2 : cascade ? 1 : 0; }
};

/// Where a magnitude goes: a scenario path, with its unit.
struct Axis {
  std::string path, unit;
};

std::string format_value(double v, const std::string& unit) { return text::number(v) + unit; }

/// Runs `rapture run` for each point in parallel processes; fills measure and cascade.
void run_points(std::vector<Point>& points, const AmplifyArgs& args, const Axis& axis, const Axis* axis2,
                const Criterion& criterion, const std::string& self, WorkDir& work, Progress& progress) {
  std::vector<ChildRun> runs(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    Point& p = points[i];
    p.file = runs[i].file = work.next_file();
    auto& a = runs[i].args;
    a = {args.scenario, "--set", axis.path + "=" + format_value(p.value, axis.unit)};
    runs[i].label = a.back();
    if (axis2) {
      a.insert(a.end(), {"--set", axis2->path + "=" + format_value(p.value2, axis2->unit)});
      runs[i].label += ", " + a.back();
    }
    for (const auto& s : args.sets) a.insert(a.end(), {"--set", s});
    if (const auto seed = p.seed ? p.seed : args.seed) a.insert(a.end(), {"--seed", std::to_string(*seed)});
    a.insert(a.end(), {"--memory-limit", std::to_string(args.memory_limit)});
  }
  run_children(self, runs, args.jobs, [&](size_t i) {
    Point& p = points[i];
    p.digest = read_run_digest(p.file, 0);
    p.measure = criterion.measure(p.digest);
    p.cascade = criterion.cascades(p.measure, p.digest);
    progress.finished(true);
  });
}

/// The scenario path a magnitude sets: `param` itself, or a field of the fault `fault`, which
/// its kind must have: a field of another kind is read by nothing, and sweeping it finds nothing.
std::string magnitude_path(const Scenario& base, const std::optional<std::string>& fault, const std::string& param,
                           const char* flag) {
  if (!fault) return param;
  const auto it =
      std::find_if(base.faults.begin(), base.faults.end(), [&](const FaultSpec& f) { return f.name == *fault; });
  if (it == base.faults.end()) throw InputError({base.file, 0, "--fault"}, "no fault named '" + *fault + "'");
  const auto fields = fault_fields(it->kind);
  if (std::find(fields.begin(), fields.end(), param) == fields.end()) {
    const std::string kind(fault_kind_name(it->kind));
    throw InputError({flag, 0, ""}, "fault '" + *fault + "' is a " + kind + " fault, which has no field '" +
                                        text::excerpt(param, 60) + "' (a " + kind + " fault takes " +
                                        text::one_of(fields) + ")");
  }
  return fmt::format("faults[{}].{}", it - base.faults.begin(), param);
}

/// The assignment of one end of a range, blamed on the flag that names the path (a bad key) and
/// on the flag that gave the value (a bad value).
Override range_end(const std::string& path, const std::string& value, const char* param_flag, const char* value_flag) {
  return {path + "=" + value, {param_flag, 0, ""}, {value_flag, 0, ""}};
}

/// A range `--from A --to B` checked: same unit, increasing.
std::pair<Magnitude, Magnitude> parse_range(const std::string& from_text, const std::string& to_text,
                                            const char* from_flag, const char* to_flag) {
  const Magnitude from = Magnitude::parse(from_text, from_flag);
  const Magnitude to = Magnitude::parse(to_text, to_flag);
  if (from.unit != to.unit) {
    throw InputError({to_flag, 0, ""}, std::string(from_flag) + " and " + to_flag + " must have the same unit ('" +
                                           from.unit + "' and '" + to.unit + "')");
  }
  if (!(to.value > from.value))
    throw InputError({to_flag, 0, ""}, std::string(to_flag) + " must be above " + from_flag);
  return {from, to};
}

std::vector<double> linspace(double from, double to, int points) {
  std::vector<double> v(static_cast<size_t>(points));
  for (int i = 0; i < points; ++i) v[static_cast<size_t>(i)] = from + (to - from) * i / (points - 1);
  return v;
}

/// The runs of each magnitude, `reps` in a row: with replications, replication r on seed0 + r
/// (the same seeds at every magnitude: common random numbers); alone, on the command's seed.
std::vector<Point> replicate(const std::vector<double>& values, int reps, uint64_t seed0) {
  std::vector<Point> runs;
  for (const double v : values) {
    for (int r = 0; r < reps; ++r) {
      Point& p = runs.emplace_back();
      p.value = v;
      if (reps > 1) p.seed = seed0 + static_cast<uint64_t>(r);
    }
  }
  return runs;
}

/// For each magnitude of `replicate`'s runs: whether at least half its runs cascade (alone: whether it cascades).
std::vector<bool> turned(const std::vector<Point>& runs, int reps) {
  std::vector<bool> out;
  for (size_t i = 0; i < runs.size(); i += static_cast<size_t>(reps)) {
    const auto begin = runs.begin() + static_cast<std::ptrdiff_t>(i);
    const auto k = std::count_if(begin, begin + reps, [](const Point& p) { return p.cascade; });
    out.push_back(2 * k >= reps);
  }
  return out;
}

/// A magnitude, or a bound of an interval that may be open.
std::string format_bound(double v, const std::string& unit) {
  return std::isinf(v) ? (v < 0 ? "-inf" : "+inf") : format_value(v, unit);
}

/// The sentence of a replicated search that bracketed a tipping point: the fit and its interval,
/// or the separated bracket, and the bisection's last bracket for comparison.
std::string fit_verdict(const TippingFit& fit, size_t runs, int reps, const SearchRecord& record) {
  const std::string& unit = record.unit;
  const std::string bracket = fmt::format("the last bracket of the bisection was {} ± {}",
                                          format_value(record.threshold, unit), format_value(record.uncertainty, unit));
  if (fit.method == TippingMethod::Separated) {
    return fmt::format(
        "tipping point in [{}, {}] (estimate {}): no run cascaded below a run that recovered, so no logistic fit "
        "exists and the interval is the bracket between the highest all-recovered and the lowest all-cascading "
        "magnitude; {} ({} runs, {} per magnitude, {})",
        format_bound(fit.low, unit), format_bound(fit.high, unit), format_value(fit.point, unit), bracket, runs, reps,
        record.criterion);
  }
  const std::string interval =
      std::isinf(fit.low) || std::isinf(fit.high)
          ? "95 % interval unbounded (the slope of the cascade probability is not "
            "distinguishable from 0: more replications or a wider range)"
          : fmt::format("95 % interval [{}, {}]", format_value(fit.low, unit), format_value(fit.high, unit));
  std::string verdict = fmt::format(
      "tipping point (cascade probability 1/2) at {}, {} (logistic fit over {} runs on {} seeds, Fieller, "
      "covariance clustered by seed); {} ({})",
      format_value(fit.point, unit), interval, runs, reps, bracket, record.criterion);
  if (fit.slope < 0) verdict += "; warning: the fitted cascade probability falls with the magnitude";
  return verdict;
}

/// The propagation of the run that cascaded first: where the cascade went.
void print_first_cascade(const SearchRecord& record, const std::string& results) {
  const auto i = static_cast<size_t>(record.first_cascade);
  std::cout << fmt::format("\nfirst cascading point, {} = {}: the propagation\n", record.param,
                           format_value(record.values[i], record.unit));
  const auto rows = read_propagation(results, record.first_cascade);
  if (rows.empty()) std::cout << "  (no service left its baseline band: the criterion turned on requests alone)\n";
  for (const auto& r : rows) {
    std::cout << fmt::format("  {:>8.1f} s  {:<22}{:<10}{:<28}{}\n", r.onset, r.service, r.worst,
                             r.cause == "emergent" ? "EMERGENT (" + r.mechanism + ")" : r.cause, r.path);
  }
  if (record.emergent[i] > 0) {
    std::cout << fmt::format("  {} emergent: reached without a dependency path from the fault (hidden dependency)\n",
                             record.emergent[i]);
  }
}

}  // namespace

TippingSearch search_tipping_point(const AmplifyArgs& args, const std::string& self) {
  const Criterion criterion = Criterion::parse(args.criterion);
  const auto [from, to] = parse_range(args.from, args.to, "--from", "--to");
  if (args.points < 2 || args.points > 1000) throw InputError({"--points", 0, ""}, "between 2 and 1000 points");
  if (args.rounds < 0 || args.rounds > 30) throw InputError({"--rounds", 0, ""}, "between 0 and 30 rounds");
  if (args.replications < 1 || args.replications > 1000) {
    throw InputError({"--replications", 0, ""}, "the replications must be between 1 and 1000");
  }
  const bool map = !args.param2.empty();
  // A map's regions come from one run per grid point; a majority over replications would need
  // its own notion of a metastable region, so the combination is refused rather than guessed.
  if (map && args.replications != 1) {
    throw InputError({"--replications", 0, ""},
                     "map mode (--param2) runs one seed per grid point: drop --replications");
  }
  const int reps = args.replications;
  Magnitude from2, to2;
  if (map) {
    std::tie(from2, to2) = parse_range(args.from2, args.to2, "--from2", "--to2");
    if (args.points2 < 2 || args.points2 > 1000) throw InputError({"--points2", 0, ""}, "between 2 and 1000 points");
  }

  // The paths the magnitudes set, and a check of the scenario at the range's corners before any run.
  const Scenario base = read_scenario(args.scenario, args.sets);
  print_scenario_notes(base);  // once here: the child runs are quiet
  const int jobs = job_count(
      args.jobs, static_cast<size_t>(map ? args.points * args.points2 : args.points) * static_cast<size_t>(reps));
  check_design_memory(args.scenario, args.sets, "baseline", args.memory_limit, jobs);
  const Axis axis{magnitude_path(base, args.fault, args.param, "--param"), from.unit};
  const Axis axis2{map ? magnitude_path(base, args.fault, args.param2, "--param2") : "", from2.unit};
  std::vector<Override> sets;
  for (const auto& s : args.sets) sets.push_back({s});
  for (const auto& [end, end_flag] : {std::pair{from, "--from"}, std::pair{to, "--to"}}) {
    for (const auto& [end2, end2_flag] : map ? std::vector{std::pair{from2, "--from2"}, std::pair{to2, "--to2"}}
                                             : std::vector{std::pair{Magnitude{}, ""}}) {
      auto corner = sets;
      corner.push_back(range_end(axis.path, format_value(end.value, axis.unit), "--param", end_flag));
      if (map) corner.push_back(range_end(axis2.path, format_value(end2.value, axis2.unit), "--param2", end2_flag));
      const Scenario s = reread_scenario(base, corner);
      check_run_memory(args.scenario, build_system(read_topology(s.topology_path), s), args.memory_limit, jobs);
    }
  }
  WorkDir work(args.output.empty() ? default_output(base.name, "-amplify.h5") : args.output);
  AmplifyArgs run_args = args;  // with the job count the machine allows
  run_args.jobs = jobs;
  const uint64_t seed0 = args.seed.value_or(base.seed);

  TippingSearch search;
  SearchRecord& record = search.record;
  record.scenario = args.scenario;
  record.param = axis.path;
  record.unit = axis.unit;
  record.criterion = args.criterion;
  record.replications = reps;
  std::vector<Point> all;
  // A bisection round runs `inner` magnitudes, R runs each: as many runs as jobs, at least one magnitude.
  const int inner = std::max(1, run_args.jobs / reps);
  // The grid, or the ramp and every round: the most the search can make.
  Progress progress(
      "amplify " + base.name,
      map ? static_cast<size_t>(args.points) * static_cast<size_t>(args.points2)
          : (static_cast<size_t>(args.points) + static_cast<size_t>(args.rounds) * static_cast<size_t>(inner)) *
                static_cast<size_t>(reps),
      0, args.quiet);
  if (map) {
    // Map mode: the whole grid, each point marked recovered, degraded or metastable.
    record.param2 = axis2.path;
    record.unit2 = axis2.unit;
    for (const double v : linspace(from.value, to.value, args.points)) {
      for (const double v2 : linspace(from2.value, to2.value, args.points2)) {
        Point& p = all.emplace_back();
        p.value = v;
        p.value2 = v2;
      }
    }
    run_points(all, run_args, axis, &axis2, criterion, self, work, progress);
    std::array<int, 3> regions{};
    for (const auto& p : all) ++regions[static_cast<size_t>(p.region())];
    record.verdict = fmt::format("map of {} points: {} recovered, {} degraded, {} metastable ({})", all.size(),
                                 regions[0], regions[1], regions[2], args.criterion);
  } else {
    // Ramp, then bisect the first bracket where the criterion turns (with replications: where at
    // least half the runs of a magnitude cascade).
    const auto values = linspace(from.value, to.value, args.points);
    std::vector<Point> ramp = replicate(values, reps, seed0);
    run_points(ramp, run_args, axis, nullptr, criterion, self, work, progress);
    all = ramp;
    const auto ramp_turned = turned(ramp, reps);
    std::vector<std::pair<double, bool>> visited;  // each magnitude and whether it turned
    for (size_t i = 0; i < values.size(); ++i) visited.emplace_back(values[i], ramp_turned[i]);
    const auto first = std::find(ramp_turned.begin(), ramp_turned.end(), true);
    if (first == ramp_turned.begin()) {
      search.cannot_bracket = true;
      record.verdict = "the range cannot bracket the tipping point: the first point, " +
                       format_value(from.value, from.unit) + ", already cascades (lower --from)";
    } else if (first == ramp_turned.end()) {
      record.verdict = "no tipping point in [" + args.from + ", " + args.to + "]: no point cascades";
    } else {
      const auto at = static_cast<size_t>(first - ramp_turned.begin());
      double lo = values[at - 1], hi = values[at];
      for (int r = 0; r < args.rounds; ++r) {
        std::vector<double> mid_values(static_cast<size_t>(inner));
        for (int i = 0; i < inner; ++i) mid_values[static_cast<size_t>(i)] = lo + (hi - lo) * (i + 1) / (inner + 1);
        std::vector<Point> mid = replicate(mid_values, reps, seed0);
        run_points(mid, run_args, axis, nullptr, criterion, self, work, progress);
        all.insert(all.end(), mid.begin(), mid.end());
        const auto mid_turned = turned(mid, reps);
        for (size_t i = 0; i < mid_values.size(); ++i) visited.emplace_back(mid_values[i], mid_turned[i]);
        const auto turn = std::find(mid_turned.begin(), mid_turned.end(), true);
        const auto t = static_cast<size_t>(turn - mid_turned.begin());
        if (turn != mid_turned.end()) hi = mid_values[t];
        if (turn != mid_turned.begin()) lo = mid_values[t - 1];
      }
      bool non_monotonic = false;
      for (const auto& [v, up] : visited) non_monotonic |= (v < lo && up) || (v > hi && !up);
      record.found = true;
      record.threshold = 0.5 * (lo + hi);
      record.uncertainty = 0.5 * (hi - lo);
      if (reps > 1) {
        std::vector<double> x;
        std::vector<int> y;
        std::vector<uint64_t> seeds;  // the runs of one seed are correlated: the fit clusters by it
        for (const auto& p : all) {
          x.push_back(p.value);
          y.push_back(p.cascade ? 1 : 0);
          seeds.push_back(*p.seed);
        }
        record.fit = fit_tipping_point(x, y, seeds);
        record.verdict = fit_verdict(*record.fit, all.size(), reps, record);
      } else {
        record.verdict = fmt::format("tipping point at {} ± {} ({})", format_value(record.threshold, from.unit),
                                     format_value(record.uncertainty, from.unit), args.criterion);
      }
      if (non_monotonic)
        record.verdict += "; warning: the criterion is not monotonic in the range (noise or a second regime)";
    }
  }
  progress.set_total(all.size());
  progress.close();
  std::stable_sort(all.begin(), all.end(), [](const Point& a, const Point& b) {
    return a.value < b.value || (a.value == b.value && a.value2 < b.value2);
  });
  std::vector<std::pair<std::string, int>> sources;
  for (size_t i = 0; i < all.size(); ++i) {
    const Point& p = all[i];
    sources.emplace_back(p.file, 0);
    record.values.push_back(p.value);
    record.cascades.push_back(p.cascade ? 1 : 0);
    record.measure.push_back(p.measure);
    record.peak_unhealthy.push_back(p.digest.peak_unhealthy_share);
    record.emergent.push_back(p.digest.emergent);
    record.metastable.push_back(p.digest.metastable);
    if (map) {
      record.values2.push_back(p.value2);
      record.region.push_back(p.region());
    }
    if (reps > 1) record.seeds.push_back(*p.seed);
  }
  // The first cascading magnitude: alone, the lowest cascading run; with replications, the first
  // cascading run of the lowest magnitude at which at least half the runs cascade.
  for (size_t i = 0; i < all.size() && record.first_cascade < 0; i += static_cast<size_t>(reps)) {
    const auto begin = all.begin() + static_cast<std::ptrdiff_t>(i);
    const std::vector<Point> group(begin, begin + reps);
    if (!turned(group, reps).front()) continue;
    const auto first = std::find_if(group.begin(), group.end(), [](const Point& p) { return p.cascade; });
    record.first_cascade = static_cast<int>(i + static_cast<size_t>(first - group.begin()));
  }
  if (record.first_cascade >= 0) {
    const Point& p = all[static_cast<size_t>(record.first_cascade)];
    search.first_cascade_sets.push_back(axis.path + "=" + format_value(p.value, axis.unit));
    if (map) search.first_cascade_sets.push_back(axis2.path + "=" + format_value(p.value2, axis2.unit));
    search.first_cascade_sets.insert(search.first_cascade_sets.end(), args.sets.begin(), args.sets.end());
    search.first_cascade_seed = p.seed ? p.seed : args.seed;
  }
  copy_runs(sources, work.merged_file(), RAPTURE_VERSION);
  write_search_record(work.merged_file(), record);
  work.publish();
  search.results = work.output();
  return search;
}

int amplify_command(const AmplifyArgs& args, const std::string& self) {
  const TippingSearch search = search_tipping_point(args, self);
  const SearchRecord& record = search.record;
  const bool map = !record.param2.empty();
  std::cout << fmt::format("rapture amplify: {} from {} to {}{}, criterion {}\n", record.param, args.from, args.to,
                           map ? fmt::format(" x {} from {} to {}", record.param2, args.from2, args.to2) : "",
                           args.criterion);
  const size_t runs = record.values.size();
  if (record.replications > 1) {
    // One row per magnitude: its R runs summarised (every run is in the results file).
    std::cout << fmt::format("{:>14}{:>10}{:>14}{:>15}{:>10}{:>12}\n", "value", "cascade", "measure mean",
                             "unhealthy mean", "emergent", "metastable");
    const auto reps = static_cast<size_t>(record.replications);
    for (size_t i = 0; i < runs; i += reps) {
      int cascades = 0, metastable = 0;
      double measure = 0, unhealthy = 0;
      int64_t emergent = 0;
      for (size_t j = i; j < i + reps; ++j) {
        cascades += record.cascades[j];
        metastable += record.metastable[j] == 1 ? 1 : 0;
        measure += record.measure[j] / static_cast<double>(reps);
        unhealthy += record.peak_unhealthy[j] / static_cast<double>(reps);
        emergent += record.emergent[j];
      }
      std::cout << fmt::format("{:>14}{:>10}{:>14.4f}{:>14.0f}%{:>10}{:>12}\n",
                               format_value(record.values[i], record.unit), fmt::format("{}/{}", cascades, reps),
                               measure, 100 * unhealthy, emergent, fmt::format("{}/{}", metastable, reps));
    }
  } else {
    std::cout << fmt::format("{:>14}{}{:>12}{:>10}{:>11}{:>10}{:>12}\n", "value",
                             map ? fmt::format("{:>14}", "value2") : "", "measure", "cascade", "unhealthy", "emergent",
                             map ? "region" : "metastable");
    static constexpr const char* kRegions[] = {"recovered", "degraded", "metastable"};
    for (size_t i = 0; i < runs; ++i) {
      const int metastable = record.metastable[i];
      std::cout << fmt::format(
          "{:>14}{}{:>12.4f}{:>10}{:>10.0f}%{:>10}{:>12}\n", format_value(record.values[i], record.unit),
          map ? fmt::format("{:>14}", format_value(record.values2[i], record.unit2)) : "", record.measure[i],
          record.cascades[i] ? "yes" : "no", 100 * record.peak_unhealthy[i], record.emergent[i],
          map               ? kRegions[static_cast<size_t>(record.region[i])]
          : metastable == 1 ? "yes"
          : metastable == 0 ? "no"
                            : "-");
    }
  }
  std::cout << record.verdict << "\n";
  if (record.first_cascade >= 0 && !map) print_first_cascade(record, search.results);
  std::cout << "results: " << search.results << "\n";
  std::cout << report_hint(search.results);
  return search.cannot_bracket ? 1 : 0;
}

}  // namespace rapture
