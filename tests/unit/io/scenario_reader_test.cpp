#include "io/scenario_reader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rapture {
namespace {

const std::string kDir = std::string(RAPTURE_TEST_DATA) + "/scenario";

std::string path_of(const std::string& name) { return kDir + "/" + name; }

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const ServiceParams& kind_defaults(const Scenario& s, ServiceKind kind) {
  return s.kind_defaults[static_cast<size_t>(kind)];
}

const ServiceParams* service(const Scenario& s, const std::string& name) {
  for (const auto& [n, p] : s.services) {
    if (n == name) return &p;
  }
  return nullptr;
}

const RequestTypeSpec* request(const Scenario& s, const std::string& name) {
  for (const auto& r : s.requests) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

using EdgeList = std::vector<std::pair<std::string, std::string>>;

TEST(ScenarioReader, FullExample) {
  const std::string file = path_of("full.yaml");
  const Scenario s = read_scenario(file);

  EXPECT_EQ(s.name, "styleflow-checkout");
  EXPECT_EQ(s.file, file);
  EXPECT_EQ(s.text, read_text(file));
  EXPECT_EQ(std::filesystem::path(s.topology_path),
            (std::filesystem::path(RAPTURE_TEST_DATA) / "topologies/styleflow.dot").lexically_normal());
  EXPECT_DOUBLE_EQ(s.duration, 600);
  EXPECT_DOUBLE_EQ(s.warmup, 60);
  EXPECT_DOUBLE_EQ(s.bin_width, 0.5);
  EXPECT_EQ(s.seed, 1u);

  // Declared request types first, then those defined inline in the workload.
  ASSERT_EQ(s.requests.size(), 3u);
  EXPECT_EQ(s.requests[0].name, "checkout");
  EXPECT_EQ(s.requests[0].entry, "frontend");
  EXPECT_EQ(s.requests[0].only_edges, (EdgeList{{"frontend", "checkout"}, {"checkout", "payment"}}));
  EXPECT_TRUE(s.requests[0].skip_edges.empty());
  EXPECT_EQ(s.requests[0].where.line, 10);
  EXPECT_EQ(s.requests[0].where.element, "request 'checkout'");
  EXPECT_EQ(s.requests[1].name, "browse");
  EXPECT_TRUE(s.requests[1].only_edges.empty());
  EXPECT_EQ(s.requests[1].skip_edges, (EdgeList{{"frontend", "checkout"}}));
  EXPECT_EQ(s.requests[2].name, "search");
  EXPECT_EQ(s.requests[2].entry, "frontend");
  EXPECT_EQ(s.requests[2].where.line, 28);  // the entry of an inline definition

  ASSERT_EQ(s.workload.size(), 4u);
  const auto& w0 = s.workload[0];
  EXPECT_EQ(w0.kind, WorkloadSpec::Kind::Poisson);
  EXPECT_EQ(w0.mix, (std::vector<std::pair<std::string, double>>{{"checkout", 1.0}}));
  EXPECT_DOUBLE_EQ(w0.rate.base, 300);
  EXPECT_TRUE(w0.rate.segments.empty());
  EXPECT_EQ(w0.where.line, 14);
  EXPECT_EQ(w0.where.element, "workload[0]");

  const auto& w1 = s.workload[1];
  EXPECT_EQ(w1.kind, WorkloadSpec::Kind::Closed);
  ASSERT_EQ(w1.mix.size(), 2u);
  EXPECT_EQ(w1.mix[0].first, "browse");
  EXPECT_DOUBLE_EQ(w1.mix[0].second, 0.8);
  EXPECT_EQ(w1.mix[1].first, "checkout");
  EXPECT_DOUBLE_EQ(w1.mix[1].second, 0.2);
  EXPECT_EQ(w1.users, 200);
  ASSERT_TRUE(w1.think.has_value());
  EXPECT_EQ(w1.think->kind(), Distribution::Kind::Exponential);
  EXPECT_DOUBLE_EQ(w1.think->mean(), 1.0);

  // Steps hold their level; the ramp and the spike replace it only inside their interval.
  const auto& profile = s.workload[2].rate;
  EXPECT_DOUBLE_EQ(profile.base, 100);
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<RateProfile::Segment> expected{
      {120, 200, 300, 300}, {200, 300, 300, 600}, {300, 400, 300, 300}, {400, 410, 2000, 2000}, {410, inf, 300, 300}};
  ASSERT_EQ(profile.segments.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_DOUBLE_EQ(profile.segments[i].start, expected[i].start);
    EXPECT_DOUBLE_EQ(profile.segments[i].end, expected[i].end);
    EXPECT_DOUBLE_EQ(profile.segments[i].rate_start, expected[i].rate_start);
    EXPECT_DOUBLE_EQ(profile.segments[i].rate_end, expected[i].rate_end);
  }
  EXPECT_DOUBLE_EQ(profile.at(0), 100);
  EXPECT_DOUBLE_EQ(profile.at(150), 300);
  EXPECT_DOUBLE_EQ(profile.at(250), 450);
  EXPECT_DOUBLE_EQ(profile.at(350), 300);
  EXPECT_DOUBLE_EQ(profile.at(405), 2000);
  EXPECT_DOUBLE_EQ(profile.at(500), 300);
  EXPECT_DOUBLE_EQ(profile.max(), 2000);

  // `kind` defaults to poisson; rates carry their unit.
  EXPECT_EQ(s.workload[3].kind, WorkloadSpec::Kind::Poisson);
  EXPECT_DOUBLE_EQ(s.workload[3].rate.base, 300);

  const auto& svc = kind_defaults(s, ServiceKind::Service);
  EXPECT_EQ(svc.replicas, 2);
  EXPECT_EQ(svc.workers, 16);
  EXPECT_EQ(svc.queue_capacity, 64);
  ASSERT_TRUE(svc.service_time.has_value());
  EXPECT_DOUBLE_EQ(svc.service_time->mean(), 0.005);
  EXPECT_FALSE(svc.host.has_value());
  const auto& db = kind_defaults(s, ServiceKind::Db);
  EXPECT_EQ(db.replicas, 1);
  EXPECT_FALSE(db.workers.has_value());
  EXPECT_EQ(db.discipline, QueueDiscipline::Fifo);
  EXPECT_EQ(db.balancer, Balancer::LeastOutstanding);
  const auto& cache = kind_defaults(s, ServiceKind::Cache);
  ASSERT_TRUE(cache.service_time.has_value());
  EXPECT_EQ(cache.service_time->kind(), Distribution::Kind::Empirical);  // file relative to the scenario
  EXPECT_NEAR(cache.service_time->mean(), 0.0005, 1e-12);
  EXPECT_FALSE(kind_defaults(s, ServiceKind::Frontend).replicas.has_value());

  ASSERT_EQ(s.services.size(), 2u);
  ASSERT_EQ(s.service_where.size(), 2u);
  const auto* payment = service(s, "payment");
  ASSERT_NE(payment, nullptr);
  EXPECT_EQ(payment->replicas, 1);
  EXPECT_EQ(payment->host, "pay-host");
  ASSERT_TRUE(payment->service_time.has_value());
  EXPECT_EQ(payment->service_time->kind(), Distribution::Kind::Lognormal);
  EXPECT_DOUBLE_EQ(payment->service_time->mean(), 0.02);
  EXPECT_EQ(s.service_where[0].file, file);
  EXPECT_EQ(s.service_where[0].line, 37);
  EXPECT_EQ(s.service_where[0].element, "service 'payment'");
  const auto* search = service(s, "search");
  ASSERT_NE(search, nullptr);
  EXPECT_EQ(search->workers, 4);
  EXPECT_EQ(search->queue_capacity, 0);
  EXPECT_EQ(search->discipline, QueueDiscipline::Lifo);
  EXPECT_EQ(search->balancer, Balancer::Random);
  EXPECT_FALSE(search->replicas.has_value());
  EXPECT_EQ(s.service_where[1].line, 38);

  ASSERT_EQ(s.edges.size(), 2u);
  const auto& e0 = s.edges[0];
  EXPECT_EQ(e0.from, "frontend");
  EXPECT_EQ(e0.to, "recommendations");
  EXPECT_EQ(e0.probability, 0.5);
  EXPECT_EQ(e0.critical, false);
  EXPECT_EQ(e0.calls, 2);
  EXPECT_EQ(e0.group, "g1");
  EXPECT_EQ(e0.mode, CallMode::Async);
  EXPECT_EQ(e0.active, true);
  EXPECT_EQ(e0.where.line, 45);
  EXPECT_EQ(e0.where.element, "edge frontend -> recommendations");
  const auto& e1 = s.edges[1];
  EXPECT_EQ(e1.from, "checkout");
  EXPECT_EQ(e1.to, "payment");
  EXPECT_EQ(e1.active, false);
  EXPECT_FALSE(e1.probability.has_value());
  EXPECT_FALSE(e1.mode.has_value());

  const auto& p = s.platform;
  EXPECT_DOUBLE_EQ(p.hop_latency, 100e-6);
  EXPECT_DOUBLE_EQ(p.bandwidth, 10e9 / 8);
  EXPECT_DOUBLE_EQ(p.reference_speed, 1e9);
  ASSERT_EQ(p.hosts.size(), 3u);
  EXPECT_EQ(p.hosts[0].name, "big");
  EXPECT_DOUBLE_EQ(p.hosts[0].speed, 2e9);
  EXPECT_EQ(p.hosts[0].cores, 16);
  EXPECT_EQ(p.hosts[0].count, 1);
  EXPECT_EQ(p.hosts[1].name, "rack");
  EXPECT_EQ(p.hosts[1].cores, 8);
  EXPECT_EQ(p.hosts[1].count, 4);
  EXPECT_EQ(p.hosts[1].where.line, 53);
  EXPECT_EQ(p.hosts[2].name, "small");
  EXPECT_DOUBLE_EQ(p.hosts[2].speed, 1e9);  // the reference speed
  EXPECT_EQ(p.hosts[2].cores, 1);
  using Placement = std::vector<std::pair<std::string, std::vector<std::string>>>;
  EXPECT_EQ(p.placement, (Placement{{"payment", {"big"}}, {"fraud", {"rack"}}, {"search", {"rack-2"}}}));

  EXPECT_EQ(s.limits.max_in_flight, 1'000'000);
}

TEST(ScenarioReader, MinimalUsesDefaults) {
  const Scenario s = read_scenario(path_of("minimal.yaml"));
  EXPECT_EQ(s.name, "minimal");  // the file's stem
  EXPECT_EQ(s.topology_path, (std::filesystem::path(kDir) / "shop.dot").lexically_normal().string());
  EXPECT_DOUBLE_EQ(s.duration, 60);
  EXPECT_DOUBLE_EQ(s.warmup, 0);
  EXPECT_DOUBLE_EQ(s.bin_width, 1);
  EXPECT_EQ(s.seed, 1u);
  ASSERT_EQ(s.requests.size(), 1u);
  EXPECT_EQ(s.requests[0].name, "buy");
  EXPECT_EQ(s.requests[0].entry, "frontend");
  ASSERT_EQ(s.workload.size(), 1u);
  EXPECT_DOUBLE_EQ(s.workload[0].rate.base, 50);
  EXPECT_TRUE(s.services.empty());
  EXPECT_TRUE(s.edges.empty());
  EXPECT_TRUE(s.platform.hosts.empty());
  for (const auto& d : s.kind_defaults) EXPECT_FALSE(d.replicas.has_value());
  EXPECT_EQ(s.limits.max_in_flight, Limits{}.max_in_flight);
}

// `{service_time: lognormal(20ms, 0.6)}` is split by YAML at the comma; the reader rejoins it.
TEST(ScenarioReader, DistributionWithCommaInFlowMap) {
  const std::string text =
      "topology: t.dot\nduration: 1s\n"
      "workload: [{request: a, entry: f, arrivals: {kind: closed, users: 2, think: gamma(1s, 2)}}]\n"
      "services:\n"
      "  a: {service_time: lognormal(20ms, 0.6), replicas: 3}\n"
      "  b: {service_time: \"uniform(1ms, 3ms)\", workers: 2}\n"
      "  c: {service_time: erlang(3,9ms)}\n";
  const Scenario s = parse_scenario(text, "c.yaml", "/d", {"services.d={service_time: lognormal(1ms, 0.5)}"});
  EXPECT_EQ(s.workload[0].think->kind(), Distribution::Kind::Gamma);
  EXPECT_DOUBLE_EQ(s.workload[0].think->mean(), 1.0);
  ASSERT_EQ(s.services.size(), 4u);
  EXPECT_EQ(s.services[0].second.service_time->kind(), Distribution::Kind::Lognormal);
  EXPECT_DOUBLE_EQ(s.services[0].second.service_time->mean(), 0.02);
  EXPECT_EQ(s.services[0].second.replicas, 3);
  EXPECT_EQ(s.services[1].second.service_time->kind(), Distribution::Kind::Uniform);
  EXPECT_EQ(s.services[1].second.workers, 2);
  EXPECT_DOUBLE_EQ(s.services[2].second.service_time->mean(), 0.009);
  EXPECT_EQ(s.services[3].first, "d");
  EXPECT_DOUBLE_EQ(s.services[3].second.service_time->mean(), 0.001);
}

TEST(ScenarioReader, RequestCallsOverrideEdgesForOneRequestType) {
  const std::string text =
      "topology: t.dot\nduration: 1s\n"
      "requests:\n"
      "  checkout:\n"
      "    entry: frontend\n"
      "    calls:\n"
      "      \"frontend -> checkout\": {probability: 1, calls: 2}\n"
      "workload: [{request: checkout, arrivals: {rate: 1/s}}]\n";
  const Scenario s = parse_scenario(text, "c.yaml", "/d");
  ASSERT_EQ(s.requests.size(), 1u);
  ASSERT_EQ(s.requests[0].calls.size(), 1u);
  EXPECT_EQ(s.requests[0].calls[0].from, "frontend");
  EXPECT_EQ(s.requests[0].calls[0].to, "checkout");
  EXPECT_DOUBLE_EQ(*s.requests[0].calls[0].probability, 1.0);
  EXPECT_EQ(*s.requests[0].calls[0].calls, 2);
  EXPECT_EQ(s.requests[0].calls[0].where.line, 7);
  try {
    parse_scenario(text + "  # x\n", "c.yaml", "/d", {"requests.checkout.calls={\"a -> b\": {probability: 2}}"});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("probability"), std::string::npos) << e.what();
  }
}

TEST(ScenarioReader, ParseFromTextResolvesAgainstBaseDir) {
  const Scenario s = parse_scenario(read_text(path_of("minimal.yaml")), "x/run.yaml", "/data/scenarios");
  EXPECT_EQ(s.file, "x/run.yaml");
  EXPECT_EQ(s.name, "run");
  EXPECT_EQ(s.topology_path, "/data/scenarios/shop.dot");

  const Scenario abs = parse_scenario(
      "topology: /t/shop.dot\nduration: 1s\n"
      "workload: [{request: a, entry: f, arrivals: {rate: 1/s}}]\n",
      "a.yaml", "/elsewhere");
  EXPECT_EQ(abs.topology_path, "/t/shop.dot");
}

const std::string kJudged =  // lines 1-26
    "topology: t.dot\nduration: 60s\n"
    "workload: [{request: buy, entry: frontend, arrivals: {rate: 50/s}}]\n"
    "analysis:\n"
    "  degraded_error: 10%\n"
    "  failed_error: 0.6\n"
    "  latency_factor: 4\n"
    "  queue_saturation: 90%\n"
    "  min_samples: 20\n"
    "  onset_bins: 3\n"
    "  stable: 10s\n"
    "  metastable_after: 2min\n"
    "  retry_spike: 0.2\n"
    "  surge_factor: 2\n"
    "  hot_spot_share: 40%\n"
    "hypothesis:\n"
    "  title: buying survives\n"
    "  probes:\n"
    "    - {name: few errors, metric: error_rate, request: buy, window: during_fault, below: 5%}\n"
    "    - {metric: goodput, window: steady, above: 40/s}\n"
    "    - {metric: p99, request: buy, window: after_fault, below: 800ms, above: 1ms}\n"
    "    - {metric: latency_mean, below: 0.2}\n"
    "    - {metric: recovery_time, below: 1min}\n"
    "    - metric: unhealthy_share\n"
    "      window: during_fault\n"
    "      below: 0.5\n";

TEST(ScenarioReader, AnalysisAndHypothesis) {
  const Scenario s = parse_scenario(kJudged, "j.yaml", "/d");
  const AnalysisSpec& a = s.analysis;
  EXPECT_DOUBLE_EQ(a.degraded_error, 0.1);
  EXPECT_DOUBLE_EQ(a.failed_error, 0.6);
  EXPECT_DOUBLE_EQ(a.latency_factor, 4);
  EXPECT_DOUBLE_EQ(a.queue_saturation, 0.9);
  EXPECT_EQ(a.min_samples, 20);
  EXPECT_EQ(a.onset_bins, 3);
  EXPECT_DOUBLE_EQ(a.stable, 10);
  EXPECT_DOUBLE_EQ(a.metastable_after, 120);
  EXPECT_DOUBLE_EQ(a.retry_spike, 0.2);
  EXPECT_DOUBLE_EQ(a.surge_factor, 2);
  EXPECT_DOUBLE_EQ(a.hot_spot_share, 0.4);
  EXPECT_EQ(a.where.line, 4);

  ASSERT_TRUE(s.hypothesis.has_value());
  const HypothesisSpec& h = *s.hypothesis;
  EXPECT_EQ(h.title, "buying survives");
  ASSERT_EQ(h.probes.size(), 6u);
  using Metric = ProbeSpec::Metric;
  using Window = ProbeSpec::Window;
  EXPECT_EQ(h.probes[0].name, "few errors");
  EXPECT_EQ(h.probes[0].metric, Metric::ErrorRate);
  EXPECT_EQ(h.probes[0].request, "buy");
  EXPECT_EQ(h.probes[0].window, Window::DuringFault);
  EXPECT_DOUBLE_EQ(*h.probes[0].below, 0.05);
  EXPECT_FALSE(h.probes[0].above.has_value());
  EXPECT_EQ(h.probes[0].where.line, 19);
  EXPECT_EQ(h.probes[0].where.element, "probe 'few errors'");
  EXPECT_EQ(h.probes[1].metric, Metric::Goodput);
  EXPECT_EQ(h.probes[1].window, Window::Steady);
  EXPECT_TRUE(h.probes[1].request.empty());
  EXPECT_DOUBLE_EQ(*h.probes[1].above, 40);
  EXPECT_EQ(h.probes[1].where.element, "hypothesis.probes[1]");
  EXPECT_EQ(h.probes[2].metric, Metric::LatencyP99);
  EXPECT_EQ(h.probes[2].window, Window::AfterFault);
  EXPECT_DOUBLE_EQ(*h.probes[2].below, 0.8);
  EXPECT_DOUBLE_EQ(*h.probes[2].above, 0.001);
  EXPECT_EQ(h.probes[3].metric, Metric::LatencyMean);
  EXPECT_EQ(h.probes[3].window, Window::Whole);  // the default
  EXPECT_DOUBLE_EQ(*h.probes[3].below, 0.2);
  EXPECT_EQ(h.probes[4].metric, Metric::RecoveryTime);
  EXPECT_DOUBLE_EQ(*h.probes[4].below, 60);
  EXPECT_EQ(h.probes[5].metric, Metric::UnhealthyShare);
  EXPECT_EQ(h.probes[5].window, Window::DuringFault);
  EXPECT_DOUBLE_EQ(*h.probes[5].below, 0.5);
  EXPECT_EQ(h.probes[5].where.line, 24);

  // Without the sections: the default analysis and no hypothesis.
  const Scenario plain = parse_scenario(
      "topology: t.dot\nduration: 60s\n"
      "workload: [{request: buy, entry: f, arrivals: {rate: 1/s}}]\n",
      "p.yaml", "/d");
  EXPECT_DOUBLE_EQ(plain.analysis.failed_error, AnalysisSpec{}.failed_error);
  EXPECT_EQ(plain.analysis.onset_bins, AnalysisSpec{}.onset_bins);
  EXPECT_FALSE(plain.hypothesis.has_value());
}

TEST(ScenarioReader, OverridesReachProbesAndAnalysis) {
  const Scenario s = parse_scenario(kJudged, "j.yaml", "/d",
                                    {"hypothesis.probes[0].below=1%", "hypothesis.probes[1].window=whole",
                                     "analysis.min_samples=5", "hypothesis.title=\"other title\""});
  EXPECT_DOUBLE_EQ(*s.hypothesis->probes[0].below, 0.01);
  EXPECT_EQ(s.hypothesis->probes[1].window, ProbeSpec::Window::Whole);
  EXPECT_EQ(s.analysis.min_samples, 5);
  EXPECT_EQ(s.hypothesis->title, "other title");

  // A whole hypothesis from the command line.
  const Scenario added = parse_scenario(
      "topology: t.dot\nduration: 60s\n"
      "workload: [{request: buy, entry: f, arrivals: {rate: 1/s}}]\n",
      "p.yaml", "/d", {"hypothesis={probes: [{metric: p99, below: 1s}]}"});
  ASSERT_TRUE(added.hypothesis.has_value());
  ASSERT_EQ(added.hypothesis->probes.size(), 1u);
  EXPECT_DOUBLE_EQ(*added.hypothesis->probes[0].below, 1);
  EXPECT_EQ(added.hypothesis->probes[0].where.file, "--set");

  // A bad value set on a probe is located at --set.
  try {
    parse_scenario(kJudged, "j.yaml", "/d", {"hypothesis.probes[0].below=150%"});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "--set") << e.what();
    EXPECT_EQ(e.where().element, "key hypothesis.probes[0].below") << e.what();
    EXPECT_NE(std::string(e.what()).find("share from 0 to 1"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Bad input: every case names the file, the line and the element.

struct BadCase {
  const char* title;
  std::string text;
  int line;
  std::string element;
  std::string message;
};

const std::string kHead = "topology: shop.dot\nduration: 60s\n";  // lines 1-2
const std::string kWork =                                         // lines 3-6 after kHead
    "workload:\n"
    "  - request: buy\n"
    "    entry: frontend\n"
    "    arrivals: {kind: poisson, rate: 50/s}\n";

std::vector<BadCase> bad_cases() {
  return {
      {"malformed YAML", "topology: [a\nduration: 1s\n", 2, "", "invalid YAML"},
      {"not a map", "- a\n- b\n", 1, "", "expected a map"},
      {"two documents", kHead + kWork + "---\nname: x\n", 8, "", "single YAML document"},
      // yaml-cpp 0.7's LoadAll never returns on these; Load silently drops what follows the comma.
      {"stray comma first", ",name: x\n" + kHead + kWork, 1, "", "invalid YAML"},
      {"stray comma after a list", kHead + kWork + ",\nname: x\n", 7, "", "invalid YAML"},
      {"missing topology", "duration: 60s\n" + kWork, 1, "key topology", "missing required key 'topology'"},
      {"missing duration", "topology: shop.dot\n" + kWork, 1, "key duration", "missing required key 'duration'"},
      {"missing workload", kHead, 1, "key workload", "missing required key 'workload'"},
      {"unknown top-level key", kHead + kWork + "sedd: 3\n", 7, "key sedd", "did you mean 'seed'"},
      {"duplicate key", kHead + "duration: 30s\n" + kWork, 3, "key duration", "given twice"},
      {"wrong type", "topology: shop.dot\nduration: [1, 2]\n" + kWork, 2, "key duration", "expected a duration"},
      {"bad unit", "topology: shop.dot\nduration: 60 parsecs\n" + kWork, 2, "key duration", "unknown unit"},
      {"duration 0", "topology: shop.dot\nduration: 0s\n" + kWork, 2, "key duration", "must be > 0"},
      {"negative duration", "topology: shop.dot\nduration: -5s\n" + kWork, 2, "key duration", "negative"},
      {"negative warmup", kHead + "warmup: -1s\n" + kWork, 3, "key warmup", "negative"},
      {"warmup too long", kHead + "warmup: 60s\n" + kWork, 3, "key warmup", "shorter than the duration"},
      {"empty warmup", kHead + "warmup:\n" + kWork, 3, "key warmup", "got nothing"},
      {"bin 0", kHead + "bin: 0s\n" + kWork, 3, "key bin", "must be > 0"},
      {"too many bins", "topology: shop.dot\nduration: 1000000s\nbin: 1ms\n" + kWork, 3, "key bin", "10^7"},
      {"negative seed", kHead + "seed: -1\n" + kWork, 3, "key seed", "non-negative whole number"},
      {"fractional seed", kHead + "seed: 1.5\n" + kWork, 3, "key seed", "non-negative whole number"},
      {"zero rate", kHead + "workload:\n  - request: buy\n    entry: f\n    arrivals:\n      rate: 0/s\n", 7,
       "key workload[0].arrivals.rate", "must be > 0"},
      {"negative rate", kHead + "workload:\n  - request: buy\n    entry: f\n    arrivals:\n      rate: -3/s\n", 7,
       "key workload[0].arrivals.rate", "negative"},
      {"bad rate unit", kHead + "workload:\n  - request: buy\n    entry: f\n    arrivals: {rate: 3/fortnight}\n", 6,
       "key workload[0].arrivals.rate", "unknown unit"},
      {"missing rate", kHead + "workload:\n  - request: buy\n    entry: f\n    arrivals: {kind: poisson}\n", 6,
       "key workload[0].arrivals.rate", "missing required key 'rate'"},
      {"unknown arrival kind", kHead + "workload:\n  - request: buy\n    entry: f\n    arrivals: {kind: burst}\n", 6,
       "key workload[0].arrivals.kind", "expected poisson or closed"},
      {"key of the other kind",
       kHead + "workload:\n  - request: b\n    entry: f\n    arrivals: {rate: 1/s, users: 3}\n", 6,
       "key workload[0].arrivals.users", "unknown key 'users'"},
      {"workload typo", kHead + "workload:\n  - request: buy\n    entry: f\n    arivals: {rate: 1/s}\n", 6,
       "key workload[0].arivals", "did you mean 'arrivals'"},
      {"workload not a list", kHead + "workload: {request: buy}\n", 3, "key workload", "expected a list"},
      {"empty workload", kHead + "workload: []\n", 3, "key workload", "at least one"},
      {"no request nor mix", kHead + "workload:\n  - arrivals: {rate: 1/s}\n", 4, "key workload[0]",
       "request: NAME or mix:"},
      {"request and mix", kHead + "workload:\n  - request: a\n    mix: {a: 1}\n    arrivals: {rate: 1/s}\n", 5,
       "key workload[0].mix", "not both"},
      {"undeclared request", kHead + "workload:\n  - request: buy\n    arrivals: {rate: 1/s}\n", 4,
       "key workload[0].request", "request 'buy' is neither declared"},
      {"undeclared request in mix",
       kHead + kWork + "  - mix: {buy: 1, sell: 2}\n    arrivals: {kind: closed, users: 5}\n", 7,
       "key workload[1].mix.sell", "request 'sell' is neither declared"},
      {"mix weight 0", kHead + kWork + "  - mix: {buy: 0}\n    arrivals: {rate: 1/s}\n", 7, "key workload[1].mix.buy",
       "weight must be > 0"},
      // Load-dependent service time (line 8: services.api).
      {"negative load cost slope", kHead + kWork + "services:\n  api: {load_cost: {linear: -1}}\n", 8,
       "key services.api.load_cost.linear", "the slope must be a finite number >= 0, got -1"},
      {"cache key space 0", kHead + kWork + "services:\n  c: {cache: {keys: {size: 0}, capacity: 5, backend: d}}\n", 8,
       "key services.c.cache.keys.size", "a key space size must be a whole number from 1 to 1e15, got 0"},
      {"negative cache key space",
       kHead + kWork + "services:\n  c: {cache: {keys: {size: -3}, capacity: 5, backend: d}}\n", 8,
       "key services.c.cache.keys.size", "a key space size must be a whole number"},
      {"NaN cache key space",
       kHead + kWork + "services:\n  c: {cache: {keys: {size: .nan}, capacity: 5, backend: d}}\n", 8,
       "key services.c.cache.keys.size", "expected a number, got '.nan'"},
      {"cache capacity 0", kHead + kWork + "services:\n  c: {cache: {keys: {size: 9}, capacity: 0, backend: d}}\n", 8,
       "key services.c.cache.capacity", "expected a whole number from 1"},
      {"cache ttl 0", kHead + kWork + "services:\n  c: {cache: {keys: {size: 9}, capacity: 5, ttl: 0s, backend: d}}\n",
       8, "key services.c.cache.ttl", "a ttl must be > 0"},
      {"unknown eviction",
       kHead + kWork + "services:\n  c: {cache: {keys: {size: 9}, capacity: 5, eviction: lfu, backend: d}}\n", 8,
       "key services.c.cache.eviction", "unknown eviction 'lfu' (expected lru or fifo)"},
      {"cache without backend", kHead + kWork + "services:\n  c: {cache: {keys: {size: 9}, capacity: 5}}\n", 8,
       "key services.c.cache.backend", "missing required key 'backend'"},
      {"cache in defaults", kHead + kWork + "defaults:\n  cache: {cache: {keys: {size: 9}}}\n", 8,
       "key defaults.cache.cache", "unknown key 'cache'"},
      {"flush with a duration",
       kHead + kWork + "faults:\n  - {kind: cache_flush, target: c, start: 1s, duration: 2s}\n", 8,
       "key faults[0].duration", "a cache_flush fault has no field 'duration'"},
      {"flush share above 100%",
       kHead + kWork + "faults:\n  - {kind: cache_flush, target: c, start: 1s, share: 150%}\n", 8,
       "key faults[0].share", "expected a share from 0 to 1"},
      {"NaN load cost exponent", kHead + kWork + "services:\n  api: {load_cost: {exponential: .nan}}\n", 8,
       "key services.api.load_cost.exponential", "expected a number, got '.nan'"},
      {"negative polynomial coefficient",
       kHead + kWork + "services:\n  api:\n    load_cost:\n      polynomial: [1, -0.5]\n", 10,
       "key services.api.load_cost.polynomial", "a polynomial coefficient must be a finite number >= 0"},
      {"empty load cost table", kHead + kWork + "services:\n  api: {load_cost: {of: queue, table: []}}\n", 8,
       "key services.api.load_cost.table", "at least one [x, multiplier] point"},
      {"unsorted load cost table",
       kHead + kWork + "services:\n  api: {load_cost: {of: queue, table: [[10, 2], [5, 3]]}}\n", 8,
       "key services.api.load_cost.table", "sorted by load, strictly increasing: 5 follows 10"},
      {"unknown load variable", kHead + kWork + "services:\n  api: {load_cost: {of: memory, linear: 1}}\n", 8,
       "key services.api.load_cost.of", "unknown load variable 'memory' (expected utilisation, in_flight or queue)"},
      {"load cost without a shape", kHead + kWork + "services:\n  api: {load_cost: {of: queue}}\n", 8,
       "key services.api.load_cost", "needs its shape: linear, polynomial, exponential or table"},
      {"load cost with two shapes", kHead + kWork + "services:\n  api: {load_cost: {linear: 1, exponential: 2}}\n", 8,
       "key services.api.load_cost.exponential", "not two"},
      {"load cost cap below 1", kHead + kWork + "services:\n  api: {load_cost: {linear: 1, max: 0.5}}\n", 8,
       "key services.api.load_cost.max", "cap of a load cost must be in [1, 1e6]"},
      // Bursts (line 7: the profile entry).
      {"burst of 0",
       kHead + "workload:\n  - request: b\n    entry: f\n    arrivals:\n      rate: 1/s\n"
               "      profile: [{kind: burst, at: 5s, count: 0}]\n",
       8, "key workload[0].arrivals.profile[0].count", "expected a whole number from 1 to 10000000, got 0"},
      {"negative burst",
       kHead + "workload:\n  - request: b\n    entry: f\n    arrivals:\n      rate: 1/s\n"
               "      profile: [{kind: burst, at: 5s, count: -10}]\n",
       8, "key workload[0].arrivals.profile[0].count", "expected a whole number from 1"},
      {"burst after the run",
       kHead + "workload:\n  - request: b\n    entry: f\n    arrivals:\n      rate: 1/s\n"
               "      profile: [{kind: burst, at: 60s, count: 100}]\n",
       8, "key workload[0].arrivals.profile[0].at", "a burst at 60s falls after the end of the run (duration 60s)"},
      {"burst before the run",
       kHead + "workload:\n  - request: b\n    entry: f\n    arrivals:\n      rate: 1/s\n"
               "      profile: [{kind: burst, at: -1s, count: 100}]\n",
       8, "key workload[0].arrivals.profile[0].at", "negative"},
      // The retry quota (line 8: policies.defaults).
      {"retry quota of no tokens", kHead + kWork + "policies:\n  defaults: {retry_quota: {capacity: 0}}\n", 8,
       "key policies.defaults.retry_quota.capacity", "expected a whole number from 1"},
      {"unknown retry quota preset", kHead + kWork + "policies:\n  defaults: {retry_quota: azure}\n", 8,
       "key policies.defaults.retry_quota", "unknown retry quota preset 'azure' (expected aws)"},
      {"negative mix weight", kHead + kWork + "  - mix:\n      buy: -2\n    arrivals: {rate: 1/s}\n", 8,
       "key workload[1].mix.buy", "weight must be > 0"},
      {"conflicting entry", kHead + "requests: {buy: {entry: web}}\n" + kWork, 6, "key workload[0].entry",
       "with entry 'web'"},
      {"closed users 0", kHead + kWork + "  - request: buy\n    arrivals: {kind: closed, users: 0}\n", 8,
       "key workload[1].arrivals.users", "from 1 to 10000000"},
      {"closed users too many", kHead + kWork + "  - request: buy\n    arrivals: {kind: closed, users: 20000000}\n", 8,
       "key workload[1].arrivals.users", "from 1 to 10000000"},
      {"bad think time", kHead + kWork + "  - request: buy\n    arrivals: {kind: closed, users: 3, think: exq(1s)}\n",
       8, "key workload[1].arrivals.think", "unknown distribution 'exq'"},
      {"overlapping profile",
       kHead + "workload:\n  - request: b\n    entry: f\n    arrivals:\n      rate: 1/s\n      profile:\n"
               "        - {kind: ramp, from: 10s, to: 30s, start_rate: 1/s, end_rate: 5/s}\n"
               "        - {kind: spike, at: 20s, duration: 1s, rate: 9/s}\n",
       10, "key workload[0].arrivals.profile[1]", "overlaps ramp [10s, 30s)"},
      {"step inside a spike",
       kHead + "workload:\n  - request: b\n    entry: f\n    arrivals:\n      rate: 1/s\n      profile:\n"
               "        - {kind: spike, at: 20s, duration: 10s, rate: 9/s}\n"
               "        - {kind: step, at: 25s, rate: 2/s}\n",
       10, "key workload[0].arrivals.profile[1]", "inside the spike"},
      {"backwards ramp",
       kHead + "workload:\n  - request: b\n    entry: f\n    arrivals:\n      rate: 1/s\n      profile:\n"
               "        - {kind: ramp, from: 30s, to: 10s, start_rate: 1/s, end_rate: 5/s}\n",
       9, "key workload[0].arrivals.profile[0].to", "must end after it starts"},
      {"unknown segment kind",
       kHead + "workload:\n  - request: b\n    entry: f\n    arrivals:\n      rate: 1/s\n      profile:\n"
               "        - {kind: wave, at: 3s}\n",
       9, "key workload[0].arrivals.profile[0].kind", "expected step, ramp, spike or burst"},
      {"malformed request edge", kHead + "requests:\n  buy: {entry: f, edges: [\"f => g\"]}\n" + kWork, 4,
       "key requests.buy.edges[0]", "expected an edge such as"},
      {"request without entry", kHead + "requests:\n  buy: {skip: []}\n" + kWork, 4, "key requests.buy.entry",
       "missing required key 'entry'"},
      {"replicas 0", kHead + kWork + "services:\n  payment:\n    replicas: 0\n", 9, "key services.payment.replicas",
       "from 1 to 100000"},
      {"workers too many", kHead + kWork + "services:\n  payment: {workers: 100001}\n", 8,
       "key services.payment.workers", "from 1 to 100000"},
      {"replicas not a number", kHead + kWork + "services:\n  payment: {replicas: two}\n", 8,
       "key services.payment.replicas", "expected a whole number"},
      {"negative queue", kHead + kWork + "services:\n  payment: {queue: -1}\n", 8, "key services.payment.queue",
       "from 0 to 100000000"},
      {"queue too large", kHead + kWork + "services:\n  payment: {queue: 100000001}\n", 8, "key services.payment.queue",
       "from 0 to 100000000"},
      {"services typo", kHead + kWork + "services:\n  payment:\n    replcas: 3\n", 9, "key services.payment.replcas",
       "unknown key 'replcas' in services.payment (did you mean 'replicas'?"},
      {"bad distribution", kHead + kWork + "services:\n  payment: {service_time: expo(5ms)}\n", 8,
       "key services.payment.service_time", "unknown distribution"},
      {"bad discipline", kHead + kWork + "services:\n  payment: {discipline: stack}\n", 8,
       "key services.payment.discipline", "expected fifo or lifo"},
      {"bad balancer", kHead + kWork + "services:\n  payment: {balancer: fastest}\n", 8,
       "key services.payment.balancer", "unknown load balancer"},
      {"services not a map", kHead + kWork + "services: [payment]\n", 7, "key services", "expected a map"},
      {"defaults typo", kHead + kWork + "defaults:\n  servce: {replicas: 2}\n", 8, "key defaults.servce",
       "did you mean 'service'"},
      {"probability above 1", kHead + kWork + "edges:\n  \"a -> b\": {probability: 1.5}\n", 8,
       "key edges.\"a -> b\".probability", "must be in [0, 1]"},
      {"negative probability", kHead + kWork + "edges:\n  a->b:\n    probability: -0.1\n", 9,
       "key edges.\"a->b\".probability", "must be in [0, 1]"},
      {"malformed edge key", kHead + kWork + "edges:\n  \"a - b\": {probability: 0.5}\n", 8, "key edges.\"a - b\"",
       "expected an edge such as \"frontend -> cart\""},
      {"edge given twice", kHead + kWork + "edges:\n  a -> b: {calls: 2}\n  a->b: {calls: 3}\n", 9,
       "key edges.\"a->b\"", "given twice"},
      {"bad boolean", kHead + kWork + "edges:\n  a -> b: {critical: maybe}\n", 8, "key edges.\"a -> b\".critical",
       "expected true or false"},
      {"bad call mode", kHead + kWork + "edges:\n  a -> b: {mode: later}\n", 8, "key edges.\"a -> b\".mode",
       "unknown call mode"},
      {"calls 0", kHead + kWork + "edges:\n  a -> b: {calls: 0}\n", 8, "key edges.\"a -> b\".calls", "from 1"},
      {"bad speed", kHead + kWork + "platform:\n  hosts:\n    - {name: h, speed: fast}\n", 9,
       "key platform.hosts[0].speed", "expected a CPU speed"},
      {"host without name", kHead + kWork + "platform:\n  hosts:\n    - {cores: 2}\n", 9, "key platform.hosts[0].name",
       "missing required key 'name'"},
      {"host name twice", kHead + kWork + "platform:\n  hosts:\n    - {name: r, count: 2}\n    - {name: r-1}\n", 10,
       "key platform.hosts[1].name", "'r-1' is used twice"},
      {"unknown placed host", kHead + kWork + "platform:\n  hosts: [{name: big}]\n  placement:\n    pay: [big, huge]\n",
       10, "key platform.placement.pay[1]", "unknown host 'huge'"},
      {"zero bandwidth", kHead + kWork + "platform:\n  network: {bandwidth: 0Gbps}\n", 8,
       "key platform.network.bandwidth", "must be > 0"},
      {"negative latency", kHead + kWork + "platform:\n  network: {latency: -1ms}\n", 8, "key platform.network.latency",
       "negative"},
      {"max_in_flight 0", kHead + kWork + "limits: {max_in_flight: 0}\n", 7, "key limits.max_in_flight", "from 1"},
      {"unbalanced distribution in a flow map",
       kHead + kWork + "services:\n  pay: {service_time: lognormal(20ms, 0.6}\n", 8, "key services.pay.\"0.6\"",
       "unknown key '0.6'"},
      {"limits typo", kHead + kWork + "limits: {max_inflight: 5}\n", 7, "key limits.max_inflight",
       "did you mean 'max_in_flight'"},
      // analysis: how the run is judged
      {"analysis typo", kHead + kWork + "analysis:\n  degraded_eror: 5%\n", 8, "key analysis.degraded_eror",
       "did you mean 'degraded_error'"},
      {"analysis not a map", kHead + kWork + "analysis: [1]\n", 7, "key analysis", "expected a map"},
      {"share above 100%", kHead + kWork + "analysis:\n  failed_error: 150%\n", 8, "key analysis.failed_error",
       "share from 0 to 1"},
      {"negative share", kHead + kWork + "analysis: {queue_saturation: -0.1}\n", 7, "key analysis.queue_saturation",
       "share from 0 to 1"},
      {"share not a number", kHead + kWork + "analysis: {hot_spot_share: half}\n", 7, "key analysis.hot_spot_share",
       "expected a share such as 5% or 0.05, got 'half'"},
      {"degraded above failed", kHead + kWork + "analysis:\n  degraded_error: 60%\n  failed_error: 50%\n", 9,
       "key analysis.failed_error", "degraded_error (60%) must be below failed_error (50%)"},
      {"degraded above the default failed", kHead + kWork + "analysis: {degraded_error: 0.7}\n", 7,
       "key analysis.degraded_error", "must be below failed_error (50%)"},
      {"latency factor 1", kHead + kWork + "analysis: {latency_factor: 1}\n", 7, "key analysis.latency_factor",
       "a factor must be > 1"},
      {"surge factor below 1", kHead + kWork + "analysis:\n  surge_factor: 0.5\n", 8, "key analysis.surge_factor",
       "a factor must be > 1"},
      {"min_samples 0", kHead + kWork + "analysis: {min_samples: 0}\n", 7, "key analysis.min_samples", "from 1"},
      {"onset_bins fraction", kHead + kWork + "analysis: {onset_bins: 1.5}\n", 7, "key analysis.onset_bins",
       "expected a whole number"},
      {"stable 0s", kHead + kWork + "analysis: {stable: 0s}\n", 7, "key analysis.stable", "must be > 0"},
      {"metastable_after bad unit", kHead + kWork + "analysis: {metastable_after: 60 parsecs}\n", 7,
       "key analysis.metastable_after", "unknown unit"},
      {"negative retry spike", kHead + kWork + "analysis: {retry_spike: -1}\n", 7, "key analysis.retry_spike",
       "must not be negative"},
      // hypothesis: what must hold
      {"hypothesis typo", kHead + kWork + "hypothesis:\n  titel: x\n  probes: [{metric: p99, below: 1s}]\n", 8,
       "key hypothesis.titel", "did you mean 'title'"},
      {"hypothesis without probes", kHead + kWork + "hypothesis: {title: x}\n", 7, "key hypothesis.probes",
       "missing required key 'probes'"},
      {"no probe", kHead + kWork + "hypothesis: {probes: []}\n", 7, "key hypothesis.probes", "at least one probe"},
      {"probes not a list", kHead + kWork + "hypothesis:\n  probes: {metric: p99}\n", 8, "key hypothesis.probes",
       "expected a list"},
      {"probe without metric", kHead + kWork + "hypothesis:\n  probes:\n    - {below: 1s}\n", 9,
       "key hypothesis.probes[0].metric", "missing required key 'metric'"},
      {"unknown metric", kHead + kWork + "hypothesis:\n  probes:\n    - {metric: p95, below: 1s}\n", 9,
       "key hypothesis.probes[0].metric",
       "unknown metric 'p95' (expected error_rate, goodput, p99, latency_mean, recovery_time or unhealthy_share)"},
      {"unknown window", kHead + kWork + "hypothesis:\n  probes:\n    - {metric: p99, window: during, below: 1s}\n", 9,
       "key hypothesis.probes[0].window",
       "unknown window 'during' (expected whole, steady, during_fault or after_fault)"},
      {"probe typo", kHead + kWork + "hypothesis:\n  probes:\n    - {metric: p99, belw: 1s}\n", 9,
       "key hypothesis.probes[0].belw", "did you mean 'below'"},
      {"unknown request", kHead + kWork + "hypothesis:\n  probes:\n    - {metric: p99, request: sell, below: 1s}\n", 9,
       "key hypothesis.probes[0].request", "request 'sell' is neither declared"},
      {"request on a service metric",
       kHead + kWork + "hypothesis:\n  probes:\n    - {metric: unhealthy_share, request: buy, below: 5%}\n", 9,
       "key hypothesis.probes[0].request", "applies to error_rate, goodput, p99 and latency_mean only"},
      {"no tolerance", kHead + kWork + "hypothesis:\n  probes:\n    - {metric: p99, window: whole}\n", 9,
       "key hypothesis.probes[0]", "needs a tolerance"},
      {"contradicting bounds",
       kHead + kWork + "hypothesis:\n  probes:\n    - {metric: error_rate, below: 1%, above: 5%}\n", 9,
       "key hypothesis.probes[0].below", "no value is below 1% and above 5%"},
      {"equal bounds",
       kHead + kWork + "hypothesis:\n  probes:\n    - metric: p99\n      above: 1s\n      below: 1000ms\n", 11,
       "key hypothesis.probes[0].below", "no value is below 1000ms and above 1s"},
      {"share tolerance above 1",
       kHead + kWork + "hypothesis:\n  probes:\n    - metric: error_rate\n      below: 200%\n", 10,
       "key hypothesis.probes[0].below", "share from 0 to 1"},
      {"share tolerance as a duration",
       kHead + kWork + "hypothesis:\n  probes:\n    - {metric: error_rate, below: 5ms}\n", 9,
       "key hypothesis.probes[0].below", "expected a share"},
      {"duration tolerance as a share", kHead + kWork + "hypothesis:\n  probes:\n    - {metric: p99, below: 5%}\n", 9,
       "key hypothesis.probes[0].below", "unknown unit"},
      {"rate tolerance not a rate", kHead + kWork + "hypothesis:\n  probes:\n    - {metric: goodput, above: fast}\n", 9,
       "key hypothesis.probes[0].above", "expected a rate"},
      // Lists of choices come from the tables the words are parsed with: none can be forgotten.
      {"unknown key lists every key", kHead + kWork + "services:\n  payment: {replcas: 2}\n", 8,
       "key services.payment.replcas",
       "expected one of replicas, workers, queue, service_time, host, discipline, balancer, error_rate, load_cost or "
       "cache)"},
      {"unknown fault kind", kHead + kWork + "faults:\n  - {kind: meltdown, target: cart, start: 1s}\n", 8,
       "key faults[0].kind",
       "unknown fault kind 'meltdown' (expected crash, latency, error, slowdown, queue_shrink, worker_shrink, "
       "host_failure, swallow, load_spike, link_degradation, partition, mix_shift or cache_flush)"},
      {"fault kind not a word", kHead + kWork + "faults:\n  - {kind: [crash], target: cart, start: 1s}\n", 8,
       "key faults[0].kind", "expected crash, latency, error,"},
      {"unknown retry condition", kHead + kWork + "policies:\n  defaults:\n    retry: {retry_on: [timeout, reset]}\n",
       9, "key policies.defaults.retry.retry_on[1]",
       "unknown retry condition 'reset' (expected timeout, error, overflow or circuit_open)"},
      {"unknown backoff", kHead + kWork + "policies:\n  defaults:\n    retry: {backoff: {kind: linear}}\n", 9,
       "key policies.defaults.retry.backoff.kind",
       "unknown backoff 'linear' (expected none, constant, exponential, full_jitter, decorrelated_jitter or "
       "proportional_jitter)"},
      {"unknown breaker preset", kHead + kWork + "policies:\n  defaults:\n    circuit_breaker: sentinel\n", 9,
       "key policies.defaults.circuit_breaker",
       "unknown circuit breaker preset 'sentinel' (expected resilience4j or hystrix)"},
      {"unknown breaker window: aliases left out",
       kHead + kWork + "policies:\n  defaults:\n    circuit_breaker: {window: sliding}\n", 9,
       "key policies.defaults.circuit_breaker.window", "unknown window 'sliding' (expected count_based or time_based)"},
      {"unknown outlier preset", kHead + kWork + "protection:\n  cart: {outlier_ejection: istio}\n", 8,
       "key protection.cart.outlier_ejection", "unknown outlier ejection preset 'istio' (expected envoy)"},
      {"unknown shedding", kHead + kWork + "protection:\n  cart: {shedding: red}\n", 8, "key protection.cart.shedding",
       "unknown shedding 'red' (expected none, codel or adaptive_lifo)"},
      {"unknown kind in policies.by_kind", kHead + kWork + "policies:\n  by_kind:\n    servic: {retry: envoy}\n", 9,
       "key policies.by_kind.servic", "did you mean 'service'? expected one of frontend, service, cache, db or queue)"},
      {"calls above the topology's bound", kHead + kWork + "edges:\n  a -> b: {calls: 10001}\n", 8,
       "key edges.\"a -> b\".calls", "from 1 to 10000"},
      {"latency fault on a malformed call",
       kHead + kWork + "faults:\n  - {kind: latency, target: \"a -> b -> c\", latency: 5ms, start: 1s, end: 2s}\n", 8,
       "key faults[0].target", "expected an edge such as \"frontend -> cart\", got 'a -> b -> c'"},
      {"latency fault on a call without callee",
       kHead + kWork + "faults:\n  - {kind: latency, target: \"a ->\", latency: 5ms, start: 1s, end: 2s}\n", 8,
       "key faults[0].target", "expected an edge such as"},
  };
}

/// Parses a bad case's text and expects an InputError at its line and element, saying its message.
template <class Case>
void expect_located(const Case& c) {
  SCOPED_TRACE(c.title);
  try {
    parse_scenario(c.text, "bad.yaml", "/d");
    ADD_FAILURE() << "no error for:\n" << c.text;
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.where().file, "bad.yaml");
    EXPECT_EQ(e.where().line, c.line) << what;
    EXPECT_NE(what.find("bad.yaml:" + std::to_string(c.line) + ": "), std::string::npos) << what;
    EXPECT_EQ(e.where().element, c.element) << what;
    EXPECT_NE(what.find(c.element), std::string::npos) << what;
    EXPECT_NE(what.find(c.message), std::string::npos) << what;
  }
}

TEST(ScenarioReader, BadInputIsLocated) {
  for (const auto& c : bad_cases()) {
    expect_located(c);
  }
}

TEST(ScenarioReader, LoadCostsBurstsLeastConnectionsAndRetryQuotasAreRead) {
  const Scenario s =
      parse_scenario(kHead +
                         "workload:\n  - request: buy\n    entry: frontend\n    arrivals:\n      rate: 5/s\n"
                         "      profile: [{kind: burst, at: 30s, count: 2000}, {kind: step, at: 40s, rate: 1/s}]\n"
                         "defaults:\n"
                         "  service: {load_cost: {exponential: 2.5, max: 40}}\n"
                         "services:\n"
                         "  a: {load_cost: {of: in_flight, polynomial: [1, 0, 0.01]}, balancer: least_connections}\n"
                         "  b: {load_cost: {of: queue, table: [[0, 1], [100, 4]]}}\n"
                         "  c: {load_cost: {of: utilization, linear: 3}}\n"
                         "  d: {load_cost: none}\n"
                         "policies:\n"
                         "  defaults: {retry_quota: aws}\n"
                         "  edges:\n"
                         "    \"a -> b\": {retry_quota: {capacity: 50, timeout_cost: 20}}\n",
                     "s.yaml", "/d");
  const auto& bursts = s.workload[0].rate.bursts;
  ASSERT_EQ(bursts.size(), 1u);
  EXPECT_EQ(bursts[0].at, 30);
  EXPECT_EQ(bursts[0].count, 2000);
  EXPECT_EQ(s.workload[0].rate.at(45), 1);  // the step beside it still reads
  const auto& kind = *kind_defaults(s, ServiceKind::Service).load_cost;
  EXPECT_EQ(kind.of, LoadCost::Variable::Utilisation);
  EXPECT_EQ(kind.shape, LoadCost::Shape::Exponential);
  EXPECT_EQ(kind.coefficients, std::vector<double>{2.5});
  EXPECT_EQ(kind.cap, 40);
  const auto& a = *service(s, "a");
  EXPECT_EQ(a.balancer, Balancer::LeastConnections);
  EXPECT_EQ(a.load_cost->of, LoadCost::Variable::InFlight);
  EXPECT_EQ(a.load_cost->coefficients, (std::vector<double>{1, 0, 0.01}));
  EXPECT_EQ(a.load_cost->cap, kDefaultLoadCostCap);
  const auto& b = *service(s, "b");
  EXPECT_EQ(b.load_cost->of, LoadCost::Variable::Queue);
  EXPECT_EQ(b.load_cost->points, (std::vector<std::pair<double, double>>{{0, 1}, {100, 4}}));
  EXPECT_EQ(service(s, "c")->load_cost->of, LoadCost::Variable::Utilisation);
  EXPECT_EQ(service(s, "c")->load_cost->coefficients, std::vector<double>{3});
  EXPECT_FALSE(service(s, "d")->load_cost->active());  // `none` overrides the kind's default
  ASSERT_TRUE(s.policy_all.retry_quota.has_value());
  EXPECT_EQ(s.policy_all.retry_quota->capacity, 500);
  const auto& edge = s.policy_edges.at(0).second.retry_quota;
  ASSERT_TRUE(edge.has_value());
  EXPECT_EQ(edge->capacity, 50);
  EXPECT_EQ(edge->retry_cost, 5);
  EXPECT_EQ(edge->timeout_cost, 20);
}

TEST(ScenarioReader, CachesAndFlushesAreRead) {
  const Scenario s = parse_scenario(kHead + kWork +
                                        "services:\n"
                                        "  c:\n"
                                        "    cache:\n"
                                        "      keys: {size: 1e5, popularity: zipf, exponent: 0.9}\n"
                                        "      capacity: 200000\n"
                                        "      eviction: fifo\n"
                                        "      ttl: 60s\n"
                                        "      backend: db\n"
                                        "  u: {cache: {keys: {size: 10}, capacity: 5, backend: x}}\n"
                                        "faults:\n"
                                        "  - {name: f, kind: cache_flush, target: c, start: 3s, share: 40%}\n"
                                        "  - {name: g, kind: cache_flush, target: u, start: 4s}\n",
                                    "s.yaml", "/d");
  const auto& c = *service(s, "c")->cache;
  EXPECT_EQ(c.keys, 100000u);
  EXPECT_EQ(c.popularity, KeySpace::Popularity::Zipf);
  EXPECT_EQ(c.exponent, 0.9);
  EXPECT_EQ(c.capacity, 200000u);
  EXPECT_EQ(c.eviction, LookAsideCache::Eviction::Fifo);
  EXPECT_EQ(c.ttl, 60);
  EXPECT_EQ(c.backend, "db");
  EXPECT_EQ(c.where.line, 14);
  const auto& u = *service(s, "u")->cache;
  EXPECT_EQ(u.popularity, KeySpace::Popularity::Uniform);
  EXPECT_EQ(u.eviction, LookAsideCache::Eviction::Lru);
  EXPECT_TRUE(std::isinf(u.ttl));
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[0].kind, FaultSpec::Kind::CacheFlush);
  EXPECT_EQ(s.faults[0].share, 0.4);
  EXPECT_EQ(s.faults[0].start, 3);
  EXPECT_EQ(s.faults[0].end, 3);  // a one-shot
  EXPECT_EQ(s.faults[1].share, 1);
  // A capacity above the key space is a note at the capacity's line, not an error.
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].where.line, 11);
  EXPECT_NE(s.notes[0].text.find("capacity 200000 is above the key space (100000 keys)"), std::string::npos);
}

