#include "io/topology_reader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace rapture {
namespace {

const std::string kTopologies = std::string(RAPTURE_SOURCE_DIR) + "/topologies/";
const std::string kBad = std::string(RAPTURE_TEST_DATA) + "/topology/";

/// The out-edges of a service, as target names, in order.
std::vector<std::string> callees(const Topology& t, const std::string& service) {
  std::vector<std::string> out;
  const auto v = t.find(service);
  if (!v) return out;
  for (auto e : boost::make_iterator_range(boost::out_edges(*v, t.graph))) {
    out.push_back(t.graph[boost::target(e, t.graph)].name);
  }
  return out;
}

/// The first call from one service to another.
const CallEdge* call(const Topology& t, const std::string& from, const std::string& to) {
  const auto v = t.find(from);
  if (!v) return nullptr;
  for (auto e : boost::make_iterator_range(boost::out_edges(*v, t.graph))) {
    if (t.graph[boost::target(e, t.graph)].name == to) return &t.graph[e];
  }
  return nullptr;
}

const ServiceNode& service(const Topology& t, const std::string& name) {
  const auto v = t.find(name);
  if (!v) throw std::runtime_error("no service " + name);
  return t.graph[*v];
}

/// A test name from the file a parameter names ("sock_shop.dot" -> "sock_shop_dot").
template <typename Param>
std::string file_test_name(const ::testing::TestParamInfo<Param>& param) {
  std::string name = param.param.file;
  for (auto& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

struct Expected {
  std::string file;
  size_t nodes, edges, async_edges, inactive_edges;
};

// Node and edge counts as stated in topologies/SOURCES.md (styleflow: its leading comment).
// Readable parameter names in test listings (the default prints raw bytes).
void PrintTo(const Expected& e, std::ostream* os) { *os << e.file; }

class RealTopology : public ::testing::TestWithParam<Expected> {};

TEST_P(RealTopology, LoadsWithTheDocumentedSize) {
  const Expected& want = GetParam();
  const Topology t = read_topology(kTopologies + want.file);
  EXPECT_EQ(t.service_count(), want.nodes);
  EXPECT_EQ(t.call_count(), want.edges);
  size_t async_edges = 0, inactive = 0;
  for (auto e : boost::make_iterator_range(boost::edges(t.graph))) {
    async_edges += t.graph[e].mode == CallMode::Async;
    inactive += !t.graph[e].active;
  }
  EXPECT_EQ(async_edges, want.async_edges);
  EXPECT_EQ(inactive, want.inactive_edges);
  // Each file's graph id is its stem.
  EXPECT_EQ(t.name, std::filesystem::path(want.file).stem().string());
  EXPECT_EQ(t.file, kTopologies + want.file);
}

INSTANTIATE_TEST_SUITE_P(SourcesMd, RealTopology,
                         ::testing::Values(Expected{"deathstarbench_socialNetwork.dot", 26, 33, 0, 0},
                                           Expected{"deathstarbench_socialNetwork_v1_rabbitmq.dot", 29, 40, 2, 0},
                                           Expected{"deathstarbench_hotelReservation.dot", 22, 21, 0, 0},
                                           Expected{"trainticket_2021.dot", 64, 154, 0, 3},
                                           Expected{"online_boutique.dot", 12, 16, 0, 0},
                                           Expected{"sock_shop.dot", 14, 15, 2, 0},
                                           Expected{"styleflow.dot", 23, 35, 3, 1},
                                           Expected{"styleflow.graphml", 23, 35, 3, 1}),
                         file_test_name<Expected>);

TEST(TopologyReader, EveryDotFileInTopologiesLoads) {
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kTopologies)) {
    const auto ext = entry.path().extension();
    if (ext != ".dot" && ext != ".graphml") continue;
    ++files;
    EXPECT_NO_THROW(read_topology(entry.path().string())) << entry.path();
  }
  EXPECT_GE(files, 8u);
}

TEST(TopologyReader, KeepsFileOrderOfServicesAndCalls) {
  const Topology t = read_topology(kTopologies + "deathstarbench_socialNetwork.dot");
  EXPECT_EQ(t.graph[0].name, "nginx-thrift");
  EXPECT_EQ(t.graph[1].name, "media-frontend");
  EXPECT_EQ(t.graph[2].name, "compose-post-service");
  EXPECT_EQ(t.graph[t.service_count() - 1].name, "media-memcached");
  // Sequential calls are the out-edges in file order (not sorted by name).
  EXPECT_EQ(callees(t, "compose-post-service"),
            (std::vector<std::string>{"unique-id-service", "user-service", "text-service", "media-service",
                                      "post-storage-service", "user-timeline-service", "home-timeline-service"}));
  EXPECT_EQ(callees(t, "home-timeline-service"),
            (std::vector<std::string>{"social-graph-service", "home-timeline-redis", "post-storage-service"}));
}

TEST(TopologyReader, ParsesKindsAndKeepsEveryAttribute) {
  const Topology t = read_topology(kTopologies + "online_boutique.dot");
  EXPECT_EQ(service(t, "frontend").kind, ServiceKind::Frontend);
  EXPECT_EQ(service(t, "redis-cart").kind, ServiceKind::Db);
  EXPECT_EQ(service(t, "cartservice").kind, ServiceKind::Service);
  // Unknown attributes are kept as written, including the `node [shape=box]` default.
  EXPECT_EQ(service(t, "cartservice").attributes.at("tech"), "c#/grpc");
  EXPECT_EQ(service(t, "shoppingassistantservice").attributes.at("deployed"), "false");
  EXPECT_EQ(service(t, "redis-cart").attributes.at("shape"), "cylinder");
  EXPECT_GT(service(t, "frontend").line, 0);
  ASSERT_NE(call(t, "frontend", "recommendationservice"), nullptr);
  EXPECT_FALSE(call(t, "frontend", "recommendationservice")->critical);
  EXPECT_TRUE(call(t, "frontend", "cartservice")->critical);
  EXPECT_EQ(call(t, "frontend", "adservice")->attributes.at("ops"), "GetAds");
  EXPECT_EQ(call(t, "checkoutservice", "emailservice")->line, 32);

  const Topology train = read_topology(kTopologies + "trainticket_2021.dot");
  ASSERT_NE(call(train, "ts-preserve-service", "ts-notification-service"), nullptr);
  EXPECT_FALSE(call(train, "ts-preserve-service", "ts-notification-service")->active);

  const Topology socks = read_topology(kTopologies + "sock_shop.dot");
  const CallEdge* consume = call(socks, "rabbitmq", "queue-master");
  ASSERT_NE(consume, nullptr);
  EXPECT_EQ(consume->mode, CallMode::Async);
  EXPECT_EQ(consume->attributes.at("role"), "consume");
  EXPECT_EQ(service(socks, "rabbitmq").kind, ServiceKind::Queue);
}

TEST(TopologyReader, ParsesServiceParametersOfStyleFlow) {
  const Topology t = read_topology(kTopologies + "styleflow.dot");
  EXPECT_EQ(t.name, "styleflow");
  const ServiceParams& front = service(t, "frontend").params;
  EXPECT_EQ(front.replicas, 4);
  EXPECT_EQ(front.workers, 64);
  EXPECT_EQ(front.queue_capacity, 256);
  ASSERT_TRUE(front.service_time.has_value());
  EXPECT_EQ(front.service_time->kind(), Distribution::Kind::Lognormal);
  EXPECT_DOUBLE_EQ(front.service_time->mean(), 0.002);
  EXPECT_EQ(front.host, "edge-1");
  EXPECT_EQ(front.balancer, Balancer::LeastOutstanding);
  EXPECT_FALSE(front.discipline.has_value());
  EXPECT_EQ(service(t, "analytics").params.discipline, QueueDiscipline::Lifo);
  EXPECT_EQ(service(t, "inventory").params.service_time->kind(), Distribution::Kind::Gamma);
  EXPECT_EQ(service(t, "payment-gateway").params.queue_capacity, 0);
  EXPECT_EQ(service(t, "payment-gateway").kind, ServiceKind::Service);
  // Unset fields stay unset, so that the scenario and the per-kind defaults can fill them.
  EXPECT_FALSE(service(t, "catalog-cache").params.queue_capacity.has_value());
  // The hidden coupling of the story: recommendations and search share a host.
  EXPECT_EQ(service(t, "recommendations").params.host, service(t, "search").params.host);
}

TEST(TopologyReader, ParsesCallParametersOfStyleFlow) {
  const Topology t = read_topology(kTopologies + "styleflow.dot");
  EXPECT_EQ(callees(t, "frontend"), (std::vector<std::string>{"catalog", "pricing", "inventory", "recommendations",
                                                              "search", "cart", "checkout"}));
  for (const char* callee : {"catalog", "pricing", "inventory", "recommendations"}) {
    EXPECT_EQ(call(t, "frontend", callee)->group, "product") << callee;
  }
  EXPECT_EQ(call(t, "frontend", "search")->group, "");
  EXPECT_DOUBLE_EQ(call(t, "frontend", "search")->probability, 0.35);
  EXPECT_DOUBLE_EQ(call(t, "frontend", "catalog")->probability, 1.0);
  EXPECT_EQ(call(t, "cart", "cart-db")->calls, 2);
  EXPECT_EQ(call(t, "catalog", "catalog-db")->calls, 1);
  EXPECT_FALSE(call(t, "frontend", "recommendations")->critical);
  EXPECT_TRUE(call(t, "checkout", "recommendations")->critical);
  EXPECT_FALSE(call(t, "checkout", "notifications")->active);
  EXPECT_EQ(call(t, "checkout", "order-events")->mode, CallMode::Async);
  EXPECT_EQ(call(t, "order-events", "analytics")->mode, CallMode::Async);
  EXPECT_DOUBLE_EQ(call(t, "frontend", "checkout")->request_bytes, 2048);
  EXPECT_DOUBLE_EQ(call(t, "frontend", "catalog")->response_bytes, 24 * 1024);
  EXPECT_DOUBLE_EQ(call(t, "frontend", "catalog")->request_bytes, 0);
  EXPECT_EQ(call(t, "checkout", "shipping")->group, "validate");
}

/// Compares two topologies field by field (attribute text included unless told otherwise).
void expect_same_graph(const Topology& a, const Topology& b, bool compare_attribute_text) {
  EXPECT_EQ(a.name, b.name);
  ASSERT_EQ(a.service_count(), b.service_count());
  ASSERT_EQ(a.call_count(), b.call_count());
  for (size_t v = 0; v < a.service_count(); ++v) {
    const ServiceNode& x = a.graph[v];
    const ServiceNode& y = b.graph[v];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.params.replicas, y.params.replicas);
    EXPECT_EQ(x.params.workers, y.params.workers);
    EXPECT_EQ(x.params.queue_capacity, y.params.queue_capacity);
    EXPECT_EQ(x.params.host, y.params.host);
    EXPECT_EQ(x.params.discipline, y.params.discipline);
    EXPECT_EQ(x.params.balancer, y.params.balancer);
    ASSERT_EQ(x.params.service_time.has_value(), y.params.service_time.has_value());
    if (x.params.service_time) {
      EXPECT_EQ(x.params.service_time->kind(), y.params.service_time->kind());
      EXPECT_NEAR(x.params.service_time->mean(), y.params.service_time->mean(), 1e-12);
      EXPECT_NEAR(x.params.service_time->scv(), y.params.service_time->scv(), 1e-9);
    }
    if (compare_attribute_text) {
      EXPECT_EQ(x.attributes, y.attributes);
    }
    auto xe = boost::out_edges(v, a.graph);
    auto ye = boost::out_edges(v, b.graph);
    ASSERT_EQ(std::distance(xe.first, xe.second), std::distance(ye.first, ye.second));
    for (; xe.first != xe.second; ++xe.first, ++ye.first) {
      const CallEdge& c = a.graph[*xe.first];
      const CallEdge& d = b.graph[*ye.first];
      EXPECT_EQ(a.graph[boost::target(*xe.first, a.graph)].name, b.graph[boost::target(*ye.first, b.graph)].name);
      EXPECT_EQ(c.mode, d.mode);
      EXPECT_EQ(c.probability, d.probability);
      EXPECT_EQ(c.calls, d.calls);
      EXPECT_EQ(c.group, d.group);
      EXPECT_EQ(c.active, d.active);
      EXPECT_EQ(c.critical, d.critical);
      EXPECT_EQ(c.request_bytes, d.request_bytes);
      EXPECT_EQ(c.response_bytes, d.response_bytes);
      if (compare_attribute_text) {
        EXPECT_EQ(c.attributes, d.attributes);
      }
    }
  }
}

