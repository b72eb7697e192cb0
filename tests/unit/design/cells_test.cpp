// Cell-based designs (model/design/cells) and applying a design as a whole (model/design/design).
#include "model/design/cells.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "io/scenario_reader.hpp"
#include "io/topology_reader.hpp"
#include "model/design/design.hpp"
#include "model/system.hpp"

namespace rapture {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Names = std::vector<std::string>;

/// fe -> api -> db, the smallest system where cells matter.
const std::string kDot =
    "digraph t {\n"
    "  fe [kind=\"frontend\", replicas=\"8\", workers=\"4\", service_time=\"exp(1ms)\"];\n"
    "  api [kind=\"service\", replicas=\"8\", workers=\"4\", service_time=\"exp(2ms)\"];\n"
    "  db [kind=\"db\", replicas=\"1\", workers=\"8\", service_time=\"exp(1ms)\"];\n"
    "  fe -> api;\n"
    "  api -> db;\n"
    "}\n";

Topology topology() { return read_topology_dot(kDot, "t.dot"); }

/// The request type `order` entering fe, 100 requests/s from 400 tenants, then `more`.
Scenario scenario(const std::string& more = "") {
  return parse_scenario(
      "topology: t.dot\n"
      "duration: 60s\n"
      "requests:\n"
      "  order: {entry: fe}\n"
      "workload:\n"
      "  - request: order\n"
      "    arrivals: {rate: 100/s}\n"
      "    tenants: 400\n" +
          more,
      "c.yaml", "/d");
}

CellSpec cells_of(int64_t count, Names shared = {"db"}, Names services = {}) {
  CellSpec c;
  c.count = count;
  c.shared = std::move(shared);
  c.services = std::move(services);
  c.where = {"c.yaml", 21, "design 'cells', cells"};
  return c;
}

/// The draft, scenario and notes of design "cells" applied by apply_cells.
struct Celled {
  TopologyDraft draft;
  Scenario scenario;
  std::vector<std::string> notes;
};

Celled celled(const CellSpec& cells, Scenario s = scenario(), const Topology& t = topology()) {
  Celled out{TopologyDraft::from(t), std::move(s), {}};
  apply_cells(out.draft, out.scenario, cells, "cells", out.notes);
  return out;
}

/// The message of the InputError apply_cells throws ("(no error)" when none), with its line.
std::string error_of(const CellSpec& cells, Scenario s = scenario(), const Topology& t = topology(),
                     int* line = nullptr) {
  try {
    celled(cells, std::move(s), t);
  } catch (const InputError& e) {
    if (line) *line = e.where().line;
    return e.what();
  }
  return "(no error)";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::set<std::string> service_names(const TopologyDraft& d) {
  std::set<std::string> out;
  for (const auto& s : d.services) out.insert(s.name);
  return out;
}

std::set<std::pair<std::string, std::string>> call_set(const TopologyDraft& d) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& c : d.calls) out.emplace(c.from, c.to);
  return out;
}

const ServiceNode& node(const TopologyDraft& d, const std::string& name) { return d.services[d.find(name).value()]; }

const ServiceConfig& config(const System& sys, const std::string& name) {
  auto it =
      std::find_if(sys.services.begin(), sys.services.end(), [&](const ServiceConfig& c) { return c.name == name; });
  if (it == sys.services.end()) throw std::runtime_error("no service " + name);
  return *it;
}

Names fault_targets(const Scenario& s) {
  Names out;
  for (const auto& f : s.faults) out.push_back(f.name + "@" + f.target);
  return out;
}

System built(const Celled& c) { return build_system(c.draft.build(), c.scenario); }

// ---------------------------------------------------------------- the graph

TEST(Cells, CopyName) {
  EXPECT_EQ(cell_copy_name("api", 0), "api@c0");
  EXPECT_EQ(cell_copy_name("api", 12), "api@c12");
}

