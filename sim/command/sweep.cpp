#include "command/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

#include "analysis/run_metrics.hpp"
#include "command/child_runs.hpp"
#include "command/design_loader.hpp"
#include "command/interrupts.hpp"
#include "command/outputs.hpp"
#include "command/progress.hpp"
#include "command/slurm_array.hpp"
#include "common/input_file.hpp"
#include "common/limits.hpp"
#include "common/text.hpp"
#include "io/results_reader.hpp"
#include "io/scenario_reader.hpp"
#include "io/sweep/sweep_record.hpp"
#include "io/sweep/sweep_store.hpp"
#include "io/text_file.hpp"

namespace rapture {

namespace fs = std::filesystem;

namespace {

/// `faults[NAME].field` paths name the fault by its index, which `--set` understands.
void resolve_fault_names(SweepSpec& spec, const Scenario& base) {
  for (auto& f : spec.factors) {
    if (f.path.rfind("faults[", 0) != 0) continue;
    const size_t close = f.path.find(']');
    const std::string ref = f.path.substr(7, close - 7);
    if (!ref.empty() && std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (std::stoull(ref.substr(0, 12)) >= base.faults.size()) {
        throw InputError(f.where, "the scenario has " + std::to_string(base.faults.size()) +
                                      " fault(s); there is no fault " + text::excerpt(ref, 20));
      }
      continue;
    }
    std::vector<std::string_view> names;
    size_t found = base.faults.size();
    for (size_t i = 0; i < base.faults.size(); ++i) {
      names.push_back(base.faults[i].name);
      if (base.faults[i].name == ref) found = i;
    }
    if (found == base.faults.size()) {
      std::string message = "the scenario has no fault named '" + text::excerpt(ref, 40) + "'";
      if (auto near = text::near_miss(ref, names)) message += "; did you mean '" + std::string(*near) + "'?";
      if (!names.empty()) message += " (faults: " + text::one_of(names) + ")";
      throw InputError(f.where, message);
    }
    f.path = "faults[" + std::to_string(found) + "]" + f.path.substr(close + 1);
  }
}

/// Checks every factor's values on their own (an error is then the factor's, at its line) and
/// every point, and gives each run its identity.
SweepPlan identified_plan(SweepSpec& spec) {
  const std::string scenario_text = read_input_file(spec.scenario, "scenario file", limits::kInputFileBytes);
  const Scenario base = read_scenario(spec.scenario, spec.sets);
  resolve_fault_names(spec, base);
  for (const auto& f : spec.factors) {
    if (f.is_design()) {
      std::vector<std::string_view> designs{"baseline"};
      for (const auto& d : base.designs) designs.push_back(d.name);
      for (const auto& v : f.values) {
        if (std::find(designs.begin(), designs.end(), v) != designs.end()) continue;
        std::string message = "the scenario has no design '" + text::excerpt(v, 40) + "'";
        if (auto near = text::near_miss(v, designs)) message += "; did you mean '" + std::string(*near) + "'?";
        throw InputError(f.where, message + " (designs: " + text::one_of(designs) + ")");
      }
      continue;
    }
    for (const auto& v : f.values) {
      auto sets = spec.sets;
      sets.push_back(f.path + "=" + v);
      try {
        (void)load_design(spec.scenario, sets, "baseline");
      } catch (const InputError& e) {
        throw InputError(f.where, "factor '" + f.name + "', value '" + text::excerpt(v, 40) + "': " + e.what());
      }
    }
  }
  SweepPlan plan = expand_sweep(spec, spec.seed.value_or(base.seed));
  std::map<std::string, std::string> topologies;  // path -> bytes
  std::vector<std::string> point_topology(plan.points.size());
  for (size_t p = 0; p < plan.points.size(); ++p) {
    const SweepPoint& point = plan.points[p];
    std::string topology;
    try {
      topology = load_design(spec.scenario, point.sets, point.design).scenario.topology_path;
    } catch (const InputError& e) {
      throw InputError({spec.file, 0, "point " + point.label}, e.what());
    }
    if (!topologies.count(topology)) {
      topologies[topology] = read_input_file(topology, "topology file", limits::kInputFileBytes);
    }
    point_topology[p] = topology;
  }
  for (auto& run : plan.runs) {
    const SweepPoint& point = plan.points[run.point];
    run.id = run_identity(scenario_text, spec.scenario, point.sets, point.design, run.seed,
                          topologies[point_topology[run.point]], RAPTURE_VERSION);
  }
  return plan;
}

std::string run_label(const SweepStore& store, const SweepRun& run) {
  return store.plan().points[run.point].label + " r=" + std::to_string(run.replication);
}

ChildRun child_run(const SweepStore& store, const SweepRun& run) {
  const SweepPoint& point = store.plan().points[run.point];
  ChildRun c;
  c.args = {store.spec().scenario, "--seed", std::to_string(run.seed), "--design", point.design};
  for (const auto& s : point.sets) c.args.insert(c.args.end(), {"--set", s});
  c.file = store.run_file(run.id);
  c.label = run_label(store, run);
  return c;
}

/// Makes the runs `which` (indices into the plan) `jobs` at once; a failure is recorded in the
/// store and the others go on. Returns the number that failed.
size_t make_runs(const SweepStore& store, const std::vector<size_t>& which, int jobs, const std::string& self,
                 Progress& progress) {
  std::vector<ChildRun> children;
  children.reserve(which.size());
  for (size_t i : which) {
    store.clear(store.plan().runs[i].id);
    children.push_back(child_run(store, store.plan().runs[i]));
  }
  std::error_code ec;
  run_children(
      self, children, jobs,
      [&](size_t k) {
        fs::remove(children[k].file + ".log", ec);
        progress.finished(true);
      },
      [&](size_t k, const std::string& message) {
        store.record_failure(store.plan().runs[which[k]].id, message);
        fs::remove(children[k].file + ".log", ec);
        progress.finished(false);
      });
  progress.close();
  return progress.failed();
}

std::vector<size_t> runs_in(const SweepStore& store, RunState wanted_not) {
  std::vector<size_t> out;
  for (size_t i = 0; i < store.plan().runs.size(); ++i) {
    if (store.state(store.plan().runs[i].id) != wanted_not) out.push_back(i);
  }
  return out;
}

std::string stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return fmt::format("{}-{}", buf, ::getpid());
}

int submit_array(const SweepStore& store, const std::vector<size_t>& missing, const SweepArgs& args,
                 const std::string& self) {
  std::vector<std::string> ids;
  for (size_t i : missing) ids.push_back(store.plan().runs[i].id);
  const int64_t max_array = slurm_max_array_size().value_or(1001);
  const auto tasks = bundle_tasks(ids, args.runs_per_task, max_array);
  const fs::path slurm = fs::path(store.dir()) / "slurm";
  const std::string name = stamp();
  const std::string tasks_file = fs::absolute(slurm / (name + ".tasks")).string();
  const std::string script = fs::absolute(slurm / (name + ".sbatch")).string();
  std::string lines;
  for (const auto& task : tasks) {
    for (size_t k = 0; k < task.size(); ++k) lines += (k ? " " : "") + task[k];
    lines += '\n';
  }
  write_text_file(tasks_file, lines);
  const SlurmRequest request{args.partition, args.time, args.max_concurrent};
  write_text_file(script, sbatch_script(self, fs::absolute(store.dir()).string(), tasks_file,
                                        "rapture-" + store.spec().name, tasks.size(), request));
  const size_t per_task = tasks.empty() ? 0 : tasks.front().size();
  if (args.dry_run) {
    std::cout << fmt::format("wrote {} ({} tasks of up to {} runs); submit it with: sbatch {}\n", script, tasks.size(),
                             per_task, script);
    return 0;
  }
  const std::string job = submit(script);
  write_text_file((slurm / "latest").string(), name + "\n");
  std::cout << fmt::format(
      "submitted job array {}: {} tasks of up to {} runs ({} missing runs){}\n"
      "follow it with: rapture sweep status {}\n",
      job, tasks.size(), per_task, missing.size(),
      args.max_concurrent > 0 ? fmt::format(", {} at once", args.max_concurrent) : std::string(), store.dir());
  return 0;
}

}  // namespace

