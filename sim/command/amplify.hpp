#pragma once
/// `rapture amplify`: ramps one magnitude of a scenario (a rate, an injected latency, a
/// queue size, a fault's duration or error rate) and finds the tipping point where the run
/// turns into a cascade, by a ramp and then bisection, each point a `rapture run` in its
/// own process (SimGrid allows one engine per process), run in parallel. With a second
/// magnitude it maps a grid instead, marking each point recovered, degraded or metastable.

#include <optional>
#include <string>
#include <vector>

#include "command/run.hpp"

namespace rapture {

struct AmplifyArgs {
  std::string scenario;
  std::string output;
  std::optional<std::string> fault;       ///< the fault whose parameter `param` is (else `param` is a scenario path)
  std::string param;                      ///< e.g. `latency` with --fault, or `workload[0].arrivals.rate`
  std::string from, to;                   ///< the range, with units: `100/s`, `50ms`
  std::string criterion = "goodput:0.9";  ///< goodput:F | error_rate:X | unhealthy:F | no_recovery:F@T
  std::string param2;                     ///< map mode: a second magnitude (a scenario path, or a field of `fault`)
  std::string from2, to2;                 ///< map mode: its range
  int points2 = 4;                        ///< map mode: its points
  int points = 6;                         ///< ramp points
  int rounds = 3;                         ///< bisection rounds
  uint64_t memory_limit = default_memory_limit();  ///< refuse what is estimated to need more (bytes)
  int jobs = 2;                                    ///< processes at once
  std::vector<std::string> sets;                   ///< further --set overrides
  std::optional<uint64_t> seed;
  bool quiet = false;  ///< no progress line
};

/// Runs the search; returns the process exit code.
int amplify_command(const AmplifyArgs& args, const std::string& self);

}  // namespace rapture