TEST(Cells, CelledServicesAreCopiedPerCellAndSharedOnesKept) {
  const auto c = celled(cells_of(4));
  EXPECT_EQ(service_names(c.draft),
            (std::set<std::string>{"fe@c0", "fe@c1", "fe@c2", "fe@c3", "api@c0", "api@c1", "api@c2", "api@c3", "db"}));
  EXPECT_EQ(c.draft.services.size(), 9u);
  for (int i = 0; i < 4; ++i) {
    const auto& copy = node(c.draft, "api@c" + std::to_string(i));
    EXPECT_EQ(copy.kind, ServiceKind::Service);
    EXPECT_EQ(copy.attributes.at("cell"), std::to_string(i));
    EXPECT_EQ(node(c.draft, "fe@c" + std::to_string(i)).kind, ServiceKind::Frontend);
  }
  EXPECT_EQ(node(c.draft, "db").attributes.count("cell"), 0u);
  EXPECT_EQ(c.scenario.cells, 4);
  EXPECT_FALSE(c.scenario.shuffle_sharding);
}

TEST(Cells, CallsStayInsideTheirCellAndReachTheSharedService) {
  const auto c = celled(cells_of(4));
  std::set<std::pair<std::string, std::string>> expected;
  for (int i = 0; i < 4; ++i) {
    const std::string n = std::to_string(i);
    expected.emplace("fe@c" + n, "api@c" + n);
    expected.emplace("api@c" + n, "db");
  }
  EXPECT_EQ(call_set(c.draft), expected);
  EXPECT_EQ(c.draft.calls.size(), 8u);  // no duplicate, and none across cells
  for (const auto& call : c.draft.calls) {
    if (call.to == "db") continue;
    EXPECT_EQ(node(c.draft, call.from).attributes.at("cell"), node(c.draft, call.to).attributes.at("cell"))
        << call.from << " -> " << call.to;
  }
}

TEST(Cells, ExplicitServiceListCopiesOnlyThose) {
  // services: [fe, api] and no `shared`: db, left out of the list, stays shared.
  const auto c = celled(cells_of(2, {}, {"fe", "api"}));
  EXPECT_EQ(service_names(c.draft), (std::set<std::string>{"fe@c0", "fe@c1", "api@c0", "api@c1", "db"}));
}

TEST(Cells, RequestTypeEntersAtItsEntryCopyInEveryCell) {
  const auto c = celled(cells_of(4));
  ASSERT_EQ(c.scenario.requests.size(), 1u);
  const auto& r = c.scenario.requests[0];
  EXPECT_EQ(r.name, "order");
  EXPECT_EQ(r.entry, "fe@c0");
  EXPECT_EQ(r.cell_entries, (Names{"fe@c0", "fe@c1", "fe@c2", "fe@c3"}));
  // The workload still names the request type, unchanged.
  ASSERT_EQ(c.scenario.workload.size(), 1u);
  EXPECT_EQ(c.scenario.workload[0].mix, (std::vector<std::pair<std::string, double>>{{"order", 1.0}}));
  EXPECT_EQ(c.scenario.workload[0].tenants, 400);
}

// ---------------------------------------------------------------- capacity

TEST(Cells, ReplicasAreSplitAcrossCells) {
  const auto c = celled(cells_of(4));
  for (int i = 0; i < 4; ++i) {
    for (const std::string s : {"fe", "api"}) {
      const auto p = resolved_params(node(c.draft, cell_copy_name(s, i)), c.scenario);
      EXPECT_EQ(*p.replicas, 2) << cell_copy_name(s, i);
      EXPECT_EQ(*p.workers, 4) << cell_copy_name(s, i);
    }
  }
  EXPECT_EQ(*resolved_params(node(c.draft, "db"), c.scenario).replicas, 1);
  EXPECT_TRUE(c.notes.empty());
  const System sys = built(c);
  EXPECT_EQ(config(sys, "api@c3").replicas, 2);
  EXPECT_EQ(config(sys, "db").replicas, 1);
}

TEST(Cells, UnevenReplicasKeepTheirTotal) {
  const auto c = celled(cells_of(4), scenario("services:\n  api: {replicas: 6}\n"));
  int64_t total = 0;
  Names per_cell;
  for (int i = 0; i < 4; ++i) {
    const auto r = *resolved_params(node(c.draft, cell_copy_name("api", i)), c.scenario).replicas;
    per_cell.push_back(std::to_string(r));
    total += r;
  }
  EXPECT_EQ(total, 6);
  EXPECT_EQ(per_cell, (Names{"2", "2", "1", "1"}));
}

