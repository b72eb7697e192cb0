#pragma once
/// A service declared a stateful look-aside cache in the scenario (`services: NAME: {cache: ...}`):
/// the keys its visits ask for, its capacity, eviction and TTL, and the backend it calls on a miss.

#include <cmath>
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "model/cache/key_space.hpp"
#include "model/cache/look_aside_cache.hpp"

namespace rapture {

struct CacheSpec {
  uint64_t keys = 1;  ///< key space size
  KeySpace::Popularity popularity = KeySpace::Popularity::Uniform;
  double exponent = 1;  ///< Zipf exponent
  uint32_t capacity = 1;
  LookAsideCache::Eviction eviction = LookAsideCache::Eviction::Lru;
  double ttl = INFINITY;  ///< seconds of freshness; +inf: none
  std::string backend;    ///< the callee a miss calls (an edge cache -> backend)
  SourceLocation where;   ///< the `backend` value, for errors about it
};

}  // namespace rapture