TEST(TopologyReader, GraphmlAndDotOfStyleFlowAreTheSameGraph) {
  const Topology dot = read_topology(kTopologies + "styleflow.dot");
  const Topology graphml = read_topology(kTopologies + "styleflow.graphml");
  expect_same_graph(dot, graphml, true);
  EXPECT_GT(service(graphml, "catalog").line, 0);
  EXPECT_GT(call(graphml, "frontend", "catalog")->line, 0);
}

TEST(TopologyReader, WrittenDotReadsBackAsTheSameGraph) {
  for (const char* file : {"styleflow.dot", "trainticket_2021.dot", "sock_shop.dot"}) {
    SCOPED_TRACE(file);
    const Topology t = read_topology(kTopologies + file);
    std::ostringstream out;
    write_topology_dot(t, out);
    const Topology back = read_topology_dot(out.str(), "written.dot");
    // Unchanged values keep their text, so the attributes agree too.
    expect_same_graph(t, back, true);
  }
}

TEST(TopologyReader, WritesTypedFieldsOfProgrammaticTopologies) {
  Topology t;
  t.name = "made in code";
  ServiceNode a;
  a.name = "a \"quoted\" name";
  a.kind = ServiceKind::Frontend;
  a.params.replicas = 3;
  a.params.service_time = Distribution::exponential(0.004);
  const auto va = t.add_service(a);
  ServiceNode b;
  b.name = "b";
  b.kind = ServiceKind::Cache;
  const auto vb = t.add_service(b);
  CallEdge c;
  c.mode = CallMode::Async;
  c.probability = 0.1;
  c.calls = 3;
  c.group = "g";
  c.critical = false;
  c.response_bytes = 1500;
  t.add_call(va, vb, c);
  std::ostringstream out;
  write_topology_dot(t, out);
  const Topology back = read_topology_dot(out.str(), "x.dot");
  expect_same_graph(t, back, false);
  EXPECT_EQ(back.graph[0].name, "a \"quoted\" name");

  // A value changed in code after reading is written from the model, not from the old text.
  Topology read = read_topology_dot("digraph { a [service_time=\"exp(5ms)\", replicas=2] }", "y.dot");
  read.graph[0].params.service_time = Distribution::exponential(0.010);
  read.graph[0].params.replicas = 5;
  std::ostringstream again;
  write_topology_dot(read, again);
  const Topology changed = read_topology_dot(again.str(), "y.dot");
  EXPECT_DOUBLE_EQ(changed.graph[0].params.service_time->mean(), 0.010);
  EXPECT_EQ(changed.graph[0].params.replicas, 5);
}

