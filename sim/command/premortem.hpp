#pragma once
/// `rapture premortem`: crashes each service in turn, every crash a run of one sweep whose factor
/// is the crashed service (command/sweep_executor.hpp: here or on a Slurm job array), and ranks the services by the
/// blast radius of their loss and by the emergent failures it causes: where a failure would hurt most.

#include <optional>
#include <string>
#include <vector>

#include "command/run.hpp"
#include "command/sweep_executor.hpp"

namespace rapture {

struct PremortemArgs {
  std::string scenario;
  std::string output;
  std::string start, duration;        ///< the crash's window; empty: the middle third of the measured run
  std::vector<std::string> services;  ///< only these; empty: every service
  std::vector<std::string> sets;      ///< further --set overrides
  std::optional<uint64_t> seed;
  /// -j (runs at once), --memory-limit (refuse runs at once estimated to need more), --slurm
  ExecutorOptions executor;
  std::string store;  ///< keep the runs in this sweep store; empty: a temporary one (with --slurm: a default)
};

/// Runs the pre-mortem; returns the process exit code.
int premortem_command(const PremortemArgs& args, const std::string& self);

}  // namespace rapture
