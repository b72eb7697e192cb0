#include "command/topology.hpp"

#include <gtest/gtest.h>

#include <string>

#include "io/topology_reader.hpp"

namespace rapture {
namespace {

const std::string kTopologies = std::string(RAPTURE_SOURCE_DIR) + "/topologies/";

TEST(TopologyReport, EmptyTopologyStillHasAReport) {
  // Only a topology built in code can be empty: the readers reject one without services.
  const Topology t;
  EXPECT_FALSE(format_topology_report(t, analyze_topology(t)).empty());
}

TEST(TopologyReport, NamesTheFindings) {
  const Topology t = read_topology(kTopologies + "deathstarbench_socialNetwork.dot");
  const std::string report = format_topology_report(t, analyze_topology(t));
  for (const char* fragment : {"topology 'deathstarbench_socialNetwork'", "26 (2 frontend, 11 service, 6 cache, 7 db)",
                               "33 (33 sync", "user-service <-> social-graph-service", "unreachable  media-memcached",
                               "upper bound", "compose-post-service: unique-id-service, user-service, text-service"}) {
    EXPECT_NE(report.find(fragment), std::string::npos) << fragment << "\n" << report;
  }
  const Topology style = read_topology(kTopologies + "styleflow.dot");
  const std::string styled = format_topology_report(style, analyze_topology(style));
  for (const char* fragment : {"frontend: {catalog; pricing; inventory; recommendations (soft)}, search (p=0.35)",
                               "app-2: search, recommendations", "notifications (dead)", "order-events (async)",
                               "cart-db (x2)", "sync cycles  none"}) {
    EXPECT_NE(styled.find(fragment), std::string::npos) << fragment << "\n" << styled;
  }
}

}  // namespace
}  // namespace rapture