TEST(TopologyReader, WrittenDotKeepsQuotesAndLabelEscapes) {
  // DOT escapes only '"' in a quoted string; a backslash stays as written, so that a label's
  // "\n" is still Graphviz's line break when the file is drawn and reads back unchanged.
  Topology t;
  t.name = "the \"shop\"";
  ServiceNode a;
  a.name = "a \"c\" d";
  a.attributes["label"] = "line\\nnext";
  const auto va = t.add_service(a);
  ServiceNode b;
  b.name = "b";
  const auto vb = t.add_service(b);
  t.add_call(va, vb, CallEdge{});
  std::ostringstream out;
  write_topology_dot(t, out);
  EXPECT_NE(out.str().find("\"line\\nnext\""), std::string::npos) << out.str();
  const Topology back = read_topology_dot(out.str(), "x.dot");
  EXPECT_EQ(back.name, t.name);
  EXPECT_EQ(back.graph[0].name, a.name);
  EXPECT_EQ(back.graph[0].attributes.at("label"), "line\\nnext");
  EXPECT_EQ(callees(back, a.name), (std::vector<std::string>{"b"}));
}

TEST(TopologyReader, KeepsEveryNodeAttributeAndIgnoresGraphAttributes) {
  // node_id is the key under which Boost names a node; a node attribute of that name is kept.
  const Topology t = read_topology_dot(
      "digraph g {\n  rankdir=LR\n  graph [label=\"x\"]\n  b [node_id=7, replicas=2]\n  a -> b [node_id=3]\n}\n",
      "g.dot");
  ASSERT_EQ(t.service_count(), 2u);
  EXPECT_EQ(t.graph[0].name, "b");
  EXPECT_EQ(t.graph[0].attributes.at("node_id"), "7");
  EXPECT_EQ(t.graph[0].params.replicas, 2);
  EXPECT_EQ(t.graph[0].line, 4);
  EXPECT_EQ(t.graph[1].name, "a");
  EXPECT_EQ(call(t, "a", "b")->attributes.at("node_id"), "3");
  EXPECT_EQ(call(t, "a", "b")->line, 5);
}

