// Writing a topology as DOT: every attribute kept, typed fields written from the model.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/range/iterator_range.hpp>

#include "common/text.hpp"
#include "common/units.hpp"
#include "io/topology/dot_scanner.hpp"
#include "io/topology/raw_graph.hpp"
#include "io/topology_reader.hpp"

namespace rapture {

namespace {

/// The shortest text that reads back as the same double (text::number's %g would round).
std::string number_text(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

/// Whether `s` can be written unquoted as an attribute name.
bool plain_id(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front())) || topology_io::is_dot_keyword(s)) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

/// Sets `key` to the model's value: the text as read if it still means that value (so that
/// "2KiB" stays "2KiB"), else `canonical`. With `omit`, a key absent from the file stays absent.
template <typename T, typename Parse>
void put_typed(std::map<std::string, std::string>& attributes, const std::string& key, const T& value, Parse parse,
               const std::string& canonical, bool omit) {
  auto it = attributes.find(key);
  if (it == attributes.end()) {
    if (!omit) attributes[key] = canonical;
    return;
  }
  try {
    if (parse(it->second) == value) return;
  } catch (const std::exception&) {}
  it->second = canonical;
}

/// Whether the service_time text as read still describes `current`: then it is written as
/// read, since to_string() rounds parameters and cannot name the file of empirical(...).
bool same_distribution_text(const std::map<std::string, std::string>& attributes, const Distribution& current,
                            const std::string& base_dir) {
  auto it = attributes.find("service_time");
  if (it == attributes.end()) return false;
  try {
    const Distribution read = Distribution::parse(it->second, base_dir);
    auto close = [](double x, double y) { return std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y)); };
    return read.kind() == current.kind() && close(read.mean(), current.mean()) && close(read.scv(), current.scv());
  } catch (const std::exception&) {
    // The text no longer parses here (e.g. a samples file moved): write what the model holds.
    return current.kind() == Distribution::Kind::Empirical;
  }
}

void write_attributes(std::ostream& out, const std::map<std::string, std::string>& attributes) {
  if (attributes.empty()) return;
  out << " [";
  bool first = true;
  for (const auto& [key, value] : attributes) {
    out << (first ? "" : ", ") << (plain_id(key) ? key : text::dot_quote(key)) << "=" << text::dot_quote(value);
    first = false;
  }
  out << "]";
}

}  // namespace

void write_topology_dot(const Topology& topology, std::ostream& out) {
  const auto& g = topology.graph;
  const std::string base_dir = topology_io::base_dir_of(topology.file);
  const auto count = [](const std::string& text) { return static_cast<int64_t>(units::parse_count(text)); };
  const auto flag = [](const std::string& text) {
    const auto value = topology_io::parse_flag(text);
    if (!value) throw std::invalid_argument("not a boolean");
    return *value;
  };
  const auto same_text = [](const std::string& text) { return text; };
  out << "digraph " << text::dot_quote(topology.name) << " {\n";
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    const ServiceNode& node = g[v];
    const ServiceParams& p = node.params;
    auto attributes = node.attributes;
    put_typed(attributes, "kind", node.kind, parse_service_kind, std::string(to_string(node.kind)), false);
    auto put_optional = [&](const char* key, const auto& value, auto parse, auto canonical) {
      if (value) {
        put_typed(attributes, key, *value, parse, canonical(*value), false);
      } else {
        attributes.erase(key);
      }
    };
    const auto number = [](int64_t n) { return std::to_string(n); };
    put_optional("replicas", p.replicas, count, number);
    put_optional("workers", p.workers, count, number);
    // The capacity keeps the spelling it was read with; `queue` when there was none.
    const char* queue_key =
        attributes.count("queue") == 0 && attributes.count("queue_capacity") != 0 ? "queue_capacity" : "queue";
    attributes.erase(std::string(queue_key) == "queue" ? "queue_capacity" : "queue");
    put_optional(queue_key, p.queue_capacity, count, number);
    if (p.service_time) {
      if (!same_distribution_text(attributes, *p.service_time, base_dir))
        attributes["service_time"] = p.service_time->to_string();
    } else {
      attributes.erase("service_time");
    }
    put_optional("host", p.host, same_text, same_text);
    put_optional("discipline", p.discipline, parse_queue_discipline,
                 [](QueueDiscipline d) { return std::string(to_string(d)); });
    put_optional("balancer", p.balancer, parse_balancer, [](Balancer b) { return std::string(to_string(b)); });
    out << "  " << text::dot_quote(node.name);
    write_attributes(out, attributes);
    out << ";\n";
  }
  // Per caller in out-edge order, which is the order of its sequential calls.
  const CallEdge defaults;
  const auto bytes = [](const std::string& text) { return units::parse_bytes(text); };
  const auto probability = [](const std::string& text) { return units::parse_number(text); };
  const auto boolean_text = [](bool b) { return std::string(b ? "true" : "false"); };
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    for (auto e : boost::make_iterator_range(boost::out_edges(v, g))) {
      const CallEdge& call = g[e];
      auto attributes = call.attributes;
      // Values equal to the defaults are left out unless the file spelled them out.
      put_typed(attributes, "mode", call.mode, parse_call_mode, std::string(to_string(call.mode)),
                call.mode == defaults.mode);
      put_typed(attributes, "probability", call.probability, probability, number_text(call.probability),
                call.probability == defaults.probability);
      put_typed(attributes, "calls", call.calls, count, std::to_string(call.calls), call.calls == defaults.calls);
      put_typed(attributes, "group", call.group, same_text, call.group, call.group.empty());
      put_typed(attributes, "active", call.active, flag, boolean_text(call.active), call.active == defaults.active);
      put_typed(attributes, "critical", call.critical, flag, boolean_text(call.critical),
                call.critical == defaults.critical);
      put_typed(attributes, "request_size", call.request_bytes, bytes, number_text(call.request_bytes),
                call.request_bytes == defaults.request_bytes);
      put_typed(attributes, "response_size", call.response_bytes, bytes, number_text(call.response_bytes),
                call.response_bytes == defaults.response_bytes);
      out << "  " << text::dot_quote(g[boost::source(e, g)].name) << " -> "
          << text::dot_quote(g[boost::target(e, g)].name);
      write_attributes(out, attributes);
      out << ";\n";
    }
  }
  out << "}\n";
}

}  // namespace rapture
