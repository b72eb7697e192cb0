#include "model/topology_analysis.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/topology_reader.hpp"

namespace rapture {
namespace {

using Names = std::vector<std::string>;

const std::string kTopologies = std::string(RAPTURE_SOURCE_DIR) + "/topologies/";

Topology dot(const std::string& body) { return read_topology_dot("digraph t {\n" + body + "\n}\n", "test.dot"); }

TEST(TopologyAnalysis, CallGraphKeepsActiveCallsAndSyncOnesIfAsked) {
  const Topology t = dot("a -> b\n a -> c [mode=async]\n a -> d [active=false]");
  EXPECT_EQ(boost::num_edges(t.graph), 3u);
  size_t active = 0, sync = 0;
  for ([[maybe_unused]] auto e : boost::make_iterator_range(boost::edges(call_graph(t, false)))) ++active;
  for ([[maybe_unused]] auto e : boost::make_iterator_range(boost::edges(call_graph(t, true)))) ++sync;
  EXPECT_EQ(active, 2u);
  EXPECT_EQ(sync, 1u);
}

TEST(TopologyAnalysis, ComponentsOfACycleAreOneCyclicComponent) {
  const Topology t = dot("a -> b\n b -> c\n c -> b\n c -> d");
  const CallComponents c = call_components(call_graph(t, false));
  ASSERT_EQ(c.of.size(), 4u);
  EXPECT_EQ(c.count, 3u);
  EXPECT_EQ(c.of[1], c.of[2]);
  EXPECT_TRUE(c.cyclic[c.of[1]]);
  EXPECT_FALSE(c.cyclic[c.of[0]]);
  EXPECT_FALSE(c.cyclic[c.of[3]]);
}

TEST(TopologyAnalysis, AsyncCyclesAreNoSyncCycles) {
  // a -> q -> w -> a is a cycle through a queue: not a synchronous recursion.
  const Topology t =
      dot("f [kind=frontend]\n f -> a\n a -> q [mode=async]\n q [kind=queue]\n"
          "q -> w [mode=async, role=consume]\n w -> a");
  EXPECT_TRUE(sync_cycles(t).empty());
}

TEST(TopologyAnalysis, FindsSyncCyclesAsStronglyConnectedComponents) {
  const Topology t =
      dot("f [kind=frontend]\n f -> a\n a -> b\n b -> c\n c -> a\n c -> d\n"
          "d -> e\n e -> d\n e -> g\n x -> y\n y -> x [active=false]");
  const auto cycles = sync_cycles(t);
  ASSERT_EQ(cycles.size(), 2u);
  EXPECT_EQ(cycles[0], (Names{"a", "b", "c"}));
  EXPECT_EQ(cycles[1], (Names{"d", "e"}));
}

TEST(TopologyAnalysis, SelfLoopIsASyncCycle) {
  // The reader rejects self-loops, but a topology built in code may have one.
  Topology t;
  ServiceNode a;
  a.name = "a";
  const auto va = t.add_service(a);
  ServiceNode b;
  b.name = "b";
  const auto vb = t.add_service(b);
  t.add_call(va, vb, CallEdge{});
  t.add_call(vb, vb, CallEdge{});
  EXPECT_EQ(sync_cycles(t), (std::vector<Names>{{"b"}}));
  // An asynchronous self-loop (a consumer re-queueing) is no recursion, but is a cycle.
  CallEdge async_loop;
  async_loop.mode = CallMode::Async;
  Topology u;
  const auto vc = u.add_service(a);
  u.add_call(vc, vc, async_loop);
  EXPECT_TRUE(sync_cycles(u).empty());
  const CallComponents c = call_components(call_graph(u, false));
  EXPECT_TRUE(c.cyclic[c.of[0]]);
}

TEST(TopologyAnalysis, TrainTicketTravelSeatCycleIsFound) {
  const auto cycles = sync_cycles(read_topology(kTopologies + "trainticket_2021.dot"));
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(cycles[0], (Names{"ts-seat-service", "ts-travel-service", "ts-travel2-service"}));
}

}  // namespace
}  // namespace rapture