TEST(TopologyReader, AnonymousGroupsFollowBoostsGrammar) {
  // Boost 1.74 reads `{{ a b }` as one anonymous group; lines are found the same way.
  const Topology t = read_topology_dot("digraph g {\n  {{ a b }\n  a -> b\n}\n", "g.dot");
  ASSERT_EQ(t.service_count(), 2u);
  EXPECT_EQ(t.graph[0].line, 2);
  EXPECT_EQ(call(t, "a", "b")->line, 3);
  try {
    read_topology_dot("digraph g {\n  " + std::string(200, '{') + " a " + std::string(200, '}') + "\n}\n", "g.dot");
    FAIL() << "no error";
  } catch (const InputError& e) {
    // Boost's 100 groups close early; the scan agrees with Boost on where.
    EXPECT_EQ(e.where().line, 2) << e.what();
    EXPECT_NE(std::string(e.what()).find("expected the end of the file"), std::string::npos) << e.what();
  }
}

TEST(TopologyReader, ReadsDotFromMemory) {
  const Topology t = read_topology_dot(
      "digraph {\n"
      "  gateway [kind=frontend]\n"
      "  gateway -> api -> store [mode=sync, calls=3]\n"
      "  api -> subgraph workers { w1 w2 } [mode=async, group=fan]\n"
      "}\n",
      "dir/inline.dot");
  // Without a graph id the name is the file stem.
  EXPECT_EQ(t.name, "inline");
  EXPECT_EQ(t.file, "dir/inline.dot");
  ASSERT_EQ(t.service_count(), 5u);
  EXPECT_EQ(t.graph[0].name, "gateway");
  EXPECT_EQ(t.graph[1].name, "api");
  EXPECT_EQ(t.graph[2].name, "store");
  // Services that appear only in edges get the default kind.
  EXPECT_EQ(service(t, "api").kind, ServiceKind::Service);
  EXPECT_EQ(service(t, "w1").kind, ServiceKind::Service);
  EXPECT_EQ(call(t, "gateway", "api")->calls, 3);
  EXPECT_EQ(call(t, "api", "store")->calls, 3);
  EXPECT_EQ(call(t, "api", "store")->line, 3);
  EXPECT_EQ(call(t, "api", "w2")->mode, CallMode::Async);
  EXPECT_EQ(call(t, "api", "w2")->group, "fan");
  EXPECT_EQ(call(t, "api", "w1")->line, 4);
  EXPECT_EQ(callees(t, "api"), (std::vector<std::string>{"store", "w1", "w2"}));
}

