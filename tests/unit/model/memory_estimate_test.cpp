#include <gtest/gtest.h>

#include <cstdint>

#include "model/run_result.hpp"

namespace rapture {
namespace {

constexpr double kMiB = 1 << 20, kGiB = 1 << 30;

TEST(MemoryEstimate, TheKeptRowsGrowLinearlyWithTheBins) {
  for (const int64_t bins : {1'000, 30'000, 1'000'000}) {
    const double one = series_peak_bytes(bins, 3, 1, 2), two = series_peak_bytes(2 * bins, 3, 1, 2);
    EXPECT_NEAR(two / one, 2.0, 0.05) << bins << " bins";
  }
  EXPECT_EQ(series_peak_bytes(0, 3, 1, 2), 0);
}

TEST(MemoryEstimate, TheKeptRowsGrowLinearlyWithServicesRequestTypesAndEdges) {
  const double base = series_peak_bytes(100'000, 3, 1, 2);
  EXPECT_NEAR(series_peak_bytes(100'000, 6, 2, 4) / base, 2.0, 0.01);
  // Each row is what the run meter stores for it, so a service costs more than an edge.
  EXPECT_GT(series_peak_bytes(100'000, 4, 1, 2), series_peak_bytes(100'000, 3, 1, 3));
}

TEST(MemoryEstimate, TenMillionBinsOfThreeServicesNeedGigabytesAndAFewBinsDoNot) {
  const MemoryEstimate big = estimate_memory(10'000'000, 3, 1, 0, 2);
  EXPECT_GT(big.total(), 4 * kGiB);
  EXPECT_LT(big.total(), 8 * kGiB);
  EXPECT_LT(estimate_memory(60, 3, 1, 0, 2).total(), 64 * kMiB);
}

TEST(MemoryEstimate, ADesignsSystemCountsItsExpandedServicesAndCalls) {
  const MemoryEstimate small = estimate_memory(10, 50, 1, 0, 49);
  const MemoryEstimate celled = estimate_memory(10, 50'000, 1, 0, 49'000);
  EXPECT_NEAR(celled.system_bytes / small.system_bytes, 1000, 1);
  EXPECT_GT(estimate_memory(10, 2'000'001, 1, 0, 2'000'000).total(), 4 * kGiB);
}

// Peak resident memory measured with /usr/bin/time -v (docs/architecture.md, "Memory"): the
// estimate stays within 1.5x of each, so a refusal is neither far too eager nor far too late.
TEST(MemoryEstimate, StaysWithinHalfAgainOfThePeaksMeasuredByRun) {
  struct Measured {
    int64_t bins;
    size_t services, request_types, edges, calls;
    double peak_mib;
  };
  const Measured measured[] = {
      {100'000, 3, 1, 0, 2, 102},
      {300'000, 3, 1, 0, 2, 264},
      {1'000'000, 3, 1, 0, 2, 509},
      {200'000, 10, 2, 9, 9, 492},  // ten services, two request types, retries and breakers on every edge
  };
  for (const auto& m : measured) {
    const double ratio =
        estimate_memory(m.bins, m.services, m.request_types, m.edges, m.calls).total() / (m.peak_mib * kMiB);
    EXPECT_GT(ratio, 1 / 1.5) << m.bins << " bins, " << m.services << " services";
    EXPECT_LT(ratio, 1.5) << m.bins << " bins, " << m.services << " services";
  }
}

TEST(MemoryEstimate, StaysWithinHalfAgainOfTheSystemsValidateBuilt) {
  // validate of a cell design (nothing run: the process and the expanded system alone).
  struct Measured {
    size_t services, calls;
    double peak_mib;
  };
  const Measured measured[] = {
      {50'001, 50'000, 159},   // a 50-service tree in 1000 cells
      {15'001, 45'300, 97},    // 50 services and 150 calls in 300 cells
      {78'001, 155'000, 523},  // TrainTicket (78 services, 154 calls, 4 request types) in 1000 cells
  };
  for (const auto& m : measured) {
    const MemoryEstimate e = estimate_memory(10, m.services, 1, 0, m.calls);
    const double ratio = (e.base_bytes + e.system_bytes) / (m.peak_mib * kMiB);
    EXPECT_GT(ratio, 1 / 1.5) << m.services << " services";
    EXPECT_LT(ratio, 1.5) << m.services << " services";
  }
}

TEST(MemoryEstimate, BinsCountTheLastPartialOne) {
  EXPECT_EQ(bin_count(10, 1), 10);
  EXPECT_EQ(bin_count(10.5, 1), 11);
  EXPECT_EQ(bin_count(10'000, 1e-3), 10'000'000);
  EXPECT_EQ(bin_count(0.5, 1), 1);
}

TEST(MemoryEstimate, SizesReadAsAPersonWritesThem) {
  EXPECT_EQ(format_bytes(4 * kGiB), "4 GiB");
  EXPECT_EQ(format_bytes(6.1 * kGiB), "6.1 GiB");
  EXPECT_EQ(format_bytes(512 * kMiB), "512 MiB");
  EXPECT_EQ(format_bytes(12.4 * kGiB), "12 GiB");
  EXPECT_EQ(format_bytes(100), "100 bytes");
  const std::string text = estimate_memory(10'000'000, 3, 1, 0, 2).breakdown();
  EXPECT_NE(text.find("10,000,000 bins x (3 services + 1 request type)"), std::string::npos) << text;
}

}  // namespace
}  // namespace rapture
