#include "model/design/decay_layer.hpp"

#include <algorithm>

namespace rapture {

std::string legacy_request_name(const std::string& request) { return request + "@legacy"; }

void apply_decay(TopologyDraft& draft, Scenario& scenario, const DecaySpec& decay, const std::string& design) {
  const std::string what = "design '" + design + "': decay";
  auto req = std::find_if(scenario.requests.begin(), scenario.requests.end(),
                          [&](const RequestTypeSpec& r) { return r.name == decay.request; });
  if (req == scenario.requests.end())
    throw InputError(decay.where, what + ": unknown request type '" + decay.request + "'");
  if (!(decay.share >= 0 && decay.share <= 1)) {
    throw InputError(decay.where,
                     what + ": the legacy share must be between 0 and 1, got " + std::to_string(decay.share));
  }
  for (const Ramp& r : {decay.error_rate}) {
    if (!(r.start >= 0 && r.start <= 1 && r.end >= 0 && r.end <= 1)) {
      throw InputError(decay.where, what + ": the legacy error rate must stay between 0 and 1");
    }
  }
  if (!(decay.latency.start >= 0 && decay.latency.end >= 0))
    throw InputError(decay.where, what + ": latency must be >= 0");
  const std::string modern = decay.service.empty() ? req->entry : decay.service;
  const size_t modern_index = draft.require(modern, decay.where, what);
  if (!draft.visited_by(*req, scenario)[modern_index]) {
    throw InputError(decay.where, what + ": request type '" + req->name + "' never visits '" + modern + "'");
  }
  const std::string legacy = decay.legacy.empty() ? modern + "-legacy" : decay.legacy;
  const std::string legacy_request = legacy_request_name(req->name);
  if (std::any_of(scenario.requests.begin(), scenario.requests.end(),
                  [&](const RequestTypeSpec& r) { return r.name == legacy_request; })) {
    throw InputError(decay.where, what + ": request type '" + legacy_request + "' already exists");
  }

  // The legacy service: the modern one's code and callees, called from the same callers.
  ServiceNode node = draft.services[modern_index];
  node.name = legacy;
  node.attributes["legacy"] = "true";
  draft.add_service(std::move(node), decay.where);
  const size_t call_count = draft.calls.size();
  for (size_t i = 0; i < call_count; ++i) {
    const auto c = draft.calls[i];
    if (c.from == modern) draft.calls.push_back({legacy, c.to, c.edge});
    if (c.to == modern) draft.calls.push_back({c.from, legacy, c.edge});
  }
  auto to_legacy = [&](const std::string& s) { return s == modern ? legacy : s; };

  // The legacy request type follows the same path with the legacy service in the modern one's place.
  RequestTypeSpec old = *req;
  old.name = legacy_request;
  old.entry = to_legacy(old.entry);
  for (auto& [a, b] : old.only_edges) {
    a = to_legacy(a);
    b = to_legacy(b);
  }
  for (auto& [a, b] : old.skip_edges) {
    a = to_legacy(a);
    b = to_legacy(b);
  }
  for (auto& o : old.calls) {
    o.from = to_legacy(o.from);
    o.to = to_legacy(o.to);
  }
  // Only the legacy share takes the calls into the legacy service; every other request type
  // through the same callers keeps the modern path.
  for (const auto& c : draft.calls) {
    if (c.to == modern) old.skip_edges.emplace_back(c.from, c.to);
    if (c.to != legacy) continue;
    for (auto& r : scenario.requests) {
      if (r.only_edges.empty()) r.skip_edges.emplace_back(c.from, c.to);
    }
  }
  const std::string request_name = req->name;
  scenario.requests.push_back(std::move(old));

  // The workload sends `share` of the request type's traffic down the legacy path.
  auto split_mix = [&](std::vector<std::pair<std::string, double>>& mix) {
    std::vector<std::pair<std::string, double>> out;
    for (const auto& [name, weight] : mix) {
      if (name != request_name) {
        out.emplace_back(name, weight);
        continue;
      }
      if (decay.share < 1) out.emplace_back(name, weight * (1 - decay.share));
      if (decay.share > 0) out.emplace_back(legacy_request, weight * decay.share);
    }
    mix = std::move(out);
  };
  for (auto& w : scenario.workload) split_mix(w.mix);
  for (auto& f : scenario.faults) split_mix(f.mix);

  // The legacy service inherits the modern one's settings.
  const size_t overrides = scenario.services.size();
  for (size_t i = 0; i < overrides; ++i) {
    if (scenario.services[i].first != modern) continue;
    scenario.services.emplace_back(legacy, scenario.services[i].second);
    scenario.service_where.push_back(i < scenario.service_where.size() ? scenario.service_where[i] : decay.where);
  }
  if (decay.replicas) {
    ServiceParams p;
    p.replicas = *decay.replicas;
    scenario.services.emplace_back(legacy, p);
    scenario.service_where.push_back(decay.where);
  }
  for (size_t i = 0, n = scenario.protections.size(); i < n; ++i) {
    if (scenario.protections[i].service != modern) continue;
    scenario.protections.push_back(scenario.protections[i]);
    scenario.protections.back().service = legacy;
  }
  for (size_t i = 0, n = scenario.platform.placement.size(); i < n; ++i) {
    if (scenario.platform.placement[i].first == modern)
      scenario.platform.placement.emplace_back(legacy, scenario.platform.placement[i].second);
  }
  for (size_t i = 0, n = scenario.policy_edges.size(); i < n; ++i) {
    const auto [a, b] = scenario.policy_edges[i].first;
    if (a == modern || b == modern)
      scenario.policy_edges.push_back({{to_legacy(a), to_legacy(b)}, scenario.policy_edges[i].second});
  }
  for (size_t i = 0, n = scenario.edges.size(); i < n; ++i) {
    if (scenario.edges[i].from != modern && scenario.edges[i].to != modern) continue;
    EdgeOverride o = scenario.edges[i];
    o.from = to_legacy(o.from);
    o.to = to_legacy(o.to);
    scenario.edges.push_back(std::move(o));
  }
  scenario.decays.push_back({legacy, decay.error_rate, decay.latency});
}

}  // namespace rapture