TEST(TopologyReader, AcceptsQueueCapacityAndEmpiricalFilesBesideTheTopology) {
  const Topology t = read_topology(kBad + "empirical_ok.dot");
  EXPECT_EQ(t.name, "empirical_ok");
  EXPECT_EQ(service(t, "b").params.queue_capacity, 7);
  const auto& time = service(t, "a").params.service_time;
  ASSERT_TRUE(time.has_value());
  EXPECT_EQ(time->kind(), Distribution::Kind::Empirical);
  EXPECT_NEAR(time->mean(), 0.002, 1e-15);
}

TEST(TopologyReader, AcceptsBooleanSpellingsOfGraphmlTools) {
  const Topology t = read_topology_graphml(
      R"(<?xml version="1.0"?>
<graphml>
  <key id="c" for="edge" attr.name="critical" attr.type="boolean"/>
  <key id="a" for="edge" attr.name="active" attr.type="boolean"><default>True</default></key>
  <graph id="G" edgedefault="directed">
    <node id="x"/><node id="y"/>
    <edge source="x" target="y"><data key="c">False</data></edge>
  </graph>
</graphml>)",
      "tool.graphml");
  EXPECT_EQ(t.name, "G");
  EXPECT_FALSE(call(t, "x", "y")->critical);
  EXPECT_TRUE(call(t, "x", "y")->active);
}

// ------------------------------------------------------------------------------------------
// Bad input: every case is an InputError naming the file, the line and (when there is one) the
// element, and saying what was expected.

struct BadCase {
  std::string file;
  int line;              // 0: any line > 0 will do (an XML parser's choice)
  std::string element;   // empty: the problem is not about one service or edge
  std::string expected;  // a fragment of the message
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.file; }

