#pragma once
/// `rapture compare`: runs the baseline and design variants of a scenario with the same seeds
/// and the same fault timeline (common random numbers), R replications each, every run its own
/// process, and shows side by side which design contains the failure and at what cost.

#include <optional>
#include <string>
#include <vector>

#include "command/run.hpp"

namespace rapture {

struct CompareArgs {
  std::string scenario;
  std::vector<std::string> designs;  ///< designs to compare, the first the reference; empty: baseline and every design
  int replications = 5;
  int jobs = 2;  ///< processes at once
  std::string output;
  std::string dot_dir;  ///< where to write <design>.dot; empty: nowhere
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;                    ///< replication r runs with seed + r
  uint64_t memory_limit = default_memory_limit();  ///< refuse runs at once estimated to need more (bytes)
};

/// Runs the comparison; returns the process exit code.
int compare_command(const CompareArgs& args, const std::string& self);

}  // namespace rapture
