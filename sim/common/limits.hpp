#pragma once
/// The bounds every reader applies to user input, so that a typo (an extra zero, a negative)
/// is an error naming the value rather than a run that exhausts memory. One set, used by the
/// scenario reader, the topology reader and `--set`.

#include <cstdint>

namespace rapture::limits {

inline constexpr int64_t kReplicas = 100'000;      ///< replicas of one service, hosts of one group
inline constexpr int64_t kWorkers = 100'000;       ///< workers of one replica
inline constexpr int64_t kQueue = 100'000'000;     ///< waiting requests of one replica
inline constexpr int64_t kUsers = 10'000'000;      ///< closed-loop users, tenants
inline constexpr int64_t kCallsPerVisit = 10'000;  ///< calls one visit makes on one edge
inline constexpr double kBins = 1e7;               ///< time bins of one run

}  // namespace rapture::limits
