#pragma once
/// The one executor of runs kept in a sweep store (io/sweep/sweep_store.hpp): `sweep`, `compare`
/// and `premortem` all plan their runs as a sweep, make the missing ones here on this machine's
/// cores or send them to a Slurm job array, and read the results from the store.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "command/progress.hpp"
#include "command/slurm_array.hpp"
#include "io/sweep/sweep_plan.hpp"
#include "io/sweep/sweep_spec.hpp"
#include "io/sweep/sweep_store.hpp"

namespace rapture {

/// Where and how the missing runs are made.
struct ExecutorOptions {
  int jobs = 1;                          ///< local runs at once
  std::optional<uint64_t> memory_limit;  ///< given to every run as --memory-limit; none: the run's default
  bool slurm = false;                    ///< submit a job array instead of running here
  SlurmRequest request;                  ///< the array's partition, time limit and throttle
  int runs_per_task = 1;                 ///< runs each array task makes, one after another
  bool dry_run = false;                  ///< write the sbatch script, do not submit it
  bool quiet = false;                    ///< no progress line
};

/// What advance_sweep() came to.
struct SweepAdvance {
  SweepStore store;        ///< the store, its runs as they now are
  size_t made = 0;         ///< runs made here (done or failed)
  size_t failed = 0;       ///< of which failed (their messages are in the store)
  bool submitted = false;  ///< the runs to make were sent to a Slurm job array (or its script written)
};

/// Plans `spec` (identified_plan), prepares its store in `dir` and makes the runs it lacks where
/// `options` says; `what` names the work on the progress line; `then` is printed after a submission (what to run once
/// the array is done).
SweepAdvance advance_sweep(SweepSpec& spec, const std::string& dir, ExecutorOptions options, const std::string& self,
                           const std::string& what, const std::string& then);

/// The sweep a command runs underneath (compare, premortem), declared as a sweep file kept in
/// the store as `dir`/sweep.yaml, so that `sweep status` and the Slurm tasks read it like any
/// other. `draft` needs its name, absolute scenario, sets, factors, replications and seed.
SweepSpec declared_sweep(const SweepSpec& draft, const std::string& dir);

/// How a command whose runs are a sweep underneath (compare, premortem) keeps them.
struct CommandSweep {
  std::string command;    ///< "compare": names the progress line and the default store
  std::string scenario;   ///< the scenario's name (the default store: <scenario>-<command>.sweep)
  std::string store;      ///< --store; empty: the default with --slurm (it must outlive the command), else `temporary`
  std::string temporary;  ///< a directory removed with the command's work directory
  std::string finish;     ///< what a rerun does once a job array is done ("compare the designs")
};

/// Declares `draft` as the sweep of `how`, makes the runs it lacks (advance_sweep) and, unless
/// they were submitted, requires that none failed.
SweepAdvance advance_command_sweep(const SweepSpec& draft, const CommandSweep& how, const ExecutorOptions& options,
                                   const std::string& self);

/// Throws Error naming the failed runs of `advance` and why the first failed (its store keeps
/// every message); does nothing when none failed.
void require_no_failure(const SweepAdvance& advance, const std::string& command);

/// Resolves the factors' fault names, checks every factor value against the scenario (an error is
/// the factor's, at its line) and every point, and gives each run its identity.
SweepPlan identified_plan(SweepSpec& spec);

/// The runs of `store` that are not done (missing or failed), as indices into its plan.
std::vector<size_t> runs_to_make(const SweepStore& store);

/// "rate=100/s r=2": how messages name a run.
std::string run_label(const SweepStore& store, const SweepRun& run);

/// Makes the runs `which` (indices into the plan) `options.jobs` at once; a failure is recorded in
/// the store and the others go on. Returns the number that failed.
size_t make_runs(const SweepStore& store, const std::vector<size_t>& which, const ExecutorOptions& options,
                 const std::string& self, Progress& progress);

/// Writes the sbatch script of a job array over the runs `which` and, unless a dry run, submits
/// it; prints what it did and `then`, the next step.
void submit_array(const SweepStore& store, const std::vector<size_t>& which, const ExecutorOptions& options,
                  const std::string& self, const std::string& then);

}  // namespace rapture
