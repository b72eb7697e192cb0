#pragma once
/// The bounds every reader applies to user input, so that a typo (an extra zero, a negative)
/// is an error naming the value rather than a run that exhausts memory. One set, used by the
/// scenario reader, the topology reader and `--set`.

#include <cstddef>
#include <cstdint>

namespace rapture::limits {

inline constexpr int64_t kReplicas = 100'000;      ///< replicas of one service, hosts of one group
inline constexpr int64_t kWorkers = 100'000;       ///< workers of one replica
inline constexpr int64_t kQueue = 100'000'000;     ///< waiting requests of one replica
inline constexpr int64_t kUsers = 10'000'000;      ///< closed-loop users, tenants
inline constexpr int64_t kCallsPerVisit = 10'000;  ///< calls one visit makes on one edge
inline constexpr double kBins = 1e7;               ///< time bins of one run

/// Bytes of a scenario or topology file. The largest shipped topology is under 1 MiB and a
/// generated graph at the service limits stays far below this; anything bigger is a wrong path
/// (a log, a device) and would otherwise be read whole into memory before any check.
inline constexpr uint64_t kInputFileBytes = uint64_t{64} << 20;
/// Bytes of an `empirical(FILE)` sample file: up to 10^7 samples (the reader's cap) of up to
/// ~25 characters each, with room for comments.
inline constexpr uint64_t kSampleFileBytes = uint64_t{256} << 20;
/// Nesting of DOT subgraphs and of GraphML elements. Boost's DOT parser and the XML parser are
/// recursive and overflow the stack at some ten thousand levels; real topologies nest a few
/// clusters deep, so 256 leaves ample room and keeps the stack small.
inline constexpr int kNesting = 256;

/// Nodes an alias may add to a scenario tree: `*name` repeats the whole node it names, so nine
/// lists of nine aliases each expand a few hundred bytes into 9^9 nodes (the "billion laughs").
/// Every copy or emission of such a tree would take gigabytes; real scenarios use a handful.
inline constexpr size_t kAliasExpansion = 1'000'000;
/// Steps of a `--set` key: the deepest path of the scenario format is under ten steps.
inline constexpr size_t kSetSteps = 64;

/// Values of one sweep factor, and runs of one sweep (grid points x replications): a store
/// holds a file per run, so this bounds its directory and the merge's table (8 bytes per run
/// and metric), not the work a cluster can do.
inline constexpr int64_t kSweepValues = 10'000;
inline constexpr int64_t kSweepRuns = 1'000'000;

}  // namespace rapture::limits