int sweep_command(const SweepArgs& args, const std::string& self) {
  SweepSpec spec = read_sweep_file(args.sweep_file);
  if (args.slurm && !args.dry_run && !sbatch_available()) {
    throw InputError({args.sweep_file, 0, ""},
                     "--slurm needs Slurm's sbatch on the PATH (or --dry-run to only write the script)");
  }
  const SweepPlan plan = identified_plan(spec);
  const std::string dir = args.store.empty() ? default_output(spec.name, ".sweep") : args.store;
  const SweepStore store = SweepStore::prepare(dir, spec, plan, RAPTURE_VERSION);
  const std::vector<size_t> missing = runs_in(store, RunState::Done);
  const size_t total = store.plan().runs.size();
  if (missing.empty()) {
    std::cout << fmt::format("sweep {}: all {} runs are done; merge them: rapture sweep merge {} -o {}.h5\n", spec.name,
                             total, dir, spec.name);
    return 0;
  }
  if (args.slurm) return submit_array(store, missing, args, self);
  store.remove_stale_temporaries();
  Progress progress("sweep " + spec.name, total, total - missing.size());
  const size_t failed = make_runs(store, missing, job_count(args.jobs, missing.size()), self, progress);
  std::cout << fmt::format("sweep {}: {} of {} runs done, {} failed (store {})\n", spec.name, total - failed, total,
                           failed, dir);
  if (failed > 0) {
    std::cout << fmt::format("see why: rapture sweep status {}; rerun to retry them\n", dir);
    return 1;
  }
  std::cout << fmt::format("merge them: rapture sweep merge {} -o {}.h5\n", dir, spec.name);
  return 0;
}

