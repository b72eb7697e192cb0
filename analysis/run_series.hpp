#pragma once
/// The time series of one run kept in memory for the analysis: a BinSink that records every
/// bin's rows (and forwards them to another sink, the results file). Memory grows with the
/// number of bins, not with requests: services x bins rows of ~120 bytes.

#include <cstdint>
#include <span>
#include <vector>

#include "model/run_result.hpp"

namespace rapture {

class RunSeries : public BinSink {
 public:
  /// `forward` (may be null) receives every call after it is recorded.
  RunSeries(size_t services, size_t request_types, size_t edges, BinSink* forward = nullptr);

  void write_bin(int64_t index, std::span<const ServiceBinRow> services,
                 std::span<const RequestBinRow> requests) override;
  void write_edge_bin(int64_t index, std::span<const EdgeBinRow> edges) override;
  /// Kept (the verdict reads the hit ratio) and passed on to the forward sink.
  void write_cache_bin(int64_t index, std::span<const CacheBinRow> caches) override;
  void write_circuit_events(std::span<const CircuitEvent> events) override;

  /// Bins recorded.
  [[nodiscard]] int64_t bins() const { return bins_; }
  [[nodiscard]] size_t services() const { return services_; }
  [[nodiscard]] size_t request_types() const { return request_types_; }
  [[nodiscard]] size_t edges() const { return edges_; }
  /// Stateful caches recorded (System::caches order): 0 until the first cache rows arrive.
  [[nodiscard]] size_t caches() const { return caches_; }
  [[nodiscard]] const ServiceBinRow& service(int64_t bin, size_t s) const {
    return service_rows_[static_cast<size_t>(bin) * services_ + s];
  }
  [[nodiscard]] const RequestBinRow& request(int64_t bin, size_t r) const {
    return request_rows_[static_cast<size_t>(bin) * request_types_ + r];
  }
  /// An edge's row; a zero row when the run recorded no edges for that bin.
  [[nodiscard]] const EdgeBinRow& edge(int64_t bin, size_t e) const;
  /// A stateful cache's row; a zero row when the run recorded no cache rows for that bin.
  [[nodiscard]] const CacheBinRow& cache(int64_t bin, size_t c) const;
  /// Breaker transitions, oldest first.
  [[nodiscard]] const std::vector<CircuitEvent>& circuit_events() const { return circuit_; }

 private:
  size_t services_, request_types_, edges_;
  BinSink* forward_;
  int64_t bins_ = 0;
  std::vector<ServiceBinRow> service_rows_;
  std::vector<RequestBinRow> request_rows_;
  std::vector<EdgeBinRow> edge_rows_;
  size_t caches_ = 0;
  std::vector<CacheBinRow> cache_rows_;
  std::vector<CircuitEvent> circuit_;
  EdgeBinRow zero_{};
  CacheBinRow zero_cache_{};
};

}  // namespace rapture
