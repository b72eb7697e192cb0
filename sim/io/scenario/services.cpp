// `defaults:`, `services:` and `edges:`: what the scenario sets on the topology's services and calls.

#include <stdexcept>

#include "common/limits.hpp"
#include "io/scenario/sections.hpp"

namespace rapture::scenario_reader {

namespace {

ServiceParams read_params(const Reader& r, const Item& item) {
  const MapView m(r, item);
  m.allow({"replicas", "workers", "queue", "service_time", "host", "discipline", "balancer", "error_rate"});
  ServiceParams p;
  if (auto v = m.get("error_rate")) {
    p.error_rate = r.number(*v);
    if (!(*p.error_rate >= 0 && *p.error_rate <= 1)) r.fail(*v, "an error rate must be in [0, 1]");
  }
  if (auto v = m.get("replicas")) p.replicas = r.integer(*v, 1, limits::kReplicas);
  if (auto v = m.get("workers")) p.workers = r.integer(*v, 1, limits::kWorkers);
  if (auto v = m.get("queue")) p.queue_capacity = r.integer(*v, 0, limits::kQueue);
  if (auto v = m.get("service_time")) p.service_time = r.distribution(*v);
  if (auto v = m.get("host")) {
    p.host = r.text(*v, "a host name");
    if (p.host->empty()) r.fail(*v, "a host name must not be empty");
  }
  // The model parses its own enumerations; their complaint lists the choices from its tables.
  try {
    if (auto v = m.get("discipline")) {
      p.discipline = parse_queue_discipline(r.text(*v, "a queue discipline such as fifo"));
    }
  } catch (const std::invalid_argument& e) {
    r.fail(*m.get("discipline"), e.what());
  }
  try {
    if (auto v = m.get("balancer")) p.balancer = parse_balancer(r.text(*v, "a load balancer such as round_robin"));
  } catch (const std::invalid_argument& e) {
    r.fail(*m.get("balancer"), e.what());
  }
  return p;
}

}  // namespace

std::vector<std::string_view> service_kind_names() {
  std::vector<std::string_view> out;
  for (int i = 0; i < kServiceKinds; ++i) out.push_back(to_string(static_cast<ServiceKind>(i)));
  return out;
}

void read_services(const Reader& r, const MapView& top, Scenario& s) {
  if (auto defaults = top.get("defaults")) {
    const MapView m(r, *defaults);
    m.allow(service_kind_names());
    for (const auto& e : m.entries()) {
      s.kind_defaults[static_cast<size_t>(parse_service_kind(e.name))] = read_params(r, e.item);
    }
  }

  if (auto services = top.get("services")) {
    const MapView m(r, *services);
    for (const auto& e : m.entries()) {
      if (e.name.empty()) r.fail(e.item, "a service name must not be empty");
      s.services.emplace_back(e.name, read_params(r, e.item));
      s.service_where.push_back(r.where_key(e.item, "service '" + e.name + "'"));
    }
  }
}

void read_edges(const Reader& r, const MapView& top, Scenario& s) {
  if (const auto edges = top.get("edges")) s.edges = read_edge_overrides(r, *edges);
}

std::vector<EdgeOverride> read_edge_overrides(const Reader& r, const Item& item) {
  std::vector<EdgeOverride> out;
  const MapView m(r, item);
  for (const auto& e : m.entries()) {
    const auto [from, to] = r.edge(Item{e.item.key, YAML::Node(), e.item.path, ""}, e.name);
    for (const auto& other : out) {
      if (other.from == from && other.to == to) r.fail(e.item, "edge " + text::edge_name(from, to) + " is given twice");
    }
    const MapView o(r, e.item);
    o.allow({"probability", "critical", "calls", "group", "mode", "active"});
    EdgeOverride over;
    over.from = from;
    over.to = to;
    if (auto v = o.get("probability")) {
      const double prob = r.number(*v);
      if (!(prob >= 0 && prob <= 1)) r.fail(*v, "a probability must be in [0, 1], got " + v->node.Scalar());
      over.probability = prob;
    }
    if (auto v = o.get("critical")) over.critical = r.boolean(*v);
    if (auto v = o.get("active")) over.active = r.boolean(*v);
    if (auto v = o.get("calls")) over.calls = r.integer(*v, 1, limits::kCallsPerVisit);
    if (auto v = o.get("group")) over.group = r.text(*v, "a group name");
    if (auto v = o.get("mode")) {
      try {
        over.mode = parse_call_mode(r.text(*v, "a call mode such as sync"));
      } catch (const std::invalid_argument& ex) {
        r.fail(*v, ex.what());
      }
    }
    over.where = r.where_key(e.item, "edge " + text::edge_name(from, to));
    out.push_back(std::move(over));
  }
  return out;
}

}  // namespace rapture::scenario_reader