int sweep_status_command(const std::string& dir) {
  const SweepStore store = SweepStore::open(dir);
  const auto& runs = store.plan().runs;
  std::vector<size_t> failed, missing;
  std::unordered_map<std::string, RunState> state;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunState s = store.state(runs[i].id);
    state[runs[i].id] = s;
    if (s == RunState::Failed) failed.push_back(i);
    if (s == RunState::Missing) missing.push_back(i);
  }
  const size_t done = runs.size() - failed.size() - missing.size();
  std::cout << fmt::format("sweep {} ({}): {} runs: {} done, {} missing, {} failed\n", store.spec().name, dir,
                           runs.size(), done, missing.size(), failed.size());
  for (size_t k = 0; k < failed.size() && k < 20; ++k) {
    const auto& run = runs[failed[k]];
    std::cout << fmt::format("  failed: {} ({}): {}\n", run_label(store, run), run.id.substr(0, 12),
                             store.failure(run.id));
  }
  if (failed.size() > 20) std::cout << fmt::format("  ... and {} more failed runs\n", failed.size() - 20);
  if (failed.empty() && missing.empty()) {
    std::cout << fmt::format("complete; merge: rapture sweep merge {} -o {}.h5\n", dir, store.spec().name);
    return 0;
  }
  // The last job array: which of its tasks still have a run to make.
  const fs::path slurm = fs::path(dir) / "slurm";
  std::ifstream latest(slurm / "latest");
  std::string name;
  if (std::getline(latest, name) && !name.empty()) {
    std::ifstream tasks(slurm / (name + ".tasks"));
    std::vector<int64_t> holes;
    std::string line;
    for (int64_t index = 0; std::getline(tasks, line); ++index) {
      std::istringstream ids(line);
      std::string id;
      while (ids >> id) {
        const auto it = state.find(id);
        if (it != state.end() && it->second != RunState::Done) {
          holes.push_back(index);
          break;
        }
      }
    }
    if (!holes.empty()) {
      std::cout << fmt::format("tasks of the last job array with runs to make: --array={}\n", array_list(holes));
      std::cout << fmt::format("resubmit them: sbatch --array={} {}\n", array_list(holes),
                               fs::absolute(slurm / (name + ".sbatch")).string());
    }
  }
  std::cout << fmt::format("or make them here: rapture sweep {} -o {}\n", store.spec().file, dir);
  return 0;
}

