#pragma once
/// The contents of a look-aside cache (cache-aside: the caller asks the cache, and on a miss asks
/// the backend and fills the cache with the answer), as memcached or Redis hold them for a
/// service: at most `capacity` keys, evicted least recently used (memcached's LRU, Redis'
/// allkeys-lru) or first in first out, each fresh for `ttl` seconds after it was filled (a
/// memcached item's exptime, Redis' EXPIRE): keys filled together expire together. A plain state
/// machine driven by the caller's clock; its memory is fixed by the capacity at construction, not
/// by the key space, and no call allocates.

#include <cstdint>
#include <vector>

#include "model/random_stream.hpp"

namespace rapture {

class LookAsideCache {
 public:
  enum class Eviction : uint8_t { Lru, Fifo };

  /// At most `capacity` keys (at least 1); `ttl` seconds of freshness (infinity: none).
  LookAsideCache(uint32_t capacity, Eviction eviction, double ttl);

  /// Whether `key` is held and fresh at `now` (a hit). Under LRU a hit makes it the most recently
  /// used; an entry found expired is dropped, and is a miss.
  bool lookup(uint64_t key, double now);
  /// The backend's answer for `key` arrived at `now`: the key is (re)filled, fresh from now,
  /// evicting the oldest entry (by use, or by filling) when the cache is full.
  void fill(uint64_t key, double now);
  /// A flush: drops each entry with probability `share` (every entry when share >= 1), drawing
  /// from `rng`. Returns the entries dropped.
  uint32_t flush(double share, RandomStream& rng);

  /// Keys held (fresh or not yet found expired).
  [[nodiscard]] uint32_t size() const { return size_; }
  /// The most keys it holds.
  [[nodiscard]] uint32_t capacity() const { return capacity_; }
  /// Bytes its tables take: fixed at construction.
  [[nodiscard]] uint64_t memory_bytes() const;
  /// Bytes a cache of `capacity` keys takes (the memory estimate's figure).
  static uint64_t memory_bytes_for(uint32_t capacity);

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  uint32_t find(uint64_t key) const;  // slot index in table_, or kNone
  uint32_t slot_of(uint64_t key) const;
  void unlink(uint32_t entry);
  void push_newest(uint32_t entry);
  void remove(uint32_t entry);

  uint32_t capacity_;
  Eviction eviction_;
  double ttl_;
  uint32_t size_ = 0;
  // Entries, in a doubly linked list from the oldest (head_) to the newest (tail_); free entries
  // are chained through next_.
  std::vector<uint64_t> keys_;
  std::vector<double> filled_;
  std::vector<uint32_t> prev_, next_;
  uint32_t head_ = kNone, tail_ = kNone, free_ = kNone;
  // Open addressing with linear probing, at most half full: entry index + 1, 0 when empty.
  std::vector<uint32_t> table_;
  uint64_t mask_ = 0;
};

}  // namespace rapture
