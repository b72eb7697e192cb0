#include "analysis/run_series.hpp"

namespace rapture {

RunSeries::RunSeries(size_t services, size_t request_types, size_t edges, BinSink* forward)
    : services_(services), request_types_(request_types), edges_(edges), forward_(forward) {}

void RunSeries::write_bin(int64_t index, std::span<const ServiceBinRow> services,
                          std::span<const RequestBinRow> requests) {
  service_rows_.insert(service_rows_.end(), services.begin(), services.end());
  request_rows_.insert(request_rows_.end(), requests.begin(), requests.end());
  bins_ = index + 1;
  // Keep the edge table aligned with the bins even when a bin came without edge rows.
  edge_rows_.resize(static_cast<size_t>(bins_) * edges_);
  if (forward_) forward_->write_bin(index, services, requests);
}

void RunSeries::write_cache_bin(int64_t index, std::span<const CacheBinRow> caches) {
  // The number of caches is fixed by the system: the first rows tell it (the constructor's
  // callers predate caches, and a run without caches never calls this).
  if (caches_ == 0) caches_ = caches.size();
  cache_rows_.resize(static_cast<size_t>(index) * caches_);
  cache_rows_.insert(cache_rows_.end(), caches.begin(), caches.end());
  if (forward_) forward_->write_cache_bin(index, caches);
}

void RunSeries::write_edge_bin(int64_t index, std::span<const EdgeBinRow> edges) {
  edge_rows_.resize(static_cast<size_t>(index) * edges_);
  edge_rows_.insert(edge_rows_.end(), edges.begin(), edges.end());
  if (forward_) forward_->write_edge_bin(index, edges);
}

void RunSeries::write_circuit_events(std::span<const CircuitEvent> events) {
  circuit_.insert(circuit_.end(), events.begin(), events.end());
  if (forward_) forward_->write_circuit_events(events);
}

const EdgeBinRow& RunSeries::edge(int64_t bin, size_t e) const {
  const size_t i = static_cast<size_t>(bin) * edges_ + e;
  return i < edge_rows_.size() ? edge_rows_[i] : zero_;
}

const CacheBinRow& RunSeries::cache(int64_t bin, size_t c) const {
  const size_t i = static_cast<size_t>(bin) * caches_ + c;
  return i < cache_rows_.size() ? cache_rows_[i] : zero_cache_;
}

}  // namespace rapture