TEST(Cells, FewerReplicasThanCellsGiveEachCellOneReplicaWithAShareOfTheWorkers) {
  const auto c = celled(cells_of(4), scenario("services:\n  api: {replicas: 2, workers: 16}\n"));
  for (int i = 0; i < 4; ++i) {
    const auto p = resolved_params(node(c.draft, cell_copy_name("api", i)), c.scenario);
    EXPECT_EQ(*p.replicas, 1);
    EXPECT_EQ(*p.workers, 8);
  }
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_TRUE(has(c.notes[0], "'api' has 2 replica(s) for 4 cells")) << c.notes[0];
  EXPECT_TRUE(has(c.notes[0], "one with 8 of its 32 workers")) << c.notes[0];
  const System sys = built(c);
  EXPECT_EQ(config(sys, "api@c1").replicas, 1);
  EXPECT_EQ(config(sys, "api@c1").workers, 8);
}

TEST(Cells, CopyCapacityKeepsEachServicesReplicas) {
  auto spec = cells_of(4);
  spec.split_capacity = false;
  const auto c = celled(spec, scenario("services:\n  api: {replicas: 2, workers: 16}\n"));
  for (int i = 0; i < 4; ++i) {
    const auto api = resolved_params(node(c.draft, cell_copy_name("api", i)), c.scenario);
    EXPECT_EQ(*api.replicas, 2);
    EXPECT_EQ(*api.workers, 16);
    EXPECT_EQ(*resolved_params(node(c.draft, cell_copy_name("fe", i)), c.scenario).replicas, 8);
  }
  EXPECT_TRUE(c.notes.empty());
}

// ---------------------------------------------------------------- faults

const std::string kCrash = "  - {name: crash, kind: crash, target: api, start: 10s, duration: 5s";

TEST(Cells, AFaultHitsTheCopyInCellZeroByDefault) {
  const auto c = celled(cells_of(4), scenario("faults:\n" + kCrash + "}\n"));
  EXPECT_EQ(fault_targets(c.scenario), (Names{"crash@api@c0"}));
}

TEST(Cells, AFaultHitsTheCopyInItsCell) {
  const auto c = celled(cells_of(4), scenario("faults:\n" + kCrash + ", cell: 2}\n"));
  EXPECT_EQ(fault_targets(c.scenario), (Names{"crash@api@c2"}));
  EXPECT_EQ(c.scenario.faults[0].cell, 2);
  EXPECT_DOUBLE_EQ(c.scenario.faults[0].start, 10);
}

TEST(Cells, AFaultOnEveryCellIsCopiedWithSuffixedNames) {
  const auto c = celled(cells_of(4), scenario("faults:\n" + kCrash + ", cell: all}\n"));
  EXPECT_EQ(fault_targets(c.scenario),
            (Names{"crash@c0@api@c0", "crash@c1@api@c1", "crash@c2@api@c2", "crash@c3@api@c3"}));
  const System sys = built(c);
  EXPECT_EQ(sys.faults.size(), 4u);
}

TEST(Cells, AFaultOnASharedServiceStaysOnIt) {
  const auto c = celled(cells_of(4), scenario("faults:\n  - {name: down, kind: crash, target: db, start: 10s, "
                                              "duration: 5s, cell: 3}\n"));
  EXPECT_EQ(fault_targets(c.scenario), (Names{"down@db"}));
}

TEST(Cells, ALatencyFaultOnACallFollowsTheCell) {
  const auto c = celled(cells_of(4), scenario("faults:\n  - {name: slow, kind: latency, target: \"fe -> api\", "
                                              "latency: 50ms, start: 10s, duration: 5s, cell: 1}\n"
                                              "  - {name: slowdb, kind: latency, target: \"api -> db\", "
                                              "latency: 50ms, start: 10s, duration: 5s, cell: 3}\n"));
  EXPECT_EQ(fault_targets(c.scenario), (Names{"slow@fe@c1 -> api@c1", "slowdb@api@c3 -> db"}));
  EXPECT_NO_THROW(built(c));
}

TEST(Cells, AFaultInACellThatDoesNotExistIsAnError) {
  const auto s = scenario("faults:\n" + kCrash + ", cell: 4}\n");
  const auto e = error_of(cells_of(4), s);
  EXPECT_TRUE(has(e, "fault 'crash': cell 4 does not exist in design 'cells' (4 cells; -1 for all)")) << e;
}

