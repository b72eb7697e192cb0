#include "command/compare.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "analysis/design_comparison.hpp"
#include "analysis/run_metrics.hpp"
#include "analysis/structural_complexity.hpp"
#include "command/child_runs.hpp"
#include "command/design_loader.hpp"
#include "command/outputs.hpp"
#include "command/sweep_executor.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "io/comparison_record.hpp"
#include "io/results_reader.hpp"
#include "io/scenario_reader.hpp"
#include "io/text_file.hpp"
#include "io/topology_reader.hpp"
#include "model/system.hpp"

namespace rapture {

std::vector<double> design_metric_values(const DesignFacts& facts) {
  std::vector<double> out;
  for (const auto& m : design_metrics()) out.push_back(m.measure(facts));
  return out;
}

SweepSpec design_sweep(const std::string& scenario, const std::string& name, const std::vector<std::string>& sets,
                       const std::vector<std::string>& designs, int replications, uint64_t seed) {
  SweepSpec draft;
  draft.name = name;
  draft.scenario = std::filesystem::absolute(scenario).string();
  draft.sets = sets;
  draft.factors.push_back({"design", "", designs, {}, {}});
  draft.replications = replications;
  draft.seed = seed;
  draft.reference = designs.front();
  return draft;
}

size_t metric_index(const ComparisonInput& input, std::string_view name) {
  const auto& rows = input.metrics;
  return static_cast<size_t>(
      std::find_if(rows.begin(), rows.end(), [&](const ComparedMetric& m) { return m.name == name; }) - rows.begin());
}

std::vector<std::pair<std::string, int>> tabulate_comparison(const SweepStore& store, size_t replications,
                                                             const std::vector<std::vector<double>>& fixed,
                                                             ComparisonRecord& record) {
  std::vector<std::string> files;
  std::vector<RunDigest> digests;
  for (const auto& run : store.plan().runs) {  // design d's replication r is run d * replications + r
    files.push_back(store.run_file(run.id));
    digests.push_back(read_run_digest(files.back(), 0));
  }
  // The table's rows: the run metrics compared, outcome under the fault first, then cost and structure.
  record.input.metrics.clear();
  for (const auto& m : run_metrics()) {
    if (m.compared) record.input.metrics.push_back(m.shown);
  }
  for (const auto& m : design_metrics()) record.input.metrics.push_back(m.shown);
  std::vector<std::pair<std::string, int>> sources;
  record.input.values.clear();
  record.runs.clear();
  for (size_t d = 0; d < fixed.size(); ++d) {
    record.input.values.emplace_back();
    record.runs.emplace_back();
    for (size_t r = 0; r < replications; ++r) {
      std::vector<double> values;
      for (const auto& m : run_metrics()) {
        if (m.compared) values.push_back(m.measure(digests[d * replications + r]));
      }
      values.insert(values.end(), fixed[d].begin(), fixed[d].end());
      record.input.values.back().push_back(std::move(values));
      record.runs.back().push_back(static_cast<int>(sources.size()));
      sources.emplace_back(files[d * replications + r], 0);
    }
  }
  record.comparison = compare_designs(record.input);
  return sources;
}

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
      if (designs[i] == designs[j])
        throw InputError({"--designs", 0, ""}, "design '" + designs[i] + "' is named twice");
    }
  }
  if (designs.size() < 2) throw InputError({"--designs", 0, ""}, "name at least two designs to compare");

  print_scenario_notes(base);
  // Memory first, from the graph as written: no design is expanded that would not fit.
  const uint64_t memory_limit = args.executor.memory_limit.value_or(default_memory_limit());
  for (const auto& name : designs) check_design_memory(args.scenario, args.sets, name, memory_limit);
  // On a cluster each run has its task's memory to itself.
  const int jobs =
      args.executor.slurm ? 1 : job_count(args.executor.jobs, designs.size() * static_cast<size_t>(args.replications));

  // Every output is checked and every design transformed and checked here, before any run starts.
  WorkDir work(args.output.empty() ? default_output(base.name, "-compare.h5") : args.output);
  if (!args.dot_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.dot_dir, ec);
    if (ec) throw OutputError("cannot write in --dot-dir '" + args.dot_dir + "': " + ec.message());
    for (const auto& name : designs) require_text_output(args.dot_dir + "/" + name + ".dot", {args.scenario});
  }
  ComparisonRecord record;
  record.scenario = args.scenario;
  std::vector<std::vector<double>> fixed;  // [d]: the design metrics
  for (const auto& name : designs) {
    DesignedScenario d = load_design(args.scenario, args.sets, name);
    const System sys = build_system(d.topology, d.scenario);
    check_run_memory(args.scenario, sys, memory_limit, jobs);
    const DesignFacts facts{cost_of(sys), structural_complexity(d.topology)};
    fixed.push_back(design_metric_values(facts));
    const DesignSpec* spec = find_design(d.scenario, name);
    record.designs.push_back(name);
    record.design_descriptions.push_back(spec ? spec->description : "the scenario as written: its local tolerance");
    std::ostringstream dot;
    write_topology_dot(d.topology, dot);
    record.design_dot.push_back(dot.str());
    std::cout << fmt::format("{:<14}{}\n", name, format_structural_complexity(facts.structure));
    for (const auto& note : d.notes) std::cout << fmt::format("{:<14}note: {}\n", "", note);
    if (!args.dot_dir.empty()) write_text_file(args.dot_dir + "/" + name + ".dot", dot.str());
  }

  // The runs: a sweep over the design, replication r of every design with seed seed0 + r.
  const uint64_t seed0 = args.seed.value_or(base.seed);
  for (int r = 0; r < args.replications; ++r) record.seeds.push_back(seed0 + static_cast<uint64_t>(r));
  const size_t reps = static_cast<size_t>(args.replications);
  const SweepSpec draft =
      design_sweep(args.scenario, base.name + "-compare", args.sets, designs, args.replications, seed0);
  ExecutorOptions options = args.executor;
  options.jobs = jobs;
  const SweepAdvance advance = advance_command_sweep(
      draft, {"compare", base.name, args.store, work.place("store"), "compare the designs"}, options, self);
  if (advance.submitted) return 0;
  record.input.designs = designs;
  const auto sources = tabulate_comparison(advance.store, reps, fixed, record);

  // The verdict: how far each design contains the failure against the reference, and its cost.
  const auto& est = record.comparison.estimates;
  const auto& verdict = record.comparison.verdict;
  const size_t users = metric_index(record.input, "users_failing"), replicas = metric_index(record.input, "replicas");
  std::string sentence;
  for (size_t d = 1; d < designs.size(); ++d) {
    const char* how = verdict[d][users] > 0   ? "fewer"
                      : verdict[d][users] < 0 ? "more"
                                              : "not distinguishably different";
    sentence +=
        fmt::format("{}{}: {} of users failing against {} for {} ({}), {:.0f} replicas against {:.0f}",
                    sentence.empty() ? "" : "; ", designs[d], text::percent(est[d][users].mean),
                    text::percent(est[0][users].mean), designs[0], how, est[d][replicas].mean, est[0][replicas].mean);
  }
  record.verdict = sentence;
  copy_runs(sources, work.merged_file(), RAPTURE_VERSION);
  write_comparison_record(work.merged_file(), record);
  work.publish();

  std::cout << fmt::format("\nrapture compare: '{}', {} designs x {} replications (seeds {}..{}), same faults\n\n",
                           base.name, designs.size(), reps, record.seeds.front(), record.seeds.back());
  std::cout << format_comparison(record.input, record.comparison);
  std::cout << "\n" << record.verdict << "\n";
  std::cout << "results: " << work.output() << "\n";
  std::cout << report_hint(work.output());
  return 0;
}

}  // namespace rapture
