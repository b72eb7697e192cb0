// Decay layers (model/design/decay_layer): a share of a request type on a worsening legacy copy.
#include "model/design/decay_layer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "io/scenario_reader.hpp"
#include "io/topology_reader.hpp"
#include "model/design/cells.hpp"
#include "model/design/design.hpp"
#include "model/system.hpp"

namespace rapture {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Names = std::vector<std::string>;
using Mix = std::vector<std::pair<std::string, double>>;

/// fe -> svc -> db, and a side call of fe that request type r does not make.
const std::string kDot =
    "digraph t {\n"
    "  fe [kind=\"frontend\", replicas=\"2\", workers=\"4\", service_time=\"exp(1ms)\"];\n"
    "  svc [kind=\"service\", replicas=\"3\", workers=\"4\", service_time=\"exp(2ms)\"];\n"
    "  db [kind=\"db\", replicas=\"1\", workers=\"8\", service_time=\"exp(1ms)\"];\n"
    "  side [kind=\"service\", replicas=\"1\", workers=\"2\", service_time=\"exp(1ms)\"];\n"
    "  fe -> svc;\n"
    "  svc -> db;\n"
    "  fe -> side;\n"
    "}\n";

Topology topology(const std::string& dot = kDot) { return read_topology_dot(dot, "t.dot"); }

/// Request type r (fe -> svc -> db) and q (fe -> side only), r weighing 1 and q 2 in the mix.
const std::string kRequests =
    "requests:\n"
    "  r: {entry: fe, skip: [\"fe -> side\"]}\n"
    "  q: {entry: fe, edges: [\"fe -> side\"]}\n";

Scenario scenario(const std::string& more = "", const std::string& requests = kRequests) {
  return parse_scenario(
      "topology: t.dot\n"
      "duration: 60s\n" +
          requests +
          "workload:\n"
          "  - mix: {r: 1, q: 2}\n"
          "    arrivals: {rate: 100/s}\n" +
          more,
      "d.yaml", "/d");
}

DecaySpec decay_of(double share = 0.25, const std::string& service = "svc") {
  DecaySpec d;
  d.request = "r";
  d.service = service;
  d.share = share;
  d.error_rate = {0.01, 0.2};
  d.latency = {0, 0.1};
  d.where = {"d.yaml", 30, "design 'legacy', decay"};
  return d;
}

struct Decayed {
  TopologyDraft draft;
  Scenario scenario;
};

Decayed decayed(const DecaySpec& decay, Scenario s = scenario(), const Topology& t = topology()) {
  Decayed out{TopologyDraft::from(t), std::move(s)};
  apply_decay(out.draft, out.scenario, decay, "legacy");
  return out;
}

std::string error_of(const DecaySpec& decay, Scenario s = scenario(), const Topology& t = topology(),
                     int* line = nullptr) {
  try {
    decayed(decay, std::move(s), t);
  } catch (const InputError& e) {
    if (line) *line = e.where().line;
    return e.what();
  }
  return "(no error)";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool contains(const Pairs& list, const std::string& from, const std::string& to) {
  return std::find(list.begin(), list.end(), std::pair<std::string, std::string>{from, to}) != list.end();
}

Pairs calls(const TopologyDraft& d) {
  Pairs out;
  for (const auto& c : d.calls) out.emplace_back(c.from, c.to);
  return out;
}

const RequestTypeSpec& request(const Scenario& s, const std::string& name) {
  auto it =
      std::find_if(s.requests.begin(), s.requests.end(), [&](const RequestTypeSpec& r) { return r.name == name; });
  if (it == s.requests.end()) throw std::runtime_error("no request type " + name);
  return *it;
}

/// The services a request type visits in the draft, by name.
std::set<std::string> visits(const Decayed& d, const std::string& request_name) {
  const auto seen = d.draft.visited_by(request(d.scenario, request_name), d.scenario);
  std::set<std::string> out;
  for (size_t i = 0; i < seen.size(); ++i) {
    if (seen[i]) out.insert(d.draft.services[i].name);
  }
  return out;
}

System built(const Decayed& d) { return build_system(d.draft.build(), d.scenario); }

uint32_t index_of(const System& sys, const std::string& service) {
  for (uint32_t i = 0; i < sys.services.size(); ++i) {
    if (sys.services[i].name == service) return i;
  }
  throw std::runtime_error("no service " + service);
}

uint32_t type_of(const System& sys, const std::string& name) {
  for (uint32_t i = 0; i < sys.request_types.size(); ++i) {
    if (sys.request_types[i].name == name) return i;
  }
  throw std::runtime_error("no request type " + name);
}

/// The services a request type's visit of `service` calls, in plan order.
Names callees(const System& sys, const std::string& request_name, const std::string& service) {
  const auto& plan = sys.plan(type_of(sys, request_name), index_of(sys, service));
  Names out;
  for (uint32_t s = 0; s < plan.stage_count; ++s) {
    const auto& stage = sys.stages[plan.first_stage + s];
    for (uint32_t c = 0; c < stage.call_count; ++c)
      out.push_back(sys.services[sys.calls[stage.first_call + c].callee].name);
  }
  return out;
}

// ---------------------------------------------------------------- the graph

TEST(DecayLayer, LegacyRequestName) { EXPECT_EQ(legacy_request_name("checkout"), "checkout@legacy"); }

TEST(DecayLayer, TheLegacyServiceCopiesTheModernOnesCallsAndCallers) {
  const auto d = decayed(decay_of());
  const auto legacy = d.draft.find("svc-legacy");
  ASSERT_TRUE(legacy);
  const auto& node = d.draft.services[*legacy];
  EXPECT_EQ(node.kind, ServiceKind::Service);
  EXPECT_EQ(node.attributes.at("legacy"), "true");
  EXPECT_EQ(*node.params.replicas, 3);  // the modern one's code and size
  const Pairs c = calls(d.draft);
  EXPECT_TRUE(contains(c, "svc-legacy", "db"));
  EXPECT_TRUE(contains(c, "fe", "svc-legacy"));
  // The modern path is untouched, and nothing else calls the legacy copy.
  EXPECT_TRUE(contains(c, "fe", "svc"));
  EXPECT_TRUE(contains(c, "svc", "db"));
  EXPECT_EQ(c.size(), 5u);
  EXPECT_EQ(d.draft.services.size(), 5u);
}

TEST(DecayLayer, TheLegacyRequestTypeSkipsTheModernServiceAndTheModernOneTheLegacy) {
  const auto d = decayed(decay_of());
  ASSERT_EQ(d.scenario.requests.size(), 3u);
  const auto& legacy = request(d.scenario, "r@legacy");
  EXPECT_EQ(legacy.entry, "fe");
  EXPECT_TRUE(contains(legacy.skip_edges, "fe", "svc"));
  EXPECT_FALSE(contains(legacy.skip_edges, "fe", "svc-legacy"));
  EXPECT_TRUE(contains(legacy.skip_edges, "fe", "side"));  // r's own skip list comes along
  EXPECT_EQ(legacy.where.line, request(d.scenario, "r").where.line);
  const auto& modern = request(d.scenario, "r");
  EXPECT_TRUE(contains(modern.skip_edges, "fe", "svc-legacy"));
  EXPECT_FALSE(contains(modern.skip_edges, "fe", "svc"));

  EXPECT_EQ(visits(d, "r"), (std::set<std::string>{"fe", "svc", "db"}));
  EXPECT_EQ(visits(d, "r@legacy"), (std::set<std::string>{"fe", "svc-legacy", "db"}));
  EXPECT_EQ(visits(d, "q"), (std::set<std::string>{"fe", "side"}));
}

TEST(DecayLayer, TheWorkloadMixIsSplitByTheShare) {
  const Scenario before = scenario();
  // The reader normalises the weights {r: 1, q: 2} to 1/3 and 2/3.
  ASSERT_EQ(before.workload.at(0).mix, (Mix{{"r", 1.0 / 3}, {"q", 2.0 / 3}}));
  const auto d = decayed(decay_of(), before);
  ASSERT_EQ(d.scenario.workload.size(), 1u);
  const Mix& mix = d.scenario.workload[0].mix;
  ASSERT_EQ(mix.size(), 3u);
  EXPECT_EQ(mix[0].first, "r");
  EXPECT_DOUBLE_EQ(mix[0].second, 0.75 / 3);
  EXPECT_EQ(mix[1].first, "r@legacy");
  EXPECT_DOUBLE_EQ(mix[1].second, 0.25 / 3);
  EXPECT_EQ(mix[2].first, "q");
  EXPECT_DOUBLE_EQ(mix[2].second, 2.0 / 3);
  EXPECT_DOUBLE_EQ(mix[0].second / (mix[0].second + mix[1].second), 0.75);
}

TEST(DecayLayer, AMixShiftFaultIsSplitToo) {
  const auto d = decayed(decay_of(), scenario("faults:\n  - {name: shift, kind: mix_shift, start: 10s, duration: 5s, "
                                              "mix: {r: 4, q: 1}}\n"));
  ASSERT_EQ(d.scenario.faults.size(), 1u);
  const Mix& mix = d.scenario.faults[0].mix;
  ASSERT_EQ(mix.size(), 3u);
  EXPECT_EQ(mix[0].first, "r");
  EXPECT_DOUBLE_EQ(mix[0].second, 3);
  EXPECT_EQ(mix[1].first, "r@legacy");
  EXPECT_DOUBLE_EQ(mix[1].second, 1);
  EXPECT_NO_THROW(built(d));
}

TEST(DecayLayer, TheScenarioHoldsTheRamps) {
  const auto d = decayed(decay_of());
  ASSERT_EQ(d.scenario.decays.size(), 1u);
  const auto& r = d.scenario.decays[0];
  EXPECT_EQ(r.service, "svc-legacy");
  EXPECT_DOUBLE_EQ(r.error_rate.start, 0.01);
  EXPECT_DOUBLE_EQ(r.error_rate.end, 0.2);
  EXPECT_DOUBLE_EQ(r.latency.start, 0);
  EXPECT_DOUBLE_EQ(r.latency.end, 0.1);
  EXPECT_DOUBLE_EQ(r.error_rate.at(30, 60), 0.105);
}

TEST(DecayLayer, TheSystemMarksTheLegacyServiceDecayingAndRoutesBothRequestTypes) {
  const auto d = decayed(decay_of());
  const System sys = built(d);
  const auto& legacy = sys.services[index_of(sys, "svc-legacy")];
  EXPECT_TRUE(legacy.decaying);
  EXPECT_DOUBLE_EQ(legacy.decay_error.start, 0.01);
  EXPECT_DOUBLE_EQ(legacy.decay_error.end, 0.2);
  EXPECT_DOUBLE_EQ(legacy.decay_latency.end, 0.1);
  EXPECT_EQ(legacy.replicas, 3);
  EXPECT_FALSE(sys.services[index_of(sys, "svc")].decaying);

  EXPECT_EQ(callees(sys, "r", "fe"), (Names{"svc"}));
  EXPECT_EQ(callees(sys, "r", "svc"), (Names{"db"}));
  EXPECT_EQ(callees(sys, "r@legacy", "fe"), (Names{"svc-legacy"}));
  EXPECT_EQ(callees(sys, "r@legacy", "svc-legacy"), (Names{"db"}));
  EXPECT_EQ(callees(sys, "q", "fe"), (Names{"side"}));
  EXPECT_EQ(sys.request_types[type_of(sys, "r@legacy")].entry, index_of(sys, "fe"));
}

// ---------------------------------------------------------------- shares 0 and 1

TEST(DecayLayer, ShareZeroSendsNothingDownTheLegacyPath) {
  const auto d = decayed(decay_of(0));
  EXPECT_EQ(d.scenario.workload[0].mix, (Mix{{"r", 1.0 / 3}, {"q", 2.0 / 3}}));
  EXPECT_NO_THROW(request(d.scenario, "r@legacy"));  // defined, so that its view is reported (empty)
  const System sys = built(d);
  EXPECT_TRUE(sys.services[index_of(sys, "svc-legacy")].decaying);
  EXPECT_EQ(callees(sys, "r", "fe"), (Names{"svc"}));
}

TEST(DecayLayer, ShareOneSendsEverythingDownTheLegacyPath) {
  const auto d = decayed(decay_of(1));
  EXPECT_EQ(d.scenario.workload[0].mix, (Mix{{"r@legacy", 1.0 / 3}, {"q", 2.0 / 3}}));
  const System sys = built(d);
  EXPECT_EQ(callees(sys, "r@legacy", "fe"), (Names{"svc-legacy"}));
}

// ---------------------------------------------------------------- settings and names

TEST(DecayLayer, TheLegacyServiceInheritsTheModernOnesSettings) {
  const auto s = scenario(
      "services:\n  svc: {workers: 7, queue: 11}\n"
      "edges:\n  \"svc -> db\": {probability: 0.5}\n"
      "policies:\n  edges:\n    \"fe -> svc\": {timeout: {per_try: 300ms}}\n"
      "platform:\n  hosts: [{name: h, cores: 64}]\n  placement:\n    svc: [h]\n");
  auto spec = decay_of();
  spec.replicas = 5;
  const auto d = decayed(spec, s);
  const System sys = built(d);
  const auto& legacy = sys.services[index_of(sys, "svc-legacy")];
  EXPECT_EQ(legacy.workers, 7);
  EXPECT_EQ(legacy.queue_capacity, 11);
  EXPECT_EQ(legacy.replicas, 5);  // the decay's own replicas win
  EXPECT_EQ(sys.services[index_of(sys, "svc")].replicas, 3);
  ASSERT_FALSE(legacy.replica_hosts.empty());
  EXPECT_EQ(sys.hosts[legacy.replica_hosts[0]].name, "h");
  auto policy = [&](const std::string& name) {
    auto it = std::find_if(sys.edge_policies.begin(), sys.edge_policies.end(),
                           [&](const EdgePolicy& p) { return p.name == name; });
    return it == sys.edge_policies.end() ? -1.0 : it->retry.per_try_timeout;
  };
  EXPECT_DOUBLE_EQ(policy("fe -> svc-legacy"), 0.3);
  const auto& plan = sys.plan(type_of(sys, "r@legacy"), index_of(sys, "svc-legacy"));
  ASSERT_EQ(plan.stage_count, 1u);
  EXPECT_DOUBLE_EQ(sys.calls[sys.stages[plan.first_stage].first_call].probability, 0.5);
}

TEST(DecayLayer, AGivenLegacyName) {
  auto spec = decay_of();
  spec.legacy = "old-svc";
  const auto d = decayed(spec);
  EXPECT_TRUE(d.draft.find("old-svc"));
  EXPECT_FALSE(d.draft.find("svc-legacy"));
  EXPECT_EQ(d.scenario.decays.at(0).service, "old-svc");
  EXPECT_EQ(visits(d, "r@legacy"), (std::set<std::string>{"fe", "old-svc", "db"}));
}

TEST(DecayLayer, WithoutAServiceTheEntryIsReplaced) {
  const auto d = decayed(decay_of(0.25, ""));
  EXPECT_TRUE(d.draft.find("fe-legacy"));
  EXPECT_EQ(request(d.scenario, "r@legacy").entry, "fe-legacy");
  EXPECT_EQ(request(d.scenario, "r").entry, "fe");
  EXPECT_EQ(visits(d, "r@legacy"), (std::set<std::string>{"fe-legacy", "svc", "db"}));
  EXPECT_EQ(visits(d, "r"), (std::set<std::string>{"fe", "svc", "db"}));
  const System sys = built(d);
  EXPECT_EQ(callees(sys, "r@legacy", "fe-legacy"), (Names{"svc"}));
}

TEST(DecayLayer, ADecayLayerWithCellsBuildsWithEveryLegacyCopyDecaying) {
  // A design may have both (applied in order: decay, then cells). The cells copy svc-legacy into
  // svc-legacy@c0, @c1; the decay's ramps must follow the copies as every other setting does.
  Scenario s = scenario();
  DesignSpec d;
  d.name = "legacy";
  d.decay = decay_of();
  CellSpec c;
  c.count = 2;
  c.shared = {"db"};
  d.cells = c;
  s.designs.push_back(d);
  const auto out = apply_design(topology(), s, &s.designs[0]);
  const auto& legacy = request(out.scenario, "r@legacy");
  EXPECT_EQ(legacy.cell_entries, (Names{"fe@c0", "fe@c1"}));
  EXPECT_FALSE(out.scenario.decays.empty());
  const System sys = build_system(out.topology, out.scenario);
  EXPECT_EQ(sys.cells, 2u);
  EXPECT_EQ(callees(sys, "r@legacy", "fe@c1"), (Names{"svc-legacy@c1"}));
  EXPECT_EQ(callees(sys, "r", "fe@c1"), (Names{"svc@c1"}));
  for (const std::string copy : {"svc-legacy@c0", "svc-legacy@c1"}) {
    EXPECT_TRUE(sys.services[index_of(sys, copy)].decaying) << copy;
    EXPECT_DOUBLE_EQ(sys.services[index_of(sys, copy)].decay_error.end, 0.2) << copy;
  }
}

// ---------------------------------------------------------------- errors

TEST(DecayLayer, AnUnknownRequestTypeIsAnError) {
  auto spec = decay_of();
  spec.request = "nosuch";
  int line = 0;
  const auto e = error_of(spec, scenario(), topology(), &line);
  EXPECT_TRUE(has(e, "design 'legacy': decay: unknown request type 'nosuch'")) << e;
  EXPECT_EQ(line, 30);
}

TEST(DecayLayer, AServiceTheRequestTypeNeverVisitsIsAnError) {
  const auto e = error_of(decay_of(0.25, "side"));
  EXPECT_TRUE(has(e, "request type 'r' never visits 'side'")) << e;
}

TEST(DecayLayer, AnUnknownServiceIsAnError) {
  const auto e = error_of(decay_of(0.25, "ghost"));
  EXPECT_TRUE(has(e, "'ghost' is not a service")) << e;
}

TEST(DecayLayer, AShareOutsideZeroToOneIsAnError) {
  for (double share : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    const auto e = error_of(decay_of(share));
    EXPECT_TRUE(has(e, "the legacy share must be between 0 and 1")) << share << ": " << e;
  }
}

TEST(DecayLayer, AnErrorRateOutsideZeroToOneIsAnError) {
  auto spec = decay_of();
  spec.error_rate = {0, 1.5};
  EXPECT_TRUE(has(error_of(spec), "the legacy error rate must stay between 0 and 1"));
  spec = decay_of();
  spec.latency = {0, -1};
  EXPECT_TRUE(has(error_of(spec), "latency must be >= 0"));
}

TEST(DecayLayer, ALegacyNameAlreadyTakenIsAnError) {
  auto spec = decay_of();
  spec.legacy = "db";
  auto e = error_of(spec);
  EXPECT_TRUE(has(e, "service 'db' already exists")) << e;

  // The default name, taken by a service of the topology.
  std::string dot = kDot;
  dot.insert(dot.rfind('}'), "  \"svc-legacy\" [kind=\"service\"];\n");
  e = error_of(decay_of(), scenario(), topology(dot));
  EXPECT_TRUE(has(e, "service 'svc-legacy' already exists")) << e;

  // The legacy request type's name, taken by a request type of the scenario.
  e = error_of(decay_of(), scenario("", kRequests + "  r@legacy: {entry: fe}\n"));
  EXPECT_TRUE(has(e, "request type 'r@legacy' already exists")) << e;
}

// ---------------------------------------------------------------- other request types

/// Like the topology above, but request type q follows every call of fe (svc and side).
const std::string kOpenRequests =
    "requests:\n"
    "  r: {entry: fe, skip: [\"fe -> side\"]}\n"
    "  q: {entry: fe}\n";

TEST(DecayLayer, OtherRequestTypesThroughTheCallerDoNotTakeTheLegacyPath) {
  // The decay layer sends a share of `r` down the legacy path; q, which visits fe and svc too,
  // is not part of it and must keep its path: fe -> svc (and side), not fe -> svc-legacy as well.
  const auto d = decayed(decay_of(), scenario("", kOpenRequests));
  EXPECT_EQ(visits(d, "q"), (std::set<std::string>{"fe", "svc", "db", "side"}));
  const System sys = built(d);
  EXPECT_EQ(callees(sys, "q", "fe"), (Names{"svc", "side"}));
}

TEST(DecayLayer, TheLegacyServiceInheritsTheModernOnesProtection) {
  // The legacy service inherits the modern one's settings, `protection` included: its callers
  // eject its failing replicas and it sheds load the same way.
  const auto s = scenario("protection:\n  svc: {outlier_ejection: {consecutive_5xx: 3}, shedding: codel}\n");
  const auto d = decayed(decay_of(), s);
  const System sys = built(d);
  const auto& modern = sys.services[index_of(sys, "svc")];
  ASSERT_TRUE(modern.protection.outlier_ejection);
  const auto& legacy = sys.services[index_of(sys, "svc-legacy")];
  ASSERT_TRUE(legacy.protection.outlier_ejection);
  EXPECT_EQ(legacy.protection.outlier_ejection->consecutive_5xx, 3);
  EXPECT_EQ(legacy.protection.shedding, ProtectionSpec::Shedding::CoDel);
}

}  // namespace
}  // namespace rapture
