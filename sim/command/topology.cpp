#include "command/topology.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "io/topology_reader.hpp"

namespace rapture {

namespace {

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

}  // namespace

std::string format_topology_report(const Topology& topology, const TopologyStats& stats) {
  const TopologyGraph& graph = topology.graph;
  std::ostringstream out;
  out << "topology '" << topology.name << "'";
  if (!topology.file.empty()) out << " (" << topology.file << ")";
  out << "\n";

  std::vector<std::string> kinds;
  for (size_t k = 0; k < kServiceKinds; ++k) {
    if (stats.services_per_kind[k] > 0) {
      kinds.push_back(std::to_string(stats.services_per_kind[k]) + " " +
                      std::string(to_string(static_cast<ServiceKind>(k))));
    }
  }
  out << "  services     " << stats.services << " (" << join(kinds) << ")\n";
  out << "  calls        " << stats.calls << " (" << stats.sync_calls << " sync, " << stats.async_calls << " async, "
      << stats.inactive_calls << " inactive)\n";
  out << "  entries      " << (stats.entries.empty() ? "none" : join(stats.entries)) << "\n";
  out << "  max fan-out  ";
  if (stats.max_fan_out == 0) {
    out << "0\n";
  } else {
    out << stats.max_fan_out << " (" << stats.max_fan_out_service << ")\n";
  }
  out << "  call depth   " << stats.depth << " services"
      << (stats.depth_exact ? "" : " (upper bound: the active call graph has cycles)") << "\n";
  out << "  sync cycles  ";
  if (stats.sync_cycles.empty()) {
    out << "none\n";
  } else {
    for (size_t i = 0; i < stats.sync_cycles.size(); ++i) {
      out << (i ? "               " : "") << join(stats.sync_cycles[i], " <-> ") << "\n";
    }
  }
  out << "  unreachable  " << (stats.unreachable.empty() ? "none" : join(stats.unreachable)) << "\n";

  // Services placed together share CPU: a coupling that the call graph does not show.
  std::map<std::string, std::vector<std::string>> by_host;
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    if (graph[v].params.host) by_host[*graph[v].params.host].push_back(graph[v].name);
  }
  std::vector<std::string> shared;
  for (const auto& [host, names] : by_host) {
    if (names.size() > 1) shared.push_back(host + ": " + join(names));
  }
  if (!shared.empty()) out << "  shared hosts " << join(shared, "\n               ") << "\n";

  // Per-service parameters, with the built-in per-kind defaults filled in (marked '*').
  size_t width = 7;
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) width = std::max(width, graph[v].name.size());
  auto pad = [](std::string s, size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
  };
  out << "\n  " << pad("service", width) << "  " << pad("kind", 9) << pad("replicas", 9) << pad("workers", 8)
      << pad("queue", 8) << pad("service time", 28) << "host\n";
  bool any_default = false;
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    const ServiceNode& node = graph[v];
    const ServiceParams& own = node.params;
    const ServiceParams& fallback = builtin_defaults(node.kind);
    auto count = [&](const std::optional<int64_t>& mine, const std::optional<int64_t>& base) {
      if (mine) return std::to_string(*mine);
      any_default = true;
      return std::to_string(base.value_or(0)) + "*";
    };
    std::string time;
    if (own.service_time) {
      time = own.service_time->to_string();
    } else {
      any_default = true;
      time = fallback.service_time ? fallback.service_time->to_string() + "*" : "-";
    }
    out << "  " << pad(node.name, width) << "  " << pad(std::string(to_string(node.kind)), 9)
        << pad(count(own.replicas, fallback.replicas), 9) << pad(count(own.workers, fallback.workers), 8)
        << pad(count(own.queue_capacity, fallback.queue_capacity), 8) << pad(time, 28) << own.host.value_or("-")
        << "\n";
  }
  if (any_default) out << "  (* built-in default of the service's kind)\n";

  // Calls in the order they are made, parallel groups braced as in topologies/SOURCES.md.
  out << "\n  calls in order ({...} = issued in parallel):\n";
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    if (boost::out_degree(v, graph) == 0) continue;
    std::vector<std::string> items;
    std::map<std::string, std::pair<size_t, std::vector<std::string>>> groups;  // label -> slot, members
    for (auto e : boost::make_iterator_range(boost::out_edges(v, graph))) {
      const CallEdge& call = graph[e];
      std::string text = graph[boost::target(e, graph)].name;
      std::vector<std::string> notes;
      if (call.mode == CallMode::Async) notes.emplace_back("async");
      if (call.probability < 1) {
        std::ostringstream p;
        p << "p=" << call.probability;
        notes.push_back(p.str());
      }
      if (call.calls > 1) notes.push_back("x" + std::to_string(call.calls));
      if (!call.critical) notes.emplace_back("soft");
      if (!call.active) notes.emplace_back("dead");
      if (!notes.empty()) text += " (" + join(notes) + ")";
      if (call.group.empty()) {
        items.push_back(text);
        continue;
      }
      auto [it, fresh] = groups.try_emplace(call.group, items.size(), std::vector<std::string>{});
      if (fresh) items.emplace_back();  // the group's place: where its first call is
      it->second.second.push_back(text);
    }
    for (const auto& [label, group] : groups) items[group.first] = "{" + join(group.second, "; ") + "}";
    out << "    " << graph[v].name << ": " << join(items, ", ") << "\n";
  }
  return out.str();
}

int topology_command(const std::string& path) {
  const Topology t = read_topology(path);
  std::cout << format_topology_report(t, analyze_topology(t));
  return 0;
}

}  // namespace rapture
