// The stateful caches' time series in the results file: /runs/<i>/caches/{lookups, hits, fills},
// [time, cache], written only when the run has caches, read back with h5py and with read_caches.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "io/results_file.hpp"
#include "io/results_reader.hpp"
#include "support/checker.hpp"
#include "support/temp_dir.hpp"

namespace rapture {
namespace {

namespace fs = std::filesystem;
using testing::run_checker;
using testing::run_python;
using testing::TempDir;

/// Idle rows: nothing completed, so every latency is NaN (as the checker requires).
std::vector<ServiceBinRow> idle_services() {
  ServiceBinRow row;
  row.latency_mean = row.latency_p50 = row.latency_p95 = row.latency_p99 = NAN;
  return std::vector<ServiceBinRow>(3, row);
}
std::vector<RequestBinRow> idle_requests() {
  RequestBinRow row;
  row.latency_mean = row.latency_p50 = row.latency_p99 = NAN;
  return {row};
}

RunInfo cache_info() {
  RunInfo info;
  info.index = 0;
  info.seed = 1;
  info.rapture_version = "0.1.0-test";
  info.scenario_name = "cache";
  info.scenario_file = "cache.yaml";
  info.topology_name = "t";
  info.topology_file = "t.dot";
  info.duration = 10;
  info.bin_width = 1;
  info.services = {"front", "cache", "db"};
  info.request_types = {"read"};
  info.caches = {"cache"};
  info.histogram_edges = {0, 0.001, 0.01, 0.1, 1, 10};
  return info;
}

TEST(CacheResults, LookupsHitsAndFillsAreWrittenPerBinAndCache) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    ResultsFile file(path.string());
    auto writer = file.begin_run(cache_info());
    const auto services = idle_services();
    const auto requests = idle_requests();
    for (int64_t bin = 0; bin < 5; ++bin) {
      const std::vector<CacheBinRow> caches{{100, static_cast<uint64_t>(20 * bin), 3}};
      writer->write_cache_bin(bin, caches);
      writer->write_bin(bin, services, requests);
    }
    EXPECT_THROW(writer->write_bin(5, services, requests), std::invalid_argument) << "cache rows come first";
    const std::vector<CacheBinRow> two(2);
    EXPECT_THROW(writer->write_cache_bin(5, two), std::invalid_argument) << "one cache";
    file.commit();
  }
  const auto read = run_python(path,
                               "import h5py, sys; r = h5py.File(sys.argv[1])['runs/0']; "
                               "print(r['cache'].asstr()[:].tolist(), r['caches/hits'].shape, "
                               "r['caches/hits'][:, 0].tolist(), int(r['caches/lookups'][()].sum()), "
                               "int(r['caches/fills'][()].sum()), r['caches/hits'].dims[1][0].name)");
  EXPECT_EQ(read.exit_code, 0) << read.output;
  EXPECT_EQ(read.output, "['cache'] (5, 1) [0, 20, 40, 60, 80] 500 15 /runs/0/cache\n");
  const auto checked = run_checker(path);
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
}

TEST(CacheResults, TheCheckerRefusesMoreHitsThanLookups) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    ResultsFile file(path.string());
    auto writer = file.begin_run(cache_info());
    const std::vector<CacheBinRow> caches{{10, 11, 0}};
    writer->write_cache_bin(0, caches);
    writer->write_bin(0, idle_services(), idle_requests());
    file.commit();
  }
  const auto checked = run_checker(path);
  EXPECT_NE(checked.exit_code, 0);
  EXPECT_NE(checked.output.find("cache 0 'cache': more hits than lookups in a bin"), std::string::npos)
      << checked.output;
}

TEST(CacheResults, ARunWithoutCachesHasNoCacheGroupAndReadsBackNone) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    ResultsFile file(path.string());
    auto info = cache_info();
    info.caches.clear();
    auto writer = file.begin_run(info);
    writer->write_bin(0, idle_services(), idle_requests());
    file.commit();
  }
  const auto read = run_python(path,
                               "import h5py, sys; r = h5py.File(sys.argv[1])['runs/0']; "
                               "print('caches' in r, 'cache' in r)");
  EXPECT_EQ(read.output, "False False\n");
  EXPECT_TRUE(read_caches(path.string()).empty()) << "read back: no cache";
  EXPECT_THROW(read_caches(path.string(), 1), OutputError) << "no run 1";
}

TEST(CacheResults, ReadCachesGivesBackEveryCachesSeriesAsWritten) {
  // Two caches over 3 bins, with bin 1 of the second cache without lookups (its hit ratio: NaN).
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  auto info = cache_info();
  info.services = {"front", "cache", "db", "sessions"};
  info.caches = {"cache", "sessions"};
  const std::vector<std::vector<CacheBinRow>> rows{
      {{100, 90, 10}, {40, 10, 30}},
      {{100, 0, 5}, {0, 0, 0}},
      {{120, 60, 60}, {7, 7, 0}},
  };
  {
    ResultsFile file(path.string());
    auto writer = file.begin_run(info);
    auto services = idle_services();
    services.push_back(services.back());
    for (int64_t bin = 0; bin < 3; ++bin) {
      writer->write_cache_bin(bin, rows[static_cast<size_t>(bin)]);
      writer->write_bin(bin, services, idle_requests());
    }
    file.commit();
  }
  const auto caches = read_caches(path.string());
  ASSERT_EQ(caches.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(caches[k].cache, info.caches[k]);
    ASSERT_EQ(caches[k].lookups.size(), 3u);
    ASSERT_EQ(caches[k].hits.size(), 3u);
    ASSERT_EQ(caches[k].fills.size(), 3u);
    for (size_t b = 0; b < 3; ++b) {
      EXPECT_EQ(caches[k].lookups[b], rows[b][k].lookups) << k << " " << b;
      EXPECT_EQ(caches[k].hits[b], rows[b][k].hits) << k << " " << b;
      EXPECT_EQ(caches[k].fills[b], rows[b][k].fills) << k << " " << b;
    }
  }
  EXPECT_DOUBLE_EQ(caches[0].hit_ratio(0), 0.9);
  EXPECT_DOUBLE_EQ(caches[1].hit_ratio(0), 0.25);
  EXPECT_TRUE(std::isnan(caches[1].hit_ratio(1))) << "no lookups, no ratio";
}

}  // namespace
}  // namespace rapture
