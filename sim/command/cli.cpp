#include "command/cli.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command/amplify.hpp"
#include "command/child_runs.hpp"
#include "command/compare.hpp"
#include "command/interrupts.hpp"
#include "command/premortem.hpp"
#include "command/report.hpp"
#include "command/run.hpp"
#include "command/suggest.hpp"
#include "command/sweep.hpp"
#include "command/topology.hpp"
#include "command/validate.hpp"
#include "common/error.hpp"

namespace rapture {

namespace {

/// Usage errors (a missing or unknown subcommand or option, a value that does not parse or is out
/// of range) exit with this status, whatever CLI11's own code for the case.
constexpr int kUsageExit = 2;

/// `--seed`: the range YAML's `seed:` accepts, a whole number in [0, 2^64).
void add_seed_option(CLI::App* command, std::optional<uint64_t>& seed, const char* help) {
  command->add_option_function<std::string>(
      "--seed",
      [&seed](const std::string& text) {
        uint64_t value = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
          throw CLI::ValidationError("--seed",
                                     "the seed must be a non-negative whole number below 2^64, got '" + text + "'");
        }
        seed = value;
      },
      help);
}

/// `-j`: at least one process (job_count() lowers too many, with a note).
void add_jobs_option(CLI::App* command, int& jobs) {
  command->add_option("-j,--jobs", jobs, "Runs at once (separate processes)")
      ->capture_default_str()
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
}

/// `--memory-limit`: the most memory a command may plan to use (parse_memory_size's forms).
template <typename Limit>
void add_memory_limit_option(CLI::App* command, Limit& limit) {
  command->add_option_function<std::string>(
      "--memory-limit",
      [&limit](const std::string& text) {
        const auto bytes = parse_memory_size(text);
        if (!bytes) {
          throw CLI::ValidationError("--memory-limit",
                                     "expected a size such as 8GiB, 512MiB or 2GB, got '" + text + "'");
        }
        limit = *bytes;
      },
      "Refuse, before starting, what is estimated to need more memory than this (default: " +
          format_bytes(static_cast<double>(default_memory_limit())) + ", or 3/4 of physical memory if less)");
}

/// Where the runs of a sweep, a comparison or a pre-mortem are made: -j here, or --slurm.
void add_executor_options(CLI::App* command, ExecutorOptions& options) {
  add_jobs_option(command, options.jobs);
  add_memory_limit_option(command, options.memory_limit);
  command->add_flag("--slurm", options.slurm,
                    "Submit a Slurm job array over the runs still to make instead of running them here");
  command->add_option("--partition", options.request.partition, "--slurm: the partition (sbatch --partition)");
  command->add_option("--time", options.request.time, "--slurm: each task's time limit (sbatch --time)");
  command->add_option("--max-concurrent", options.request.max_concurrent, "--slurm: array tasks at once (%N)")
      ->check(CLI::Range(1, 1'000'000));
  command->add_option("--runs-per-task", options.runs_per_task, "--slurm: runs each array task makes")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  command->add_flag("--dry-run", options.dry_run, "--slurm: write the sbatch script, do not submit it");
  command->add_flag("-q,--quiet", options.quiet, "No progress line on stderr");
}

}  // namespace

