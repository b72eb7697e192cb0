// The stateful look-aside cache in the request flow (model alone, no SimGrid): hit ratios against
// hand-computed values, a flush that empties it and refills no faster than the backend answers,
// late answers that still fill it, a crash that loses the crashed replicas' keys, and the edge's
// probability left out of a cache's miss call.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "support/model_fixture.hpp"

namespace rapture {
namespace {

using namespace rapture::testing;

/// Keeps the caches' bins besides the services'.
class CacheSink : public CollectingSink {
 public:
  void write_cache_bin(int64_t, std::span<const CacheBinRow> caches) override { cache_bins.push_back(caches[0]); }
  std::vector<CacheBinRow> cache_bins;
};

struct CacheRun {
  RunTotals totals;
  CacheSink sink;
  System system;
};

CacheRun run_cache(const Topology& topology, const Scenario& scenario) {
  CacheRun out;
  out.system = build_system(topology, scenario);
  Simulation sim(out.system, out.sink, nullptr);
  sim.run_until(out.system.duration);
  out.totals = sim.finish(out.system.duration);
  return out;
}

/// front -> cache -> db, every service with plenty of workers unless set otherwise.
Topology three_tiers() {
  return make_topology({"front", "cache", "db"}, {{"front", "cache", {}}, {"cache", "db", {}}});
}

CacheSpec cache_spec(uint64_t keys, KeySpace::Popularity popularity, uint32_t capacity, double ttl = INFINITY) {
  CacheSpec c;
  c.keys = keys;
  c.popularity = popularity;
  c.exponent = 0.99;
  c.capacity = capacity;
  c.ttl = ttl;
  c.backend = "db";
  return c;
}

Scenario cache_scenario(double rate, double duration, CacheSpec spec, ServiceParams db) {
  auto sc = make_scenario("front", rate, duration, 0);
  sc.services.push_back({"front", params(1, 10'000, 0, Distribution::constant(1e-5))});
  auto cache = params(1, 10'000, 0, Distribution::constant(1e-5));
  cache.cache = std::move(spec);
  sc.services.push_back({"cache", cache});
  sc.services.push_back({"db", std::move(db)});
  return sc;
}

/// A flush of all of `target` at `at`.
FaultSpec cache_flush(const std::string& target, double at) {
  FaultSpec f;
  f.name = "flush";
  f.kind = FaultSpec::Kind::CacheFlush;
  f.target = target;
  f.start = f.end = at;
  return f;
}

/// A crash of `target` (all replicas, or `replica`) over [start, end).
FaultSpec crash(const std::string& target, double start, double end, uint32_t replica = kNone) {
  FaultSpec f;
  f.name = "crash";
  f.kind = FaultSpec::Kind::Crash;
  f.target = target;
  f.start = start;
  f.end = end;
  if (replica != kNone) f.replica = replica;
  return f;
}

CacheBinRow sum_bins(const CacheSink& sink, size_t from, size_t to) {
  CacheBinRow s;
  for (size_t b = from; b < std::min(to, sink.cache_bins.size()); ++b) {
    s.lookups += sink.cache_bins[b].lookups;
    s.hits += sink.cache_bins[b].hits;
    s.fills += sink.cache_bins[b].fills;
  }
  return s;
}

TEST(Cache, ZipfKeysThatAllFitReachEveryHitAfterWarmUp) {
  // 1000 Zipf(0.99) keys, room for all of them, no TTL: after warm-up a miss is a key never asked
  // before. The rarest key has probability 1/(1000^0.99 H) ~ 1.4e-4 (H ~ 7.5), so at 2000 lookups/s
  // it is still unseen after 10 s with probability e^-2.8 ~ 0.06, and the expected misses after
  // 10 s are a few keys out of 40,000 lookups: the hit ratio is above 0.999 in expectation; 0.995
  // leaves room for the keys asked twice while their first answer is on its way.
  const auto sc = cache_scenario(2000, 30, cache_spec(1000, KeySpace::Popularity::Zipf, 1000),
                                 params(1, 10'000, 0, Distribution::constant(1e-3)));
  const auto out = run_cache(three_tiers(), sc);
  const auto late = sum_bins(out.sink, 10, 30);
  ASSERT_GT(late.lookups, 35'000u);
  EXPECT_GT(static_cast<double>(late.hits) / static_cast<double>(late.lookups), 0.995);
  const auto& all = out.totals.caches[0];
  // Every miss calls the backend, and every backend answer fills.
  EXPECT_EQ(out.totals.services[2].arrivals, all.lookups - all.hits);
  EXPECT_EQ(all.fills, out.totals.services[2].completions);
  EXPECT_LE(all.lookups - all.hits, 1000u + 1000u) << "a key misses once, or while its answer is on its way";
}

TEST(Cache, UniformKeysTwiceTheCapacityHitHalfTheTimeUnderLru) {
  // 2000 uniform keys, room for 1000: once full the cache always holds exactly 1000 distinct keys
  // (a fill refreshes one or evicts one for one), so each lookup, an independent uniform key, hits
  // with probability 1000/2000 = 0.5 whatever the eviction. 50,000 lookups after warm-up: the
  // binomial standard error is 0.0022; 0.01 is 4.5 of them. The edge says probability 0.3: a stateful
  // cache ignores it (every miss reaches the backend).
  auto sc = cache_scenario(2000, 30, cache_spec(2000, KeySpace::Popularity::Uniform, 1000),
                           params(1, 10'000, 0, Distribution::constant(1e-3)));
  EdgeOverride half;
  half.from = "cache";
  half.to = "db";
  half.probability = 0.3;
  sc.edges.push_back(half);
  const auto out = run_cache(three_tiers(), sc);
  const auto late = sum_bins(out.sink, 5, 30);
  ASSERT_GT(late.lookups, 45'000u);
  EXPECT_NEAR(static_cast<double>(late.hits) / static_cast<double>(late.lookups), 0.5, 0.01);
  const auto& all = out.totals.caches[0];
  EXPECT_EQ(out.totals.services[2].arrivals, all.lookups - all.hits);
}

TEST(Cache, AFlushEmptiesItAndItRefillsNoFasterThanTheBackendAnswers) {
  // 1000 uniform keys, room for all; the database has c = 4 workers and a deterministic D = 10 ms:
  // it answers at most c / D = 400 times a second. Warm at t = 20 s, flushed then (100 %); 1000
  // lookups a second then all miss. In bins of 0.1 s, after k + 1 bins the cache holds at most the
  // keys filled since the flush, N_k <= 400 * 0.1 * (k + 1) + 4 (the 4 answers in service at the
  // flush), so a lookup of a uniform key hits with probability at most N_k / 1000: the hits of each
  // bin are checked against that bound plus 4 binomial standard deviations.
  auto sc = cache_scenario(1000, 50, cache_spec(1000, KeySpace::Popularity::Uniform, 1000),
                           params(1, 4, 100'000, Distribution::constant(10e-3)));
  sc.bin_width = 0.1;
  sc.faults.push_back(cache_flush("cache", 20));
  const auto out = run_cache(three_tiers(), sc);
  const auto before = sum_bins(out.sink, 150, 200);
  EXPECT_GT(static_cast<double>(before.hits) / static_cast<double>(before.lookups), 0.99) << "warm before the flush";
  const auto& first = out.sink.cache_bins[200];
  EXPECT_LE(first.hits, static_cast<uint64_t>(0.044 * static_cast<double>(first.lookups) + 10)) << "about 0 at once";
  uint64_t filled = 0;
  bool saturated = true;
  for (size_t k = 0; k < 100; ++k) {
    const auto& bin = out.sink.cache_bins[200 + k];
    filled += bin.fills;
    const double bound_keys = 40.0 * static_cast<double>(k + 1) + 4;
    EXPECT_LE(static_cast<double>(filled), bound_keys) << "fills outran the backend by bin " << k;
    const double p = std::min(1.0, bound_keys / 1000);
    const auto n = static_cast<double>(bin.lookups);
    EXPECT_LE(static_cast<double>(bin.hits), n * p + 4 * std::sqrt(n * p * (1 - p)) + 1) << "bin " << k;
    // Saturated by the misses, 4 workers answer every 10 ms: 40 a bin (the first bin starts idle).
    if (k >= 1 && k < 20 && bin.fills != 40) saturated = false;
  }
  EXPECT_TRUE(saturated) << "the backend, saturated by the misses, answers (and fills) at its full rate";
  const auto end = sum_bins(out.sink, 450, 500);
  EXPECT_GT(static_cast<double>(end.hits) / static_cast<double>(end.lookups), 0.9) << "it refills in the end";
}

TEST(Cache, ACrashedCacheRestartsCold) {
  // 1000 uniform keys, room for all, warm by t = 20 s (each key asked ~40,000 times); the cache's
  // only replica crashes over [20 s, 21 s). Its contents died with it: in the first 0.1 s bin
  // after the restart the k-th lookup hits at most the k - 1 keys filled since, so the ~100
  // lookups hit at most sum k / 1000 ~ 5 times in expectation (a binomial bound: 5 + 4 standard
  // deviations ~ 14), where a cache that kept its contents would hit all ~100.
  auto sc = cache_scenario(1000, 30, cache_spec(1000, KeySpace::Popularity::Uniform, 1000),
                           params(1, 10'000, 0, Distribution::constant(1e-3)));
  sc.bin_width = 0.1;
  sc.faults.push_back(crash("cache", 20, 21));
  const auto out = run_cache(three_tiers(), sc);
  const auto before = sum_bins(out.sink, 150, 200);
  EXPECT_GT(static_cast<double>(before.hits) / static_cast<double>(before.lookups), 0.99) << "warm before the crash";
  EXPECT_EQ(sum_bins(out.sink, 201, 210).lookups, 0u) << "no lookup while it is down";
  const auto& first = out.sink.cache_bins[210];
  ASSERT_GT(first.lookups, 50u);
  EXPECT_LE(first.hits, 14u) << "cold after the restart";
  const auto end = sum_bins(out.sink, 250, 300);
  EXPECT_GT(static_cast<double>(end.hits) / static_cast<double>(end.lookups), 0.99) << "and it refills";
}

TEST(Cache, ACrashOfOneReplicaOfTwoLosesAboutHalfTheKeys) {
  // The keys are spread over the replicas: one of two crashing loses each key with probability
  // 1/2. 1000 uniform keys, all held at 40 s; the database answers 100 a second at most (1 worker,
  // 10 ms), so in the 0.5 s after the crash at most 50 keys come back. The surviving replica's
  // ~500 lookups (round robin: the other half are refused) then hit with probability between
  // (1000 - dropped) / 1000 and that plus 0.05; dropped is Binomial(1000, 1/2): 500 +- 63 at 4
  // standard deviations. With the sampling of 500 lookups (0.022 each way, 4 deviations: 0.09)
  // the ratio is within [0.5 - 0.063 - 0.09, 0.55 + 0.063 + 0.09].
  auto sc = cache_scenario(2000, 50, cache_spec(1000, KeySpace::Popularity::Uniform, 1000),
                           params(1, 1, 100, Distribution::constant(10e-3)));
  sc.services[1].second.replicas = 2;
  sc.bin_width = 0.1;
  sc.faults.push_back(crash("cache", 40, 45, 0));
  const auto out = run_cache(three_tiers(), sc);
  const auto before = sum_bins(out.sink, 350, 400);
  EXPECT_GT(static_cast<double>(before.hits) / static_cast<double>(before.lookups), 0.99) << "warm before the crash";
  const auto after = sum_bins(out.sink, 400, 405);
  ASSERT_GT(after.lookups, 400u);
  const double ratio = static_cast<double>(after.hits) / static_cast<double>(after.lookups);
  EXPECT_GT(ratio, 0.5 - 0.063 - 0.09);
  EXPECT_LT(ratio, 0.55 + 0.063 + 0.09);
}

TEST(Cache, ALateAnswerStillFillsTheCache) {
  // Every try of cache -> db times out (5 ms, the database takes 20 ms) and the visit fails, yet the
  // answer arriving after the caller gave up fills the cache, as a client's late reply does: with
  // 10 keys the cache is full within a second and then always hits.
  auto sc = cache_scenario(100, 20, cache_spec(10, KeySpace::Popularity::Uniform, 10),
                           params(1, 100, 100, Distribution::constant(20e-3)));
  PolicySpec p;
  p.per_try_timeout = 5e-3;
  sc.policy_edges.push_back({{"cache", "db"}, p});
  const auto out = run_cache(three_tiers(), sc);
  const auto& all = out.totals.caches[0];
  const uint64_t misses = all.lookups - all.hits;
  ASSERT_GT(misses, 0u);
  EXPECT_EQ(out.totals.edges[0].timeouts, misses) << "every miss timed out";
  EXPECT_EQ(all.fills, out.totals.edges[0].late_replies) << "and filled with its late answer";
  EXPECT_GE(all.fills, 10u);
  const auto late = sum_bins(out.sink, 5, 20);
  EXPECT_EQ(late.hits, late.lookups) << "every key filled by a late answer";
}

TEST(Cache, TtlExpiresEachKeyOncePerTtl) {
  // 10 keys, TTL 2 s, each asked 50 times a second: a key misses when its entry is 2 s old, is filled
  // again some 20 ms later (the next lookup, then the backend's 0.1 ms), so it misses every ~2.02 s:
  // 10 times in 20 s (at 0, 2.02, ..., 18.2). 9 to 11 per key, plus a few asked twice while their
  // answer is on its way.
  auto sc = cache_scenario(500, 20, cache_spec(10, KeySpace::Popularity::Uniform, 10, 2.0),
                           params(1, 10'000, 0, Distribution::constant(1e-4)));
  const auto out = run_cache(three_tiers(), sc);
  const auto& all = out.totals.caches[0];
  const uint64_t misses = all.lookups - all.hits;
  EXPECT_GE(misses, 10u * 9u);
  EXPECT_LE(misses, 10u * 11u + 10u);
}

TEST(Cache, TheMemoryEstimateCountsTheTablesByCapacityNotByKeySpace) {
  // 10^12 keys cost what 10 do: the tables are sized by the capacity.
  const auto small =
      build_system(three_tiers(), cache_scenario(10, 10, cache_spec(10, KeySpace::Popularity::Zipf, 20'000),
                                                 params(1, 10, 10, Distribution::constant(1e-3))));
  const auto huge = build_system(
      three_tiers(), cache_scenario(10, 10, cache_spec(1'000'000'000'000, KeySpace::Popularity::Zipf, 20'000),
                                    params(1, 10, 10, Distribution::constant(1e-3))));
  EXPECT_EQ(cache_table_bytes(small), static_cast<double>(LookAsideCache::memory_bytes_for(20'000)));
  EXPECT_EQ(cache_table_bytes(huge), cache_table_bytes(small));
  const auto without = estimate_memory(10, 3, 1, 0, 2);
  const auto with = estimate_memory(10, 3, 1, 0, 2, cache_table_bytes(small));
  EXPECT_EQ(with.system_bytes - without.system_bytes, cache_table_bytes(small));
}

TEST(Cache, AFlushOnAServiceThatIsNoCacheIsAnError) {
  auto sc = cache_scenario(10, 10, cache_spec(10, KeySpace::Popularity::Uniform, 10),
                           params(1, 10, 10, Distribution::constant(1e-3)));
  sc.faults.push_back(cache_flush("db", 1));
  EXPECT_THROW(build_system(three_tiers(), sc), InputError);
}

TEST(Cache, ABackendThatIsNoCalleeIsAnError) {
  auto spec = cache_spec(10, KeySpace::Popularity::Uniform, 10);
  spec.backend = "front";
  const auto sc = cache_scenario(10, 10, spec, params(1, 10, 10, Distribution::constant(1e-3)));
  EXPECT_THROW(build_system(three_tiers(), sc), InputError);
}

}  // namespace
}  // namespace rapture
