#pragma once
/// `rapture compare`: runs the baseline and design variants of a scenario with the same seeds
/// and the same fault timeline (common random numbers), R replications each, and shows side by
/// side which design contains the failure and at what cost. The runs are a sweep over the design
/// (command/sweep_executor.hpp): made here or by a Slurm job array, kept in a store.

#include <optional>
#include <string>
#include <vector>

#include "command/run.hpp"
#include "command/sweep_executor.hpp"

namespace rapture {

struct CompareArgs {
  std::string scenario;
  std::vector<std::string> designs;  ///< designs to compare, the first the reference; empty: baseline and every design
  int replications = 5;
  std::string output;
  std::string dot_dir;  ///< where to write <design>.dot; empty: nowhere
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;  ///< replication r runs with seed + r
  /// -j (runs at once), --memory-limit (refuse runs at once estimated to need more), --slurm
  ExecutorOptions executor;
  std::string store;  ///< keep the runs in this sweep store; empty: a temporary one (with --slurm: a default)
};

/// Runs the comparison; returns the process exit code.
int compare_command(const CompareArgs& args, const std::string& self);

}  // namespace rapture
