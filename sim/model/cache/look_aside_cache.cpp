#include "model/cache/look_aside_cache.hpp"

#include <bit>
#include <cmath>

namespace rapture {

namespace {

/// SplitMix64's finaliser: consecutive keys spread over the table.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t table_size(uint32_t capacity) { return std::bit_ceil(2 * static_cast<uint64_t>(capacity)); }

}  // namespace

LookAsideCache::LookAsideCache(uint32_t capacity, Eviction eviction, double ttl)
    : capacity_(capacity < 1 ? 1 : capacity),
      eviction_(eviction),
      ttl_(ttl > 0 ? ttl : INFINITY),
      keys_(capacity_),
      filled_(capacity_),
      prev_(capacity_, kNone),
      next_(capacity_, kNone),
      table_(table_size(capacity_), 0),
      mask_(table_size(capacity_) - 1) {
  for (uint32_t i = capacity_; i-- > 0;) {
    next_[i] = free_;
    free_ = i;
  }
}

uint64_t LookAsideCache::memory_bytes_for(uint32_t capacity) {
  const uint64_t c = capacity < 1 ? 1 : capacity;
  return c * (sizeof(uint64_t) + sizeof(double) + 2 * sizeof(uint32_t)) + table_size(static_cast<uint32_t>(c)) * 4;
}

uint64_t LookAsideCache::memory_bytes() const { return memory_bytes_for(capacity_); }

uint32_t LookAsideCache::slot_of(uint64_t key) const { return static_cast<uint32_t>(mix(key) & mask_); }

uint32_t LookAsideCache::find(uint64_t key) const {
  for (uint32_t s = slot_of(key);; s = static_cast<uint32_t>((s + 1) & mask_)) {
    const uint32_t e = table_[s];
    if (e == 0) return kNone;
    if (keys_[e - 1] == key) return s;
  }
}

void LookAsideCache::unlink(uint32_t entry) {
  const uint32_t p = prev_[entry], n = next_[entry];
  (p == kNone ? head_ : next_[p]) = n;
  (n == kNone ? tail_ : prev_[n]) = p;
}

void LookAsideCache::push_newest(uint32_t entry) {
  prev_[entry] = tail_;
  next_[entry] = kNone;
  (tail_ == kNone ? head_ : next_[tail_]) = entry;
  tail_ = entry;
}

void LookAsideCache::remove(uint32_t entry) {
  // Backward-shift deletion keeps every probe sequence unbroken without tombstones.
  uint32_t hole = find(keys_[entry]);
  for (uint32_t s = static_cast<uint32_t>((hole + 1) & mask_); table_[s] != 0;
       s = static_cast<uint32_t>((s + 1) & mask_)) {
    const uint32_t home = slot_of(keys_[table_[s] - 1]);
    // Move the entry at s into the hole unless its home lies cyclically in (hole, s].
    const bool stays = hole <= s ? (home > hole && home <= s) : (home > hole || home <= s);
    if (!stays) {
      table_[hole] = table_[s];
      hole = s;
    }
  }
  table_[hole] = 0;
  unlink(entry);
  next_[entry] = free_;
  free_ = entry;
  --size_;
}

bool LookAsideCache::lookup(uint64_t key, double now) {
  const uint32_t s = find(key);
  if (s == kNone) return false;
  const uint32_t e = table_[s] - 1;
  if (!(now < filled_[e] + ttl_)) {
    remove(e);
    return false;
  }
  if (eviction_ == Eviction::Lru && e != tail_) {
    unlink(e);
    push_newest(e);
  }
  return true;
}

void LookAsideCache::fill(uint64_t key, double now) {
  const uint32_t s = find(key);
  if (s != kNone) {  // a refill: fresh again, and the newest
    const uint32_t e = table_[s] - 1;
    filled_[e] = now;
    if (e != tail_) {
      unlink(e);
      push_newest(e);
    }
    return;
  }
  if (size_ == capacity_) remove(head_);
  const uint32_t e = free_;
  free_ = next_[e];
  keys_[e] = key;
  filled_[e] = now;
  push_newest(e);
  uint32_t slot = slot_of(key);
  while (table_[slot] != 0) slot = static_cast<uint32_t>((slot + 1) & mask_);
  table_[slot] = e + 1;
  ++size_;
}

uint32_t LookAsideCache::flush(double share, RandomStream& rng) {
  uint32_t dropped = 0;
  for (uint32_t e = head_; e != kNone;) {
    const uint32_t next = next_[e];
    if (share >= 1 || rng.bernoulli(share)) {
      remove(e);
      ++dropped;
    }
    e = next;
  }
  return dropped;
}

}  // namespace rapture
