#include "command/sweep.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

#include "analysis/run_metrics.hpp"
#include "command/child_runs.hpp"
#include "command/outputs.hpp"
#include "command/progress.hpp"
#include "command/slurm_array.hpp"
#include "command/sweep_executor.hpp"
#include "common/input_file.hpp"
#include "common/limits.hpp"
#include "io/results_reader.hpp"
#include "io/sweep/sweep_record.hpp"
#include "io/sweep/sweep_store.hpp"

namespace rapture {

namespace fs = std::filesystem;

int sweep_command(const SweepArgs& args, const std::string& self) {
  SweepSpec spec = read_sweep_file(args.sweep_file);
  const std::string dir = args.store.empty() ? default_output(spec.name, ".sweep") : args.store;
  const SweepAdvance advance = advance_sweep(spec, dir, args.executor, self, "sweep " + spec.name,
                                             "follow it with: rapture sweep status " + dir);
  if (advance.submitted) return 0;
  const size_t total = advance.store.plan().runs.size();
  if (advance.made == 0) {
    std::cout << fmt::format("sweep {}: all {} runs are done; merge them: rapture sweep merge {} -o {}.h5\n", spec.name,
                             total, dir, spec.name);
    return 0;
  }
  std::cout << fmt::format("sweep {}: {} of {} runs done, {} failed (store {})\n", spec.name, total - advance.failed,
                           total, advance.failed, dir);
  if (advance.failed > 0) {
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

int sweep_task_command(const std::string& dir, const std::string& tasks_file, int64_t index,
                       std::optional<uint64_t> memory_limit, const std::string& self) {
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
  ExecutorOptions options;
  options.memory_limit = memory_limit;
  return make_runs(store, which, options, self, progress) > 0 ? 1 : 0;
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