// ---------------------------------------------------------------- settings follow the copies

const std::string kSettings =
    "services:\n"
    "  api: {queue: 7, service_time: 5ms, balancer: random}\n"
    "edges:\n"
    "  \"api -> db\": {probability: 0.5}\n"
    "policies:\n"
    "  edges:\n"
    "    \"fe -> api\": {timeout: {per_try: 300ms}}\n"
    "    \"api -> db\": {timeout: {per_try: 70ms}}\n"
    "protection:\n"
    "  api: {outlier_ejection: {consecutive_5xx: 3}}\n";

TEST(Cells, SettingsPoliciesAndEdgeOverridesFollowEveryCopy) {
  const auto c = celled(cells_of(4), scenario(kSettings));
  // In the scenario: one entry per copy.
  Names overridden, protected_services;
  for (const auto& [name, p] : c.scenario.services) {
    if (p.queue_capacity) overridden.push_back(name + ":" + std::to_string(*p.queue_capacity));
  }
  for (const auto& p : c.scenario.protections) protected_services.push_back(p.service);
  EXPECT_EQ(overridden, (Names{"api@c0:7", "api@c1:7", "api@c2:7", "api@c3:7"}));
  EXPECT_EQ(protected_services, (Names{"api@c0", "api@c1", "api@c2", "api@c3"}));
  Pairs policy_edges, edge_overrides;
  for (const auto& [e, p] : c.scenario.policy_edges) policy_edges.push_back(e);
  for (const auto& o : c.scenario.edges) edge_overrides.emplace_back(o.from, o.to);
  EXPECT_EQ(policy_edges, (Pairs{{"fe@c0", "api@c0"},
                                 {"fe@c1", "api@c1"},
                                 {"fe@c2", "api@c2"},
                                 {"fe@c3", "api@c3"},
                                 {"api@c0", "db"},
                                 {"api@c1", "db"},
                                 {"api@c2", "db"},
                                 {"api@c3", "db"}}));
  EXPECT_EQ(edge_overrides, (Pairs{{"api@c0", "db"}, {"api@c1", "db"}, {"api@c2", "db"}, {"api@c3", "db"}}));

  // And in the built system.
  const System sys = built(c);
  for (int i = 0; i < 4; ++i) {
    const std::string api = cell_copy_name("api", i), fe = cell_copy_name("fe", i);
    const auto& svc = config(sys, api);
    EXPECT_EQ(svc.queue_capacity, 7) << api;
    EXPECT_EQ(svc.balancer, Balancer::Random) << api;
    EXPECT_DOUBLE_EQ(svc.service_time.mean(), 0.005) << api;
    EXPECT_EQ(svc.replicas, 2) << api;  // the split still applies over the overrides
    ASSERT_TRUE(svc.protection.outlier_ejection) << api;
    EXPECT_EQ(svc.protection.outlier_ejection->consecutive_5xx, 3) << api;
    auto policy = [&](const std::string& name) {
      auto it = std::find_if(sys.edge_policies.begin(), sys.edge_policies.end(),
                             [&](const EdgePolicy& p) { return p.name == name; });
      return it == sys.edge_policies.end() ? -1.0 : it->retry.per_try_timeout;
    };
    EXPECT_DOUBLE_EQ(policy(fe + " -> " + api), 0.3) << api;
    EXPECT_DOUBLE_EQ(policy(api + " -> db"), 0.07) << api;
  }
  // The edge override: api@ci's call to db is made half the time.
  const auto rt = 0u;
  for (int i = 0; i < 4; ++i) {
    const auto svc = static_cast<uint32_t>(std::distance(
        sys.services.begin(), std::find_if(sys.services.begin(), sys.services.end(), [&](const ServiceConfig& s) {
          return s.name == cell_copy_name("api", i);
        })));
    const auto& plan = sys.plan(rt, svc);
    ASSERT_EQ(plan.stage_count, 1u);
    const auto& call = sys.calls[sys.stages[plan.first_stage].first_call];
    EXPECT_EQ(sys.services[call.callee].name, "db");
    EXPECT_DOUBLE_EQ(call.probability, 0.5);
  }
  EXPECT_EQ(config(sys, "db").queue_capacity, resolved_params(node(c.draft, "db"), c.scenario).queue_capacity.value());
}

