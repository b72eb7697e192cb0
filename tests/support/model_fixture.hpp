#pragma once
/// Helpers for model-level tests: small topologies and scenarios built in code, a sink that
/// keeps the bins in memory, batch-means confidence intervals, and queueing closed forms.

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "model/run_result.hpp"
#include "model/scenario.hpp"
#include "model/simulation.hpp"
#include "model/system.hpp"
#include "model/topology.hpp"

namespace rapture::testing {

/// Keeps every bin, for tests only (the real sink streams them to HDF5).
class CollectingSink : public BinSink {
 public:
  void write_bin(int64_t index, std::span<const ServiceBinRow> services,
                 std::span<const RequestBinRow> requests) override {
    indices.push_back(index);
    service_bins.emplace_back(services.begin(), services.end());
    request_bins.emplace_back(requests.begin(), requests.end());
  }
  std::vector<int64_t> indices;
  std::vector<std::vector<ServiceBinRow>> service_bins;
  std::vector<std::vector<RequestBinRow>> request_bins;
};

/// A topology from services (name, kind) and edges (from, to, attributes).
struct EdgeSpec {
  std::string from, to;
  CallEdge edge{};
};
inline Topology make_topology(const std::vector<std::string>& services, const std::vector<EdgeSpec>& edges) {
  Topology t;
  t.name = "test";
  t.file = "test.dot";
  for (const auto& s : services) t.add_service(ServiceNode{s, ServiceKind::Service, {}, {}, 0});
  for (const auto& e : edges) t.add_call(*t.find(e.from), *t.find(e.to), e.edge);
  return t;
}

/// A scenario with one open-loop Poisson request type entering at `entry`.
inline Scenario make_scenario(const std::string& entry, double rate, double duration, double warmup,
                              uint64_t seed = 1) {
  Scenario s;
  s.name = "test";
  s.file = "test.yaml";
  s.duration = duration;
  s.warmup = warmup;
  s.bin_width = 1.0;
  s.seed = seed;
  s.requests.push_back(RequestTypeSpec{"r", entry, {}, {}, {}, {}, {}});
  WorkloadSpec w;
  w.kind = WorkloadSpec::Kind::Poisson;
  w.mix = {{"r", 1.0}};
  w.rate.base = rate;
  s.workload.push_back(w);
  s.platform.hop_latency = 0;
  return s;
}

inline ServiceParams params(int64_t replicas, int64_t workers, int64_t queue, Distribution service_time) {
  ServiceParams p;
  p.replicas = replicas;
  p.workers = workers;
  p.queue_capacity = queue;
  p.service_time = std::move(service_time);
  return p;
}

struct RunOutput {
  RunTotals totals;
  CollectingSink sink;
  uint64_t events = 0;
};

/// Runs the model alone (no SimGrid): possible when no host is contended.
inline RunOutput run_model(const Topology& topology, const Scenario& scenario) {
  RunOutput out;
  const System sys = build_system(topology, scenario);
  Simulation sim(sys, out.sink, nullptr);
  sim.run_until(sys.duration);
  out.totals = sim.finish(sys.duration);
  out.events = sim.events();
  return out;
}

/// A ratio estimate sum(num)/sum(den) over bins from `first_bin` on, with the standard
/// error from `batches` batch means (bins far longer than the correlation time of the queue).
struct Estimate {
  double value = 0, std_error = 0;
};
template <typename Num, typename Den>
Estimate batch_ratio(const CollectingSink& sink, size_t first_bin, int batches, Num num, Den den) {
  const size_t n = sink.service_bins.size() - first_bin;
  const size_t per = n / static_cast<size_t>(batches);
  double total_num = 0, total_den = 0;
  std::vector<double> means;
  for (int b = 0; b < batches; ++b) {
    double bn = 0, bd = 0;
    for (size_t i = first_bin + b * per; i < first_bin + (b + 1) * per; ++i) {
      bn += num(sink.service_bins[i]);
      bd += den(sink.service_bins[i]);
    }
    total_num += bn;
    total_den += bd;
    means.push_back(bn / bd);
  }
  Estimate e;
  e.value = total_num / total_den;
  double ss = 0;
  for (double m : means) ss += (m - e.value) * (m - e.value);
  e.std_error = std::sqrt(ss / (batches - 1) / batches);
  return e;
}

/// Erlang C: probability that an arrival waits in an M/M/c queue with offered load a = λ/μ.
inline double erlang_c(int c, double a) {
  double term = 1, sum = 1;  // a^k / k!
  for (int k = 1; k < c; ++k) {
    term *= a / k;
    sum += term;
  }
  const double top = term * a / c / (1 - a / c);
  return top / (sum + top);
}

/// Blocking probability of an M/M/c/K queue (K = c + queue places) with offered load a.
inline double mmck_blocking(int c, int k, double a) {
  std::vector<double> p(static_cast<size_t>(k) + 1);
  double term = 1;
  p[0] = 1;
  for (int n = 1; n <= k; ++n) {
    term *= a / std::min(n, c);
    p[static_cast<size_t>(n)] = term;
  }
  double sum = 0;
  for (double v : p) sum += v;
  return p[static_cast<size_t>(k)] / sum;
}

}  // namespace rapture::testing
