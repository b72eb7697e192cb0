#include "model/design/scenario_references.hpp"

#include "common/error.hpp"

namespace rapture {

namespace {

/// Replaces each element by the elements `expand` gives for it, in order.
template <typename T, typename F>
void expand_each(std::vector<T>& items, F expand) {
  std::vector<T> out;
  out.reserve(items.size());
  for (auto& item : items) {
    for (auto& x : expand(item)) out.push_back(std::move(x));
  }
  items = std::move(out);
}

void remap_pairs(std::vector<std::pair<std::string, std::string>>& list, const CallMapping& mapping) {
  expand_each(list, [&](const std::pair<std::string, std::string>& e) { return mapping(e.first, e.second); });
}

void remap_overrides(std::vector<EdgeOverride>& list, const CallMapping& mapping) {
  expand_each(list, [&](const EdgeOverride& o) {
    std::vector<EdgeOverride> out;
    for (auto& [from, to] : mapping(o.from, o.to)) {
      EdgeOverride copy = o;
      copy.from = from;
      copy.to = to;
      out.push_back(std::move(copy));
    }
    return out;
  });
}

}  // namespace

void remap_services(Scenario& scenario, const ServiceMapping& mapping) {
  std::vector<std::pair<std::string, ServiceParams>> services;
  std::vector<SourceLocation> where;
  for (size_t i = 0; i < scenario.services.size(); ++i) {
    for (auto& name : mapping(scenario.services[i].first)) {
      services.emplace_back(name, scenario.services[i].second);
      where.push_back(i < scenario.service_where.size() ? scenario.service_where[i] : SourceLocation{});
    }
  }
  scenario.services = std::move(services);
  scenario.service_where = std::move(where);
  expand_each(scenario.platform.placement, [&](const std::pair<std::string, std::vector<std::string>>& p) {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (auto& name : mapping(p.first)) out.emplace_back(name, p.second);
    return out;
  });
  expand_each(scenario.protections, [&](const ProtectionSpec& p) {
    std::vector<ProtectionSpec> out;
    for (auto& name : mapping(p.service)) {
      out.push_back(p);
      out.back().service = name;
    }
    return out;
  });
}

void remap_calls(Scenario& scenario, const CallMapping& mapping) {
  remap_overrides(scenario.edges, mapping);
  expand_each(scenario.policy_edges, [&](const std::pair<std::pair<std::string, std::string>, PolicySpec>& p) {
    std::vector<std::pair<std::pair<std::string, std::string>, PolicySpec>> out;
    for (auto& e : mapping(p.first.first, p.first.second)) out.emplace_back(e, p.second);
    return out;
  });
  for (auto& r : scenario.requests) {
    const bool had_only = !r.only_edges.empty();
    remap_pairs(r.only_edges, mapping);
    if (had_only && r.only_edges.empty()) {
      throw InputError(r.where, "request type '" + r.name + "': the design removes every edge it follows");
    }
    remap_pairs(r.skip_edges, mapping);
    remap_overrides(r.calls, mapping);
  }
}

void remap_entries(Scenario& scenario, const ServiceMapping& mapping, const std::string& design) {
  for (auto& r : scenario.requests) {
    const auto to = mapping(r.entry);
    if (to.empty()) {
      throw InputError(r.where, "design '" + design + "' removes service '" + r.entry +
                                    "', the entry of request type '" + r.name +
                                    "': the request type would be unroutable");
    }
    r.entry = to.front();
    for (auto& e : r.cell_entries) {
      const auto c = mapping(e);
      if (!c.empty()) e = c.front();
    }
  }
}

std::vector<std::string> remap_faults(Scenario& scenario, const ServiceMapping& services, const CallMapping& calls) {
  std::vector<std::string> removed;
  expand_each(scenario.faults, [&](const FaultSpec& f) {
    std::vector<FaultSpec> out;
    if (!f.targets_service()) return std::vector<FaultSpec>{f};
    if (const auto call = f.target_call()) {
      for (auto& [a, b] : calls(call->first, call->second)) {
        out.push_back(f);
        out.back().target = a + " -> " + b;
      }
    } else {
      for (auto& name : services(f.target)) {
        out.push_back(f);
        out.back().target = name;
      }
    }
    if (out.empty()) removed.push_back(f.name);
    return out;
  });
  return removed;
}

}  // namespace rapture
