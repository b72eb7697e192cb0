#include "command/sweep_executor.hpp"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "command/child_runs.hpp"
#include "command/design_loader.hpp"
#include "command/outputs.hpp"
#include "common/input_file.hpp"
#include "common/limits.hpp"
#include "common/text.hpp"
#include "io/scenario_reader.hpp"
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

ChildRun child_run(const SweepStore& store, const SweepRun& run, std::optional<uint64_t> memory_limit) {
  const SweepPoint& point = store.plan().points[run.point];
  ChildRun c;
  c.args = {store.spec().scenario, "--seed", std::to_string(run.seed), "--design", point.design};
  for (const auto& s : point.sets) c.args.insert(c.args.end(), {"--set", s});
  if (memory_limit) c.args.insert(c.args.end(), {"--memory-limit", std::to_string(*memory_limit)});
  c.file = store.run_file(run.id);
  c.label = run_label(store, run);
  return c;
}

std::string stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return fmt::format("{}-{}", buf, ::getpid());
}

}  // namespace

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

std::vector<size_t> runs_to_make(const SweepStore& store) {
  std::vector<size_t> out;
  for (size_t i = 0; i < store.plan().runs.size(); ++i) {
    if (store.state(store.plan().runs[i].id) != RunState::Done) out.push_back(i);
  }
  return out;
}

std::string run_label(const SweepStore& store, const SweepRun& run) {
  return store.plan().points[run.point].label + " r=" + std::to_string(run.replication);
}

size_t make_runs(const SweepStore& store, const std::vector<size_t>& which, const ExecutorOptions& options,
                 const std::string& self, Progress& progress) {
  std::vector<ChildRun> children;
  children.reserve(which.size());
  for (size_t i : which) {
    store.clear(store.plan().runs[i].id);
    children.push_back(child_run(store, store.plan().runs[i], options.memory_limit));
  }
  std::error_code ec;
  run_children(
      self, children, options.jobs,
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

void submit_array(const SweepStore& store, const std::vector<size_t>& which, const ExecutorOptions& options,
                  const std::string& self, const std::string& then) {
  std::vector<std::string> ids;
  for (size_t i : which) ids.push_back(store.plan().runs[i].id);
  const int64_t max_array = slurm_max_array_size().value_or(1001);
  const auto tasks = bundle_tasks(ids, options.runs_per_task, max_array);
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
  std::vector<std::string> task_options;
  if (options.memory_limit) task_options = {"--memory-limit", std::to_string(*options.memory_limit)};
  write_text_file(script, sbatch_script(self, fs::absolute(store.dir()).string(), tasks_file,
                                        "rapture-" + store.spec().name, tasks.size(), options.request, task_options));
  const size_t per_task = tasks.empty() ? 0 : tasks.front().size();
  if (options.dry_run) {
    std::cout << fmt::format("wrote {} ({} tasks of up to {} runs); submit it with: sbatch {}\n", script, tasks.size(),
                             per_task, script);
    return;
  }
  const std::string job = submit(script);
  write_text_file((slurm / "latest").string(), name + "\n");
  std::cout << fmt::format(
      "submitted job array {}: {} tasks of up to {} runs ({} runs to make){}\n{}\n", job, tasks.size(), per_task,
      which.size(),
      options.request.max_concurrent > 0 ? fmt::format(", {} at once", options.request.max_concurrent) : std::string(),
      then);
}

SweepAdvance advance_sweep(SweepSpec& spec, const std::string& dir, ExecutorOptions options, const std::string& self,
                           const std::string& what, const std::string& then) {
  if (options.slurm && !options.dry_run && !sbatch_available()) {
    throw InputError({spec.file, 0, ""},
                     "--slurm needs Slurm's sbatch on the PATH (or --dry-run to only write the script)");
  }
  const SweepPlan plan = identified_plan(spec);
  SweepAdvance advance{SweepStore::prepare(dir, spec, plan, RAPTURE_VERSION)};
  const std::vector<size_t> todo = runs_to_make(advance.store);
  if (todo.empty()) return advance;
  if (options.slurm) {
    submit_array(advance.store, todo, options, self, then);
    advance.submitted = true;
    return advance;
  }
  advance.store.remove_stale_temporaries();
  const size_t total = advance.store.plan().runs.size();
  Progress progress(what, total, total - todo.size(), options.quiet);
  options.jobs = job_count(options.jobs, todo.size());
  advance.failed = make_runs(advance.store, todo, options, self, progress);
  advance.made = todo.size();
  // Again at the end: a writer killed just before this sweep started has ended by now.
  advance.store.remove_stale_temporaries();
  return advance;
}

SweepSpec declared_sweep(const SweepSpec& draft, const std::string& dir) {
  return parse_sweep(sweep_file_text(draft), (fs::path(dir) / "sweep.yaml").string(), dir);
}

SweepAdvance advance_command_sweep(const SweepSpec& draft, const CommandSweep& how, const ExecutorOptions& options,
                                   const std::string& self) {
  const std::string dir = !how.store.empty() ? how.store
                          : options.slurm    ? default_output(how.scenario, "-" + how.command + ".sweep")
                                             : how.temporary;
  SweepSpec spec = declared_sweep(draft, dir);
  SweepAdvance advance = advance_sweep(
      spec, dir, options, self, how.command + " " + how.scenario,
      fmt::format("when it is done, run this command again (without --slurm, or with it: it makes only what is "
                  "missing) to {}; follow it with: rapture sweep status {}",
                  how.finish, dir));
  if (!advance.submitted) require_no_failure(advance, "the " + how.command);
  return advance;
}

void require_no_failure(const SweepAdvance& advance, const std::string& command) {
  if (advance.failed == 0) return;
  const SweepStore& store = advance.store;
  for (const auto& run : store.plan().runs) {
    if (store.state(run.id) != RunState::Failed) continue;
    throw Error(fmt::format(
        "{} of {} runs failed; {}: {}{}", advance.failed, advance.made, run_label(store, run), store.failure(run.id),
        command.empty()
            ? std::string()
            : "\n(rapture sweep status " + store.dir() + " lists every failure; rerun " + command + " to retry them)"));
  }
}

}  // namespace rapture