class BadTopology : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadTopology, IsAnInputErrorWithFileLineAndElement) {
  const BadCase& c = GetParam();
  const std::string path = kBad + c.file;
  try {
    read_topology(path);
    FAIL() << "no error for " << c.file;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.where().file, path);
    if (c.line > 0) {
      EXPECT_EQ(e.where().line, c.line) << message;
    } else {
      EXPECT_GT(e.where().line, 0) << message;
    }
    EXPECT_EQ(e.where().element, c.element) << message;
    EXPECT_NE(message.find(path + ":" + std::to_string(e.where().line) + ": "), std::string::npos) << message;
    if (!c.element.empty()) {
      EXPECT_NE(message.find(c.element), std::string::npos) << message;
    }
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Files, BadTopology,
    ::testing::Values(BadCase{"bad_replicas_negative.dot", 4, "service 'b'", "whole number of replicas in [1, 100000]"},
                      BadCase{"bad_replicas_text.dot", 4, "service 'b'", "replicas=\"abc\""},
                      BadCase{"bad_replicas_exponent.dot", 5, "service 'b'", "whole number of replicas"},
                      BadCase{"bad_replicas_huge.dot", 4, "service 'b'", "[1, 100000]"},
                      BadCase{"bad_workers.dot", 4, "service 'b'", "whole number of workers in [1, 100000]"},
                      BadCase{"bad_queue_negative.dot", 4, "service 'b'", "waiting requests in [0, 100000000]"},
                      BadCase{"bad_queue_huge.dot", 4, "service 'b'", "queue_capacity=\"100000001\""},
                      BadCase{"bad_probability_high.dot", 5, "edge a -> b", "probability in [0, 1]"},
                      BadCase{"bad_probability_negative.dot", 5, "edge a -> b", "probability in [0, 1]"},
                      BadCase{"bad_calls_zero.dot", 5, "edge a -> b", "calls per visit in [1, 10000]"},
                      BadCase{"bad_calls_huge.dot", 5, "edge a -> b", "calls per visit in [1, 10000]"},
                      BadCase{"bad_kind.dot", 4, "service 'b'", "expected frontend, service, cache, db or queue"},
                      BadCase{"bad_mode.dot", 5, "edge a -> b", "expected sync, async"},
                      BadCase{"bad_discipline.dot", 4, "service 'b'", "expected fifo or lifo"},
                      BadCase{"bad_balancer.dot", 4, "service 'b'",
                              "expected round_robin, random, least_outstanding or least_connections"},
                      BadCase{"bad_distribution.dot", 4, "service 'b'", "lognormal(MEAN, SIGMA)"},
                      BadCase{"bad_empirical_missing.dot", 4, "service 'b'", "no_such_samples.txt"},
                      BadCase{"bad_attribute_on_later_line.dot", 6, "service 'b'", "workers=\"0\""},
                      BadCase{"bad_edge_flag.dot", 6, "edge a -> b", "expected true or false"},
                      BadCase{"bad_size.dot", 5, "edge a -> b", "request_size"},
                      BadCase{"self_loop.dot", 6, "edge b -> b", "self-loop"},
                      BadCase{"empty_graph.dot", 2, "", "no services"},
                      BadCase{"empty_file.dot", 1, "", "malformed DOT"}, BadCase{"undirected.dot", 2, "", "undirected"},
                      BadCase{"syntax_error.dot", 5, "", "malformed DOT"},
                      BadCase{"unterminated_string.dot", 4, "", "unterminated quoted string"},
                      BadCase{"anonymous_group.dot", 4, "", "write 'subgraph { ... }'"},
                      BadCase{"bad_value.graphml", 8, "service 'b'", "replicas=\"lots\""},
                      BadCase{"bad_edge.graphml", 9, "edge a -> b", "probability in [0, 1]"},
                      BadCase{"self_loop.graphml", 8, "edge b -> b", "self-loop"},
                      BadCase{"empty_graph.graphml", 4, "", "no services"},
                      BadCase{"undirected.graphml", 7, "edge a -> b", "undirected"},
                      BadCase{"malformed.graphml", 0, "", "malformed GraphML (XML error"},
                      BadCase{"not_graphml.xml", 0, "", "<graphml>"}),
    file_test_name<BadCase>);

TEST(TopologyReader, MissingFileIsAnInputError) {
  const std::string path = kBad + "does_not_exist.dot";
  try {
    read_topology(path);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, path);
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos) << e.what();
  }
}

TEST(TopologyReader, UnknownExtensionIsAnInputError) { EXPECT_THROW(read_topology(kBad + "samples.txt"), InputError); }

TEST(TopologyReader, DirectoryAndUnreadableFileAreInputErrors) {
  const auto dir = std::filesystem::temp_directory_path() / ("rapture_topology_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "folder.dot");
  EXPECT_THROW(read_topology((dir / "folder.dot").string()), InputError);
  const auto locked = dir / "locked.dot";
  std::ofstream(locked) << "digraph { a }\n";
  std::filesystem::permissions(locked, std::filesystem::perms::none);
  if (::geteuid() != 0) {  // root reads it anyway
    try {
      read_topology(locked.string());
      ADD_FAILURE() << "an unreadable file was read";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("cannot read"), std::string::npos) << e.what();
    }
  }
  std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
  std::filesystem::remove_all(dir);
}

TEST(TopologyReader, ConflictingQueueAttributesAreRejected) {
  EXPECT_THROW(read_topology_dot("digraph { a [queue=3, queue_capacity=4] }", "q.dot"), InputError);
  EXPECT_NO_THROW(read_topology_dot("digraph { a [queue=3, queue_capacity=3] }", "q.dot"));
}