int sweep_task_command(const std::string& dir, const std::string& tasks_file, int64_t index, const std::string& self) {
  const SweepStore store = SweepStore::open(dir);
  std::istringstream tasks(read_input_file(tasks_file, "task list", limits::kInputFileBytes));
  std::string line;
  for (int64_t i = 0; i <= index; ++i) {
    if (!std::getline(tasks, line)) {
      throw InputError({tasks_file, 0, ""},
                       "there is no task " + std::to_string(index) + " (the list has " + std::to_string(i) + ")");
    }
  }
  std::unordered_map<std::string, size_t> by_id;
  for (size_t i = 0; i < store.plan().runs.size(); ++i) by_id[store.plan().runs[i].id] = i;
  std::vector<size_t> which;
  std::istringstream ids(line);
  std::string id;
  while (ids >> id) {
    const auto it = by_id.find(id);
    if (it == by_id.end())
      throw InputError({tasks_file, static_cast<int>(index + 1), ""}, "run " + id + " is not in the store");
    if (store.state(id) != RunState::Done) which.push_back(it->second);
  }
  if (which.empty()) return 0;
  Progress progress(fmt::format("sweep {} task {}", store.spec().name, index), which.size(), 0);
  return make_runs(store, which, 1, self, progress) > 0 ? 1 : 0;
}

int sweep_merge_command(const std::string& dir, const std::string& output, bool partial) {
  const SweepStore store = SweepStore::open(dir);
  const auto& runs = store.plan().runs;
  std::vector<size_t> left_out;
  std::vector<std::pair<std::string, int>> sources;
  SweepValues values;
  values.metrics = store.spec().metrics;
  if (values.metrics.empty()) {
    for (const auto& m : run_metrics()) values.metrics.emplace_back(m.shown.name);
  }
  values.merged.assign(runs.size(), -1);
  for (size_t i = 0; i < runs.size(); ++i) {
    if (store.state(runs[i].id) != RunState::Done) {
      left_out.push_back(i);
      continue;
    }
    values.merged[i] = static_cast<int64_t>(sources.size());
    sources.emplace_back(store.run_file(runs[i].id), 0);
  }
  if (!left_out.empty() && !partial) {
    std::string names;
    for (size_t k = 0; k < left_out.size() && k < 5; ++k) names += "\n  " + run_label(store, runs[left_out[k]]);
    if (left_out.size() > 5) names += fmt::format("\n  ... and {} more", left_out.size() - 5);
    throw InputError({dir, 0, ""}, fmt::format("{} of {} runs are not done:{}\nmake them (rapture sweep status {} "
                                               "says how) or merge what there is with --partial",
                                               left_out.size(), runs.size(), names, dir));
  }
  if (sources.empty()) throw InputError({dir, 0, ""}, "no run of the sweep is done: nothing to merge");
  WorkDir work(output);
  // One run's digest at a time: memory holds the metric values, not the runs.
  values.values.assign(runs.size() * values.metrics.size(), NAN);
  for (size_t i = 0; i < runs.size(); ++i) {
    if (values.merged[i] < 0) continue;
    const RunDigest digest = read_run_digest(store.run_file(runs[i].id));
    for (size_t m = 0; m < values.metrics.size(); ++m) {
      values.values[i * values.metrics.size() + m] = run_metric(values.metrics[m]).measure(digest);
    }
  }
  copy_runs(sources, work.merged_file(), RAPTURE_VERSION);
  write_sweep_record(work.merged_file(), store, values);
  work.publish();
  std::cout << fmt::format("merged {} runs of sweep {} into {}{}\n", sources.size(), store.spec().name, output,
                           left_out.empty() ? std::string() : fmt::format(" ({} left out)", left_out.size()));
  return 0;
}

}  // namespace rapture
