#include "io/topology/raw_graph.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include "common/error.hpp"
#include "common/limits.hpp"
#include "common/text.hpp"
#include "common/units.hpp"

namespace rapture::topology_io {

namespace {

std::string stem_of(const std::string& file) {
  std::string stem = std::filesystem::path(file).stem().string();
  return stem.empty() ? std::string("topology") : stem;
}

struct AttributeSite {
  const std::string& file;
  int line;
  std::string element;
};

[[noreturn]] void bad_attribute(const AttributeSite& at, const std::string& key, const std::string& value,
                                const std::string& expected) {
  // A value can be megabytes long: echo its start only, here and where a parser's message quotes it.
  const std::string shown = text::excerpt(value);
  std::string why = expected;
  if (shown.size() < value.size()) {
    for (size_t at_char = why.find(value); at_char != std::string::npos; at_char = why.find(value, at_char)) {
      why.replace(at_char, value.size(), shown);
      at_char += shown.size();
    }
  }
  throw InputError(SourceLocation{at.file, at.line, at.element},
                   "attribute " + text::excerpt(key) + "=\"" + shown + "\": " + text::excerpt(why, 400));
}

int64_t whole_in_range(const AttributeSite& at, const std::string& key, const std::string& value, int64_t lo,
                       int64_t hi, const std::string& what) {
  const std::string expected =
      "expected a whole number of " + what + " in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  long long n = 0;
  try {
    n = units::parse_count(value);
  } catch (const std::invalid_argument&) {
    bad_attribute(at, key, value, expected);
  }
  if (n < lo || n > hi) bad_attribute(at, key, value, expected);
  return n;
}

bool boolean_attribute(const AttributeSite& at, const std::string& key, const std::string& value) {
  const auto flag = parse_flag(value);
  if (!flag) bad_attribute(at, key, value, "expected true or false");
  return *flag;
}

double bytes_attribute(const AttributeSite& at, const std::string& key, const std::string& value) {
  double bytes = 0;
  try {
    bytes = units::parse_bytes(value);
  } catch (const std::invalid_argument& e) {
    bad_attribute(at, key, value, e.what());
  }
  if (!(bytes >= 0) || !std::isfinite(bytes)) bad_attribute(at, key, value, "expected a size >= 0 such as 4KiB");
  return bytes;
}

template <typename Parse>
auto enum_attribute(const AttributeSite& at, const std::string& key, const std::string& value, Parse parse) {
  try {
    return parse(value);
  } catch (const std::invalid_argument& e) {
    bad_attribute(at, key, value, e.what());
  }
}

ServiceNode make_service(const RawNode& raw, const std::string& file, const std::string& base_dir) {
  ServiceNode node;
  node.name = raw.name;
  node.attributes = raw.attributes;
  node.line = raw.line;
  const std::string element = "service '" + raw.name + "'";
  auto site = [&](const std::string& key) {
    auto it = raw.attribute_lines.find(key);
    return AttributeSite{file, it != raw.attribute_lines.end() ? it->second : raw.line, element};
  };
  auto get = [&](const char* key) -> const std::string* {
    auto it = raw.attributes.find(key);
    return it == raw.attributes.end() ? nullptr : &it->second;
  };
  ServiceParams& p = node.params;
  if (const auto* v = get("kind")) node.kind = enum_attribute(site("kind"), "kind", *v, parse_service_kind);
  if (const auto* v = get("replicas"))
    p.replicas = whole_in_range(site("replicas"), "replicas", *v, 1, limits::kReplicas, "replicas");
  if (const auto* v = get("workers"))
    p.workers = whole_in_range(site("workers"), "workers", *v, 1, limits::kWorkers, "workers");
  const auto* queue = get("queue");
  const auto* queue_capacity = get("queue_capacity");
  if (queue != nullptr && queue_capacity != nullptr && *queue != *queue_capacity) {
    bad_attribute(site("queue_capacity"), "queue_capacity", *queue_capacity,
                  "conflicts with queue=\"" + *queue + "\" (give only one of them)");
  }
  if (queue != nullptr) {
    p.queue_capacity = whole_in_range(site("queue"), "queue", *queue, 0, limits::kQueue, "waiting requests");
  } else if (queue_capacity != nullptr) {
    p.queue_capacity = whole_in_range(site("queue_capacity"), "queue_capacity", *queue_capacity, 0, limits::kQueue,
                                      "waiting requests");
  }
  if (const auto* v = get("service_time")) {
    try {
      p.service_time = Distribution::parse(*v, base_dir);
    } catch (const std::exception& e) {
      bad_attribute(site("service_time"), "service_time", *v, e.what());
    }
  }
  if (const auto* v = get("host")) {
    if (v->empty()) bad_attribute(site("host"), "host", *v, "expected a host or placement-group name");
    p.host = *v;
  }
  if (const auto* v = get("discipline"))
    p.discipline = enum_attribute(site("discipline"), "discipline", *v, parse_queue_discipline);
  if (const auto* v = get("balancer")) p.balancer = enum_attribute(site("balancer"), "balancer", *v, parse_balancer);
  return node;
}

CallEdge make_call(const RawEdge& raw, const std::string& file) {
  CallEdge edge;
  edge.attributes = raw.attributes;
  edge.line = raw.line;
  const AttributeSite at{file, raw.line, "edge " + text::edge_name(raw.from, raw.to)};
  for (const auto& [key, value] : raw.attributes) {
    if (key == "mode") {
      edge.mode = enum_attribute(at, key, value, parse_call_mode);
    } else if (key == "probability") {
      double p = 0;
      try {
        p = units::parse_number(value);
      } catch (const std::invalid_argument&) {
        bad_attribute(at, key, value, "expected a probability in [0, 1]");
      }
      if (!(p >= 0 && p <= 1)) bad_attribute(at, key, value, "expected a probability in [0, 1]");
      edge.probability = p;
    } else if (key == "calls") {
      edge.calls = whole_in_range(at, key, value, 1, limits::kCallsPerVisit, "calls per visit");
    } else if (key == "group") {
      edge.group = value;
    } else if (key == "active") {
      edge.active = boolean_attribute(at, key, value);
    } else if (key == "critical") {
      edge.critical = boolean_attribute(at, key, value);
    } else if (key == "request_size") {
      edge.request_bytes = bytes_attribute(at, key, value);
    } else if (key == "response_size") {
      edge.response_bytes = bytes_attribute(at, key, value);
    }
  }
  return edge;
}

}  // namespace

std::optional<bool> parse_flag(std::string_view text) {
  const std::string v = text::lower(text);
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return std::nullopt;
}

void reject_nul(std::string_view text, const std::string& file, std::string_view format) {
  const auto at = text.find('\0');
  if (at == std::string_view::npos) return;
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  throw InputError(SourceLocation{file, line, ""},
                   "malformed " + std::string(format) + ": a NUL byte (a topology file is text)");
}

std::string base_dir_of(const std::string& file) {
  const auto parent = std::filesystem::path(file).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

void place_edges(std::vector<RawEdge>& edges, std::vector<EdgeSite>& sites) {
  size_t cursor = 0;
  for (auto& edge : edges) {
    for (size_t k = cursor; k < sites.size(); ++k) {
      auto& site = sites[k];
      if (site.used) continue;
      if ((site.from.empty() || site.from == edge.from) && (site.to.empty() || site.to == edge.to)) {
        edge.line = site.line;
        if (!site.from.empty() && !site.to.empty()) site.used = true;
        cursor = k;
        break;
      }
    }
    while (cursor < sites.size() && sites[cursor].used) ++cursor;
  }
}

Topology build_topology(RawGraph raw, const std::string& file) {
  Topology topology;
  topology.name = raw.name.empty() ? stem_of(file) : raw.name;
  topology.file = file;
  if (raw.nodes.empty()) {
    throw InputError(SourceLocation{file, raw.line, ""}, "the topology has no services (expected at least one node)");
  }
  const std::string base_dir = base_dir_of(file);
  for (const auto& node : raw.nodes) {
    if (node.name.empty()) {
      throw InputError(SourceLocation{file, node.line, "service ''"}, "a service needs a non-empty name");
    }
    if (topology.find(node.name)) {
      throw InputError(SourceLocation{file, node.line, "service '" + node.name + "'"}, "service declared twice");
    }
    topology.add_service(make_service(node, file, base_dir));
  }
  for (const auto& edge : raw.edges) {
    const std::string element = "edge " + text::edge_name(edge.from, edge.to);
    if (edge.from == edge.to) {
      throw InputError(SourceLocation{file, edge.line, element},
                       "a service cannot call itself (self-loop); expected calls between distinct services");
    }
    const auto from = topology.find(edge.from);
    const auto to = topology.find(edge.to);
    if (!from || !to) {
      // Both parsers create services for edge endpoints, so this means the raw graph is inconsistent.
      throw InputError(SourceLocation{file, edge.line, element}, "edge between undeclared services");
    }
    topology.add_call(*from, *to, make_call(edge, file));
  }
  return topology;
}

}  // namespace rapture::topology_io
