#include "command/compare.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "analysis/design_comparison.hpp"
#include "analysis/structural_complexity.hpp"
#include "command/child_runs.hpp"
#include "command/design_loader.hpp"
#include "common/error.hpp"
#include "io/comparison_record.hpp"
#include "io/results_reader.hpp"
#include "io/scenario_reader.hpp"
#include "io/text_file.hpp"
#include "io/topology_reader.hpp"
#include "model/system.hpp"

namespace rapture {

namespace {

using Unit = ComparedMetric::Unit;

/// The table's rows: outcome under the fault first, then cost and structure.
const std::vector<ComparedMetric>& metrics() {
  static const std::vector<ComparedMetric> m{
      {"users_failing", "users failing (fault span)", Unit::Ratio, -1},
      {"blast_radius_types", "request types failing", Unit::Ratio, -1},
      {"blast_radius_requests", "requests failed from fault on", Unit::Ratio, -1},
      {"error_rate_during", "error rate during fault", Unit::Ratio, -1},
      {"goodput_during", "goodput during fault", Unit::PerSecond, +1},
      {"error_rate_after", "error rate after fault", Unit::Ratio, -1},
      {"goodput_after", "goodput after fault", Unit::PerSecond, +1},
      {"p99", "p99 latency (whole run)", Unit::Seconds, -1},
      {"recovery_time", "recovery time", Unit::Seconds, -1},
      {"metastable", "metastable runs", Unit::Ratio, -1},
      {"retry_amplification", "tries per call during fault", Unit::Plain, -1},
      {"emergent", "emergent failures", Unit::Count, -1},
      {"peak_unhealthy", "peak share of services unhealthy", Unit::Ratio, -1},
      {"legacy_error_last", "legacy path: errors, last quarter", Unit::Ratio, -1},
      {"legacy_latency_last", "legacy path: latency, last quarter", Unit::Seconds, -1},
      {"legacy_busy", "legacy path: busy workers", Unit::Plain, -1},
      {"replicas", "cost: replicas", Unit::Count, 0},
      {"workers", "cost: worker threads", Unit::Count, 0},
      {"hosts", "cost: hosts", Unit::Count, 0},
      {"processes", "structure: processes", Unit::Count, 0},
      {"calls", "structure: remote calls", Unit::Count, 0},
      {"depth", "structure: longest call path", Unit::Count, 0},
      {"max_fan_out", "structure: max fan-out", Unit::Count, 0},
      {"max_betweenness", "structure: max betweenness", Unit::Plain, 0},
  };
  return m;
}

/// Cost of a design: what is deployed. A service reached only through in-process calls runs
/// inside its caller's process and costs nothing of its own.
struct Cost {
  double replicas = 0, workers = 0, hosts = 0;
};

Cost cost_of(const System& sys) {
  std::vector<bool> deployed(sys.services.size(), false);
  for (const auto& rt : sys.request_types) {
    deployed[rt.entry] = true;
    for (auto e : rt.cell_entries) deployed[e] = true;
  }
  for (const auto& c : sys.calls) {
    if (c.mode != CallMode::InProcess) deployed[c.callee] = true;
  }
  Cost cost;
  std::vector<bool> host_used(sys.hosts.size(), false);
  for (size_t s = 0; s < sys.services.size(); ++s) {
    if (!deployed[s]) continue;
    const auto& svc = sys.services[s];
    cost.replicas += static_cast<double>(svc.replicas);
    cost.workers += static_cast<double>(svc.replicas * svc.workers);
    for (auto h : svc.replica_hosts) host_used[h] = true;
  }
  cost.hosts = static_cast<double>(std::count(host_used.begin(), host_used.end(), true));
  return cost;
}

/// Sum of `series` over the bins inside [from, to), and how many bins that was.
double window_sum(const std::vector<double>& series, double bin_width, double from, double to) {
  double sum = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    const double start = static_cast<double>(i) * bin_width;
    if (start >= from - 1e-9 && start + bin_width <= to + 1e-9) sum += series[i];
  }
  return sum;
}

/// The outcome metrics of one run, in the order of metrics().
std::vector<double> run_metrics(const RunDigest& d, double duration) {
  const double nan = NAN;
  const bool fault = std::isfinite(d.trigger_start);
  const double during_from = fault ? d.trigger_start : 0, during_to = fault ? std::min(d.trigger_end, duration) : duration;
  const double after_from = fault ? std::min(d.trigger_end, duration) : 0;
  auto rate = [&](double from, double to) {
    const double fails = window_sum(d.failures, d.bin_width, from, to);
    const double good = window_sum(d.goodput, d.bin_width, from, to);
    return fails + good > 0 ? fails / (fails + good) : nan;
  };
  auto goodput = [&](double from, double to) {
    const double bins = std::floor((to - from) / d.bin_width + 1e-9);
    return bins > 0 ? window_sum(d.goodput, d.bin_width, from, to) / bins : nan;
  };
  const double calls = window_sum(d.calls, d.bin_width, during_from, during_to);
  const double tries = window_sum(d.attempts, d.bin_width, during_from, during_to);
  return {
      d.users > 0 ? static_cast<double>(d.users_failing) / static_cast<double>(d.users) : nan,
      d.blast_radius_types,
      d.blast_radius_requests,
      rate(during_from, during_to),
      goodput(during_from, during_to),
      fault ? rate(after_from, duration) : nan,
      fault ? goodput(after_from, duration) : nan,
      d.p99,
      d.recovery_time,
      d.metastable < 0 ? nan : static_cast<double>(d.metastable),
      calls > 0 ? tries / calls : nan,
      d.emergent < 0 ? nan : static_cast<double>(d.emergent),
      d.peak_unhealthy_share,
      d.legacy_error_last,
      d.legacy_latency_last,
      d.legacy_busy,
  };
}

std::string percent(double x) { return std::isnan(x) ? "-" : fmt::format("{:.1f}%", 100 * x); }

}  // namespace

