#include "model/design/topology_draft.hpp"

#include <algorithm>
#include <unordered_map>

namespace rapture {

TopologyDraft TopologyDraft::from(const Topology& topology) {
  TopologyDraft d;
  d.name = topology.name;
  d.file = topology.file;
  const auto& g = topology.graph;
  for (auto [it, end] = boost::vertices(g); it != end; ++it) d.services.push_back(g[*it]);
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    d.calls.push_back({g[boost::source(*it, g)].name, g[boost::target(*it, g)].name, g[*it]});
  }
  return d;
}

Topology TopologyDraft::build() const {
  Topology t;
  t.name = name;
  t.file = file;
  std::unordered_map<std::string_view, ServiceVertex> vertex;
  for (const auto& s : services) vertex[s.name] = t.add_service(s);
  for (const auto& c : calls) t.add_call(vertex.at(c.from), vertex.at(c.to), c.edge);
  return t;
}

std::optional<size_t> TopologyDraft::find(std::string_view service) const {
  for (size_t i = 0; i < services.size(); ++i) {
    if (services[i].name == service) return i;
  }
  return std::nullopt;
}

size_t TopologyDraft::require(std::string_view service, const SourceLocation& where, std::string_view what) const {
  if (auto i = find(service)) return *i;
  throw InputError(where, std::string(what) + ": '" + std::string(service) + "' is not a service of topology '" + name +
                              "' (" + file + ") at this point of the design");
}

std::optional<size_t> TopologyDraft::find_call(std::string_view from, std::string_view to) const {
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].from == from && calls[i].to == to) return i;
  }
  return std::nullopt;
}

size_t TopologyDraft::require_call(std::string_view from, std::string_view to, const SourceLocation& where,
                                   std::string_view what) const {
  require(from, where, what);
  require(to, where, what);
  if (auto i = find_call(from, to)) return *i;
  throw InputError(where, std::string(what) + ": topology '" + name + "' has no call " + std::string(from) + " -> " +
                              std::string(to));
}

void TopologyDraft::add_service(ServiceNode node, const SourceLocation& where) {
  if (find(node.name)) throw InputError(where, "service '" + node.name + "' already exists in topology '" + name + "'");
  services.push_back(std::move(node));
}

std::vector<bool> TopologyDraft::visited_by(const RequestTypeSpec& request, const Scenario& scenario) const {
  auto listed = [](const std::vector<std::pair<std::string, std::string>>& list, const Call& c) {
    return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.first == c.from && e.second == c.to; });
  };
  std::vector<bool> seen(services.size(), false);
  std::vector<size_t> stack;
  auto visit = [&](std::string_view service) {
    if (auto i = find(service); i && !seen[*i]) {
      seen[*i] = true;
      stack.push_back(*i);
    }
  };
  visit(request.entry);
  for (const auto& e : request.cell_entries) visit(e);
  while (!stack.empty()) {
    const auto& from = services[stack.back()].name;
    stack.pop_back();
    for (const auto& c : calls) {
      if (c.from != from) continue;
      CallEdge edge = c.edge;
      for (const auto* list : {&scenario.edges, &request.calls}) {
        for (const auto& o : *list) {
          if (o.from == c.from && o.to == c.to) o.apply_to(edge);
        }
      }
      if (!edge.active || !(edge.probability > 0)) continue;
      if ((!request.only_edges.empty() && !listed(request.only_edges, c)) || listed(request.skip_edges, c)) continue;
      visit(c.to);
    }
  }
  return seen;
}

void TopologyDraft::remove_service(std::string_view service) {
  std::erase_if(services, [&](const ServiceNode& s) { return s.name == service; });
  std::erase_if(calls, [&](const Call& c) { return c.from == service || c.to == service; });
}

}  // namespace rapture