// ---------------------------------------------------------------- placement

const std::string kGroup =
    "platform:\n"
    "  hosts: [{name: g, count: 4, cores: 64}]\n"
    "  placement:\n"
    "    api: [g]\n";

TEST(Cells, PlacementOverAHostGroupIsRotatedSoCellsStartOnDifferentHosts) {
  const auto c = celled(cells_of(4), scenario("services:\n  api: {replicas: 4}\n" + kGroup));
  const System sys = built(c);
  std::set<uint32_t> first_hosts;
  for (int i = 0; i < 4; ++i) {
    const auto& svc = config(sys, cell_copy_name("api", i));
    ASSERT_EQ(svc.replica_hosts.size(), 1u);
    first_hosts.insert(svc.replica_hosts[0]);
    EXPECT_EQ(sys.hosts[svc.replica_hosts[0]].name.rfind("g-", 0), 0u) << sys.hosts[svc.replica_hosts[0]].name;
  }
  EXPECT_EQ(first_hosts.size(), 4u) << "the cells' api replicas are stacked on the same hosts";
}

TEST(Cells, PlacementOverAHostGroupSpreadsEveryCellsReplicasEvenly) {
  // 8 replicas, 2 per cell, on 4 hosts: each host gets 2 of them, not 4 on the first two.
  const auto c = celled(cells_of(4), scenario(kGroup));
  const System sys = built(c);
  std::vector<int> per_host(sys.hosts.size(), 0);
  for (int i = 0; i < 4; ++i) {
    const auto& svc = config(sys, cell_copy_name("api", i));
    ASSERT_EQ(svc.replica_hosts.size(), 2u);
    EXPECT_NE(svc.replica_hosts[0], svc.replica_hosts[1]);
    for (auto h : svc.replica_hosts) ++per_host[h];
  }
  for (size_t h = 0; h < sys.hosts.size(); ++h) {
    if (sys.hosts[h].name.rfind("g-", 0) == 0) {
      EXPECT_EQ(per_host[h], 2) << sys.hosts[h].name;
    }
  }
  EXPECT_NE(config(sys, "api@c0").replica_hosts[0], config(sys, "api@c1").replica_hosts[0]);
}

TEST(Cells, AHostParameterNamingAGroupIsRotatedToo) {
  const auto c = celled(cells_of(4), scenario("services:\n  api: {replicas: 4, host: g}\n"
                                              "platform:\n  hosts: [{name: g, count: 4, cores: 64}]\n"));
  const System sys = built(c);
  std::set<uint32_t> first_hosts;
  for (int i = 0; i < 4; ++i) first_hosts.insert(config(sys, cell_copy_name("api", i)).replica_hosts.at(0));
  EXPECT_EQ(first_hosts.size(), 4u);
}

// ---------------------------------------------------------------- errors

TEST(Cells, ZeroCellsIsAnError) {
  int line = 0;
  const auto e = error_of(cells_of(0), scenario(), topology(), &line);
  EXPECT_TRUE(has(e, "design 'cells': cells: the cell count must be between 1 and 1000, got 0")) << e;
  EXPECT_EQ(line, 21);
}

TEST(Cells, AnUnknownServiceIsAnError) {
  auto e = error_of(cells_of(4, {"nosuch"}));
  EXPECT_TRUE(has(e, "'nosuch' is not a service")) << e;
  e = error_of(cells_of(4, {"db"}, {"fe", "ghost"}));
  EXPECT_TRUE(has(e, "'ghost' is not a service")) << e;
}

TEST(Cells, AServiceBothInTheCellsAndSharedIsAnError) {
  const auto e = error_of(cells_of(4, {"db"}, {"fe", "api", "db"}));
  EXPECT_TRUE(has(e, "'db' is both in the cells and shared")) << e;
}

TEST(Cells, ASharedServiceCallingACelledOneIsAnErrorNamingBoth) {
  int line = 0;
  const auto e = error_of(cells_of(4, {"api"}), scenario(), topology(), &line);  // fe and db celled, api shared
  EXPECT_TRUE(has(e, "shared service 'api' calls 'db', which is in the cells")) << e;
  EXPECT_EQ(line, 21);
}

