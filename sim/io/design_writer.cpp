#include "io/design_writer.hpp"

#include <fmt/format.h>

#include "common/text.hpp"

namespace rapture {

namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::vector<std::string> q;
  q.reserve(names.size());
  for (const auto& n : names) q.push_back(yaml_quote(n));
  return fmt::format("[{}]", fmt::join(q, ", "));
}

std::string call(const Transformation& t) { return yaml_quote(text::edge_name(t.from, t.to)); }

/// The options of an async or buffer step after its call: ", queue: ..., capacity: ...".
std::string queue_options(const Transformation& t) {
  std::string out;
  if (!t.queue.empty()) out += ", queue: " + yaml_quote(t.queue);
  if (t.capacity) out += fmt::format(", capacity: {}", *t.capacity);
  if (t.consumers) out += fmt::format(", consumers: {}", *t.consumers);
  return out;
}

/// One recomposition step as a flow map.
std::string step_flow(const Transformation& t) {
  using Kind = Transformation::Kind;
  switch (t.kind) {
    case Kind::Merge:
      return t.into.empty() ? "{merge: " + quoted_list(t.services) + "}"
                            : "{merge: {services: " + quoted_list(t.services) + ", into: " + yaml_quote(t.into) + "}}";
    case Kind::Split: {
      std::vector<std::string> parts;
      for (const auto& [name, types] : t.parts) parts.push_back(yaml_quote(name) + ": " + quoted_list(types));
      return fmt::format("{{split: {{service: {}, parts: {{{}}}}}}}", yaml_quote(t.services.front()),
                         fmt::join(parts, ", "));
    }
    case Kind::Async: {
      const std::string options = queue_options(t);
      return options.empty() ? "{async: " + call(t) + "}" : "{async: {call: " + call(t) + options + "}}";
    }
    case Kind::Buffer: return "{buffer: {call: " + call(t) + queue_options(t) + "}}";
    case Kind::RemoveTier: return "{remove: " + yaml_quote(t.services.front()) + "}";
    case Kind::Colocate: return "{colocate: " + quoted_list(t.services) + "}";
    case Kind::Separate: return "{separate: " + quoted_list(t.services) + "}";
    case Kind::DropEdge: return "{drop: " + call(t) + "}";
  }
  return "{}";
}

std::string ramp(const Ramp& r, bool seconds) {
  const auto v = [&](double x) { return seconds ? text::number(x) + "s" : text::number(x); };
  return fmt::format("{{from: {}, to: {}}}", v(r.start), v(r.end));
}

std::string decay_flow(const DecaySpec& d) {
  std::string out = "{request: " + yaml_quote(d.request);
  if (!d.service.empty()) out += ", service: " + yaml_quote(d.service);
  if (!d.legacy.empty()) out += ", legacy: " + yaml_quote(d.legacy);
  out += ", share: " + text::number(d.share);
  out += ", error_rate: " + ramp(d.error_rate, false) + ", latency: " + ramp(d.latency, true);
  if (d.replicas) out += fmt::format(", replicas: {}", *d.replicas);
  return out + "}";
}

std::string cells_flow(const CellSpec& c) {
  std::string out = fmt::format("{{count: {}", c.count);
  if (!c.services.empty()) out += ", services: " + quoted_list(c.services);
  if (!c.shared.empty()) out += ", shared: " + quoted_list(c.shared);
  if (c.shuffle_sharding) out += ", shuffle_sharding: true";
  if (!c.split_capacity) out += ", capacity: copy";
  return out + "}";
}

/// `set:` as a flow map: each `--set` assignment's key single-quoted (it may hold `"a -> b"`),
/// its value as written (YAML already).
std::string set_flow(const std::vector<std::string>& sets) {
  std::vector<std::string> entries;
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    std::string key = s.substr(0, eq);
    std::string quoted = "'";
    for (const char c : key) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    entries.push_back(quoted + "': " + (eq == std::string::npos ? std::string("null") : s.substr(eq + 1)));
  }
  return fmt::format("{{{}}}", fmt::join(entries, ", "));
}

/// The design's entries after its name, each "key: value" in flow style.
std::vector<std::string> entries(const DesignSpec& d) {
  std::vector<std::string> out;
  if (!d.description.empty()) out.push_back("description: " + yaml_quote(d.description));
  if (!d.set.empty()) out.push_back("set: " + set_flow(d.set));
  if (!d.recomposition.empty()) {
    std::vector<std::string> steps;
    for (const auto& t : d.recomposition) steps.push_back(step_flow(t));
    out.push_back(fmt::format("recompose: [{}]", fmt::join(steps, ", ")));
  }
  if (d.decay) out.push_back("decay: " + decay_flow(*d.decay));
  if (d.cells) out.push_back("cells: " + cells_flow(*d.cells));
  return out;
}

}  // namespace

std::string yaml_quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string designs_yaml(const std::vector<DesignSpec>& designs, const std::vector<std::string>& comments) {
  std::string out = "designs:\n";
  for (size_t i = 0; i < designs.size(); ++i) {
    if (i < comments.size() && !comments[i].empty()) {
      size_t start = 0;
      while (start <= comments[i].size()) {
        const size_t end = std::min(comments[i].find('\n', start), comments[i].size());
        out += "  # " + comments[i].substr(start, end - start) + "\n";
        start = end + 1;
      }
    }
    out += "  - name: " + yaml_quote(designs[i].name) + "\n";
    for (const auto& e : entries(designs[i])) out += "    " + e + "\n";
  }
  return out;
}

std::string designs_flow(const std::vector<DesignSpec>& designs) {
  std::vector<std::string> items;
  for (const auto& d : designs) {
    std::vector<std::string> e{"name: " + yaml_quote(d.name)};
    for (auto& x : entries(d)) e.push_back(std::move(x));
    items.push_back(fmt::format("{{{}}}", fmt::join(e, ", ")));
  }
  return fmt::format("[{}]", fmt::join(items, ", "));
}

}  // namespace rapture
