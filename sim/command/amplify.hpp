#pragma once
/// `rapture amplify`: ramps one magnitude of a scenario (a rate, an injected latency, a
/// queue size, a fault's duration or error rate) and finds the tipping point where the run
/// turns into a cascade, by a ramp and then bisection, each point a `rapture run` in its
/// own process (SimGrid allows one engine per process), run in parallel. With a second
/// magnitude it maps a grid instead, marking each point recovered, degraded or metastable.
/// With --replications R (2 or more) every magnitude runs on R paired seeds, the bisection
/// follows the share of cascading runs, and the tipping point is the magnitude where a
/// logistic fit over every run gives a cascade probability of 1/2, with its 95 % interval.

#include <optional>
#include <string>
#include <vector>

#include "command/run.hpp"
#include "io/search_record.hpp"

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
  int replications = 1;                   ///< runs of each magnitude on paired seeds (seed .. seed + R - 1)
  uint64_t memory_limit = default_memory_limit();  ///< refuse what is estimated to need more (bytes)
  int jobs = 2;                                    ///< processes at once
  std::vector<std::string> sets;                   ///< further --set overrides
  std::optional<uint64_t> seed;
  bool quiet = false;  ///< no progress line
};

/// What a search found, for the commands that build on it (`amplify`, `suggest`).
struct TippingSearch {
  SearchRecord record;  ///< the /amplify record, as written to `results`
  std::string results;  ///< the published results file: every run (/runs, by magnitude), then /amplify
  /// The `--set` assignments (KEY=VALUE, in the order the child run got them: the magnitudes,
  /// then the further --set overrides) that reproduce the first cascading magnitude; empty when
  /// nothing cascades (with replications: when no magnitude has at least half its runs cascading)
  std::vector<std::string> first_cascade_sets;
  std::optional<uint64_t> first_cascade_seed;  ///< the --seed of that run, when the search gave one
  bool cannot_bracket = false;                 ///< the range's first magnitude already cascades
};

/// Checks the arguments, runs the search (or the map), merges every run with the /amplify record
/// into `args.output` and returns what it found; prints only the scenario's notes and, unless
/// `args.quiet`, a progress line on stderr. The children's directory is removed on return or
/// on an exception. Throws InputError on bad arguments.
TippingSearch search_tipping_point(const AmplifyArgs& args, const std::string& self);

/// Runs the search and prints it; returns the process exit code.
int amplify_command(const AmplifyArgs& args, const std::string& self);

}  // namespace rapture
