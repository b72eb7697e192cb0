#include "command/premortem.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <numeric>

#include <fmt/format.h>

#include "command/child_runs.hpp"
#include "command/outputs.hpp"
#include "command/sweep_executor.hpp"
#include "common/error.hpp"
#include "common/units.hpp"
#include "io/results_reader.hpp"
#include "io/scenario_reader.hpp"
#include "io/search_record.hpp"
#include "io/topology_reader.hpp"
#include "model/system.hpp"

namespace rapture {

namespace {

double duration_option(const std::string& text, const char* flag) {
  try {
    return units::parse_duration(text);
  } catch (const std::invalid_argument& e) {
    throw InputError({flag, 0, ""}, e.what());
  }
}

/// The --set that replaces the scenario's faults with the crash of `service`.
std::string crash_override(const std::string& service, double start, double duration) {
  return fmt::format("faults=[{{name: premortem, kind: crash, target: \"{}\", start: {}s, duration: {}s}}]", service,
                     start, duration);
}

}  // namespace

int premortem_command(const PremortemArgs& args, const std::string& self) {
  const uint64_t memory_limit = args.executor.memory_limit.value_or(default_memory_limit());
  check_design_memory(args.scenario, args.sets, "baseline", memory_limit);
  const Scenario base = read_scenario(args.scenario, args.sets);
  print_scenario_notes(base);
  const System sys = build_system(read_topology(base.topology_path), base);
  const double measured = sys.duration - sys.warmup;
  const double start = args.start.empty() ? sys.warmup + measured / 3 : duration_option(args.start, "--start");
  const double duration = args.duration.empty() ? measured / 3 : duration_option(args.duration, "--duration");
  if (!(duration > 0)) throw InputError({"--duration", 0, ""}, "the crash must last more than 0 s");
  if (start < sys.warmup || start + duration > sys.duration) {
    throw InputError({"--start", 0, ""}, fmt::format("the crash ({:.6g}-{:.6g} s) must lie within the measured run "
                                                     "({:.6g}-{:.6g} s)",
                                                     start, start + duration, sys.warmup, sys.duration));
  }
  std::vector<std::string> targets = args.services;
  if (targets.empty()) {
    for (const auto& s : sys.services) targets.push_back(s.name);
  }
  for (const auto& t : targets) {
    if (std::none_of(sys.services.begin(), sys.services.end(), [&](const ServiceConfig& s) { return s.name == t; })) {
      throw InputError({"--services", 0, "service '" + t + "'"}, "no such service in topology '" + sys.name + "'");
    }
  }

  // The runs at once, each a crash of the same system: their memory together must fit (on a
  // cluster each has its task's memory to itself).
  const int jobs = args.executor.slurm ? 1 : job_count(args.executor.jobs, targets.size());
  check_run_memory(args.scenario, sys, memory_limit, jobs);
  WorkDir work(args.output.empty() ? default_output(base.name, "-premortem.h5") : args.output);
  // The runs: a sweep whose one factor is the crashed service.
  SweepSpec draft;
  draft.name = base.name + "-premortem";
  draft.scenario = std::filesystem::absolute(args.scenario).string();
  draft.sets = args.sets;
  draft.sets.push_back(crash_override(targets.front(), start, duration));
  draft.factors.push_back({"service", "faults[0].target", targets, {}, {}});
  draft.seed = args.seed.value_or(base.seed);
  ExecutorOptions options = args.executor;
  options.jobs = jobs;
  const SweepAdvance advance = advance_command_sweep(
      draft, {"premortem", base.name, args.store, work.place("store"), "rank the services"}, options, self);
  if (advance.submitted) return 0;
  std::vector<RunDigest> digests;
  std::vector<std::string> files;
  for (const auto& run : advance.store.plan().runs) {  // one run per target, in order
    files.push_back(advance.store.run_file(run.id));
    digests.push_back(read_run_digest(files.back(), 0));
  }

  // Worst first: failed requests, then request types reached, then emergent failures.
  std::vector<size_t> order(targets.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = digests[a];
    const auto& y = digests[b];
    if (x.blast_radius_requests != y.blast_radius_requests) return x.blast_radius_requests > y.blast_radius_requests;
    if (x.blast_radius_types != y.blast_radius_types) return x.blast_radius_types > y.blast_radius_types;
    return x.emergent > y.emergent;
  });
  PremortemRecord record;
  record.scenario = args.scenario;
  record.start = start;
  record.duration = duration;
  record.rank.assign(targets.size(), 0);
  for (size_t r = 0; r < order.size(); ++r) record.rank[order[r]] = static_cast<int>(r + 1);
  std::vector<std::pair<std::string, int>> sources;
  for (size_t i = 0; i < targets.size(); ++i) {
    sources.emplace_back(files[i], 0);
    record.services.push_back(targets[i]);
    record.blast_radius_requests.push_back(digests[i].blast_radius_requests);
    record.blast_radius_types.push_back(digests[i].blast_radius_types);
    record.peak_unhealthy.push_back(digests[i].peak_unhealthy_share);
    record.recovery_time.push_back(digests[i].recovery_time);
    record.emergent.push_back(digests[i].emergent);
    record.metastable.push_back(digests[i].metastable);
  }
  copy_runs(sources, work.merged_file(), RAPTURE_VERSION);
  write_premortem_record(work.merged_file(), record);
  work.publish();

  std::cout << fmt::format("rapture premortem: '{}', each service crashed from {:.6g} s for {:.6g} s; worst first\n",
                           base.name, start, duration);
  std::cout << fmt::format("{:>5}  {:<26}{:>16}{:>15}{:>10}{:>11}{:>14}\n", "rank", "service", "requests failed",
                           "request types", "emergent", "unhealthy", "recovery");
  const size_t types = sys.request_types.size();
  for (size_t r = 0; r < order.size(); ++r) {
    const auto& d = digests[order[r]];
    const std::string recovery = d.metastable == 1                       ? "METASTABLE"
                                 : d.recovered == 1                      ? fmt::format("{:.1f} s", d.recovery_time)
                                 : d.verdict == RecoveryKind::Recovering ? fmt::format("ETA {:.0f} s", d.drain_eta)
                                                                         : "not seen";
    std::cout << fmt::format(
        "{:>5}  {:<26}{:>15.2f}%{:>15}{:>10}{:>10.0f}%{:>14}\n", r + 1, targets[order[r]],
        100 * d.blast_radius_requests,
        fmt::format("{}/{}", std::lround(d.blast_radius_types * static_cast<double>(types)), types), d.emergent,
        100 * d.peak_unhealthy_share, recovery);
  }
  std::cout << "results: " << work.output() << "\n";
  std::cout << report_hint(work.output());
  return 0;
}

}  // namespace rapture
