#pragma once
/// `rapture premortem`: crashes each service in turn, every crash a `rapture run` in its own
/// process (several at once), and ranks the services by the blast radius of their loss and by
/// the emergent failures it causes: where a failure would hurt most.

#include <optional>
#include <string>
#include <vector>

#include "command/run.hpp"

namespace rapture {

struct PremortemArgs {
  std::string scenario;
  std::string output;
  std::string start, duration;        ///< the crash's window; empty: the middle third of the measured run
  std::vector<std::string> services;  ///< only these; empty: every service
  int jobs = 2;                       ///< processes at once
  std::vector<std::string> sets;      ///< further --set overrides
  std::optional<uint64_t> seed;
  uint64_t memory_limit = default_memory_limit();  ///< refuse runs at once estimated to need more (bytes)
};

/// Runs the pre-mortem; returns the process exit code.
int premortem_command(const PremortemArgs& args, const std::string& self);

}  // namespace rapture
