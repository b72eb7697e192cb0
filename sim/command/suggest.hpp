#pragma once
/// `rapture suggest`: the post-mortem of possibility. Runs a scenario (at the tipping point amplify
/// finds, when asked), reads what its cascade analysis found, turns each finding into candidate
/// redesigns (analysis/redesign_rules.hpp), tests them against the scenario as written on common
/// random numbers, and removes each configured tolerance policy in turn (analysis/policy_ablation.hpp)
/// to tell which ones do not earn their keep. The runs are a comparison (command/compare.hpp):
/// made here or on a Slurm job array, kept in a sweep store.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "command/amplify.hpp"
#include "command/sweep_executor.hpp"

namespace rapture {

struct SuggestArgs {
  std::string scenario;
  std::string design = "baseline";  ///< the design the suggestions start from
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;  ///< replication r runs with seed + r
  int replications = 5;
  int top = 3;                ///< candidates shown and written with --write-designs
  int cells = 4;              ///< cell count of the cell-based candidates
  bool ablation = true;       ///< remove each configured policy in turn
  std::string output;         ///< results file; empty: <scenario name>-suggest.h5
  std::string write_designs;  ///< write the winning candidates here as a `designs:` section
  ExecutorOptions executor;   ///< -j, --memory-limit, --slurm ...
  std::string store;          ///< keep the runs in this sweep store
  /// With `amplify.param` set: find the tipping point first and work at the first cascading magnitude.
  AmplifyArgs amplify;
};

/// Runs the post-mortem; returns the process exit code.
int suggest_command(const SuggestArgs& args, const std::string& self);

}  // namespace rapture