TEST(ScenarioReader, KeywordsAndTheirAliasesAreRead) {
  const Scenario s =
      parse_scenario(kHead + kWork +
                         "policies:\n"
                         "  defaults:\n"
                         "    retry: {retry_on: [overflow, circuit_open], backoff: {kind: full_jitter}}\n"
                         "    circuit_breaker: {window: time, window_size: 10s}\n"
                         "  by_kind:\n"
                         "    db: {circuit_breaker: {preset: hystrix, window: count}}\n"
                         "protection:\n"
                         "  cart: {shedding: adaptive_lifo}\n"
                         "faults:\n"
                         "  - {kind: latency, target: \" a->b \", latency: 5ms, start: 1s, end: 2s}\n"
                         "  - {kind: latency, target: cart, latency: 5ms, start: 1s, end: 2s}\n",
                     "s.yaml", "/d");
  ASSERT_TRUE(s.policy_all.retry.has_value());
  const RetryOn on = s.policy_all.retry->retry_on;
  EXPECT_FALSE(on.timeout);
  EXPECT_FALSE(on.error);
  EXPECT_TRUE(on.overflow);
  EXPECT_TRUE(on.circuit_open);
  EXPECT_EQ(s.policy_all.retry->backoff.kind, Backoff::Kind::FullJitter);
  ASSERT_TRUE(s.policy_all.circuit_breaker.has_value());
  EXPECT_EQ(s.policy_all.circuit_breaker->window, CircuitBreakerConfig::Window::TimeBased);
  EXPECT_EQ(s.policy_all.circuit_breaker->window_size, 10);
  const auto& db = s.policy_by_kind[static_cast<size_t>(ServiceKind::Db)];
  ASSERT_TRUE(db.circuit_breaker.has_value());
  EXPECT_EQ(db.circuit_breaker->window, CircuitBreakerConfig::Window::CountBased);
  ASSERT_EQ(s.protections.size(), 1u);
  EXPECT_EQ(s.protections[0].shedding, ProtectionSpec::Shedding::AdaptiveLifo);
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[0].target_call(), (std::pair<std::string, std::string>{"a", "b"}));
  EXPECT_EQ(s.faults[1].target_call(), std::nullopt);
}

