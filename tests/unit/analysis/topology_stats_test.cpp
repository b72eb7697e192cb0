#include "analysis/topology_stats.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/topology_reader.hpp"

namespace rapture {
namespace {

using Names = std::vector<std::string>;

const std::string kTopologies = std::string(RAPTURE_SOURCE_DIR) + "/topologies/";

Topology dot(const std::string& body) { return read_topology_dot("digraph t {\n" + body + "\n}\n", "test.dot"); }

TEST(TopologyStats, ChainHasItsLengthAsDepth) {
  const Topology t = dot("a -> b -> c -> d");
  const TopologyStats s = analyze_topology(t);
  EXPECT_EQ(s.services, 4u);
  EXPECT_EQ(s.services_per_kind[static_cast<size_t>(ServiceKind::Service)], 4u);
  EXPECT_EQ(s.calls, 3u);
  EXPECT_EQ(s.sync_calls, 3u);
  // No frontend: the entries are the services nobody calls.
  EXPECT_EQ(s.entries, Names{"a"});
  EXPECT_EQ(s.depth, 4u);
  EXPECT_TRUE(s.depth_exact);
  EXPECT_EQ(s.max_fan_out, 1u);
  EXPECT_EQ(s.max_fan_out_service, "a");
  EXPECT_TRUE(s.sync_cycles.empty());
  EXPECT_TRUE(s.unreachable.empty());
}

TEST(TopologyStats, DepthIsTheLongestPathNotTheFirstOne) {
  // a reaches e both directly and through b -> c -> d.
  const Topology t = dot("a -> e\n a -> b\n b -> c\n c -> d\n d -> e\n x [kind=cache]");
  const TopologyStats s = analyze_topology(t);
  EXPECT_EQ(s.entries, (Names{"a", "x"}));
  EXPECT_EQ(s.depth, 5u);
  EXPECT_EQ(s.services_per_kind[static_cast<size_t>(ServiceKind::Cache)], 1u);
}

TEST(TopologyStats, FanOutCountsDistinctActiveCallees) {
  const Topology t =
      dot("a -> b\n a -> b [calls=3]\n a -> c\n a -> d [active=false]\n a -> e [active=false]\n"
          "f -> b\n f -> c\n f -> d\n");
  const TopologyStats s = analyze_topology(t);
  // a: b twice and two dead call sites count as 2; f reaches 3 distinct services.
  EXPECT_EQ(s.max_fan_out, 3u);
  EXPECT_EQ(s.max_fan_out_service, "f");
  EXPECT_EQ(s.calls, 8u);
  EXPECT_EQ(s.inactive_calls, 2u);
  EXPECT_EQ(s.sync_calls, 6u);
  EXPECT_EQ(s.async_calls, 0u);
}

TEST(TopologyStats, FanOutTiesGoToTheFirstServiceInFileOrder) {
  const TopologyStats s = analyze_topology(dot("a -> x\n a -> y\n b -> x\n b -> y"));
  EXPECT_EQ(s.max_fan_out, 2u);
  EXPECT_EQ(s.max_fan_out_service, "a");
}

TEST(TopologyStats, FrontendsAreTheEntriesAndDeadCallsReachNothing) {
  const Topology t =
      dot("web [kind=frontend]\n web -> api\n api -> db [kind=db]\n api -> legacy [active=false]\n"
          "batch -> db\n orphan [kind=cache]\n db [kind=db]");
  const TopologyStats s = analyze_topology(t);
  EXPECT_EQ(s.entries, Names{"web"});
  // Not called by anyone, but not a frontend either: batch is unreachable, like legacy.
  EXPECT_EQ(s.unreachable, (Names{"legacy", "batch", "orphan"}));
  EXPECT_EQ(s.depth, 3u);
}

TEST(TopologyStats, AsyncCallsCountForReachAndDepthButNotForSyncCycles) {
  const Topology t =
      dot("f [kind=frontend]\n f -> a\n a -> q [mode=async]\n q [kind=queue]\n"
          "q -> w [mode=async, role=consume]\n w -> a");
  const TopologyStats s = analyze_topology(t);
  EXPECT_EQ(s.async_calls, 2u);
  EXPECT_TRUE(s.unreachable.empty());
  // a -> q -> w -> a is a cycle through a queue: not a synchronous recursion.
  EXPECT_TRUE(s.sync_cycles.empty());
  // The active graph is cyclic, so depth is the condensation bound: f + {a, q, w}.
  EXPECT_FALSE(s.depth_exact);
  EXPECT_EQ(s.depth, 4u);
}

TEST(TopologyStats, SyncCyclesAreListedAndBoundTheDepth) {
  // Two cycles, {a b c} and {d e} (the model's sync_cycles, tested in model/topology_analysis_test).
  const Topology t =
      dot("f [kind=frontend]\n f -> a\n a -> b\n b -> c\n c -> a\n c -> d\n"
          "d -> e\n e -> d\n e -> g\n x -> y\n y -> x [active=false]");
  const TopologyStats s = analyze_topology(t);
  EXPECT_EQ(s.sync_cycles, (std::vector<Names>{{"a", "b", "c"}, {"d", "e"}}));
  // f, {a b c}, {d e}, g: a simple path f a b c d e g has 7 services, as the bound says.
  EXPECT_EQ(s.depth, 7u);
  EXPECT_FALSE(s.depth_exact);
  EXPECT_EQ(s.unreachable, (Names{"x", "y"}));
}

TEST(TopologyStats, AsyncSelfLoopMakesTheDepthABound) {
  // A topology built in code (the reader rejects self-loops): a consumer re-queueing to itself.
  CallEdge async_loop;
  async_loop.mode = CallMode::Async;
  Topology u;
  ServiceNode f;
  f.name = "f";
  f.kind = ServiceKind::Frontend;
  ServiceNode c;
  c.name = "c";
  const auto vf = u.add_service(f);
  const auto vc = u.add_service(c);
  u.add_call(vf, vc, CallEdge{});
  u.add_call(vc, vc, async_loop);
  const TopologyStats s = analyze_topology(u);
  EXPECT_TRUE(s.sync_cycles.empty());
  EXPECT_FALSE(s.depth_exact);
  EXPECT_EQ(s.depth, 2u);
}

TEST(TopologyStats, EmptyTopologyHasNothing) {
  const Topology t;
  const TopologyStats s = analyze_topology(t);
  EXPECT_EQ(s.services, 0u);
  EXPECT_EQ(s.depth, 0u);
  EXPECT_TRUE(s.entries.empty());
}

TEST(TopologyStats, SocialNetworkUserSocialGraphCycleIsFound) {
  const Topology t = read_topology(kTopologies + "deathstarbench_socialNetwork.dot");
  const TopologyStats s = analyze_topology(t);
  EXPECT_EQ(s.sync_cycles, (std::vector<Names>{{"user-service", "social-graph-service"}}));
  EXPECT_EQ(s.entries, (Names{"nginx-thrift", "media-frontend"}));
  // Deployed but referenced by no code (SOURCES.md).
  EXPECT_EQ(s.unreachable, Names{"media-memcached"});
  // nginx -> compose-post -> home-timeline -> {social-graph, user} -> user-mongodb.
  EXPECT_EQ(s.depth, 6u);
  EXPECT_FALSE(s.depth_exact);
  EXPECT_EQ(s.max_fan_out, 7u);
  EXPECT_EQ(s.max_fan_out_service, "compose-post-service");
}

TEST(TopologyStats, TrainTicketTravelSeatCycleIsFound) {
  const TopologyStats s = analyze_topology(read_topology(kTopologies + "trainticket_2021.dot"));
  EXPECT_EQ(s.sync_cycles, (std::vector<Names>{{"ts-seat-service", "ts-travel-service", "ts-travel2-service"}}));
  EXPECT_EQ(s.inactive_calls, 3u);
  EXPECT_EQ(s.entries, Names{"ts-ui-dashboard"});
}

TEST(TopologyStats, AcyclicBenchmarksHaveExactDepths) {
  struct Case {
    const char* file;
    size_t depth, fan_out;
  };
  for (const Case& c : {Case{"online_boutique.dot", 4, 8}, Case{"deathstarbench_hotelReservation.dot", 4, 7},
                        Case{"sock_shop.dot", 6, 5}}) {
    SCOPED_TRACE(c.file);
    const TopologyStats s = analyze_topology(read_topology(kTopologies + c.file));
    EXPECT_TRUE(s.sync_cycles.empty());
    EXPECT_TRUE(s.depth_exact);
    EXPECT_EQ(s.depth, c.depth);
    EXPECT_EQ(s.max_fan_out, c.fan_out);
  }
}

TEST(TopologyStats, StyleFlowIsAcyclicAndFullyReachable) {
  const Topology t = read_topology(kTopologies + "styleflow.dot");
  const TopologyStats s = analyze_topology(t);
  EXPECT_TRUE(s.sync_cycles.empty());
  EXPECT_TRUE(s.unreachable.empty());
  EXPECT_EQ(s.entries, Names{"frontend"});
  EXPECT_EQ(s.depth, 5u);
  EXPECT_TRUE(s.depth_exact);
  EXPECT_EQ(s.max_fan_out_service, "checkout");
  EXPECT_EQ(s.max_fan_out, 9u);
  EXPECT_EQ(s.services_per_kind, (std::array<size_t, kServiceKinds>{1, 13, 3, 5, 1}));
  EXPECT_EQ(s.sync_calls, 31u);
  EXPECT_EQ(s.async_calls, 3u);
  EXPECT_EQ(s.inactive_calls, 1u);
}

}  // namespace
}  // namespace rapture