TEST(TopologyReader, MoreBadValuesInMemory) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"digraph {\n a [replicas=\"1e12\"]\n}", "service 'a'"},
      {"digraph {\n a [replicas=1e12]\n}", ""},
      {"digraph {\n a [service_time=5ms]\n}", ""},
      {"digraph {\n a [replicas=0]\n}", "service 'a'"},
      {"digraph {\n a [replicas=2.5]\n}", "service 'a'"},
      {"digraph {\n a [workers=100001]\n}", "service 'a'"},
      {"digraph {\n a [queue=100000001]\n}", "service 'a'"},
      {"digraph {\n a [service_time=\"exp(-5ms)\"]\n}", "service 'a'"},
      {"digraph {\n a [service_time=\"weibull(5ms, 2)\"]\n}", "service 'a'"},
      {"digraph {\n a [host=\"\"]\n}", "service 'a'"},
      {"digraph {\n a -> b [probability=nan]\n}", "edge a -> b"},
      {"digraph {\n a -> b [probability=\"\"]\n}", "edge a -> b"},
      {"digraph {\n a -> b [calls=1.5]\n}", "edge a -> b"},
      {"digraph {\n a -> b [critical=nope]\n}", "edge a -> b"},
      {"digraph {\n a -> b [response_size=\"-4KiB\"]\n}", "edge a -> b"},
  };
  for (const auto& [text, element] : cases) {
    try {
      read_topology_dot(text, "inline.dot");
      ADD_FAILURE() << "no error for " << text;
    } catch (const InputError& e) {
      EXPECT_EQ(e.where().file, "inline.dot") << text;
      EXPECT_EQ(e.where().line, 2) << text << " -> " << e.what();
      EXPECT_EQ(e.where().element, element) << text;
    }
  }
}

TEST(TopologyReader, GarbageNeverCrashes) {
  // Whatever the text, the reader either reads it or throws an InputError.
  const std::vector<std::string> texts = {"",
                                          "{",
                                          "}",
                                          "digraph",
                                          "digraph {",
                                          "digraph { a -> }",
                                          "digraph { -> b }",
                                          "digraph { a [x=] }",
                                          "digraph { a [x=1 }",
                                          "digraph { a:p:q:r -> b }",
                                          "digraph { a@1 -> b }",
                                          "strict digraph { a -> a }",
                                          "digraph { subgraph { subgraph { a } } }",
                                          "digraph { <b>html</b> -> x }",
                                          "digraph { \"a\" + \"b\" -> c }",
                                          "digraph { a -> b } trailing",
                                          "digraph { \xff }",
                                          "digraph { /* unterminated",
                                          "digraph { a = }",
                                          "digraph { node [kind=db] a; edge [mode=async] a -> b }",
                                          std::string(300, '{'),
                                          "digraph { " + std::string(300, '{') + std::string(300, '}') + " }"};
  for (const auto& text : texts) {
    try {
      read_topology_dot(text, "garbage.dot");
    } catch (const InputError&) {}
  }
  for (const std::string text : {"", "<", "<graphml>", "<graphml><graph/></graphml>",
                                 "<graphml><graph edgedefault='directed'><node/></graph></graphml>",
                                 "<graphml><graph edgedefault='directed'><edge source='a'/></graph></graphml>",
                                 "<graphml><key id='k' for='nonsense'/><graph edgedefault='directed'/></graphml>"}) {
    try {
      read_topology_graphml(text, "garbage.graphml");
    } catch (const InputError&) {}
  }
}