TEST(ScenarioReader, BadFilesAreLocated) {
  struct FileCase {
    const char* file;
    int line;
    std::string element, message;
  };
  const std::vector<FileCase> cases{
      {"bad_syntax.yaml", 6, "", "invalid YAML"},
      {"bad_typo.yaml", 9, "key services.payment.replcas", "unknown key 'replcas'"},
      {"bad_rate.yaml", 8, "key workload[0].arrivals.rate", "must be > 0"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string file = path_of(c.file);
    try {
      read_scenario(file);
      ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(file + ":" + std::to_string(c.line) + ": " + (c.element.empty() ? "" : c.element + ": "), 0),
                0u)
          << what;
      EXPECT_NE(what.find(c.message), std::string::npos) << what;
    }
  }
}

TEST(ScenarioReader, MissingFile) {
  try {
    read_scenario(path_of("no-such-file.yaml"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-file.yaml"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// --set overrides

TEST(ScenarioReader, OverridesChangeValues) {
  const Scenario s = read_scenario(path_of("full.yaml"), {
                                                             "duration=100s",
                                                             "seed=7",
                                                             "services.payment.replicas=3",
                                                             "workload[0].arrivals.rate=500/s",
                                                             "defaults.service.workers = 8",
                                                             "edges.\"frontend -> recommendations\".probability=0.25",
                                                             "workload[2].arrivals.profile[2].rate=5000/s",
                                                             "name=\"quoted name\"",
                                                         });
  EXPECT_DOUBLE_EQ(s.duration, 100);
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(service(s, "payment")->replicas, 3);
  EXPECT_EQ(service(s, "payment")->host, "pay-host");  // the rest of the map is kept
  EXPECT_DOUBLE_EQ(s.workload[0].rate.base, 500);
  EXPECT_EQ(kind_defaults(s, ServiceKind::Service).workers, 8);
  EXPECT_EQ(kind_defaults(s, ServiceKind::Service).replicas, 2);
  EXPECT_EQ(s.edges[0].probability, 0.25);
  EXPECT_DOUBLE_EQ(s.workload[2].rate.at(405), 5000);
  EXPECT_EQ(s.name, "quoted name");
  // The text is the file as read, overrides are not part of it.
  EXPECT_EQ(s.text, read_text(path_of("full.yaml")));
}

TEST(ScenarioReader, OverridesCreateKeys) {
  const Scenario s = read_scenario(path_of("minimal.yaml"), {
                                                                "services.cart.replicas=4",
                                                                "platform.network.latency=1ms",
                                                                "platform.hosts=[{name: a}, {name: b}]",
                                                                "platform.placement.cart=[a, b]",
                                                                "requests.sell.entry=frontend",
                                                                "warmup=10s",
                                                            });
  ASSERT_EQ(s.services.size(), 1u);
  EXPECT_EQ(s.services[0].first, "cart");
  EXPECT_EQ(s.services[0].second.replicas, 4);
  EXPECT_EQ(s.service_where[0].file, "--set");
  EXPECT_DOUBLE_EQ(s.platform.hop_latency, 1e-3);
  ASSERT_EQ(s.platform.hosts.size(), 2u);
  EXPECT_EQ(s.platform.placement.at(0).second, (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(request(s, "sell"), nullptr);
  EXPECT_DOUBLE_EQ(s.warmup, 10);
}

TEST(ScenarioReader, OverriddenTopologyIsRelativeToTheWorkingDirectory) {
  const Scenario s = read_scenario(path_of("minimal.yaml"), {"topology=topologies/other.dot"});
  EXPECT_EQ(s.topology_path, "topologies/other.dot");
}

TEST(ScenarioReader, BadOverridesAreRejected) {
  struct SetCase {
    std::string assignment, element, message;
  };
  const std::vector<SetCase> cases{
      {"duration", "", "expected KEY=VALUE"},
      {"=5", "", "expected KEY=VALUE"},
      {"a..b=1", "key a..b", "empty key"},
      {"workload[x].rate=1", "key workload[x].rate", "list index"},
      {"workload[0=1", "key workload[0", "missing ']'"},
      {"edges.\"a -> b.calls=2", "key edges.\"a -> b.calls", "unterminated quote"},
      {"workload[9].arrivals.rate=1/s", "key workload[9].arrivals.rate", "index 9 is out of range (workload has 1"},
      {"duration.unit=s", "key duration.unit", "duration is '60s', not a map"},
      {"workload.rate=1/s", "key workload.rate", "workload is a list, not a map"},
      {"seed[0]=1", "key seed[0]", "not a list"},
      {"seed=-1", "key seed", "non-negative whole number"},
      {"duration=0s", "key duration", "must be > 0"},
      {"services.payment.replcas=3", "key services.payment.replcas", "unknown key 'replcas'"},
      {"workload[0].arrivals.rate=fast", "key workload[0].arrivals.rate", "expected a rate"},
      {"workload[0].arrivals={rate: 0/s}", "key workload[0].arrivals.rate", "must be > 0"},
      {"services.payment.replicas=[1", "key services.payment.replicas", "cannot read the value"},
      {"services.payment.replicas=,", "key services.payment.replicas", "cannot read the value"},
      {"warmup=", "key warmup", "got nothing"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.assignment);
    try {
      read_scenario(path_of("minimal.yaml"), {c.assignment});
      ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.where().file, "--set") << what;
      EXPECT_EQ(e.where().line, 0) << what;
      EXPECT_EQ(e.where().element, c.element) << what;
      EXPECT_EQ(what.rfind("--set: ", 0), 0u) << what;
      EXPECT_NE(what.find(c.message), std::string::npos) << what;
    }
  }
}

TEST(ScenarioReader, LaterOverridesWin) {
  const Scenario s = read_scenario(path_of("minimal.yaml"), {"seed=3", "seed=4"});
  EXPECT_EQ(s.seed, 4u);
}

// ---------------------------------------------------------------- designs, tenants, fault cells

namespace designs {

const std::string kDesigns =
    "topology: shop.dot\n"                                                                                  // 1
    "duration: 60s\n"                                                                                       // 2
    "workload:\n"                                                                                           // 3
    "  - request: buy\n"                                                                                    // 4
    "    entry: frontend\n"                                                                                 // 5
    "    arrivals: {kind: poisson, rate: 50/s}\n"                                                           // 6
    "    tenants: 250\n"                                                                                    // 7
    "  - request: buy\n"                                                                                    // 8
    "    arrivals: {kind: closed, users: 20}\n"                                                             // 9
    "faults:\n"                                                                                             // 10
    "  - {name: a, kind: crash, target: api, start: 1s, duration: 1s, cell: 2}\n"                           // 11
    "  - {name: b, kind: crash, target: api, start: 1s, duration: 1s, cell: all}\n"                         // 12
    "  - {name: c, kind: crash, target: api, start: 1s, duration: 1s}\n"                                    // 13
    "  - {name: d, kind: crash, target: api, start: 1s, duration: 1s, cell: 0}\n"                           // 14
    "designs:\n"                                                                                            // 15
    "  - name: cells\n"                                                                                     // 16
    "    description: four cells\n"                                                                         // 17
    "    cells: {count: 4, shared: [db, cache], shuffle_sharding: true, capacity: copy}\n"                  // 18
    "  - name: some\n"                                                                                      // 19
    "    cells:\n"                                                                                          // 20
    "      count: 3\n"                                                                                      // 21
    "      services: [frontend, api]\n"                                                                     // 22
    "      capacity: split\n"                                                                               // 23
    "  - name: recomposed\n"                                                                                // 24
    "    set:\n"                                                                                            // 25
    "      services.api.replicas: 3\n"                                                                      // 26
    "      platform.hosts: [{name: app, count: 2}]\n"                                                       // 27
    "    recompose:\n"                                                                                      // 28
    "      - merge: [pricing, pricing-cache]\n"                                                             // 29
    "      - merge: {services: [a, b, c], into: abc}\n"                                                     // 30
    "      - split: {service: catalog, parts: {catalog-read: [browse, search], catalog-write: buy}}\n"      // 31
    "      - async: \"checkout -> email\"\n"                                                                // 32
    "      - async: {call: \"checkout -> sms\", queue: smsq, capacity: 100, consumers: 4}\n"                // 33
    "      - buffer: {call: \"payment -> gateway\", capacity: 500, consumers: 50}\n"                        // 34
    "      - remove: proxy\n"                                                                               // 35
    "      - colocate: [x, y]\n"                                                                            // 36
    "      - separate: [recommendations, reviews]\n"                                                        // 37
    "      - separate: ads\n"                                                                               // 38
    "      - drop: \"checkout -> recommendations\"\n"                                                       // 39
    "      - drop: {call: \"cart -> ads\"}\n"                                                               // 40
    "  - name: legacy\n"                                                                                    // 41
    "    decay: {request: buy, service: payment, share: 20%, error_rate: {from: 1%, to: 20%},\n"            // 42
    "            latency: {from: 0ms, to: 100ms}}\n"                                                        // 43
    "  - name: legacy2\n"                                                                                   // 44
    "    decay: {request: buy, legacy: old-pay, share: 0.5, error_rate: 5%, latency: 30ms, replicas: 2}\n"  // 45
    "  - name: same\n";                                                                                     // 46

using Kind = Transformation::Kind;

TEST(ScenarioReaderDesigns, WorkloadTenants) {
  const Scenario s = parse_scenario(kDesigns, "d.yaml", "/d");
  ASSERT_EQ(s.workload.size(), 2u);
  EXPECT_EQ(s.workload[0].tenants, 250);
  EXPECT_FALSE(s.workload[1].tenants);  // default: decided by build_system (users, or 1000)
}

TEST(ScenarioReaderDesigns, FaultCell) {
  const Scenario s = parse_scenario(kDesigns, "d.yaml", "/d");
  ASSERT_EQ(s.faults.size(), 4u);
  EXPECT_EQ(s.faults[0].cell, 2);
  EXPECT_EQ(s.faults[1].cell, -1);  // all
  EXPECT_FALSE(s.faults[2].cell);   // default: cell 0, decided when the design is applied
  EXPECT_EQ(s.faults[3].cell, 0);
}

TEST(ScenarioReaderDesigns, DesignNamesInOrder) {
  const Scenario s = parse_scenario(kDesigns, "d.yaml", "/d");
  std::vector<std::string> names;
  for (const auto& d : s.designs) names.push_back(d.name);
  EXPECT_EQ(names, (std::vector<std::string>{"cells", "some", "recomposed", "legacy", "legacy2", "same"}));
  EXPECT_EQ(s.design, "baseline");  // the scenario as written is the baseline
  EXPECT_EQ(s.designs[0].where.line, 16);
  EXPECT_EQ(s.designs[0].where.file, "d.yaml");
  EXPECT_EQ(s.designs[0].description, "four cells");
  // A design of no step is allowed: it reproduces the baseline.
  const auto& same = s.designs[5];
  EXPECT_TRUE(same.set.empty());
  EXPECT_TRUE(same.recomposition.empty());
  EXPECT_FALSE(same.decay);
  EXPECT_FALSE(same.cells);
}

TEST(ScenarioReaderDesigns, Cells) {
  const Scenario s = parse_scenario(kDesigns, "d.yaml", "/d");
  ASSERT_TRUE(s.designs[0].cells);
  const CellSpec& a = *s.designs[0].cells;
  EXPECT_EQ(a.count, 4);
  EXPECT_EQ(a.shared, (std::vector<std::string>{"db", "cache"}));
  EXPECT_TRUE(a.services.empty());
  EXPECT_TRUE(a.shuffle_sharding);
  EXPECT_FALSE(a.split_capacity);  // capacity: copy
  EXPECT_EQ(a.where.line, 18);
  EXPECT_FALSE(s.designs[0].decay);
  EXPECT_TRUE(s.designs[0].recomposition.empty());

  ASSERT_TRUE(s.designs[1].cells);
  const CellSpec& b = *s.designs[1].cells;
  EXPECT_EQ(b.count, 3);
  EXPECT_EQ(b.services, (std::vector<std::string>{"frontend", "api"}));
  EXPECT_TRUE(b.shared.empty());
  EXPECT_FALSE(b.shuffle_sharding);
  EXPECT_TRUE(b.split_capacity);
  EXPECT_EQ(b.where.line, 20);
}

TEST(ScenarioReaderDesigns, SetBecomesKeyValueOverrides) {
  const Scenario s = parse_scenario(kDesigns, "d.yaml", "/d");
  const auto& set = s.designs[2].set;
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0], "services.api.replicas=3");
  EXPECT_EQ(set[1], "platform.hosts=[{name: app, count: 2}]");
  // The value reads back as the same YAML when given as an override.
  const Scenario back = parse_scenario(kDesigns, "d.yaml", "/d", set);
  ASSERT_EQ(back.platform.hosts.size(), 1u);
  EXPECT_EQ(back.platform.hosts[0].name, "app");
  EXPECT_EQ(back.platform.hosts[0].count, 2);
  ASSERT_EQ(back.services.size(), 1u);
  EXPECT_EQ(back.services[0].first, "api");
  EXPECT_EQ(back.services[0].second.replicas, 3);
  // The reader stores them, and does not apply them to the baseline.
  EXPECT_TRUE(s.platform.hosts.empty());
  EXPECT_TRUE(s.services.empty());
}

TEST(ScenarioReaderDesigns, RecompositionSteps) {
  const Scenario s = parse_scenario(kDesigns, "d.yaml", "/d");
  const auto& steps = s.designs[2].recomposition;
  ASSERT_EQ(steps.size(), 12u);
  using Names = std::vector<std::string>;

  EXPECT_EQ(steps[0].kind, Kind::Merge);
  EXPECT_EQ(steps[0].services, (Names{"pricing", "pricing-cache"}));
  EXPECT_EQ(steps[0].into, "");
  EXPECT_EQ(steps[0].where.line, 29);
  EXPECT_EQ(steps[0].where.file, "d.yaml");

  EXPECT_EQ(steps[1].kind, Kind::Merge);
  EXPECT_EQ(steps[1].services, (Names{"a", "b", "c"}));
  EXPECT_EQ(steps[1].into, "abc");

  EXPECT_EQ(steps[2].kind, Kind::Split);
  EXPECT_EQ(steps[2].services, (Names{"catalog"}));
  ASSERT_EQ(steps[2].parts.size(), 2u);
  EXPECT_EQ(steps[2].parts[0].first, "catalog-read");
  EXPECT_EQ(steps[2].parts[0].second, (Names{"browse", "search"}));
  EXPECT_EQ(steps[2].parts[1].first, "catalog-write");
  EXPECT_EQ(steps[2].parts[1].second, (Names{"buy"}));

  EXPECT_EQ(steps[3].kind, Kind::Async);
  EXPECT_EQ(steps[3].from, "checkout");
  EXPECT_EQ(steps[3].to, "email");
  EXPECT_EQ(steps[3].queue, "");
  EXPECT_FALSE(steps[3].capacity);
  EXPECT_FALSE(steps[3].consumers);

  EXPECT_EQ(steps[4].kind, Kind::Async);
  EXPECT_EQ(steps[4].from, "checkout");
  EXPECT_EQ(steps[4].to, "sms");
  EXPECT_EQ(steps[4].queue, "smsq");
  EXPECT_EQ(steps[4].capacity, 100);
  EXPECT_EQ(steps[4].consumers, 4);

  EXPECT_EQ(steps[5].kind, Kind::Buffer);
  EXPECT_EQ(steps[5].from, "payment");
  EXPECT_EQ(steps[5].to, "gateway");
  EXPECT_EQ(steps[5].capacity, 500);
  EXPECT_EQ(steps[5].consumers, 50);
  EXPECT_EQ(steps[5].where.line, 34);

  EXPECT_EQ(steps[6].kind, Kind::RemoveTier);
  EXPECT_EQ(steps[6].services, (Names{"proxy"}));

  EXPECT_EQ(steps[7].kind, Kind::Colocate);
  EXPECT_EQ(steps[7].services, (Names{"x", "y"}));

  EXPECT_EQ(steps[8].kind, Kind::Separate);
  EXPECT_EQ(steps[8].services, (Names{"recommendations", "reviews"}));
  EXPECT_EQ(steps[9].kind, Kind::Separate);
  EXPECT_EQ(steps[9].services, (Names{"ads"}));

  EXPECT_EQ(steps[10].kind, Kind::DropEdge);
  EXPECT_EQ(steps[10].from, "checkout");
  EXPECT_EQ(steps[10].to, "recommendations");
  EXPECT_EQ(steps[11].kind, Kind::DropEdge);
  EXPECT_EQ(steps[11].from, "cart");
  EXPECT_EQ(steps[11].to, "ads");
  EXPECT_EQ(steps[11].where.line, 40);
}

TEST(ScenarioReaderDesigns, Decay) {
  const Scenario s = parse_scenario(kDesigns, "d.yaml", "/d");
  ASSERT_TRUE(s.designs[3].decay);
  const DecaySpec& a = *s.designs[3].decay;
  EXPECT_EQ(a.request, "buy");
  EXPECT_EQ(a.service, "payment");
  EXPECT_EQ(a.legacy, "");
  EXPECT_DOUBLE_EQ(a.share, 0.2);
  EXPECT_DOUBLE_EQ(a.error_rate.start, 0.01);  // ramps {from, to}
  EXPECT_DOUBLE_EQ(a.error_rate.end, 0.2);
  EXPECT_DOUBLE_EQ(a.latency.start, 0);
  EXPECT_DOUBLE_EQ(a.latency.end, 0.1);
  EXPECT_FALSE(a.replicas);
  EXPECT_EQ(a.where.line, 42);
  EXPECT_FALSE(s.designs[3].cells);

  ASSERT_TRUE(s.designs[4].decay);
  const DecaySpec& b = *s.designs[4].decay;
  EXPECT_EQ(b.service, "");  // default: the request type's entry
  EXPECT_EQ(b.legacy, "old-pay");
  EXPECT_DOUBLE_EQ(b.share, 0.5);
  EXPECT_DOUBLE_EQ(b.error_rate.start, 0.05);  // one value: constant
  EXPECT_DOUBLE_EQ(b.error_rate.end, 0.05);
  EXPECT_DOUBLE_EQ(b.latency.start, 0.03);
  EXPECT_DOUBLE_EQ(b.latency.end, 0.03);
  EXPECT_EQ(b.replicas, 2);
}

TEST(ScenarioReaderDesigns, ADesignCanBeGivenByOverride) {
  const Scenario s = parse_scenario(kDesigns, "d.yaml", "/d", {"designs[0].cells.count=8"});
  EXPECT_EQ(s.designs.at(0).cells->count, 8);
}

const std::string kBase =  // lines 1-6
    "topology: shop.dot\n"
    "duration: 60s\n"
    "workload:\n"
    "  - request: buy\n"
    "    entry: frontend\n"
    "    arrivals: {kind: poisson, rate: 50/s}\n";

TEST(ScenarioReaderDesigns, BadDesignsAreLocated) {
  const std::vector<BadCase> cases{
      {"cells count 0", kBase + "designs:\n  - name: c\n    cells:\n      count: 0\n", 10, "key designs[0].cells.count",
       "the number of cells must be at least 1, got 0"},
      {"negative cells count", kBase + "designs:\n  - name: c\n    cells: {count: -2}\n", 9,
       "key designs[0].cells.count", "at least 1"},
      {"cells without count", kBase + "designs:\n  - name: c\n    cells: {shared: [db]}\n", 9,
       "key designs[0].cells.count", "missing required key 'count'"},
      {"unknown key in cells", kBase + "designs:\n  - name: c\n    cells: {count: 2, sharde: [db]}\n", 9,
       "key designs[0].cells.sharde", "did you mean 'shared'"},
      {"bad capacity", kBase + "designs:\n  - name: c\n    cells: {count: 2, capacity: half}\n", 9,
       "key designs[0].cells.capacity", "unknown capacity 'half' (expected split or copy)"},
      {"unknown step", kBase + "designs:\n  - name: r\n    recompose:\n      - shuffle: [a, b]\n", 10,
       "key designs[0].recompose[0]", "unknown recomposition step 'shuffle'"},
      {"two keys in one step",
       kBase + "designs:\n  - name: r\n    recompose:\n      - {merge: [a, b], drop: \"a -> b\"}\n", 10,
       "key designs[0].recompose[0]", "a recomposition step is one of merge, split"},
      {"merge of one service", kBase + "designs:\n  - name: r\n    recompose:\n      - merge: [a]\n", 10,
       "key designs[0].recompose[0].merge", "merge needs at least two services"},
      {"buffer without options", kBase + "designs:\n  - name: r\n    recompose:\n      - buffer: \"a -> b\"\n", 10,
       "key designs[0].recompose[0].buffer", "buffer needs {call"},
      {"malformed call", kBase + "designs:\n  - name: r\n    recompose:\n      - drop: \"a => b\"\n", 10,
       "key designs[0].recompose[0].drop", "expected an edge such as"},
      {"unknown async option",
       kBase + "designs:\n  - name: r\n    recompose:\n      - async: {call: \"a -> b\", consumer: 3}\n", 10,
       "key designs[0].recompose[0].async.consumer", "did you mean 'consumers'"},
      {"duplicate design name", kBase + "designs:\n  - name: x\n  - name: y\n  - name: x\n", 10, "key designs[2].name",
       "design 'x' is defined twice"},
      {"design named baseline", kBase + "designs:\n  - name: baseline\n", 8, "key designs[0].name",
       "a design needs a name other than 'baseline'"},
      {"design without name", kBase + "designs:\n  - cells: {count: 2}\n", 8, "key designs[0].name",
       "missing required key 'name'"},
      {"unknown design key", kBase + "designs:\n  - name: x\n    cels: {count: 2}\n", 9, "key designs[0].cels",
       "did you mean 'cells'"},
      {"decay share 150%", kBase + "designs:\n  - name: l\n    decay:\n      request: buy\n      share: 150%\n", 11,
       "key designs[0].decay.share", "expected a share from 0 to 1"},
      {"decay without share", kBase + "designs:\n  - name: l\n    decay: {request: buy}\n", 9,
       "key designs[0].decay.share", "missing required key 'share'"},
      {"unknown key in decay", kBase + "designs:\n  - name: l\n    decay: {request: buy, share: 10%, eror_rate: 1%}\n",
       9, "key designs[0].decay.eror_rate", "did you mean 'error_rate'"},
      {"unknown key in a ramp",
       kBase + "designs:\n  - name: l\n    decay:\n      request: buy\n      share: 10%\n"
               "      error_rate: {from: 1%, too: 5%}\n",
       12, "key designs[0].decay.error_rate.too", "unknown key 'too'"},
      {"decay error rate above 1",
       kBase + "designs:\n  - name: l\n    decay:\n      request: buy\n      share: 10%\n"
               "      error_rate: {from: 1%, to: 120%}\n",
       12, "key designs[0].decay.error_rate.to", "expected a share from 0 to 1"},
      {"designs not a list", kBase + "designs: {name: x}\n", 7, "key designs", "expected a list"},
      {"fault cell -1", kBase + "faults:\n  - {kind: crash, target: api, start: 1s, duration: 1s, cell: -1}\n", 8,
       "key faults[0].cell", "from 0 to 1000"},
      {"fault cell a word", kBase + "faults:\n  - {kind: crash, target: api, start: 1s, duration: 1s, cell: every}\n",
       8, "key faults[0].cell", "expected a whole number"},
      {"tenants 0", kBase + "    tenants: 0\n", 7, "key workload[0].tenants", "from 1 to 10000000"},
  };
  for (const auto& c : cases) expect_located(c);
}

}  // namespace designs

namespace hostile {

// Input built to break the reader: deep or long paths, deep nesting, alias bombs, faults that
// would do nothing. Each must be an InputError naming where, never a crash or gigabytes.

const std::string kBase =  // lines 1-6
    "topology: shop.dot\n"
    "duration: 60s\n"
    "workload:\n"
    "  - request: buy\n"
    "    entry: frontend\n"
    "    arrivals: {kind: poisson, rate: 50/s}\n";

/// The error reading `text` with `overrides` gives; fails the test when there is none.
InputError error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parse_scenario(text, "bad.yaml", "/d", overrides);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return InputError({}, "");
}

/// Nine lists of nine aliases of the list before: 9^levels nodes once expanded, a few hundred bytes written.
std::string alias_bomb(const std::string& indent, int levels) {
  std::string out = indent + "l0: &l0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < levels; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    out += indent + "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
    for (int j = 1; j < 9; ++j) out += ", " + prev;
    out += "]\n";
  }
  return out;
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(ScenarioReaderHostile, AVeryLongSetKeyIsRefusedWithoutRecursion) {
  for (const std::string& key : {"a" + repeat(".a", 100'000), "name" + repeat("[0]", 100'000)}) {
    const InputError e = error_of(kBase, {key + "=1"});
    EXPECT_EQ(e.where().file, "--set");
    EXPECT_NE(std::string(e.what()).find("more than 64 steps"), std::string::npos) << e.what();
    EXPECT_LT(std::string(e.what()).size(), 500u) << "the key is echoed whole";
  }
  // Within the bound, a long path still creates its maps.
  EXPECT_NO_THROW(
      parse_scenario(kBase + "services: {}\n", "ok.yaml", "/d", {"services.cart.replicas=3", "services.db.workers=2"}));
}

TEST(ScenarioReaderHostile, ALongValueIsQuotedCut) {
  const std::string digits(100'000, '7');
  for (const std::string& text :
       {kBase + "seed: x" + digits + "\n", kBase + "services: {api: {replicas: " + digits + "}}\n",
        kBase + "services: {api: {replicas: [x" + digits + "]}}\n"}) {
    const InputError e = error_of(text);
    EXPECT_EQ(e.where().file, "bad.yaml");
    EXPECT_LT(std::string(e.what()).size(), 400u) << std::string(e.what()).substr(0, 400);
  }
}

TEST(ScenarioReaderHostile, DeeplyNestedYamlIsLocatedAndExplained) {
  const InputError e = error_of(kBase + "name: " + repeat("[", 100'000) + repeat("]", 100'000) + "\n");
  EXPECT_EQ(e.where().file, "bad.yaml");
  EXPECT_EQ(e.where().line, 7);
  EXPECT_NE(std::string(e.what()).find("nested more than 2000 levels"), std::string::npos) << e.what();

  const InputError set = error_of(kBase, {"name=" + repeat("{a: ", 100'000)});
  EXPECT_EQ(set.where().file, "--set");
  EXPECT_NE(std::string(set.what()).find("nested more than 2000 levels"), std::string::npos) << set.what();
  EXPECT_LT(std::string(set.what()).size(), 500u) << "the value is echoed whole";
}

TEST(ScenarioReaderHostile, AnAliasBombInADesignSetIsRefusedAtItsKey) {
  const std::string text = kBase +                   // lines 1-6
                           "designs:\n"              // 7
                           "  - name: boom\n"        // 8
                           "    set:\n" +            // 9
                           alias_bomb("      ", 9);  // 10-18
  const InputError e = error_of(text);
  EXPECT_EQ(e.where().file, "bad.yaml");
  EXPECT_EQ(e.where().line, 18);
  EXPECT_EQ(e.where().element, "key designs[0].set.l8");
  EXPECT_NE(std::string(e.what()).find("aliases (*name) expand to more than"), std::string::npos) << e.what();
}

TEST(ScenarioReaderHostile, AnAliasBombAnywhereIsRefusedBeforeTheTreeIsWalked) {
  // Under a key that the reader would reject anyway, and as a value it would read.
  const InputError top = error_of(kBase + "anchors:\n" + alias_bomb("  ", 9));
  EXPECT_EQ(top.where().line, 16);
  EXPECT_EQ(top.where().element, "key anchors.l8");
  const InputError set =
      error_of(kBase, {"name=[" + std::string("&a [x, x, x, x, x, x, x, x, x], ") +
                       "&b [*a, *a, *a, *a, *a, *a, *a, *a, *a], " + "&c [*b, *b, *b, *b, *b, *b, *b, *b, *b], " +
                       "&d [*c, *c, *c, *c, *c, *c, *c, *c, *c], " + "&e [*d, *d, *d, *d, *d, *d, *d, *d, *d], " +
                       "&f [*e, *e, *e, *e, *e, *e, *e, *e, *e], " + "&g [*f, *f, *f, *f, *f, *f, *f, *f, *f]]"});
  EXPECT_EQ(set.where().file, "--set");
  EXPECT_NE(std::string(set.what()).find("aliases (*name) expand to more than"), std::string::npos) << set.what();
}

TEST(ScenarioReaderHostile, AFewAliasesStillRead) {
  const Scenario s = parse_scenario(kBase +
                                        "faults:\n"
                                        "  - &slow {name: a, kind: latency, target: api, latency: 5ms, start: 1s, "
                                        "duration: 1s}\n"
                                        "designs:\n"
                                        "  - name: d\n"
                                        "    set: {faults: [*slow]}\n",
                                    "ok.yaml", "/d");
  ASSERT_EQ(s.designs.size(), 1u);
  EXPECT_EQ(s.designs[0].set.size(), 1u);
}

TEST(ScenarioReaderHostile, AFaultFieldOfAnotherKindIsAnError) {
  const InputError e = error_of(kBase +
                                "faults:\n  - {name: f, kind: latency, target: api, latency: 5ms, size: 3, start: 1s, "
                                "duration: 1s}\n");
  EXPECT_EQ(e.where().line, 8);
  EXPECT_EQ(e.where().element, "key faults[0].size");
  EXPECT_NE(std::string(e.what()).find("a latency fault has no field 'size' (a latency fault takes name, kind, "
                                       "target, replica, cell, start, duration, end or latency)"),
            std::string::npos)
      << e.what();
  const InputError typo =
      error_of(kBase + "faults:\n  - {kind: error, target: api, eror_rate: 0.5, start: 1s, duration: 1s}\n");
  EXPECT_NE(std::string(typo.what()).find("did you mean 'error_rate'?"), std::string::npos) << typo.what();
  // Each kind's own fields are accepted.
  const Scenario s = parse_scenario(
      kBase +
          "faults:\n"
          "  - {name: a, kind: crash, target: api, replica: 0, start: 1s, restart: 2s}\n"
          "  - {name: b, kind: link_degradation, target: h1, latency: 1ms, factor: 0.5, start: 1s, end: 2s}\n"
          "  - {name: c, kind: load_spike, factor: 3, start: 1s, duration: 1s}\n"
          "  - {name: d, kind: queue_shrink, target: api, size: 2, cell: all, start: 1s, duration: 1s}\n",
      "ok.yaml", "/d");
  EXPECT_EQ(s.faults.size(), 4u);
}

TEST(ScenarioReaderHostile, FaultFieldsAreTheKindsOwn) {
  using Kind = FaultSpec::Kind;
  auto has = [](Kind kind, std::string_view field) {
    const auto f = fault_fields(kind);
    return std::find(f.begin(), f.end(), field) != f.end();
  };
  EXPECT_TRUE(has(Kind::QueueShrink, "size"));
  EXPECT_FALSE(has(Kind::Latency, "size"));
  EXPECT_TRUE(has(Kind::Latency, "latency"));
  EXPECT_TRUE(has(Kind::Crash, "restart"));
  EXPECT_FALSE(has(Kind::Slowdown, "replica"));
  EXPECT_TRUE(has(Kind::Slowdown, "start"));
  EXPECT_EQ(fault_kind_name(Kind::WorkerShrink), "worker_shrink");
}

TEST(ScenarioReaderHostile, AFaultStartingAfterTheRunEndsLeavesANoteAtItsStart) {
  const Scenario s = parse_scenario(
      kBase + "faults:\n  - {name: late, kind: crash, target: api, start: 90s, duration: 1s}\n", "s.yaml", "/d");
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].where.line, 8);
  EXPECT_EQ(s.notes[0].where.element, "key faults[0].start");
  EXPECT_NE(s.notes[0].text.find("fault 'late' starts at 90s, when the run has ended (duration 60s): it has no effect"),
            std::string::npos)
      << s.notes[0].text;
  // A --set that shortens the run makes a fault late just the same; one inside the run says nothing.
  const std::string inside = kBase + "faults:\n  - {kind: crash, target: api, start: 30s, duration: 1s}\n";
  EXPECT_TRUE(parse_scenario(inside, "ok.yaml", "/d").notes.empty());
  EXPECT_EQ(parse_scenario(inside, "ok.yaml", "/d", {"duration=20s"}).notes.size(), 1u);
}

TEST(ScenarioReaderHostile, ADesignSetEntryIsBlamedForItsOwnErrors) {
  const std::string text = kBase +                                     // lines 1-6
                           "designs:\n"                                // 7
                           "  - name: faster\n"                        // 8
                           "    set:\n"                                // 9
                           "      duration: 30s\n"                     // 10
                           "      workload[0].arrivals.rate: lots\n";  // 11
  const Scenario s = parse_scenario(text, "bad.yaml", "/d");
  ASSERT_EQ(s.design_set_where.size(), 1u);
  EXPECT_EQ(s.design_set_where[0].first, "faster");
  ASSERT_EQ(s.design_set_where[0].second.size(), 2u);
  EXPECT_EQ(s.design_set_where[0].second[1].line, 11);
  // As load_design applies it: the value's error names the file, the design and the line.
  std::vector<Override> changes;
  for (size_t i = 0; i < s.designs[0].set.size(); ++i) {
    changes.push_back({s.designs[0].set[i], s.design_set_where[0].second[i]});
  }
  try {
    parse_scenario_located(text, "bad.yaml", "/d", changes);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "bad.yaml");
    EXPECT_EQ(e.where().line, 11);
    EXPECT_EQ(e.where().element, "design 'faster', key workload[0].arrivals.rate");
    EXPECT_NE(std::string(e.what()).find("expected a rate"), std::string::npos) << e.what();
  }
  // A bad key too, and a command-line --set is still blamed on --set.
  changes = {{"workload[4].arrivals.rate=5/s", {"bad.yaml", 11, "design 'faster'"}}};
  try {
    parse_scenario_located(text, "bad.yaml", "/d", changes);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().line, 11);
    EXPECT_EQ(e.where().element, "design 'faster', key workload[4].arrivals.rate");
  }
  EXPECT_EQ(error_of(kBase, {"workload[0].arrivals.rate=lots"}).where().file, "--set");
}

TEST(ScenarioReaderHostile, AValueAndAKeyOfAnOverrideCanBeBlamedOnDifferentFlags) {
  const Override change{"workload[0].arrivals.rate=5ms", {"--param", 0, ""}, {"--from", 0, ""}};
  try {
    parse_scenario_located(kBase, "bad.yaml", "/d", std::vector<Override>{change});
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "--from");
  }
  const Override bad_key{"workload[3].arrivals.rate=5/s", {"--param", 0, ""}, {"--from", 0, ""}};
  try {
    parse_scenario_located(kBase, "bad.yaml", "/d", std::vector<Override>{bad_key});
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "--param");
  }
}

TEST(ScenarioReaderHostile, NotesCarryTheirLocation) {
  const Scenario s = parse_scenario(kBase +
                                        "policies:\n"                                      // 7
                                        "  edges:\n"                                       // 8
                                        "    \"frontend -> api\":\n"                       // 9
                                        "      retry: {preset: grpc, max_attempts: 9}\n",  // 10
                                    "n.yaml", "/d");
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].where.file, "n.yaml");
  EXPECT_EQ(s.notes[0].where.line, 10);
  EXPECT_NE(s.notes[0].text.find("max_attempts 9 lowered to 5"), std::string::npos) << s.notes[0].text;
  EXPECT_TRUE(parse_scenario(kBase, "n.yaml", "/d").notes.empty());
}

TEST(ScenarioReaderHostile, PlacementEntriesKeepTheirLine) {
  const Scenario s = parse_scenario(kBase +
                                        "platform:\n"              // 7
                                        "  hosts: [{name: h1}]\n"  // 8
                                        "  placement:\n"           // 9
                                        "    api: h1\n"            // 10
                                        "    nosuch: [h1]\n",      // 11
                                    "p.yaml", "/d");
  ASSERT_EQ(s.platform.placement_where.size(), 2u);
  EXPECT_EQ(s.platform.placement_where[1].line, 11);
  EXPECT_EQ(s.platform.placement_where[1].element, "platform.placement.nosuch");
}

}  // namespace hostile

}  // namespace
}  // namespace rapture