int compare_command(const CompareArgs& args, const std::string& self) {
  if (args.replications < 1 || args.replications > 1000) {
    throw InputError({"--replications", 0, ""}, "the replications must be between 1 and 1000");
  }
  const Scenario base = read_scenario(args.scenario, args.sets);
  std::vector<std::string> designs = args.designs;
  if (designs.empty()) {
    designs.push_back("baseline");
    for (const auto& d : base.designs) designs.push_back(d.name);
  }
  for (size_t i = 0; i < designs.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (designs[i] == designs[j]) throw InputError({"--designs", 0, ""}, "design '" + designs[i] + "' is named twice");
    }
  }
  if (designs.size() < 2) throw InputError({"--designs", 0, ""}, "name at least two designs to compare");

  // Every design is transformed and checked here, before any run starts.
  ComparisonRecord record;
  record.scenario = args.scenario;
  std::vector<std::vector<double>> fixed;  // [d]: cost and structure
  double duration = 0;
  for (const auto& name : designs) {
    DesignedScenario d = load_design(args.scenario, args.sets, name);
    const System sys = build_system(d.topology, d.scenario);
    duration = sys.duration;
    const auto structure = structural_complexity(d.topology);
    const Cost cost = cost_of(sys);
    fixed.push_back({cost.replicas, cost.workers, cost.hosts, static_cast<double>(structure.processes),
                     static_cast<double>(structure.calls), static_cast<double>(structure.depth),
                     static_cast<double>(structure.max_fan_out), structure.max_betweenness});
    const DesignSpec* spec = find_design(d.scenario, name);
    record.designs.push_back(name);
    record.design_descriptions.push_back(spec ? spec->description : "the scenario as written: its local tolerance");
    std::ostringstream dot;
    write_topology_dot(d.topology, dot);
    record.design_dot.push_back(dot.str());
    std::cout << fmt::format("{:<14}{}\n", name, format_structural_complexity(structure));
    for (const auto& note : d.notes) std::cout << fmt::format("{:<14}note: {}\n", "", note);
    if (!args.dot_dir.empty()) {
      std::filesystem::create_directories(args.dot_dir);
      write_text_file(args.dot_dir + "/" + name + ".dot", dot.str());
    }
  }

  const uint64_t seed0 = args.seed.value_or(base.seed);
  for (int r = 0; r < args.replications; ++r) record.seeds.push_back(seed0 + static_cast<uint64_t>(r));
  WorkDir work(args.output, (base.name.empty() ? "rapture" : base.name) + "-compare.h5");
  const size_t reps = static_cast<size_t>(args.replications);
  std::vector<ChildRun> runs(designs.size() * reps);
  std::vector<RunDigest> digests(runs.size());
  for (size_t d = 0; d < designs.size(); ++d) {
    for (size_t r = 0; r < reps; ++r) {
      auto& run = runs[d * reps + r];
      run.file = work.next_file();
      run.label = fmt::format("{} (seed {})", designs[d], record.seeds[r]);
      run.args = {args.scenario, "--design", designs[d], "--seed", std::to_string(record.seeds[r])};
      for (const auto& s : args.sets) run.args.insert(run.args.end(), {"--set", s});
    }
  }
  run_children(self, runs, args.jobs, [&](size_t i) {
    digests[i] = read_run_digest(runs[i].file, 0);
    std::cerr << fmt::format("rapture compare: {}: users failing {}, requests failed {}\n", runs[i].label,
                             percent(digests[i].users > 0 ? static_cast<double>(digests[i].users_failing) /
                                                                 static_cast<double>(digests[i].users)
                                                           : NAN),
                             percent(digests[i].blast_radius_requests));
  });

  record.input.designs = designs;
  record.input.metrics = metrics();
  std::vector<std::pair<std::string, int>> sources;
  for (size_t d = 0; d < designs.size(); ++d) {
    record.input.values.emplace_back();
    record.runs.emplace_back();
    for (size_t r = 0; r < reps; ++r) {
      auto values = run_metrics(digests[d * reps + r], duration);
      values.insert(values.end(), fixed[d].begin(), fixed[d].end());
      record.input.values.back().push_back(std::move(values));
      record.runs.back().push_back(static_cast<int>(sources.size()));
      sources.emplace_back(runs[d * reps + r].file, 0);
    }
  }
  record.comparison = compare_designs(record.input);

  // The verdict: how far each design contains the failure against the reference, and its cost.
  const auto& est = record.comparison.estimates;
  const auto& verdict = record.comparison.verdict;
  const auto index = [&](std::string_view name) {
    return static_cast<size_t>(std::find_if(metrics().begin(), metrics().end(),
                                            [&](const ComparedMetric& m) { return m.name == name; }) -
                               metrics().begin());
  };
  const size_t users = index("users_failing"), replicas = index("replicas");
  std::string sentence;
  for (size_t d = 1; d < designs.size(); ++d) {
    const char* how = verdict[d][users] > 0 ? "fewer" : verdict[d][users] < 0 ? "more" : "not distinguishably different";
    sentence += fmt::format("{}{}: {} of users failing against {} for {} ({}), {:.0f} replicas against {:.0f}",
                            sentence.empty() ? "" : "; ", designs[d], percent(est[d][users].mean),
                            percent(est[0][users].mean), designs[0], how, est[d][replicas].mean, est[0][replicas].mean);
  }
  record.verdict = sentence;
  copy_runs(sources, work.output(), RAPTURE_VERSION);
  write_comparison_record(work.output(), record);

  std::cout << fmt::format("\nrapture compare: '{}', {} designs x {} replications (seeds {}..{}), same faults\n\n",
                           base.name, designs.size(), reps, record.seeds.front(), record.seeds.back());
  std::cout << format_comparison(record.input, record.comparison);
  std::cout << "\n" << record.verdict << "\n";
  std::cout << "results: " << work.output() << "\n";
  return 0;
}

}  // namespace rapture