/// The InputError `read` throws; fails the test when it throws none.
template <typename Read>
InputError error_of(Read read) {
  try {
    read();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return InputError({}, "");
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(TopologyReader, DotNestedDeeperThanTheLimitIsRefusedWithItsLineInsteadOfOverflowingTheStack) {
  std::string deep = "digraph {\n a -> b\n";
  for (int i = 0; i < 100'000; ++i) deep += "subgraph {";
  deep += std::string(100'000, '}') + "\n}\n";
  const InputError e = error_of([&] { read_topology_dot(deep, "deep.dot"); });
  EXPECT_EQ(e.where().file, "deep.dot");
  EXPECT_EQ(e.where().line, 3) << e.what();
  EXPECT_TRUE(contains(e.what(), "nesting deeper than 256 levels")) << e.what();
  // At the limit itself the file is read: the limit refuses only what is deeper.
  std::string at_limit = "digraph {\n";
  for (int i = 0; i < 255; ++i) at_limit += "subgraph {";
  at_limit += " a -> b " + std::string(255, '}') + "\n}\n";
  EXPECT_EQ(read_topology_dot(at_limit, "limit.dot").service_count(), 2u);
}

std::string graphml(const std::string& keys, const std::string& body) {
  return "<?xml version=\"1.0\"?>\n<graphml>\n" + keys + "<graph edgedefault=\"directed\">\n" + body +
         "</graph>\n</graphml>\n";
}

TEST(TopologyReader, GraphmlNestedDeeperThanTheLimitIsRefusedWithItsLineInsteadOfOverflowingTheStack) {
  std::string deep;
  for (int i = 0; i < 100'000; ++i) deep += "<x a='>'>";
  for (int i = 0; i < 100'000; ++i) deep += "</x>";
  const std::string text = graphml("", "<node id=\"a\"/>\n<!-- <y><y><y> -->\n" + deep + "\n");
  const InputError e = error_of([&] { read_topology_graphml(text, "deep.graphml"); });
  EXPECT_EQ(e.where().file, "deep.graphml");
  EXPECT_EQ(e.where().line, 6) << e.what();
  EXPECT_TRUE(contains(e.what(), "nesting deeper than 256 levels")) << e.what();
}

TEST(TopologyReader, GraphmlDataWithAnUndeclaredKeyIsRefusedNotDropped) {
  const std::string text =
      graphml("<key id=\"k\" for=\"node\" attr.name=\"kind\" attr.type=\"string\"/>\n",
              "<node id=\"a\"><data key=\"k\">db</data></node>\n<node id=\"b\"><data key=\"kk\">db</data></node>\n");
  const InputError e = error_of([&] { read_topology_graphml(text, "undeclared.graphml"); });
  EXPECT_EQ(e.where().line, 6) << e.what();
  EXPECT_EQ(e.where().element, "key 'kk'") << e.what();
  EXPECT_TRUE(contains(e.what(), "undeclared key")) << e.what();
}

TEST(TopologyReader, GraphmlKeyDeclaredTwiceIsRefused) {
  const std::string text = graphml(
      "<key id=\"k\" for=\"node\" attr.name=\"kind\" attr.type=\"string\"/>\n"
      "<key id=\"k\" for=\"node\" attr.name=\"host\" attr.type=\"string\"/>\n",
      "<node id=\"a\"><data key=\"k\">db</data></node>\n");
  const InputError e = error_of([&] { read_topology_graphml(text, "twice.graphml"); });
  EXPECT_EQ(e.where().line, 4) << e.what();
  EXPECT_TRUE(contains(e.what(), "declared twice (first on line 3)")) << e.what();
}

TEST(TopologyReader, GraphmlHyperedgeIsRefusedNotDropped) {
  const std::string text = graphml("",
                                   "<node id=\"a\"/><node id=\"b\"/><node id=\"c\"/>\n"
                                   "<hyperedge><endpoint node=\"a\"/><endpoint node=\"b\"/><endpoint node=\"c\"/>"
                                   "</hyperedge>\n");
  const InputError e = error_of([&] { read_topology_graphml(text, "hyper.graphml"); });
  EXPECT_EQ(e.where().line, 5) << e.what();
  EXPECT_TRUE(contains(e.what(), "<hyperedge> is not supported")) << e.what();
}

TEST(TopologyReader, ADotSyntaxErrorOnlyBoostSeesIsReportedWithItsLine) {
  // The scan accepts a third port part; Boost refuses it, naming the token but not the line.
  const InputError e = error_of([] { read_topology_dot("digraph {\n a -> b;\n c:port:x:y\n d\n}\n", "port.dot"); });
  EXPECT_EQ(e.where().line, 3) << e.what();
  EXPECT_TRUE(contains(e.what(), "malformed DOT")) << e.what();
}

TEST(TopologyReader, ANulByteIsRefusedWithItsLineAndTheMessageIsWhole) {
  using namespace std::string_literals;
  for (const auto& [text, file] : {std::pair{"digraph {\n a -> b;\n c [label=\"x\0y\"]\n}\n"s, "nul.dot"s},
                                   std::pair{graphml("", "<node id=\"a\"/>\n<node id=\"b\0\"/>\n"s), "nul.graphml"s}}) {
    const InputError e =
        error_of([&] { file == "nul.dot" ? read_topology_dot(text, file) : read_topology_graphml(text, file); });
    EXPECT_EQ(e.where().line, file == "nul.dot" ? 3 : 5) << e.what();
    EXPECT_TRUE(contains(e.what(), "a NUL byte (a topology file is text)")) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\0'), std::string::npos);
  }
}

TEST(TopologyReader, AHugeValueIsEchoedOnlyInPart) {
  const std::string digits(100'000, '9');
  for (const std::string key : {"replicas", "service_time", "kind"}) {
    const InputError e =
        error_of([&] { read_topology_dot("digraph {\n a [" + key + "=\"" + digits + "x\"]\n}\n", "huge.dot"); });
    EXPECT_EQ(e.where().line, 2) << key;
    EXPECT_LT(std::string(e.what()).size(), 600u) << key << ": " << std::string(e.what()).substr(0, 600);
    EXPECT_TRUE(contains(e.what(), "\u2026")) << key;
  }
}

}  // namespace
}  // namespace rapture
