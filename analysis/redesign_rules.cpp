#include "analysis/redesign_rules.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "analysis/policy_ablation.hpp"
#include "common/text.hpp"

namespace rapture {

std::string_view to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::SharedHost: return "shared_host";
    case FindingKind::CallPropagation: return "call_propagation";
    case FindingKind::QueueSaturation: return "queue_saturation";
    case FindingKind::RetryAmplification: return "retry_amplification";
    case FindingKind::MetastableLoop: return "metastable_loop";
    case FindingKind::HotSpot: return "hot_spot";
    case FindingKind::EveryTenant: return "every_tenant";
  }
  return "?";
}

std::string_view uncelled(std::string_view service) {
  const auto at = service.rfind("@c");
  if (at == std::string_view::npos || at + 2 >= service.size()) return service;
  const bool digits = std::all_of(service.begin() + static_cast<std::ptrdiff_t>(at + 2), service.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  return digits ? service.substr(0, at) : service;
}

namespace {

DesignSpec named(std::string name, std::string description) {
  DesignSpec d;
  d.name = std::move(name);
  d.description = std::move(description);
  return d;
}

Transformation step(Transformation::Kind kind) {
  Transformation t;
  t.kind = kind;
  return t;
}

/// The call "caller -> callee" a finding names, split; nullopt when it is not one.
std::optional<std::pair<std::string, std::string>> call_of(const std::string& call) { return text::split_edge(call); }

uint32_t service_named(const System& sys, std::string_view name) {
  for (uint32_t s = 0; s < sys.services.size(); ++s) {
    if (sys.services[s].name == name) return s;
  }
  return kNone;
}

/// Services `from` reaches by calls of any mode, `from` excluded: what it depends on.
std::vector<uint32_t> dependencies(const RuleContext& c, uint32_t from) {
  std::vector<uint8_t> seen(c.sys.services.size(), 0);
  std::vector<uint32_t> stack{from}, out;
  seen[from] = 1;
  while (!stack.empty()) {
    const uint32_t s = stack.back();
    stack.pop_back();
    for (uint32_t callee = 0; callee < c.sys.services.size(); ++callee) {
      if (seen[callee]) continue;
      const auto& callers = c.graph.callers[callee];
      if (std::find(callers.begin(), callers.end(), s) == callers.end()) continue;
      seen[callee] = 1;
      out.push_back(callee);
      stack.push_back(callee);
    }
  }
  return out;
}

/// Base names of `services`, each once, in order.
std::vector<std::string> names_of(const RuleContext& c, const std::vector<uint32_t>& services) {
  std::vector<std::string> out;
  for (const uint32_t s : services) {
    std::string name(uncelled(c.sys.services[s].name));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

// --- the rules -------------------------------------------------------------------------------

void separate_victim(const Finding& f, const RuleContext&, std::vector<DesignSpec>& out) {
  DesignSpec d = named("separate-" + name_part(f.service),
                       fmt::format("{} on hosts of its own, away from {} ({} shared)", f.service, f.other, f.host));
  d.recomposition.push_back(step(Transformation::Kind::Separate));
  d.recomposition.back().services = {f.service};
  out.push_back(std::move(d));
}

void separate_aggressor(const Finding& f, const RuleContext&, std::vector<DesignSpec>& out) {
  if (f.other.empty()) return;
  DesignSpec d = named("separate-" + name_part(f.other),
                       fmt::format("{} on hosts of its own, away from {} ({} shared)", f.other, f.service, f.host));
  d.recomposition.push_back(step(Transformation::Kind::Separate));
  d.recomposition.back().services = {f.other};
  out.push_back(std::move(d));
}

/// A call the caller might do without: one into a service that failed emergently (collateral
/// damage, not the trigger's own path), or one the topology marks non-critical. A call into a
/// service on the trigger's path would drop the feature the failure is about.
bool dispensable(const Finding& f, const RuleContext& c) {
  if (f.collateral) return true;
  const auto call = call_of(f.calls.front());
  const uint32_t caller = service_named(c.sys, call->first), callee = service_named(c.sys, call->second);
  if (caller == kNone || callee == kNone) return false;
  for (const auto& k : c.sys.calls) {
    if (k.callee == callee && !k.critical) return true;
  }
  return false;
}

void drop_call(const Finding& f, const RuleContext& c, std::vector<DesignSpec>& out) {
  if (f.calls.empty() || !dispensable(f, c)) return;
  DesignSpec d = named("drop-" + name_part(f.calls.front()),
                       fmt::format("the call {} removed: {} answers without {}", f.calls.front(), f.service, f.other));
  d.recomposition.push_back(step(Transformation::Kind::DropEdge));
  const auto call = call_of(f.calls.front());
  d.recomposition.back().from = call->first;
  d.recomposition.back().to = call->second;
  out.push_back(std::move(d));
}

void async_call(const Finding& f, const RuleContext& c, std::vector<DesignSpec>& out) {
  if (f.calls.empty() || !dispensable(f, c)) return;
  DesignSpec d = named(
      "async-" + name_part(f.calls.front()),
      fmt::format("the call {} made asynchronous: {} no longer waits for {}", f.calls.front(), f.service, f.other));
  d.recomposition.push_back(step(Transformation::Kind::Async));
  const auto call = call_of(f.calls.front());
  d.recomposition.back().from = call->first;
  d.recomposition.back().to = call->second;
  out.push_back(std::move(d));
}

void fallback_call(const Finding& f, const RuleContext& c, std::vector<DesignSpec>& out) {
  if (f.calls.empty()) return;
  for (const auto& p : c.sys.edge_policies) {
    if (p.name == f.calls.front() && p.fallback) return;  // it has one already
  }
  DesignSpec d = named("fallback-" + name_part(f.calls.front()),
                       fmt::format("a fallback on {}: {} answers degraded when {} fails (a degraded answer "
                                   "counts as served)",
                                   f.calls.front(), f.service, f.other));
  d.set.push_back("policies.edges." + set_key(f.calls.front()) + ".fallback=true");
  out.push_back(std::move(d));
}

void buffer_calls(const Finding& f, const RuleContext& c, std::vector<DesignSpec>& out) {
  const uint32_t s = service_named(c.sys, f.service);
  if (s == kNone) return;
  const ServiceConfig& svc = c.sys.services[s];
  // The buffer drains at the service's own rate and holds ten times what its queues did.
  const int64_t consumers = std::max<int64_t>(1, svc.replicas * svc.workers);
  const int64_t capacity =
      std::clamp<int64_t>(10 * svc.replicas * std::max<int64_t>(svc.queue_capacity, svc.workers), 100, 100'000);
  for (const auto& call : f.calls) {
    const auto edge = call_of(call);
    DesignSpec d = named("buffer-" + name_part(call),
                         fmt::format("a queue of {} places drained by {} consumers on {}: bursts wait instead of "
                                     "overflowing {}",
                                     capacity, consumers, call, f.service));
    Transformation t = step(Transformation::Kind::Buffer);
    t.from = edge->first;
    t.to = edge->second;
    t.capacity = capacity;
    t.consumers = consumers;
    d.recomposition.push_back(std::move(t));
    out.push_back(std::move(d));
  }
}

/// The retrying calls a finding names, with their policies.
std::vector<const EdgePolicy*> retrying(const Finding& f, const RuleContext& c) {
  std::vector<const EdgePolicy*> out;
  for (const auto& call : f.calls) {
    for (const auto& p : c.sys.edge_policies) {
      if (p.name == call && p.retry.max_attempts > 1) out.push_back(&p);
    }
  }
  return out;
}

std::string calls_text(const std::vector<const EdgePolicy*>& edges) {
  std::vector<std::string> names;
  for (const auto* e : edges) names.push_back(e->name);
  return fmt::format("{}", fmt::join(names, ", "));
}

void retry_budget(const Finding& f, const RuleContext& c, std::vector<DesignSpec>& out) {
  const auto edges = retrying(f, c);
  if (edges.empty()) return;
  // A budget that bounds retries by the requests made (Linkerd's retry ratio, the SRE book's
  // per-client budget), not by the requests in flight: Envoy's grows with the overload it feeds.
  DesignSpec d = named(
      "retry-budget-" + name_part(f.service),
      fmt::format("Linkerd's retry budget (retries at most 20% of the requests over 10 s) on {}", calls_text(edges)));
  for (const auto* e : edges) {
    if (!e->budget || e->budget->config().kind == RetryBudgetConfig::Kind::None) {
      d.set.push_back("policies.edges." + set_key(e->name) + ".budget=linkerd");
    }
  }
  if (!d.set.empty()) out.push_back(std::move(d));
}

void fewer_retries(const Finding& f, const RuleContext& c, std::vector<DesignSpec>& out) {
  const auto edges = retrying(f, c);
  if (edges.empty()) return;
  DesignSpec d = named("no-retries-" + name_part(f.service),
                       fmt::format("no retries on {} (timeouts and back-off kept)", calls_text(edges)));
  for (const auto* e : edges) {
    RetryPolicy once = e->retry;
    once.max_attempts = 1;
    once.attempts_limit = 0;
    d.set.push_back("policies.edges." + set_key(e->name) + ".retry=" + retry_policy_yaml(once));
  }
  out.push_back(std::move(d));
}

void shed_load(const Finding& f, const RuleContext& c, std::vector<DesignSpec>& out) {
  const uint32_t s = service_named(c.sys, f.service);
  if (s == kNone || c.sys.services[s].protection.shedding != ProtectionSpec::Shedding::None) return;
  DesignSpec d =
      named("shed-" + name_part(f.service),
            fmt::format("CoDel load shedding at {}: work that waited too long is dropped, not done late", f.service));
  d.set.push_back("protection." + set_key(f.service) + ".shedding=codel");
  out.push_back(std::move(d));
}

void cells_around(const Finding& f, const RuleContext& c, std::vector<DesignSpec>& out) {
  const uint32_t s = service_named(c.sys, f.service);
  if (s == kNone || c.sys.cells > 0 || c.sys.tenants < static_cast<uint32_t>(c.cells)) return;
  CellSpec cells;
  cells.count = c.cells;
  cells.shared = names_of(c, dependencies(c, s));
  if (cells.shared.empty()) return;
  DesignSpec d = named(
      "cells-" + name_part(f.service),
      fmt::format("{} cells of {} and its callers; what {} depends on stays shared", c.cells, f.service, f.service));
  d.cells = std::move(cells);
  out.push_back(std::move(d));
}

void cells_by_tenant(const Finding& f, const RuleContext& c, std::vector<DesignSpec>& out) {
  if (c.sys.cells > 0 || c.sys.tenants < static_cast<uint32_t>(c.cells)) return;
  // The stores stay shared (one copy of the data), with everything they call.
  std::vector<uint32_t> stores;
  for (uint32_t s = 0; s < c.sys.services.size(); ++s) {
    const ServiceKind k = c.sys.services[s].kind;
    if (k != ServiceKind::Db && k != ServiceKind::Cache && k != ServiceKind::Queue) continue;
    stores.push_back(s);
    for (const uint32_t d : dependencies(c, s)) stores.push_back(d);
  }
  CellSpec cells;
  cells.count = c.cells;
  cells.shared = names_of(c, stores);
  if (cells.shared.size() >= c.sys.services.size()) return;
  DesignSpec d = named("cells", fmt::format("{} cells of the stateless services, the data stores shared: a fault in "
                                            "one cell reaches about 1/{} of the tenants ({} reached them all)",
                                            c.cells, c.cells, f.service));
  d.cells = std::move(cells);
  out.push_back(std::move(d));
}

void split_by_request(const Finding& f, const RuleContext& c, std::vector<DesignSpec>& out) {
  const uint32_t s = service_named(c.sys, f.service);
  if (s == kNone) return;
  std::vector<std::string> types;
  for (size_t r = 0; r < c.sys.request_types.size(); ++r) {
    const std::string& name = c.sys.request_types[r].name;
    if (c.graph.reaches[r][s] && name.find('@') == std::string::npos) types.push_back(name);
  }
  if (types.size() < 2 || types.size() > 8) return;
  DesignSpec d = named("split-" + name_part(f.service), fmt::format("{} split into one service per request type ({})",
                                                                    f.service, fmt::join(types, ", ")));
  Transformation t = step(Transformation::Kind::Split);
  t.services = {std::string(uncelled(f.service))};
  for (const auto& type : types) t.parts.push_back({std::string(uncelled(f.service)) + "-" + name_part(type), {type}});
  d.recomposition.push_back(std::move(t));
  out.push_back(std::move(d));
}

constexpr std::array kRules{
    RedesignRule{FindingKind::SharedHost, "separate the victim", separate_victim},
    RedesignRule{FindingKind::SharedHost, "separate the aggressor", separate_aggressor},
    RedesignRule{FindingKind::CallPropagation, "drop the call", drop_call},
    RedesignRule{FindingKind::CallPropagation, "make the call asynchronous", async_call},
    RedesignRule{FindingKind::CallPropagation, "a fallback on the call", fallback_call},
    RedesignRule{FindingKind::QueueSaturation, "buffer the calls", buffer_calls},
    RedesignRule{FindingKind::RetryAmplification, "a retry budget", retry_budget},
    RedesignRule{FindingKind::RetryAmplification, "no retries", fewer_retries},
    RedesignRule{FindingKind::MetastableLoop, "a retry budget", retry_budget},
    RedesignRule{FindingKind::MetastableLoop, "no retries", fewer_retries},
    RedesignRule{FindingKind::MetastableLoop, "shed load", shed_load},
    RedesignRule{FindingKind::HotSpot, "cells around the hot spot", cells_around},
    RedesignRule{FindingKind::HotSpot, "split by request type", split_by_request},
    RedesignRule{FindingKind::EveryTenant, "cells", cells_by_tenant},
};

// --- the findings ----------------------------------------------------------------------------

/// Adds `f` unless a finding of its kind names the same service (and call) already.
void add_finding(std::vector<Finding>& out, Finding f) {
  for (const auto& g : out) {
    if (g.kind == f.kind && g.service == f.service && g.calls == f.calls) return;
  }
  out.push_back(std::move(f));
}

/// The synchronous calls into `s` that carry retries, by name.
std::vector<std::string> retrying_calls_into(const System& sys, uint32_t s) {
  std::vector<std::string> out;
  for (const auto& p : sys.edge_policies) {
    if (p.callee == s && p.retry.max_attempts > 1) out.push_back(p.name);
  }
  return out;
}

/// The services whose failure the trigger caused directly: where a fault was aimed.
bool fault_target(const SystemGraph& graph, uint32_t s) {
  return graph.touched(s) && !graph.triggers[static_cast<size_t>(graph.touched_by[s])].load_change;
}

}  // namespace

std::span<const RedesignRule> redesign_rules() { return kRules; }

std::vector<Finding> findings_of(const System& sys, const SystemGraph& graph, const CascadeReport& report) {
  std::vector<Finding> out;
  const auto name = [&](uint32_t s) { return s == kNone ? std::string() : sys.services[s].name; };
  // With one request type, reaching every type says nothing about where a failure should stop.
  const bool several_types = sys.request_types.size() >= 2;
  for (const auto& node : report.propagation) {
    Finding f;
    f.service = name(node.service);
    f.time = node.onset;
    if (node.cause == Cause::Emergent && node.mechanism == Mechanism::SharedHost) {
      f.kind = FindingKind::SharedHost;
      f.other = name(node.parent);
      f.host = node.via.rfind("host ", 0) == 0 ? node.via.substr(5) : node.via;
      f.assumption = fmt::format("{} and {} were assumed independent: they share host {}", f.other, f.service, f.host);
      f.evidence = fmt::format("{} failed at {:.1f} s with no call path from the trigger", f.service, f.time);
      add_finding(out, std::move(f));
    } else if (node.cause == Cause::Dependency && node.parent != kNone) {
      f.kind = FindingKind::CallPropagation;
      f.other = name(node.parent);
      f.calls = {node.via};
      for (const auto& n : report.propagation) {
        if (n.service == node.parent) f.collateral = n.cause == Cause::Emergent;
      }
      f.assumption = fmt::format("{} was assumed to survive trouble in {}: its call {} carried the failure", f.service,
                                 f.other, node.via);
      f.evidence =
          fmt::format("{} turned {} at {:.1f} s after {} did", f.service, to_string(node.worst), f.time, f.other);
      add_finding(out, std::move(f));
    }
  }
  for (const auto& e : report.journal) {
    Finding f;
    f.time = e.time;
    f.evidence = e.note;
    if (e.signal == Signal::QueueSaturated) {
      const uint32_t s = service_named(sys, e.place);
      if (s == kNone) continue;
      f.kind = FindingKind::QueueSaturation;
      f.service = e.place;
      for (const uint32_t caller : graph.callers[s]) {
        if (graph.calls(caller, s)) f.calls.push_back(text::edge_name(sys.services[caller].name, e.place));
      }
      if (f.calls.empty()) continue;
      f.assumption = fmt::format("the queue of {} was assumed deep enough to absorb a burst: it overflowed", f.service);
      add_finding(out, std::move(f));
    } else if (e.category == Category::RetryAmplification) {
      uint32_t s = service_named(sys, e.place);
      if (s == kNone) {
        if (const auto edge = text::split_edge(e.place)) s = service_named(sys, edge->second);
      }
      if (s == kNone) continue;
      f.kind = FindingKind::RetryAmplification;
      f.service = sys.services[s].name;
      f.calls = retrying_calls_into(sys, s);
      if (f.calls.empty()) continue;
      f.assumption = fmt::format(
          "the retries into {} were assumed to ride out transient failures: they multiplied "
          "its load instead",
          f.service);
      add_finding(out, std::move(f));
    } else if (e.category == Category::ArchitecturalHotSpot && e.magnitude >= 0.999 && several_types) {
      f.kind = FindingKind::HotSpot;
      f.service = e.place;
      f.assumption = fmt::format(
          "a failure of {} was assumed to stay with the requests that need it: it reached "
          "every request type",
          f.service);
      add_finding(out, std::move(f));
    }
  }
  const RecoveryVerdict& v = report.verdict;
  if (v.kind == RecoveryKind::Sustained) {
    for (const uint32_t s : v.saturated) {
      Finding f;
      f.kind = FindingKind::MetastableLoop;
      f.service = name(s);
      f.time = v.judged_at;
      f.calls = retrying_calls_into(sys, s);
      f.evidence = v.note;
      f.assumption = fmt::format("{} was assumed to recover once the trigger was gone: it stayed overloaded, {}",
                                 f.service, describe(v.sustained_by));
      add_finding(out, std::move(f));
    }
  }
  // A fault aimed at one service that reached every request type: no tenant was spared.
  if (report.blast_radius_types >= 0.999 && several_types) {
    for (const auto& node : report.propagation) {
      if (node.cause != Cause::Fault || !fault_target(graph, node.service)) continue;
      Finding f;
      f.kind = FindingKind::EveryTenant;
      f.service = name(node.service);
      f.time = node.onset;
      f.evidence = fmt::format("every request type turned unhealthy after the fault on {}", f.service);
      f.assumption = fmt::format("a fault on {} was assumed to hurt some users: it reached all of them", f.service);
      add_finding(out, std::move(f));
      break;
    }
  }
  return out;
}

std::vector<Candidate> candidates_for(std::span<const Finding> findings, const RuleContext& context,
                                      std::span<const std::string> taken) {
  std::vector<Candidate> out;
  std::vector<DesignSpec> made;
  for (size_t i = 0; i < findings.size(); ++i) {
    for (const auto& rule : kRules) {
      if (rule.finding != findings[i].kind) continue;
      made.clear();
      rule.make(findings[i], context, made);
      for (auto& d : made) {
        const bool used =
            std::find(taken.begin(), taken.end(), d.name) != taken.end() ||
            std::any_of(out.begin(), out.end(), [&](const Candidate& c) { return c.design.name == d.name; });
        if (used) continue;
        out.push_back({std::move(d), i, rule.name});
      }
    }
  }
  return out;
}

}  // namespace rapture
