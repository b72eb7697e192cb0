#include "model/flow/run_meter.hpp"

#include <algorithm>
#include <cmath>

#include "model/policy/circuit_breaker.hpp"

namespace rapture {

RunMeter::RunMeter(const System& system, BinSink& sink, Scheduler& clock)
    : system_(system), sink_(sink), clock_(clock) {
  services_.resize(system.services.size());
  requests_.resize(system.request_types.size());
  edges_.resize(system.edge_policies.size());
  service_rows_.resize(services_.size());
  request_rows_.resize(requests_.size());
  edge_rows_.resize(edges_.size());
  caches_.resize(system.caches.size());
  cache_rows_.resize(caches_.size());
  visits_.assign(system.request_types.size() * system.services.size(), 0);
  tenant_requests_.assign(system.tenants, 0);
  tenant_failures_.assign(system.tenants, 0);
  warmup_end_ = clock.add_kind<&RunMeter::on_warmup_end>(this);
}

void RunMeter::start() {
  if (system_.warmup > 0) {
    clock_.at(system_.warmup, warmup_end_, 0);
  } else {
    measuring_ = true;
  }
}

void RunMeter::on_warmup_end(const Event&) {
  std::fill(visits_.begin(), visits_.end(), 0);
  for (uint32_t s = 0; s < services_.size(); ++s) {
    touch(s);
    auto& m = services_[s];
    m.queue_area_warm = m.queue_area;
    m.busy_area_warm = m.busy_area;
    m.arrivals_warm = m.totals.arrivals;
  }
  measuring_ = true;
}

void RunMeter::wasted(uint32_t service, double cpu) {
  services_[service].totals.wasted_cpu += cpu;
  wasted_cpu_ += cpu;
}

void RunMeter::request_sent(uint32_t type) { ++requests_[type].row.arrivals; }

void RunMeter::request_end(uint32_t type, uint32_t tenant, bool failed, bool degraded, double latency) {
  auto& r = requests_[type];
  const double now = clock_.now();
  if (now >= system_.user_window_start && now < system_.user_window_end) {
    ++tenant_requests_[tenant];
    tenant_failures_[tenant] += failed;
  }
  if (failed) {
    ++r.row.failures;
    if (measuring_) ++r.failures;
  } else {
    ++r.row.successes;
    r.bin_latency.record(latency);
    if (measuring_) {
      ++r.successes;
      if (degraded) ++r.degraded;
      r.latency.record(latency);
    }
  }
}

void RunMeter::circuit_transition(const CircuitEvent& event) {
  if (event.to == static_cast<uint8_t>(CircuitBreaker::State::Open)) ++edges_[event.edge].openings;
  circuit_events_.push_back(event);
}

double RunMeter::close_bin(double end) {
  const double width = end - bin_start_;
  for (uint32_t i = 0; i < services_.size(); ++i) {
    auto& s = services_[i];
    touch(i);
    auto& row = s.row;
    row.queue_mean = width > 0 ? s.bin_queue_area / width : 0;
    row.busy_mean = width > 0 ? s.bin_busy_area / width : 0;
    row.queue_max = std::max(row.queue_max, s.queued);
    row.latency_mean = s.bin_latency.mean();
    row.latency_p50 = s.bin_latency.quantile(0.5);
    row.latency_p95 = s.bin_latency.quantile(0.95);
    row.latency_p99 = s.bin_latency.quantile(0.99);
    service_rows_[i] = row;
    row = ServiceBinRow{};
    row.queue_max = s.queued;  // the next bin starts with what is waiting now
    s.bin_queue_area = s.bin_busy_area = 0;
    s.bin_latency.reset();
  }
  for (size_t i = 0; i < requests_.size(); ++i) {
    auto& r = requests_[i];
    r.row.latency_mean = r.bin_latency.mean();
    r.row.latency_p50 = r.bin_latency.quantile(0.5);
    r.row.latency_p99 = r.bin_latency.quantile(0.99);
    request_rows_[i] = r.row;
    r.row = RequestBinRow{};
    r.bin_latency.reset();
  }
  if (!edges_.empty()) close_edge_bins();
  if (!caches_.empty()) {
    for (size_t c = 0; c < caches_.size(); ++c) {
      auto& m = caches_[c];
      cache_rows_[c] = m.row;
      m.totals.lookups += m.row.lookups;
      m.totals.hits += m.row.hits;
      m.totals.fills += m.row.fills;
      m.row = CacheBinRow{};
    }
    sink_.write_cache_bin(bin_index_, cache_rows_);
  }
  sink_.write_bin(bin_index_, service_rows_, request_rows_);
  ++bin_index_;
  bin_start_ = end;
  return bin_start_ + system_.bin_width;
}

void RunMeter::close_edge_bins() {
  for (size_t e = 0; e < edges_.size(); ++e) {
    auto& st = edges_[e];
    edge_rows_[e] = st.row;
    auto& tot = st.totals;
    tot.calls += st.row.calls;
    tot.attempts += st.row.attempts;
    tot.retries += st.row.retries;
    tot.timeouts += st.row.timeouts;
    tot.failures += st.row.failures;
    tot.fallbacks += st.row.fallbacks;
    tot.circuit_rejections += st.row.circuit_rejections;
    tot.bulkhead_rejections += st.row.bulkhead_rejections;
    tot.late_replies += st.row.late_replies;
    tot.calls_refused += st.row.calls_refused;
    tot.open_fraction += st.row.open_fraction / std::max(1.0, system_.duration / system_.bin_width);
    st.row = EdgeBinRow{};
  }
  sink_.write_edge_bin(bin_index_, edge_rows_);
  if (!circuit_events_.empty()) {
    sink_.write_circuit_events(circuit_events_);
    circuit_events_.clear();
  }
}

RunTotals RunMeter::totals(double end, std::span<const uint64_t> in_flight) const {
  RunTotals out;
  const double measured = std::max(0.0, end - (measuring_ ? system_.warmup : end));
  out.summary.measured_seconds = measured;
  for (size_t i = 0; i < services_.size(); ++i) {
    const auto& s = services_[i];
    ServiceTotals t = s.totals;
    t.in_flight_end = in_flight[i];
    const double warm_q = system_.warmup > 0 ? s.queue_area_warm : 0;
    const double warm_b = system_.warmup > 0 ? s.busy_area_warm : 0;
    const uint64_t warm_a = system_.warmup > 0 ? s.arrivals_warm : 0;
    t.latency_mean = s.latency_count ? s.latency_sum / static_cast<double>(s.latency_count) : NAN;
    t.queue_mean = measured > 0 ? (s.queue_area - warm_q) / measured : NAN;
    t.busy_mean = measured > 0 ? (s.busy_area - warm_b) / measured : NAN;
    t.arrival_rate = measured > 0 ? static_cast<double>(s.totals.arrivals - warm_a) / measured : NAN;
    out.services.push_back(t);
  }
  LogHistogram all;
  for (size_t rt = 0; rt < requests_.size(); ++rt) {
    const auto& r = requests_[rt];
    RequestSummary rs;
    rs.successes = r.successes;
    rs.failures = r.failures;
    rs.latency_mean = r.latency.mean();
    rs.p50 = r.latency.quantile(0.5);
    rs.p95 = r.latency.quantile(0.95);
    rs.p99 = r.latency.quantile(0.99);
    rs.p999 = r.latency.quantile(0.999);
    rs.histogram = r.latency.counts();
    rs.degraded = r.degraded;
    const double ended = static_cast<double>(r.successes + r.failures);
    for (size_t s = 0; s < services_.size(); ++s) {
      rs.visits_per_request.push_back(ended > 0 ? static_cast<double>(visits_[rt * services_.size() + s]) / ended
                                                : NAN);
    }
    out.summary.degraded += r.degraded;
    all.merge(r.latency);
    out.summary.successes += r.successes;
    out.summary.failures += r.failures;
    out.requests.push_back(std::move(rs));
  }
  auto& sum = out.summary;
  sum.requests = sum.successes + sum.failures;
  sum.throughput = measured > 0 ? static_cast<double>(sum.requests) / measured : NAN;
  sum.goodput = measured > 0 ? static_cast<double>(sum.successes) / measured : NAN;
  for (uint32_t t = 0; t < tenant_requests_.size(); ++t) {
    if (tenant_requests_[t] == 0) continue;
    ++sum.users;
    sum.users_failing += tenant_failures_[t] > system_.user_failing_share * tenant_requests_[t];
  }
  sum.error_rate = sum.requests ? static_cast<double>(sum.failures) / static_cast<double>(sum.requests) : NAN;
  sum.latency_mean = all.mean();
  sum.p50 = all.quantile(0.5);
  sum.p95 = all.quantile(0.95);
  sum.p99 = all.quantile(0.99);
  sum.p999 = all.quantile(0.999);
  sum.wasted_cpu = wasted_cpu_;
  for (const auto& e : edges_) {
    out.edges.push_back(e.totals);
    out.circuit_openings.push_back(e.openings);
  }
  for (const auto& c : caches_) out.caches.push_back(c.totals);
  return out;
}

}  // namespace rapture
