#pragma once
/// One visit of a request to a service, and the pool they live in: chunks that never move
/// (a reference to a visit survives the creation of others) and a free list, so that a
/// steady state allocates nothing.

#include <cstdint>
#include <memory>
#include <vector>

#include "model/run_result.hpp"
#include "model/system.hpp"

namespace rapture {

/// One visit of a request to a service.
struct Visit {
  uint32_t parent;  ///< caller's visit, kNone for the entry visit
  uint32_t service;
  uint32_t replica;      ///< global replica index
  uint32_t stage;        ///< current call stage
  uint32_t repeat_left;  ///< calls still to make in the current sequential stage
  uint32_t pending;      ///< synchronous calls outstanding
  uint32_t user;         ///< closed-loop user, kNone for open-loop
  uint32_t tenant;       ///< entry visit: the user (tenant) the request comes from
  uint32_t call;         ///< the policy-managed call this visit is a try of, kNone otherwise
  uint32_t orphan_edge;  ///< orphan: the edge whose caller gave up on it (its reply comes late)
  uint16_t request_type;
  ErrorCause cause;
  bool failed;
  bool sync;             ///< the caller waits for the reply
  bool critical;         ///< a failure fails the caller
  bool orphan;           ///< its caller gave up on it (timeout): its work is wasted
  bool cancelled;        ///< orphaned with cancellation: dropped before it computes
  bool degraded;         ///< a fallback answered somewhere below it
  bool delayed;          ///< its injected latency has been served
  bool swallowed;        ///< finished at a swallowing service: its reply will never be sent
  bool inproc;           ///< an in-process call: runs on its caller's replica and worker
  uint32_t epoch;        ///< its replica's epoch when it started: a crash since makes it dead
  double arrive_time;    ///< at the service
  double request_start;  ///< entry visit only: when the request was sent
  double response_bytes;
  double demand;        ///< CPU demand of its computation (reference seconds)
  double deadline;      ///< propagated deadline (absolute time), +inf when none
  uint64_t cache_key;   ///< at a stateful cache: the key asked for; a try of its backend call: the key it fills
  uint32_t fill_cache;  ///< a try of a cache's backend call: the cache its answer fills; kNone otherwise
};

class VisitPool {
 public:
  /// The visit `id` (ids are stable while it lives).
  Visit& operator[](uint32_t id) { return chunks_[id >> kChunkBits][id & kChunkMask]; }
  /// A fresh id; the visit's fields are whatever its last use left.
  uint32_t make() {
    ++live_;
    if (!free_.empty()) {
      const uint32_t id = free_.back();
      free_.pop_back();
      return id;
    }
    if ((allocated_ & kChunkMask) == 0) chunks_.push_back(std::make_unique<Visit[]>(kChunkMask + 1));
    return allocated_++;
  }
  /// Returns `id` to the pool.
  void release(uint32_t id) {
    --live_;
    free_.push_back(id);
  }
  /// Visits alive.
  [[nodiscard]] uint64_t live() const { return live_; }

 private:
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkMask = (1u << kChunkBits) - 1;
  std::vector<std::unique_ptr<Visit[]>> chunks_;
  std::vector<uint32_t> free_;
  uint32_t allocated_ = 0;
  uint64_t live_ = 0;
};

}  // namespace rapture