int cli_main(int argc, char** argv) {
  // Before any thread exists: an interrupt removes temporary files and stops the child runs.
  interrupts::install();
  watch_parent();  // a child run of amplify, compare, premortem or a sweep ends with its parent
  // SimGrid's own options (--cfg=..., --log=...) pass through to the engine; CLI11 sees the rest.
  std::vector<std::string> simgrid_args;
  std::vector<std::string> rest;
  for (int i = argc - 1; i >= 1; --i) {
    const std::string a = argv[i];
    if (a.rfind("--cfg=", 0) == 0 || a.rfind("--log=", 0) == 0) {
      simgrid_args.insert(simgrid_args.begin(), a);
    } else {
      rest.push_back(a);  // CLI11 takes the arguments in reverse order
    }
  }

  CLI::App app{"rapture: discrete-event simulation of microservice failure dynamics on SimGrid"};
  app.set_version_flag("--version", std::string("rapture ") + RAPTURE_VERSION);
  app.require_subcommand(1);

  RunArgs args;  // validate fills its DesignArgs part
  auto* run = app.add_subcommand("run", "Simulate a scenario and write its results to an HDF5 file");
  run->add_option("scenario", args.scenario, "Scenario file (YAML)")->required();
  run->add_option("-o,--output", args.output, "Results file (default: <scenario name>.h5 in the current directory)");
  add_seed_option(run, args.seed, "Seed, replacing the scenario's");
  run->add_option("--set", args.sets, "Override a scenario setting, KEY=VALUE (e.g. services.payment.replicas=3)")
      ->take_all();
  run->add_flag("-q,--quiet", args.quiet, "Print nothing but errors (and an unmet hypothesis)");
  run->add_option("--dot", args.dot, "Write the propagation graph of the cascade analysis as Graphviz DOT");
  run->add_flag("--journal", args.journal,
                "Print the whole signal journal (default: the first entry of each category)");
  run->add_flag("--strict", args.strict, "Exit with status 3 when a probe of the scenario's hypothesis is not met");
  run->add_option("--design", args.design, "Run this design variant of the scenario (see designs:)")
      ->capture_default_str();
  run->add_option("--design-dot", args.design_dot, "Write the design's topology as Graphviz DOT");
  add_memory_limit_option(run, args.memory_limit);

  auto* validate = app.add_subcommand("validate", "Check a scenario and its topology without simulating");
  validate->add_option("scenario", args.scenario, "Scenario file (YAML)")->required();
  validate->add_option("--set", args.sets, "Override a scenario setting, KEY=VALUE")->take_all();
  validate->add_option("--design", args.design, "Check this design variant")->capture_default_str();
  validate->add_option("--design-dot", args.design_dot, "Write the design's topology as Graphviz DOT");
  add_memory_limit_option(validate, args.memory_limit);

  std::string topology_file;
  auto* topology = app.add_subcommand("topology", "Describe a topology: services, edges, depth, fan-out, cycles");
  topology->add_option("file", topology_file, "Topology file (Graphviz DOT or GraphML)")->required();

  AmplifyArgs amp;
  std::string fault_name;
  auto* amplify = app.add_subcommand("amplify", "Ramp one magnitude and find the tipping point where a run cascades");
  amplify->add_option("scenario", amp.scenario, "Scenario file (YAML)")->required();
  amplify->add_option("--fault", fault_name, "The fault whose parameter --param is (else --param is a scenario path)");
  amplify
      ->add_option("--param", amp.param,
                   "The magnitude: a fault's field (latency, error_rate, factor, size, duration) "
                   "or a scenario path such as workload[0].arrivals.rate")
      ->required();
  amplify->add_option("--from", amp.from, "Lower end of the range, with its unit (e.g. 100/s, 20ms)")->required();
  amplify->add_option("--to", amp.to, "Upper end of the range")->required();
  amplify
      ->add_option(
          "--criterion", amp.criterion,
          "goodput:F (served share of the offered load below F), error_rate:X (above X), "
          "unhealthy:F (share of services unhealthy at once above F), "
          "no_recovery:F@T (served share over the last T below F, unless the analysis sees the backlog draining)")
      ->capture_default_str();
  amplify->add_option("--param2", amp.param2,
                      "Map mode: a second magnitude; the grid of both is run and each point "
                      "marked recovered, degraded or metastable");
  amplify->add_option("--from2", amp.from2, "Map mode: lower end of the second range");
  amplify->add_option("--to2", amp.to2, "Map mode: upper end of the second range");
  amplify->add_option("--points2", amp.points2, "Map mode: points of the second range")->capture_default_str();
  amplify->add_option("--points", amp.points, "Points of the first ramp")->capture_default_str();
  amplify->add_option("--rounds", amp.rounds, "Bisection rounds after the ramp")->capture_default_str();
  amplify
      ->add_option("-r,--replications", amp.replications,
                   "Runs of each magnitude on paired seeds; with 2 or more the tipping point is an interval from a "
                   "logistic fit of the cascade probability")
      ->capture_default_str();
  add_jobs_option(amplify, amp.jobs);
  amplify->add_flag("-q,--quiet", amp.quiet, "No progress line on stderr");
  add_memory_limit_option(amplify, amp.memory_limit);
  amplify->add_option("-o,--output", amp.output, "Results file (default: <scenario name>-amplify.h5)");
  add_seed_option(amplify, amp.seed, "Seed, replacing the scenario's");
  amplify->add_option("--set", amp.sets, "Override a scenario setting, KEY=VALUE")->take_all();

  PremortemArgs pm;
  auto* premortem =
      app.add_subcommand("premortem", "Crash each service in turn and rank them by the harm their loss does");
  premortem->add_option("scenario", pm.scenario, "Scenario file (YAML); its own faults are replaced by each crash")
      ->required();
  premortem->add_option("--start", pm.start, "When each crash starts (default: a third into the measured run)");
  premortem->add_option("--duration", pm.duration, "How long each crash lasts (default: a third of the measured run)");
  premortem->add_option("--services", pm.services, "Only these services (default: all)")->delimiter(',');
  pm.executor.jobs = 2;
  add_executor_options(premortem, pm.executor);
  premortem->add_option("--store", pm.store,
                        "Keep the runs in this sweep store: a rerun makes only the missing ones (default with "
                        "--slurm: <scenario name>-premortem.sweep; otherwise a temporary one)");
  premortem->add_option("-o,--output", pm.output, "Results file (default: <scenario name>-premortem.h5)");
  add_seed_option(premortem, pm.seed, "Seed, replacing the scenario's");
  premortem->add_option("--set", pm.sets, "Override a scenario setting, KEY=VALUE")->take_all();

  CompareArgs cmp;
  auto* compare = app.add_subcommand("compare",
                                     "Run the baseline and design variants with the same seeds and faults, "
                                     "side by side");
  compare->add_option("scenario", cmp.scenario, "Scenario file (YAML) with designs:")->required();
  compare
      ->add_option("--designs", cmp.designs,
                   "Designs to compare, the first the reference (default: baseline and "
                   "every design of the scenario)")
      ->delimiter(',');
  compare->add_option("-r,--replications", cmp.replications, "Runs of each design, seeds seed..seed+R-1")
      ->capture_default_str();
  cmp.executor.jobs = 2;
  add_executor_options(compare, cmp.executor);
  compare->add_option("--store", cmp.store,
                      "Keep the runs in this sweep store: a rerun makes only the missing ones (default with "
                      "--slurm: <scenario name>-compare.sweep; otherwise a temporary one)");
  compare->add_option("-o,--output", cmp.output, "Results file (default: <scenario name>-compare.h5)");
  compare->add_option("--dot-dir", cmp.dot_dir, "Write each design's topology as <design>.dot in this directory");
  add_seed_option(compare, cmp.seed, "First seed, replacing the scenario's");
  compare->add_option("--set", cmp.sets, "Override a scenario setting, KEY=VALUE")->take_all();

  SuggestArgs sug;
  std::string suggest_fault;
  bool no_ablation = false;
  auto* suggest = app.add_subcommand(
      "suggest",
      "Post-mortem of possibility: redesigns from a cascade, tested, and the policies not earning their keep");
  suggest->add_option("scenario", sug.scenario, "Scenario file (YAML) with a fault (or amplify options)")->required();
  suggest->add_option("--design", sug.design, "Start from this design of the scenario")->capture_default_str();
  suggest->add_option("-r,--replications", sug.replications, "Runs of each design, seeds seed..seed+R-1 (at least 2)")
      ->capture_default_str();
  suggest->add_option("--top", sug.top, "Candidates shown and written by --write-designs")->capture_default_str();
  suggest->add_option("--cells", sug.cells, "Cells of the cell-based candidates")
      ->capture_default_str()
      ->check(CLI::Range(2, 64));
  suggest->add_flag("--no-ablation", no_ablation, "Do not remove each configured policy in turn");
  suggest->add_option("--write-designs", sug.write_designs,
                      "Write the candidates that harm users less as a designs: section (YAML) to this file");
  suggest->add_option("--fault", suggest_fault, "Amplify: the fault whose parameter --param is");
  suggest->add_option("--param", sug.amplify.param,
                      "Amplify first: the magnitude to ramp (a scenario path, or a field of --fault); the "
                      "suggestions work at the first cascading magnitude");
  suggest->add_option("--from", sug.amplify.from, "Amplify: lower end of the range");
  suggest->add_option("--to", sug.amplify.to, "Amplify: upper end of the range");
  suggest->add_option("--criterion", sug.amplify.criterion, "Amplify: what counts as a cascade")->capture_default_str();
  sug.executor.jobs = 2;
  add_executor_options(suggest, sug.executor);
  suggest->add_option("--store", sug.store,
                      "Keep the runs in this sweep store: a rerun makes only the missing ones (default with "
                      "--slurm: <scenario name>-suggest.sweep; otherwise a temporary one)");
  suggest->add_option("-o,--output", sug.output, "Results file (default: <scenario name>-suggest.h5)");
  add_seed_option(suggest, sug.seed, "First seed, replacing the scenario's");
  suggest->add_option("--set", sug.sets, "Override a scenario setting, KEY=VALUE")->take_all();

  ReportArgs rep;
  auto* report =
      app.add_subcommand("report", "One self-contained HTML page of plots from a results file (docs/report.md)");
  report->add_option("file", rep.file, "Results file (HDF5)")->required();
  report->add_option("-o,--output", rep.output, "HTML file to write (default: FILE with .html)");
  report->add_option("--png", rep.png_dir, "Also write every figure as a PNG into this directory");
  report->add_option("--run", rep.runs, "Draw this run (repeatable) instead of the runs chosen for the file's kind");

  SweepArgs sw;
  auto* sweep = app.add_subcommand("sweep",
                                   "Run a sweep file's grid of factors x replications into a store, here or as a "
                                   "Slurm job array; only the missing runs (docs/sweep-format.md)");
  sweep->add_option("sweep_file", sw.sweep_file, "Sweep file (YAML)");
  sweep->add_option("-o,--output", sw.store, "Store directory (default: <sweep name>.sweep)");
  add_executor_options(sweep, sw.executor);
  std::string store_dir, merge_output, tasks_file;
  bool partial = false;
  int64_t task_index = 0;
  auto* sweep_status =
      sweep->add_subcommand("status", "Done, missing and failed runs of a store, and how to make the missing");
  sweep_status->add_option("store", store_dir, "Store directory")->required();
  auto* sweep_merge = sweep->add_subcommand("merge", "Merge a store's runs into one results file with /sweep");
  sweep_merge->add_option("store", store_dir, "Store directory")->required();
  sweep_merge->add_option("-o,--output", merge_output, "Results file")->required();
  sweep_merge->add_flag("--partial", partial, "Merge the runs that are done, leaving out the missing ones");
  auto* sweep_task = sweep->add_subcommand("task", "One task of a sweep's job array (what the sbatch script runs)");
  sweep_task->add_option("store", store_dir, "Store directory")->required();
  sweep_task->add_option("tasks", tasks_file, "The array's task list")->required();
  sweep_task->add_option("index", task_index, "The task (a line of the list, from 0)")
      ->required()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  std::optional<uint64_t> task_memory_limit;
  add_memory_limit_option(sweep_task, task_memory_limit);

  try {
    app.parse(rest);
    if (*sweep && !*sweep_status && !*sweep_merge && !*sweep_task && sw.sweep_file.empty()) {
      throw CLI::RequiredError("sweep_file (or one of: status, merge, task)");
    }
    sug.ablation = !no_ablation;
  } catch (const CLI::ParseError& e) {
    // --help and --version are successes; every other parse error is a usage error.
    const int code = app.exit(e);
    return code == static_cast<int>(CLI::ExitCodes::Success) ? code : kUsageExit;
  }
  try {
    if (*run) return run_command(args, simgrid_args);
    if (*validate) return validate_command(args, args.memory_limit);
    if (*topology) return topology_command(topology_file);
    if (*report) return report_command(rep);
    if (*sweep_status) return sweep_status_command(store_dir);
    if (*sweep_merge) return sweep_merge_command(store_dir, merge_output, partial);
    if (*amplify || *premortem || *compare || *sweep || *suggest) {
      const std::string self = self_executable();
      if (self.empty()) throw Error("cannot find the rapture executable to run the points");
      if (*suggest) {
        if (!suggest_fault.empty()) sug.amplify.fault = suggest_fault;
        return suggest_command(sug, self);
      }
      if (*premortem) return premortem_command(pm, self);
      if (*compare) return compare_command(cmp, self);
      if (*sweep_task) return sweep_task_command(store_dir, tasks_file, task_index, task_memory_limit, self);
      if (*sweep) return sweep_command(sw, self);
      if (!fault_name.empty()) amp.fault = fault_name;
      return amplify_command(amp, self);
    }
  } catch (const Error& e) {
    std::cerr << "rapture: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rapture: internal error: " << e.what() << "\n";
    return 70;
  }
  return 0;
}

}  // namespace rapture