TEST(Cells, ShuffleShardingNeedsThreeCells) {
  auto spec = cells_of(2);
  spec.shuffle_sharding = true;
  const auto e = error_of(spec);
  EXPECT_TRUE(has(e, "shuffle sharding needs at least 3 cells")) << e;
  spec.count = 3;
  const auto c = celled(spec);
  EXPECT_TRUE(c.scenario.shuffle_sharding);
  EXPECT_EQ(built(c).shuffle_sharding, true);
}

TEST(Cells, NoServiceLeftForTheCellsIsAnError) {
  const auto e = error_of(cells_of(4, {"fe", "api", "db"}));
  EXPECT_TRUE(has(e, "no service is left to put in the cells")) << e;
}

// ---------------------------------------------------------------- the whole design

TEST(Cells, TheCelledSystemBuildsWithItsCells) {
  const auto c = celled(cells_of(4), scenario(kSettings + "faults:\n" + kCrash + ", cell: all}\n"));
  const System sys = built(c);
  EXPECT_EQ(sys.cells, 4u);
  EXPECT_FALSE(sys.shuffle_sharding);
  ASSERT_EQ(sys.request_types.size(), 1u);
  ASSERT_EQ(sys.request_types[0].cell_entries.size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(sys.services[sys.request_types[0].cell_entries[i]].name, cell_copy_name("fe", i));
    // Every cell's entry has a route: fe@ci calls api@ci.
    const auto& plan = sys.plan(0, sys.request_types[0].cell_entries[i]);
    ASSERT_EQ(plan.stage_count, 1u);
    EXPECT_EQ(sys.services[sys.calls[sys.stages[plan.first_stage].first_call].callee].name, cell_copy_name("api", i));
  }
  EXPECT_EQ(sys.tenants, 400u);
}

TEST(Cells, ThroughApplyDesign) {
  Scenario s = scenario();
  DesignSpec d;
  d.name = "cells";
  d.cells = cells_of(4);
  s.designs.push_back(d);
  const auto out = apply_design(topology(), s, find_design(s, "cells"));
  EXPECT_EQ(out.scenario.design, "cells");
  EXPECT_EQ(out.topology.service_count(), 9u);
  EXPECT_EQ(out.topology.call_count(), 8u);
  const System sys = build_system(out.topology, out.scenario);
  EXPECT_EQ(sys.cells, 4u);
}

TEST(Cells, ADesignAppliedTwiceLeavesTheBaselineUntouched) {
  const Topology t = topology();
  Scenario s = scenario("faults:\n" + kCrash + "}\n");
  DesignSpec d;
  d.name = "cells";
  d.cells = cells_of(4);
  s.designs.push_back(d);
  const auto a = apply_design(t, s, &s.designs[0]);
  const auto b = apply_design(t, s, &s.designs[0]);
  EXPECT_EQ(a.topology.service_count(), b.topology.service_count());
  EXPECT_EQ(s.faults.at(0).target, "api");
  EXPECT_EQ(s.requests.at(0).entry, "fe");
  EXPECT_TRUE(s.requests.at(0).cell_entries.empty());
  EXPECT_EQ(t.service_count(), 3u);
}

TEST(Cells, ADeadCallFromASharedServiceToACelledOneIsNotAnInternalError) {
  // db (shared) -> api (celled) is a dead call site (active=false): it cannot pick a cell, but it
  // is never taken either, so the design drops it (or names it in an InputError) instead of
  // leaving a call to a service that no longer exists.
  std::string dot = kDot;
  dot.insert(dot.rfind('}'), "  db -> api [active=\"false\"];\n");
  const Topology t = read_topology_dot(dot, "t.dot");
  Scenario s = scenario();
  DesignSpec d;
  d.name = "cells";
  d.cells = cells_of(4);
  s.designs.push_back(d);
  try {
    const auto out = apply_design(t, s, &s.designs[0]);
    EXPECT_EQ(build_system(out.topology, out.scenario).cells, 4u);
  } catch (const InputError& e) {
    EXPECT_TRUE(has(e.what(), "db")) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an InputError: " << e.what();
  }
}

// ---------------------------------------------------------------- design (model/design/design)

Names topology_services(const Topology& t) {
  Names out;
  for (auto [it, end] = boost::vertices(t.graph); it != end; ++it) out.push_back(t.graph[*it].name);
  return out;
}

