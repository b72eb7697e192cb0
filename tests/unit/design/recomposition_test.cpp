#include "model/design/recomposition.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "io/topology_reader.hpp"
#include "model/system.hpp"

namespace rapture {
namespace {

using Kind = Transformation::Kind;
using Pairs = std::vector<std::pair<std::string, std::string>>;

TopologyDraft draft_of(const std::string& body) {
  return TopologyDraft::from(read_topology_dot("digraph t {\n" + body + "\n}\n", "test.dot"));
}

/// A scenario with one open-loop request type per (name, entry), all in one mix.
Scenario scenario_of(const Pairs& types) {
  Scenario s;
  s.name = "test";
  s.file = "test.yaml";
  s.duration = 10;
  WorkloadSpec w;
  w.rate.base = 10;
  for (const auto& [name, entry] : types) {
    RequestTypeSpec r;
    r.name = name;
    r.entry = entry;
    r.where = {"test.yaml", 3, "request type '" + name + "'"};
    s.requests.push_back(r);
    w.mix.emplace_back(name, 1.0);
  }
  s.workload.push_back(w);
  return s;
}

Transformation step(Kind kind) {
  Transformation t;
  t.kind = kind;
  t.where = {"test.yaml", 42, "designs[0].recomposition[0]"};
  return t;
}

Transformation on_services(Kind kind, std::vector<std::string> services) {
  Transformation t = step(kind);
  t.services = std::move(services);
  return t;
}

Transformation on_call(Kind kind, const std::string& from, const std::string& to) {
  Transformation t = step(kind);
  t.from = from;
  t.to = to;
  return t;
}

/// Applies one step of design "d"; returns its notes.
std::vector<std::string> apply(TopologyDraft& draft, Scenario& scenario, const Transformation& t) {
  std::vector<std::string> notes;
  apply_transformation(draft, scenario, t, "d", notes);
  return notes;
}

/// The message of the InputError the step throws ("(no error)" when it throws none).
std::string error_of(TopologyDraft draft, Scenario scenario, const Transformation& t) {
  try {
    apply(draft, scenario, t);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
bool any_has(const std::vector<std::string>& texts, const std::string& part) {
  return std::any_of(texts.begin(), texts.end(), [&](const std::string& t) { return has(t, part); });
}

std::vector<std::string> names(const TopologyDraft& d) {
  std::vector<std::string> out;
  for (const auto& s : d.services) out.push_back(s.name);
  return out;
}

Pairs calls(const TopologyDraft& d) {
  Pairs out;
  for (const auto& c : d.calls) out.emplace_back(c.from, c.to);
  return out;
}

const CallEdge& edge(const TopologyDraft& d, const std::string& from, const std::string& to) {
  const auto i = d.find_call(from, to);
  if (!i) throw std::runtime_error("no call " + from + " -> " + to);
  return d.calls[*i].edge;
}

const ServiceNode& node(const TopologyDraft& d, const std::string& name) { return d.services[d.find(name).value()]; }

const RequestTypeSpec& request(const Scenario& s, const std::string& name) {
  return *std::find_if(s.requests.begin(), s.requests.end(), [&](const RequestTypeSpec& r) { return r.name == name; });
}

FaultSpec fault(const std::string& name, FaultSpec::Kind kind, const std::string& target) {
  FaultSpec f;
  f.name = name;
  f.kind = kind;
  f.target = target;
  f.start = 1;
  f.end = 2;
  if (kind == FaultSpec::Kind::Latency) f.latency = Distribution::constant(0.01);
  return f;
}

PolicySpec timeout(double seconds) {
  PolicySpec p;
  p.per_try_timeout = seconds;
  return p;
}

std::vector<std::string> fault_targets(const Scenario& s) {
  std::vector<std::string> out;
  for (const auto& f : s.faults) out.push_back(f.name + "@" + f.target);
  return out;
}

/// build_system accepts the result (it checks every name and every route).
System built(const TopologyDraft& d, const Scenario& s) { return build_system(d.build(), s); }

const ServiceConfig& service_config(const System& sys, const std::string& name) {
  return *std::find_if(sys.services.begin(), sys.services.end(),
                       [&](const ServiceConfig& c) { return c.name == name; });
}

TEST(Recomposition, KindNames) {
  EXPECT_EQ(to_string(Kind::Merge), "merge");
  EXPECT_EQ(to_string(Kind::Split), "split");
  EXPECT_EQ(to_string(Kind::Async), "async");
  EXPECT_EQ(to_string(Kind::RemoveTier), "remove");
  EXPECT_EQ(to_string(Kind::Buffer), "buffer");
  EXPECT_EQ(to_string(Kind::Colocate), "colocate");
  EXPECT_EQ(to_string(Kind::Separate), "separate");
  EXPECT_EQ(to_string(Kind::DropEdge), "drop");
}

// --- merge ---------------------------------------------------------------------------------

TEST(Recomposition, MergeMakesOneProcessWithInProcessCalls) {
  auto d = draft_of("a -> b\n b -> c [mode=async]\n a -> c\n c -> db");
  auto s = scenario_of({{"r", "a"}});
  s.services.push_back({"b", ServiceParams{}});
  s.services.back().second.replicas = 3;
  s.edges.push_back({"b", "c", CallMode::Sync, 0.5, {}, {}, {}, {}, {}});
  s.policy_edges.push_back({{"b", "c"}, timeout(0.1)});
  s.policy_edges.push_back({{"a", "b"}, timeout(0.2)});
  s.faults = {fault("kill", FaultSpec::Kind::Crash, "c"), fault("slow", FaultSpec::Kind::Latency, "c")};

  const auto notes = apply(d, s, on_services(Kind::Merge, {"b", "c"}));
  EXPECT_EQ(node(d, "b").attributes.at("process"), "b+c");
  EXPECT_EQ(node(d, "c").attributes.at("process"), "b+c");
  EXPECT_EQ(node(d, "a").attributes.count("process"), 0u);
  EXPECT_EQ(edge(d, "b", "c").mode, CallMode::InProcess);  // even an async call: one process
  EXPECT_EQ(edge(d, "a", "b").mode, CallMode::Sync);
  EXPECT_EQ(edge(d, "a", "c").mode, CallMode::Sync);
  EXPECT_EQ(edge(d, "c", "db").mode, CallMode::Sync);
  // The scenario's mode for b -> c would undo the merge: it goes, its probability stays.
  EXPECT_FALSE(s.edges[0].mode.has_value());
  EXPECT_EQ(s.edges[0].probability, 0.5);
  ASSERT_EQ(s.policy_edges.size(), 1u);
  EXPECT_EQ(s.policy_edges[0].first, std::make_pair(std::string("a"), std::string("b")));
  EXPECT_TRUE(any_has(notes, "policies of b -> c"));
  // A crash kills the process; other faults stay on their service.
  EXPECT_EQ(fault_targets(s), (std::vector<std::string>{"kill@b", "kill@c", "slow@c"}));
  EXPECT_TRUE(any_has(notes, "crash 'kill'"));
  EXPECT_TRUE(any_has(notes, "'c' runs with the 3 replica(s) of 'b'"));

  const System sys = built(d, s);
  EXPECT_EQ(service_config(sys, "c").replicas, 3);
}

TEST(Recomposition, MergeIntoANamedProcessTakesInTheWholeProcessOfAMember) {
  auto d = draft_of("a -> b -> c -> e");
  auto s = scenario_of({{"r", "a"}});
  apply(d, s, on_services(Kind::Merge, {"a", "b"}));
  auto t = on_services(Kind::Merge, {"c", "b"});
  t.into = "core";
  apply(d, s, t);
  for (const auto* n : {"a", "b", "c"}) EXPECT_EQ(node(d, n).attributes.at("process"), "core") << n;
  EXPECT_EQ(edge(d, "b", "c").mode, CallMode::InProcess);
  EXPECT_EQ(edge(d, "c", "e").mode, CallMode::Sync);
  EXPECT_NO_THROW(built(d, s));
}

TEST(Recomposition, MergeRejectsBadUses) {
  const auto d = draft_of("a -> b");
  const auto s = scenario_of({{"r", "a"}});
  const auto unknown = error_of(d, s, on_services(Kind::Merge, {"a", "nope"}));
  EXPECT_TRUE(has(unknown, "test.yaml:42")) << unknown;
  EXPECT_TRUE(has(unknown, "design 'd': merge")) << unknown;
  EXPECT_TRUE(has(unknown, "'nope' is not a service")) << unknown;
  EXPECT_TRUE(has(error_of(d, s, on_services(Kind::Merge, {"a"})), "at least 2 services"));
  EXPECT_TRUE(has(error_of(d, s, on_services(Kind::Merge, {"a", "a"})), "'a' is listed twice"));
}

// --- split ---------------------------------------------------------------------------------

/// gateway fans out to catalog (browse and search go through it) and auth; catalog reads db.
struct SplitFixture {
  TopologyDraft d = draft_of("gateway -> auth\n gateway -> catalog\n catalog -> db\n auth -> db");
  Scenario s = scenario_of({{"browse", "gateway"}, {"search", "gateway"}, {"direct", "catalog"}, {"login", "gateway"}});
  SplitFixture() {
    s.requests[1].only_edges = {{"gateway", "catalog"}, {"catalog", "db"}};
    s.requests[3].skip_edges = {{"gateway", "catalog"}};
    s.services.push_back({"catalog", ServiceParams{}});
    s.services.back().second.replicas = 4;
    s.policy_edges.push_back({{"gateway", "catalog"}, timeout(0.1)});
    s.faults = {fault("kill", FaultSpec::Kind::Crash, "catalog")};
  }
  static Transformation split(std::vector<std::pair<std::string, std::vector<std::string>>> parts) {
    auto t = on_services(Kind::Split, {"catalog"});
    t.parts = std::move(parts);
    return t;
  }
};

TEST(Recomposition, SplitGivesEachRequestTypeItsOwnCopy) {
  SplitFixture f;
  apply(f.d, f.s, SplitFixture::split({{"catalog-browse", {"browse", "direct"}}, {"catalog-search", {"search"}}}));
  EXPECT_EQ(names(f.d), (std::vector<std::string>{"gateway", "auth", "catalog-browse", "catalog-search", "db"}));
  EXPECT_EQ(calls(f.d), (Pairs{{"gateway", "auth"},
                               {"gateway", "catalog-browse"},
                               {"gateway", "catalog-search"},
                               {"catalog-browse", "db"},
                               {"catalog-search", "db"},
                               {"auth", "db"}}));
  // Each copy is the service under another name.
  EXPECT_EQ(node(f.d, "catalog-search").kind, node(f.d, "catalog-browse").kind);

  // Routes: a request type reaches only its own part.
  EXPECT_EQ(request(f.s, "browse").skip_edges, (Pairs{{"gateway", "catalog-search"}}));
  EXPECT_EQ(request(f.s, "search").only_edges, (Pairs{{"gateway", "catalog-search"}, {"catalog-search", "db"}}));
  EXPECT_EQ(request(f.s, "direct").entry, "catalog-browse");
  // login never visited catalog: its skip follows both copies, nothing else changes.
  EXPECT_EQ(request(f.s, "login").skip_edges, (Pairs{{"gateway", "catalog-browse"}, {"gateway", "catalog-search"}}));
  for (const auto& r : f.s.requests) {
    const auto seen = f.d.visited_by(r, f.s);
    const bool browse_side = r.name == "browse" || r.name == "direct";
    EXPECT_EQ(seen[*f.d.find("catalog-browse")], browse_side) << r.name;
    EXPECT_EQ(seen[*f.d.find("catalog-search")], r.name == "search") << r.name;
  }

  // Settings, policies and faults of catalog go to both parts.
  ASSERT_EQ(f.s.services.size(), 2u);
  EXPECT_EQ(f.s.services[0].first, "catalog-browse");
  EXPECT_EQ(f.s.services[1].first, "catalog-search");
  ASSERT_EQ(f.s.policy_edges.size(), 2u);
  EXPECT_EQ(f.s.policy_edges[1].first, std::make_pair(std::string("gateway"), std::string("catalog-search")));
  EXPECT_EQ(fault_targets(f.s), (std::vector<std::string>{"kill@catalog-browse", "kill@catalog-search"}));

  const System sys = built(f.d, f.s);
  EXPECT_EQ(service_config(sys, "catalog-search").replicas, 4);
}

TEST(Recomposition, SplitMayKeepTheServiceNameForOnePart) {
  SplitFixture f;
  apply(f.d, f.s, SplitFixture::split({{"catalog", {"browse", "direct"}}, {"catalog-search", {"search"}}}));
  EXPECT_EQ(names(f.d), (std::vector<std::string>{"gateway", "auth", "catalog", "catalog-search", "db"}));
  EXPECT_EQ(request(f.s, "browse").skip_edges, (Pairs{{"gateway", "catalog-search"}}));
  EXPECT_EQ(request(f.s, "search").only_edges, (Pairs{{"gateway", "catalog-search"}, {"catalog-search", "db"}}));
  EXPECT_EQ(request(f.s, "direct").entry, "catalog");
  EXPECT_NO_THROW(built(f.d, f.s));
}

TEST(Recomposition, SplitRejectsARequestTypeLeftUnroutable) {
  SplitFixture f;
  const auto e =
      error_of(f.d, f.s, SplitFixture::split({{"catalog-browse", {"browse"}}, {"catalog-search", {"search"}}}));
  EXPECT_TRUE(
      has(e, "request type 'direct' visits 'catalog' but no part of the split serves it: it would be unroutable"))
      << e;
}

TEST(Recomposition, SplitRejectsBadParts) {
  SplitFixture f;
  using Parts = std::vector<std::pair<std::string, std::vector<std::string>>>;
  const auto error = [&](Parts parts) { return error_of(f.d, f.s, SplitFixture::split(std::move(parts))); };
  EXPECT_TRUE(has(error({{"x", {"browse", "direct", "nope"}}, {"y", {"search"}}}), "unknown request type 'nope'"));
  EXPECT_TRUE(has(error({{"x", {"browse", "direct"}}, {"y", {"search", "browse"}}}),
                  "request type 'browse' is in parts 'x' and 'y'"));
  EXPECT_TRUE(has(error({{"auth", {"browse", "direct"}}, {"y", {"search"}}}), "service 'auth' already exists"));
  EXPECT_TRUE(has(error({{"x", {"browse", "direct", "search"}}}), "at least two parts"));
  auto unknown = SplitFixture::split({{"x", {"browse"}}, {"y", {"search"}}});
  unknown.services = {"nope"};
  EXPECT_TRUE(has(error_of(f.d, f.s, unknown), "'nope' is not a service"));
}

TEST(Recomposition, SplitFollowsTheScenarioEdgeSettings) {
  // The topology says catalog is never called; the scenario turns the call on, so browse visits it.
  SplitFixture f;
  f.d.calls[1].edge.active = false;
  f.s.edges.push_back({"gateway", "catalog", {}, {}, {}, {}, true, {}, {}});
  EXPECT_TRUE(has(error_of(f.d, f.s, SplitFixture::split({{"x", {"search", "direct"}}, {"y", {"login"}}})),
                  "request type 'browse' visits 'catalog'"));
}

// --- async ---------------------------------------------------------------------------------

TEST(Recomposition, AsyncMakesTheCallNoLongerWait) {
  auto d = draft_of("a -> b\n b -> c");
  auto s = scenario_of({{"r", "a"}});
  s.edges.push_back({"b", "c", CallMode::Sync, {}, 2, {}, {}, {}, {}});
  s.policy_edges.push_back({{"b", "c"}, timeout(0.1)});
  const auto notes = apply(d, s, on_call(Kind::Async, "b", "c"));
  EXPECT_EQ(edge(d, "b", "c").mode, CallMode::Async);
  EXPECT_FALSE(s.edges[0].mode.has_value());
  EXPECT_EQ(s.edges[0].calls, 2);
  EXPECT_TRUE(s.policy_edges.empty());
  EXPECT_TRUE(any_has(notes, "policies of b -> c no longer apply"));
  EXPECT_NO_THROW(built(d, s));
}

TEST(Recomposition, AsyncThroughAQueueService) {
  auto d = draft_of("a -> b [probability=0.5, calls=2, group=g, request_size=100]\n a -> c [group=g]");
  auto s = scenario_of({{"r", "a"}});
  s.requests[0].only_edges = {{"a", "b"}, {"a", "c"}};
  s.edges.push_back({"a", "b", CallMode::Sync, 0.25, {}, {}, {}, {}, {}});
  s.policy_edges.push_back({{"a", "b"}, timeout(0.1)});
  s.faults = {fault("lag", FaultSpec::Kind::Latency, "a -> b")};
  auto t = on_call(Kind::Async, "a", "b");
  t.capacity = 50;
  t.consumers = 4;
  apply(d, s, t);

  EXPECT_EQ(calls(d), (Pairs{{"a", "a-b-queue"}, {"a-b-queue", "b"}, {"a", "c"}}));
  const auto& q = node(d, "a-b-queue");
  EXPECT_EQ(q.kind, ServiceKind::Queue);
  EXPECT_EQ(q.params.replicas, 1);
  EXPECT_EQ(q.params.workers, 4);
  EXPECT_EQ(q.params.queue_capacity, 50);
  const auto& in = edge(d, "a", "a-b-queue");
  EXPECT_EQ(in.mode, CallMode::Async);
  EXPECT_EQ(in.probability, 0.5);
  EXPECT_EQ(in.calls, 2);
  EXPECT_EQ(in.group, "g");
  EXPECT_EQ(in.request_bytes, 100);
  const auto& out = edge(d, "a-b-queue", "b");
  EXPECT_EQ(out.mode, CallMode::Sync);
  EXPECT_EQ(out.probability, 1);
  EXPECT_EQ(out.calls, 1);
  EXPECT_TRUE(out.critical);
  EXPECT_TRUE(out.group.empty());

  // The caller's settings follow its call to the queue, without the mode; the consumer's calls
  // carry the policies; a route through a -> b goes through both calls.
  ASSERT_EQ(s.edges.size(), 1u);
  EXPECT_EQ(s.edges[0].to, "a-b-queue");
  EXPECT_FALSE(s.edges[0].mode.has_value());
  EXPECT_EQ(s.edges[0].probability, 0.25);
  ASSERT_EQ(s.policy_edges.size(), 1u);
  EXPECT_EQ(s.policy_edges[0].first, std::make_pair(std::string("a-b-queue"), std::string("b")));
  EXPECT_EQ(s.requests[0].only_edges, (Pairs{{"a", "a-b-queue"}, {"a-b-queue", "b"}, {"a", "c"}}));
  EXPECT_EQ(fault_targets(s), (std::vector<std::string>{"lag@a-b-queue -> b"}));

  const System sys = built(d, s);
  EXPECT_EQ(service_config(sys, "a-b-queue").workers, 4);
}

TEST(Recomposition, AsyncRejectsBadUses) {
  const auto d = draft_of("a -> b [mode=async]\n a -> c");
  auto s = scenario_of({{"r", "a"}});
  EXPECT_TRUE(has(error_of(d, s, on_call(Kind::Async, "a", "b")), "a -> b is already asynchronous"));
  EXPECT_TRUE(has(error_of(d, s, on_call(Kind::Async, "b", "c")), "has no call b -> c"));
  EXPECT_TRUE(has(error_of(d, s, on_call(Kind::Async, "a", "nope")), "'nope' is not a service"));
  auto taken = on_call(Kind::Async, "a", "c");
  taken.queue = "b";
  EXPECT_TRUE(has(error_of(d, s, taken), "service 'b' already exists"));
  auto none = on_call(Kind::Async, "a", "c");
  none.consumers = 0;
  EXPECT_TRUE(has(error_of(d, s, none), "consumers must be between 1"));
  // The scenario's setting counts: an edge it makes async is async.
  s.edges.push_back({"a", "c", CallMode::Async, {}, {}, {}, {}, {}, {}});
  EXPECT_TRUE(has(error_of(d, s, on_call(Kind::Async, "a", "c")), "a -> c is already asynchronous"));
}

// --- buffer --------------------------------------------------------------------------------

TEST(Recomposition, BufferKeepsTheCallerWaiting) {
  auto d = draft_of("a -> b [critical=false]");
  auto s = scenario_of({{"r", "a"}});
  s.edges.push_back({"a", "b", CallMode::Sync, 0.5, {}, {}, {}, {}, {}});
  s.policy_edges.push_back({{"a", "b"}, timeout(0.1)});
  auto t = on_call(Kind::Buffer, "a", "b");
  t.queue = "buf";
  apply(d, s, t);
  EXPECT_EQ(calls(d), (Pairs{{"a", "buf"}, {"buf", "b"}}));
  EXPECT_EQ(edge(d, "a", "buf").mode, CallMode::Sync);
  EXPECT_FALSE(edge(d, "a", "buf").critical);
  EXPECT_EQ(edge(d, "buf", "b").mode, CallMode::Sync);
  EXPECT_EQ(node(d, "buf").params.workers, 1);
  EXPECT_EQ(node(d, "buf").params.queue_capacity, 1000);
  // The caller's timeouts still apply to its (sync) call into the buffer.
  ASSERT_EQ(s.policy_edges.size(), 1u);
  EXPECT_EQ(s.policy_edges[0].first, std::make_pair(std::string("a"), std::string("buf")));
  EXPECT_EQ(s.edges[0].to, "buf");
  EXPECT_EQ(s.edges[0].mode, CallMode::Sync);
  const System sys = built(d, s);
  EXPECT_EQ(sys.edge_policies.size(), 1u);
}

TEST(Recomposition, BufferRejectsAnInProcessCall) {
  auto d = draft_of("a -> b");
  auto s = scenario_of({{"r", "a"}});
  apply(d, s, on_services(Kind::Merge, {"a", "b"}));
  EXPECT_TRUE(has(error_of(d, s, on_call(Kind::Buffer, "a", "b")), "in-process"));
}

// --- remove --------------------------------------------------------------------------------

TEST(Recomposition, RemoveTierRepointsCallersToCallees) {
  auto d = draft_of(
      "gw -> api [calls=2, group=g]\n gw -> orders\n web -> api [probability=0.5]\n"
      "api -> users [probability=0.5, critical=false, response_size=10]\n api -> orders [mode=async]");
  auto s = scenario_of({{"r", "gw"}, {"w", "web"}});
  s.requests[1].only_edges = {{"web", "api"}, {"api", "users"}};
  s.requests[0].skip_edges = {{"api", "users"}};
  s.services.push_back({"api", ServiceParams{}});
  s.policy_edges.push_back({{"web", "api"}, timeout(0.2)});
  s.policy_edges.push_back({{"api", "users"}, timeout(0.05)});
  s.faults = {fault("kill", FaultSpec::Kind::Crash, "api"), fault("slow", FaultSpec::Kind::Latency, "users")};

  const auto notes = apply(d, s, on_services(Kind::RemoveTier, {"api"}));
  EXPECT_EQ(names(d), (std::vector<std::string>{"gw", "orders", "web", "users"}));
  EXPECT_EQ(calls(d), (Pairs{{"gw", "users"}, {"gw", "orders"}, {"web", "users"}, {"web", "orders"}}));
  const auto& gu = edge(d, "gw", "users");
  EXPECT_EQ(gu.mode, CallMode::Sync);
  EXPECT_EQ(gu.probability, 0.5);  // reached through api half of the time
  EXPECT_EQ(gu.calls, 2);
  EXPECT_EQ(gu.group, "g");
  EXPECT_FALSE(gu.critical);  // api tolerated users failing
  EXPECT_EQ(gu.response_bytes, 10);
  EXPECT_EQ(edge(d, "web", "users").probability, 0.25);
  EXPECT_EQ(edge(d, "web", "orders").mode, CallMode::Async);  // api did not wait for orders
  EXPECT_TRUE(edge(d, "gw", "orders").group.empty());         // the existing call is kept as it was
  EXPECT_TRUE(any_has(notes, "gw already calls orders"));

  // Routes: w followed web -> api -> users only; r skipped api -> users.
  EXPECT_EQ(request(s, "w").only_edges, (Pairs{{"web", "users"}}));
  EXPECT_EQ(request(s, "r").skip_edges, (Pairs{{"gw", "users"}, {"web", "users"}}));
  // Policies: the caller's, refined by api's on users; none on an async call.
  ASSERT_EQ(s.policy_edges.size(), 2u);
  EXPECT_EQ(s.policy_edges[0].first, std::make_pair(std::string("gw"), std::string("users")));
  EXPECT_EQ(s.policy_edges[1].first, std::make_pair(std::string("web"), std::string("users")));
  EXPECT_EQ(s.policy_edges[1].second.per_try_timeout, 0.05);
  EXPECT_TRUE(any_has(notes, "policies of web -> api and api -> orders do not apply"));
  EXPECT_TRUE(s.services.empty());
  EXPECT_EQ(fault_targets(s), (std::vector<std::string>{"slow@users"}));
  EXPECT_TRUE(any_has(notes, "fault 'kill' targets 'api'"));
  EXPECT_NO_THROW(built(d, s));
}

TEST(Recomposition, RemoveTierChainsARequestTypesOwnEdgeSettings) {
  auto d = draft_of("a -> b [probability=0.5]\n b -> c [probability=0.5]");
  auto s = scenario_of({{"r", "a"}});
  s.requests[0].calls.push_back({"a", "b", {}, 1.0, {}, {}, {}, {}, {}});
  apply(d, s, on_services(Kind::RemoveTier, {"b"}));
  EXPECT_EQ(edge(d, "a", "c").probability, 0.25);
  ASSERT_EQ(s.requests[0].calls.size(), 1u);
  EXPECT_EQ(s.requests[0].calls[0].to, "c");
  EXPECT_EQ(s.requests[0].calls[0].probability, 0.5);
  EXPECT_NO_THROW(built(d, s));
}

TEST(Recomposition, RemoveTierOfALeafDropsTheCallsToIt) {
  auto d = draft_of("a -> b\n a -> c");
  auto s = scenario_of({{"r", "a"}});
  s.requests[0].skip_edges = {{"a", "c"}};
  const auto notes = apply(d, s, on_services(Kind::RemoveTier, {"c"}));
  EXPECT_EQ(calls(d), (Pairs{{"a", "b"}}));
  EXPECT_TRUE(s.requests[0].skip_edges.empty());
  EXPECT_TRUE(any_has(notes, "the call a -> c goes with it"));
  EXPECT_NO_THROW(built(d, s));
}

TEST(Recomposition, RemoveTierRejectsAnEntry) {
  const auto d = draft_of("a -> b -> c");
  const auto s = scenario_of({{"r", "a"}, {"direct", "b"}});
  const auto e = error_of(d, s, on_services(Kind::RemoveTier, {"b"}));
  EXPECT_TRUE(has(e, "the entry of request type 'direct'")) << e;
  EXPECT_TRUE(has(e, "unroutable")) << e;
  EXPECT_TRUE(has(error_of(d, s, on_services(Kind::RemoveTier, {"b", "c"})), "exactly one service"));
  EXPECT_TRUE(has(error_of(d, s, on_services(Kind::RemoveTier, {"x"})), "'x' is not a service"));
}

// --- colocate, separate --------------------------------------------------------------------

TEST(Recomposition, ColocateCopiesThePlacementOfTheFirst) {
  auto d = draft_of("a -> b\n a -> c");
  auto s = scenario_of({{"r", "a"}});
  s.platform.hosts.push_back({"big", 1e9, 8, 2, {}});
  s.platform.placement = {{"a", {"big"}}, {"c", {"elsewhere"}}};
  apply(d, s, on_services(Kind::Colocate, {"a", "b", "c"}));
  EXPECT_EQ(s.platform.placement, (std::vector<std::pair<std::string, std::vector<std::string>>>{
                                      {"a", {"big"}}, {"b", {"big"}}, {"c", {"big"}}}));
  const System sys = built(d, s);
  EXPECT_EQ(service_config(sys, "b").replica_hosts, service_config(sys, "a").replica_hosts);
}

TEST(Recomposition, ColocateUsesTheHostOfTheFirst) {
  auto d = draft_of("a [host=h1]\n a -> b\n a -> c");
  auto s = scenario_of({{"r", "a"}});
  s.platform.placement = {{"b", {"h2"}}};
  s.platform.hosts.push_back({"h2", 1e9, 4, 1, {}});
  apply(d, s, on_services(Kind::Colocate, {"a", "b"}));
  EXPECT_TRUE(s.platform.placement.empty());  // it would win over the host
  ASSERT_EQ(s.services.size(), 1u);
  EXPECT_EQ(s.services[0].first, "b");
  EXPECT_EQ(s.services[0].second.host, "h1");
  const System sys = built(d, s);
  EXPECT_EQ(service_config(sys, "b").replica_hosts.front(), service_config(sys, "a").replica_hosts.front());
}

TEST(Recomposition, ColocateNeedsTheFirstPlaced) {
  const auto d = draft_of("a -> b");
  const auto s = scenario_of({{"r", "a"}});
  EXPECT_TRUE(has(error_of(d, s, on_services(Kind::Colocate, {"a", "b"})), "place it first"));
  EXPECT_TRUE(has(error_of(d, s, on_services(Kind::Colocate, {"a"})), "at least 2 services"));
}

TEST(Recomposition, SeparateGivesHostsOfTheirOwn) {
  auto d = draft_of("a [host=shared]\n b [host=shared]\n a -> b");
  auto s = scenario_of({{"r", "a"}});
  s.services.push_back({"b", ServiceParams{}});
  s.services.back().second.host = "shared";
  s.services.back().second.replicas = 2;
  s.platform.placement = {{"b", {"shared"}}};
  apply(d, s, on_services(Kind::Separate, {"b"}));
  EXPECT_TRUE(s.platform.placement.empty());
  EXPECT_FALSE(s.services[0].second.host.has_value());
  EXPECT_EQ(s.services[0].second.replicas, 2);
  EXPECT_FALSE(node(d, "b").params.host.has_value());
  EXPECT_EQ(node(d, "b").attributes.count("host"), 0u);
  EXPECT_EQ(node(d, "a").params.host, "shared");
  const System sys = built(d, s);
  EXPECT_NE(service_config(sys, "b").replica_hosts.front(), service_config(sys, "a").replica_hosts.front());
}

TEST(Recomposition, ASeparatedReplicasHostNeverTakesTheNameOfAnotherHost) {
  // StyleFlow's shape: search-index runs on a host called "search-1", the name search's second
  // replica gets once search is separated; SimGrid takes each host name once.
  auto d = draft_of("a [host=shared]\n b [host=shared, replicas=2]\n c [host=\"b-1\"]\n a -> b\n b -> c");
  auto s = scenario_of({{"r", "a"}});
  apply(d, s, on_services(Kind::Separate, {"b"}));
  const System sys = built(d, s);
  std::vector<std::string> hosts;
  for (const auto& h : sys.hosts) hosts.push_back(h.name);
  std::vector<std::string> unique = hosts;
  std::sort(unique.begin(), unique.end());
  EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end()) << ::testing::PrintToString(hosts);
  EXPECT_EQ(sys.hosts[service_config(sys, "c").replica_hosts.front()].name, "b-1");
  EXPECT_EQ(sys.hosts[service_config(sys, "b").replica_hosts[0]].name, "b-0");
  EXPECT_EQ(sys.hosts[service_config(sys, "b").replica_hosts[1]].name, "b-1.2");
}

TEST(Recomposition, SeparateRejectsAKindDefaultHost) {
  const auto d = draft_of("a -> b");
  auto s = scenario_of({{"r", "a"}});
  s.kind_defaults[static_cast<size_t>(ServiceKind::Service)].host = "pool";
  EXPECT_TRUE(has(error_of(d, s, on_services(Kind::Separate, {"b"})), "runs on host 'pool' by default"));
  EXPECT_TRUE(has(error_of(d, s, on_services(Kind::Separate, {"z"})), "'z' is not a service"));
}

// --- drop ----------------------------------------------------------------------------------

TEST(Recomposition, DropEdgeRemovesTheCallAndItsReferences) {
  auto d = draft_of("a -> b\n a -> c\n c -> b");
  auto s = scenario_of({{"r", "a"}});
  s.requests[0].only_edges = {{"a", "b"}, {"a", "c"}};
  s.edges.push_back({"a", "c", {}, 0.5, {}, {}, {}, {}, {}});
  s.policy_edges.push_back({{"a", "c"}, timeout(0.1)});
  s.faults = {fault("lag", FaultSpec::Kind::Latency, "a -> c"), fault("slow", FaultSpec::Kind::Latency, "c")};
  const auto notes = apply(d, s, on_call(Kind::DropEdge, "a", "c"));
  EXPECT_EQ(calls(d), (Pairs{{"a", "b"}, {"c", "b"}}));
  EXPECT_EQ(s.requests[0].only_edges, (Pairs{{"a", "b"}}));
  EXPECT_TRUE(s.edges.empty());
  EXPECT_TRUE(s.policy_edges.empty());
  EXPECT_EQ(fault_targets(s), (std::vector<std::string>{"slow@c"}));
  EXPECT_TRUE(any_has(notes, "fault 'lag' targets the call a -> c"));
  EXPECT_NO_THROW(built(d, s));
}

TEST(Recomposition, DropEdgeRejectsBadUses) {
  const auto d = draft_of("a -> b\n a -> c");
  auto s = scenario_of({{"r", "a"}});
  EXPECT_TRUE(has(error_of(d, s, on_call(Kind::DropEdge, "b", "a")), "has no call b -> a"));
  s.requests[0].only_edges = {{"a", "c"}};
  EXPECT_TRUE(has(error_of(d, s, on_call(Kind::DropEdge, "a", "c")), "removes every edge it follows"));
}

}  // namespace
}  // namespace rapture
