#include "analysis/structural_complexity.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "analysis/topology_stats.hpp"
#include "io/topology_reader.hpp"

namespace rapture {
namespace {

using HotSpots = std::vector<std::pair<std::string, double>>;

Topology dot(const std::string& body) { return read_topology_dot("digraph t {\n" + body + "\n}\n", "test.dot"); }

TEST(StructuralComplexity, ChainHasItsMiddleAsTheOnlyHotSpot) {
  const StructuralComplexity c = structural_complexity(dot("a -> b -> c"));
  EXPECT_EQ(c.services, 3u);
  EXPECT_EQ(c.processes, 3u);
  EXPECT_EQ(c.calls, 2u);
  EXPECT_EQ(c.sync_calls, 2u);
  EXPECT_EQ(c.async_calls, 0u);
  // Of the 6 ordered pairs, only (a, c) is joined by a path through another service: its
  // single shortest path a -> b -> c. So b's raw centrality is 1, a's and c's 0, and b's
  // normalised centrality is 1 / ((3-1)(3-2)) = 0.5.
  ASSERT_EQ(c.hot_spots.size(), 1u);
  EXPECT_EQ(c.hot_spots[0].first, "b");
  EXPECT_DOUBLE_EQ(c.hot_spots[0].second, 0.5);
  EXPECT_DOUBLE_EQ(c.max_betweenness, 0.5);
}

TEST(StructuralComplexity, FanOutAloneCreatesNoHotSpot) {
  // Every shortest path is a single call: no service lies between two others.
  const StructuralComplexity c = structural_complexity(dot("f -> a\n f -> b\n f -> c\n f -> d"));
  EXPECT_EQ(c.max_fan_out, 4u);
  EXPECT_EQ(c.max_fan_out_service, "f");
  EXPECT_TRUE(c.hot_spots.empty());
  EXPECT_DOUBLE_EQ(c.max_betweenness, 0);
}

TEST(StructuralComplexity, HubBetweenCallersAndCalleesIsTheHotSpot) {
  // Each of x, y, z reaches p and q only through the gateway: 3 x 2 = 6 of the
  // (6-1)(6-2) = 20 ordered pairs of other services, so 6 / 20 = 0.3.
  const StructuralComplexity c = structural_complexity(dot("x -> gw\n y -> gw\n z -> gw\n gw -> p\n gw -> q"));
  ASSERT_EQ(c.hot_spots.size(), 1u);
  EXPECT_EQ(c.hot_spots[0].first, "gw");
  EXPECT_DOUBLE_EQ(c.hot_spots[0].second, 0.3);
  EXPECT_EQ(c.max_fan_out, 2u);
  EXPECT_EQ(c.max_fan_out_service, "gw");
}

TEST(StructuralComplexity, InactiveCallsAreIgnored) {
  // Were the dead shortcut a -> c taken, b would lie on no shortest path.
  const StructuralComplexity c =
      structural_complexity(dot("a -> b -> c\n a -> c [active=false]\n c -> d [active=false]"));
  EXPECT_EQ(c.calls, 2u);
  ASSERT_EQ(c.hot_spots.size(), 1u);
  EXPECT_EQ(c.hot_spots[0].first, "b");
  // n = 4 with the unreached d: (a, c) through b, 1 / ((4-1)(4-2)) = 1/6.
  EXPECT_DOUBLE_EQ(c.hot_spots[0].second, 1.0 / 6);
}

TEST(StructuralComplexity, RepeatedCallSitesDoNotCountAsMorePaths) {
  // a reaches d in two hops through b or through c: each is on half of those shortest paths,
  // 0.5 / ((4-1)(4-2)) = 1/12. Counting the parallel a -> b edges as paths would give b 2/3.
  const StructuralComplexity c = structural_complexity(dot("a -> b\n a -> b [calls=2]\n a -> c\n b -> d\n c -> d"));
  EXPECT_EQ(c.calls, 5u);
  EXPECT_EQ(c.hot_spots, (HotSpots{{"b", 1.0 / 12}, {"c", 1.0 / 12}}));
}

TEST(StructuralComplexity, MergedServicesAreOneProcessAndTheirCallsAreNotCounted) {
  // a and b are merged into "shop"; the service named "shop" has no process attribute, so it
  // is a process of its own, distinct from the one its name happens to match.
  const StructuralComplexity c = structural_complexity(
      dot("a [process=shop]\n b [process=shop]\n shop\n a -> b\n b -> c\n a -> c [mode=async]\n a -> shop"));
  EXPECT_EQ(c.services, 4u);
  EXPECT_EQ(c.processes, 3u);  // {a, b}, shop, c
  EXPECT_EQ(c.calls, 3u);      // b -> c, a -> c, a -> shop; not a -> b
  EXPECT_EQ(c.sync_calls, 2u);
  EXPECT_EQ(c.async_calls, 1u);
}

TEST(StructuralComplexity, AnUnmergedServiceCallingItselfMakesARemoteCall) {
  // The readers reject self-calls, but a topology built in code may have one. Without a named
  // process the call goes to a replica over the network, so it counts.
  Topology t;
  ServiceNode worker;
  worker.name = "w";
  const ServiceVertex w = t.add_service(worker);
  CallEdge requeue;
  requeue.mode = CallMode::Async;
  t.add_call(w, w, requeue);
  const StructuralComplexity c = structural_complexity(t);
  EXPECT_EQ(c.processes, 1u);
  EXPECT_EQ(c.calls, 1u);
  EXPECT_EQ(c.async_calls, 1u);
}

TEST(StructuralComplexity, DepthAndFanOutAreThoseOfTheTopologyAnalysis) {
  for (const char* file : {"styleflow.dot", "online_boutique.dot", "deathstarbench_socialNetwork.dot"}) {
    SCOPED_TRACE(file);
    const Topology t = read_topology(std::string(RAPTURE_SOURCE_DIR) + "/topologies/" + file);
    const StructuralComplexity c = structural_complexity(t);
    const TopologyStats s = analyze_topology(t);
    EXPECT_EQ(c.services, s.services);
    EXPECT_EQ(c.depth, s.depth);
    EXPECT_EQ(c.depth_exact, s.depth_exact);
    EXPECT_EQ(c.max_fan_out, s.max_fan_out);
    EXPECT_EQ(c.max_fan_out_service, s.max_fan_out_service);
    // No process attributes in these files: every active call crosses processes.
    EXPECT_EQ(c.processes, s.services);
    EXPECT_EQ(c.calls, s.sync_calls + s.async_calls);
    EXPECT_EQ(c.sync_calls, s.sync_calls);
  }
}

TEST(StructuralComplexity, HotSpotsAreRankedAndCapped) {
  // Chain a -> b -> c -> d: b is on the paths of (a, c) and (a, d), c on those of (a, d) and
  // (b, d): both 2 / ((4-1)(4-2)) = 1/3, and the tie keeps file order.
  const Topology t = dot("a -> b -> c -> d");
  EXPECT_EQ(structural_complexity(t).hot_spots, (HotSpots{{"b", 1.0 / 3}, {"c", 1.0 / 3}}));
  const StructuralComplexity one = structural_complexity(t, 1);
  EXPECT_EQ(one.hot_spots, (HotSpots{{"b", 1.0 / 3}}));
  EXPECT_DOUBLE_EQ(one.max_betweenness, 1.0 / 3);
  EXPECT_TRUE(structural_complexity(t, 0).hot_spots.empty());
}

TEST(StructuralComplexity, FewerThanThreeServicesHaveNoCentrality) {
  const StructuralComplexity c = structural_complexity(dot("a -> b\n b -> a [mode=async]"));
  EXPECT_TRUE(c.hot_spots.empty());
  EXPECT_DOUBLE_EQ(c.max_betweenness, 0);
}

TEST(StructuralComplexity, FormatsOneLine) {
  EXPECT_EQ(format_structural_complexity(structural_complexity(dot("a -> b -> c"))),
            "3 services in 3 processes, 2 calls (2 sync), depth 3, fan-out 1 (a), hot spots: b 0.5");
  EXPECT_EQ(format_structural_complexity(structural_complexity(dot("a [process=p]\n b [process=p]\n a -> b"))),
            "2 services in 1 process, 0 calls (0 sync), depth 2, fan-out 1 (a), hot spots: none");
}

}  // namespace
}  // namespace rapture