Pairs topology_calls(const Topology& t) {
  Pairs out;
  for (auto [it, end] = boost::edges(t.graph); it != end; ++it) {
    out.emplace_back(t.graph[boost::source(*it, t.graph)].name, t.graph[boost::target(*it, t.graph)].name);
  }
  return out;
}

TEST(Design, ADesignWithNoStepChangesNothingButItsName) {
  const Topology t = topology();
  Scenario s = scenario(kSettings + "faults:\n" + kCrash + "}\n");
  DesignSpec same;
  same.name = "same";
  s.designs.push_back(same);
  const auto out = apply_design(t, s, find_design(s, "same"));
  EXPECT_EQ(out.scenario.design, "same");
  EXPECT_TRUE(out.notes.empty());
  EXPECT_EQ(topology_services(out.topology), topology_services(t));
  EXPECT_EQ(topology_calls(out.topology), topology_calls(t));
  EXPECT_EQ(out.topology.name, t.name);
  EXPECT_EQ(out.topology.file, t.file);
  for (auto [it, end] = boost::vertices(t.graph); it != end; ++it) {
    const auto& a = t.graph[*it];
    const auto& b = out.topology.graph[*out.topology.find(a.name)];
    EXPECT_EQ(a.attributes, b.attributes) << a.name;
    EXPECT_EQ(a.kind, b.kind) << a.name;
  }
  // The scenario: same request types, workload, settings, faults; no cells nor decays.
  ASSERT_EQ(out.scenario.requests.size(), s.requests.size());
  EXPECT_EQ(out.scenario.requests[0].entry, "fe");
  EXPECT_TRUE(out.scenario.requests[0].cell_entries.empty());
  EXPECT_EQ(out.scenario.workload[0].mix, s.workload[0].mix);
  ASSERT_EQ(out.scenario.services.size(), s.services.size());
  EXPECT_EQ(out.scenario.services[0].first, "api");
  EXPECT_EQ(out.scenario.policy_edges.size(), s.policy_edges.size());
  EXPECT_EQ(out.scenario.edges.size(), s.edges.size());
  EXPECT_EQ(out.scenario.protections.size(), s.protections.size());
  EXPECT_EQ(fault_targets(out.scenario), fault_targets(s));
  EXPECT_EQ(out.scenario.cells, 0);
  EXPECT_TRUE(out.scenario.decays.empty());
  // Both build to the same system.
  const System a = build_system(t, s), b = build_system(out.topology, out.scenario);
  ASSERT_EQ(a.services.size(), b.services.size());
  for (size_t i = 0; i < a.services.size(); ++i) {
    EXPECT_EQ(a.services[i].name, b.services[i].name);
    EXPECT_EQ(a.services[i].replicas, b.services[i].replicas);
    EXPECT_EQ(a.services[i].queue_capacity, b.services[i].queue_capacity);
  }
  EXPECT_EQ(a.calls.size(), b.calls.size());
  EXPECT_EQ(a.edge_policies.size(), b.edge_policies.size());
}

TEST(Design, TheBaselineIsNoDesign) {
  Scenario s = scenario();
  DesignSpec d;
  d.name = "cells";
  s.designs.push_back(d);
  EXPECT_EQ(find_design(s, "baseline"), nullptr);
  EXPECT_EQ(find_design(s, "cells"), &s.designs[0]);
  const auto out = apply_design(topology(), s, nullptr);
  EXPECT_EQ(out.scenario.design, "baseline");
  EXPECT_EQ(out.topology.service_count(), 3u);
}

TEST(Design, AnUnknownDesignIsAnErrorNamingTheKnownOnes) {
  Scenario s = scenario();
  for (const std::string name : {"cells", "recomposed"}) {
    DesignSpec d;
    d.name = name;
    s.designs.push_back(d);
  }
  try {
    find_design(s, "nosuch");
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(has(what, "no design named 'nosuch'")) << what;
    EXPECT_TRUE(has(what, "(the scenario has baseline, cells, recomposed)")) << what;
  }
  Scenario none = scenario();
  try {
    find_design(none, "cells");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_TRUE(has(e.what(), "(the scenario has baseline)")) << e.what();
  }
}

}  // namespace
}  // namespace rapture
