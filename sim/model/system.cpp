#include "model/system.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/error.hpp"
#include "common/text.hpp"

namespace rapture {

namespace {

constexpr int64_t kMaxTotalReplicas = 1'000'000;
constexpr double kMaxExpectedRequests = 1e10;

SourceLocation topology_where(const Topology& t, const ServiceNode& node) {
  return {t.file, node.line, "service '" + node.name + "'"};
}

/// Scenario locations of services that carry no location of their own.
SourceLocation scenario_where(const Scenario& s, const std::string& element) { return {s.file, 0, element}; }

uint32_t require_service(const Topology& topology, const std::string& name, const SourceLocation& where,
                         const char* role) {
  auto v = topology.find(name);
  if (!v) {
    throw InputError(where, std::string(role) + " '" + name + "' is not a service of topology '" + topology.name +
                                "' (" + topology.file + ")");
  }
  return static_cast<uint32_t>(*v);
}

void check_range(int64_t value, int64_t lo, int64_t hi, const SourceLocation& where, const char* what) {
  if (value < lo || value > hi) {
    throw InputError(where, std::string(what) + " must be between " + std::to_string(lo) + " and " +
                                std::to_string(hi) + ", got " + std::to_string(value));
  }
}

/// Applies edge settings to the effective attributes `edges` (indexed like `descs`).
void apply_overrides(const Topology& topology, const std::vector<EdgeOverride>& overrides,
                     const std::vector<CallEdgeDesc>& descs, std::vector<CallEdge>& edges) {
  for (const auto& o : overrides) {
    const auto from = require_service(topology, o.from, o.where, "caller");
    const auto to = require_service(topology, o.to, o.where, "callee");
    bool found = false;
    for (size_t i = 0; i < descs.size(); ++i) {
      if (boost::source(descs[i], topology.graph) != from || boost::target(descs[i], topology.graph) != to) continue;
      found = true;
      o.apply_to(edges[i]);
    }
    if (!found) {
      throw InputError(o.where,
                       "edge " + text::edge_name(o.from, o.to) + " is not in topology '" + topology.name + "'");
    }
  }
}

/// Effective attributes of every edge after the scenario's `edges` settings, by edge index.
std::vector<CallEdge> resolve_edges(const Topology& topology, const Scenario& scenario,
                                    std::vector<CallEdgeDesc>& descs) {
  std::vector<CallEdge> edges;
  for (auto [it, end] = boost::edges(topology.graph); it != end; ++it) {
    descs.push_back(*it);
    edges.push_back(topology.graph[*it]);
  }
  apply_overrides(topology, scenario.edges, descs, edges);
  return edges;
}

void build_hosts(const Topology& topology, const Scenario& scenario, System& sys) {
  std::unordered_map<std::string, std::vector<uint32_t>> groups;  // host or group name -> hosts
  for (const auto& h : scenario.platform.hosts) {
    if (h.speed <= 0 || !std::isfinite(h.speed)) throw InputError(h.where, "host speed must be > 0");
    check_range(h.cores, 1, 1'000'000, h.where, "cores");
    check_range(h.count, 1, 100'000, h.where, "host count");
    if (groups.count(h.name)) throw InputError(h.where, "host '" + h.name + "' declared twice");
    auto& members = groups[h.name];
    for (int64_t i = 0; i < h.count; ++i) {
      HostConfig cfg;
      cfg.name = h.count == 1 ? h.name : h.name + "-" + std::to_string(i);
      cfg.speed = h.speed;
      cfg.cores = h.cores;
      members.push_back(static_cast<uint32_t>(sys.hosts.size()));
      if (h.count > 1) groups[cfg.name] = {static_cast<uint32_t>(sys.hosts.size())};
      sys.hosts.push_back(std::move(cfg));
    }
  }
  std::unordered_map<std::string, const std::vector<std::string>*> placement;
  std::unordered_map<std::string, SourceLocation> placement_where;
  for (size_t i = 0; i < scenario.platform.placement.size(); ++i) {
    const auto& [service, hosts] = scenario.platform.placement[i];
    // The entry's line when the reader recorded it (a scenario built in code may not have).
    const SourceLocation where = i < scenario.platform.placement_where.size()
                                     ? scenario.platform.placement_where[i]
                                     : scenario_where(scenario, "platform.placement." + service);
    require_service(topology, service, where, "placed service");
    placement[service] = &hosts;
    placement_where[service] = where;
  }
  // Hosts named only in the topology (host= attributes) become implicit hosts of the
  // reference speed with a core per worker: they share a name, not CPU time.
  std::unordered_map<std::string, std::vector<uint32_t>> implicit_hosts;
  // Scenario `host` overrides by service, the last one winning (one pass, not one per service).
  std::unordered_map<std::string, const std::string*> override_host;
  std::vector<uint32_t> dedicated;  // hosts of one replica each, named "<service>-<replica>"
  for (const auto& [name, params] : scenario.services) {
    if (params.host) override_host[name] = &*params.host;
  }
  for (auto& svc : sys.services) {
    std::vector<uint32_t> targets;
    if (auto it = placement.find(svc.name); it != placement.end()) {
      for (const auto& name : *it->second) {
        auto g = groups.find(name);
        if (g == groups.end()) {
          throw InputError(placement_where[svc.name], "unknown host '" + name + "' (declare it under platform.hosts)");
        }
        targets.insert(targets.end(), g->second.begin(), g->second.end());
      }
    }
    if (targets.empty()) {
      // The merged `host` parameter (topology attribute or scenario override), if any.
      const std::string* host_name = nullptr;
      if (auto it = override_host.find(svc.name); it != override_host.end()) host_name = it->second;
      const auto& node = topology.graph[*topology.find(svc.name)];
      if (!host_name && node.params.host) host_name = &*node.params.host;
      if (!host_name && scenario.kind_defaults[static_cast<size_t>(svc.kind)].host) {
        host_name = &*scenario.kind_defaults[static_cast<size_t>(svc.kind)].host;
      }
      if (host_name) {
        if (auto g = groups.find(*host_name); g != groups.end()) {
          targets = g->second;
        } else {
          auto& imp = implicit_hosts[*host_name];
          if (imp.empty()) {
            HostConfig cfg;
            cfg.name = *host_name;
            cfg.speed = scenario.platform.reference_speed;
            cfg.cores = 0;  // grows by the workers placed on it
            imp.push_back(static_cast<uint32_t>(sys.hosts.size()));
            sys.hosts.push_back(std::move(cfg));
          }
          targets = imp;
          sys.hosts[imp.front()].cores += svc.replicas * svc.workers;
        }
      }
    }
    for (int64_t r = 0; r < svc.replicas; ++r) {
      uint32_t host = 0;
      if (targets.empty()) {
        HostConfig cfg;
        cfg.name = svc.name + "-" + std::to_string(r);
        cfg.speed = scenario.platform.reference_speed;
        cfg.cores = svc.workers;
        host = static_cast<uint32_t>(sys.hosts.size());
        dedicated.push_back(host);
        sys.hosts.push_back(std::move(cfg));
      } else {
        host = targets[static_cast<size_t>(r) % targets.size()];
      }
      sys.hosts[host].workers += svc.workers;
      svc.replica_hosts.push_back(host);
    }
  }
  // A declared or topology host may already carry a replica's name (StyleFlow's search-index runs
  // on host "search-1", which a separated search's second replica would also get): SimGrid takes
  // each name once, so the replica's host becomes "search-1.2".
  std::unordered_set<std::string> taken;
  for (size_t h = 0; h < sys.hosts.size(); ++h) {
    if (std::find(dedicated.begin(), dedicated.end(), h) == dedicated.end()) taken.insert(sys.hosts[h].name);
  }
  for (const uint32_t h : dedicated) {
    std::string name = sys.hosts[h].name;
    for (int k = 2; taken.count(name) > 0; ++k) name = sys.hosts[h].name + "." + std::to_string(k);
    sys.hosts[h].name = name;
    taken.insert(std::move(name));
  }
}

/// Call plans of one request type: DFS from the entry over the edges it takes; a call cycle
/// would make a request recurse without bound, so it is an error naming the cycle.
void build_plans(const Topology& topology, const Scenario& scenario, const RequestTypeSpec& spec, uint32_t rt,
                 const std::vector<CallEdge>& edges, const std::vector<CallEdgeDesc>& descs,
                 const std::vector<uint32_t>& edge_policy, System& sys) {
  const auto& g = topology.graph;
  const size_t n = sys.services.size();
  // Map edge descriptor -> index for the per-edge effective attributes.
  std::map<std::pair<uint32_t, uint32_t>, std::vector<size_t>> by_pair;
  for (size_t i = 0; i < descs.size(); ++i) {
    by_pair[{static_cast<uint32_t>(boost::source(descs[i], g)), static_cast<uint32_t>(boost::target(descs[i], g))}]
        .push_back(i);
  }
  auto resolve_list = [&](const std::vector<std::pair<std::string, std::string>>& list) {
    std::set<std::pair<uint32_t, uint32_t>> out;
    for (const auto& [a, b] : list) {
      const auto from = require_service(topology, a, spec.where, "caller");
      const auto to = require_service(topology, b, spec.where, "callee");
      if (!by_pair.count({from, to})) {
        throw InputError(spec.where, "request type '" + spec.name + "': edge " + text::edge_name(a, b) +
                                         " is not in topology '" + topology.name + "'");
      }
      out.insert({from, to});
    }
    return out;
  };
  const auto only = resolve_list(spec.only_edges);
  const auto skip = resolve_list(spec.skip_edges);
  auto takes = [&](size_t edge_index) {
    const auto& e = edges[edge_index];
    const std::pair<uint32_t, uint32_t> key{static_cast<uint32_t>(boost::source(descs[edge_index], g)),
                                            static_cast<uint32_t>(boost::target(descs[edge_index], g))};
    return e.active && e.probability > 0 && (only.empty() || only.count(key)) && !skip.count(key);
  };
  // Out-edge indices of each service, in file order.
  std::vector<std::vector<size_t>> out(n);
  for (size_t i = 0; i < descs.size(); ++i) out[boost::source(descs[i], g)].push_back(i);

  std::vector<uint8_t> state(n, 0);  // 0 unvisited, 1 on the DFS path, 2 done
  std::vector<uint32_t> path;
  // A cell-based design enters at the entry's copy in the request's cell: every copy is a root.
  std::vector<uint32_t> roots{sys.request_types[rt].entry};
  roots.insert(roots.end(), sys.request_types[rt].cell_entries.begin(), sys.request_types[rt].cell_entries.end());
  for (const uint32_t entry : roots) {
    if (state[entry] != 0) continue;
    // Iterative DFS so that a deep chain cannot overflow the stack.
    std::vector<std::pair<uint32_t, size_t>> stack{{entry, 0}};
    state[entry] = 1;
    path.push_back(entry);
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      if (next < out[v].size()) {
        const size_t ei = out[v][next++];
        if (!takes(ei)) continue;
        const auto w = static_cast<uint32_t>(boost::target(descs[ei], g));
        if (state[w] == 1) {
          std::string cycle;
          auto it = std::find(path.begin(), path.end(), w);
          for (; it != path.end(); ++it) cycle += sys.services[*it].name + " -> ";
          cycle += sys.services[w].name;
          throw InputError(
              {edges[ei].line ? topology.file : spec.where.file, edges[ei].line ? edges[ei].line : spec.where.line,
               "edge " + text::edge_name(sys.services[v].name, sys.services[w].name)},
              "request type '" + spec.name + "' would call in a cycle " + cycle +
                  " and recurse without bound; skip one of these edges for it (skip: [\"" +
                  text::edge_name(sys.services[v].name, sys.services[w].name) + "\"])");
        }
        if (state[w] == 0) {
          state[w] = 1;
          path.push_back(w);
          stack.emplace_back(w, 0);
        }
        continue;
      }
      state[v] = 2;
      path.pop_back();
      stack.pop_back();
    }
  }
  (void)scenario;
  for (uint32_t s = 0; s < n; ++s) {
    CallPlan& plan = sys.plans[static_cast<size_t>(rt) * n + s];
    plan.first_stage = static_cast<uint32_t>(sys.stages.size());
    if (state[s] != 2) continue;
    // Group the service's calls into stages: a sequential edge is a stage of its own; the
    // edges of one fan-out group form one stage at the position of the group's first edge.
    std::vector<std::vector<CallConfig>> stage_calls;
    std::vector<bool> sequential;
    std::unordered_map<std::string, size_t> group_stage;
    for (size_t ei : out[s]) {
      if (!takes(ei)) continue;
      const auto& e = edges[ei];
      CallConfig c;
      c.callee = static_cast<uint32_t>(boost::target(descs[ei], g));
      c.mode = e.mode;
      c.probability = e.probability;
      c.count = static_cast<uint32_t>(e.calls);
      c.critical = e.critical;
      c.request_bytes = e.request_bytes;
      c.response_bytes = e.response_bytes;
      if (e.mode == CallMode::Sync) c.policy = edge_policy[ei];
      if (e.group.empty()) {
        stage_calls.push_back({c});
        sequential.push_back(true);
      } else if (auto it = group_stage.find(e.group); it != group_stage.end()) {
        stage_calls[it->second].push_back(c);
      } else {
        group_stage[e.group] = stage_calls.size();
        stage_calls.push_back({c});
        sequential.push_back(false);
      }
    }
    for (size_t i = 0; i < stage_calls.size(); ++i) {
      CallStage st;
      st.first_call = static_cast<uint32_t>(sys.calls.size());
      st.call_count = static_cast<uint32_t>(stage_calls[i].size());
      st.sequential = sequential[i];
      sys.calls.insert(sys.calls.end(), stage_calls[i].begin(), stage_calls[i].end());
      sys.stages.push_back(st);
    }
    plan.stage_count = static_cast<uint32_t>(stage_calls.size());
  }
}

/// Layers the scenario's policies onto every synchronous edge: all edges, then by callee kind,
/// then per edge. Returns the policy index of each edge (kNone when none applies).
std::vector<uint32_t> resolve_policies(const Topology& topology, const Scenario& scenario,
                                       const std::vector<CallEdge>& edges, const std::vector<CallEdgeDesc>& descs,
                                       System& sys) {
  const auto& g = topology.graph;
  std::vector<const PolicySpec*> specific(descs.size(), nullptr);
  for (const auto& [key, spec] : scenario.policy_edges) {
    const auto from = require_service(topology, key.first, spec.where, "caller");
    const auto to = require_service(topology, key.second, spec.where, "callee");
    bool found = false;
    for (size_t i = 0; i < descs.size(); ++i) {
      if (boost::source(descs[i], g) != from || boost::target(descs[i], g) != to) continue;
      found = true;
      specific[i] = &spec;
    }
    if (!found) {
      throw InputError(
          spec.where, "edge " + text::edge_name(key.first, key.second) + " is not in topology '" + topology.name + "'");
    }
  }
  std::vector<uint32_t> out(descs.size(), kNone);
  for (size_t i = 0; i < descs.size(); ++i) {
    const auto caller = static_cast<uint32_t>(boost::source(descs[i], g));
    const auto callee = static_cast<uint32_t>(boost::target(descs[i], g));
    PolicySpec p = scenario.policy_all;
    p.overlay(scenario.policy_by_kind[static_cast<size_t>(sys.services[callee].kind)]);
    if (specific[i]) p.overlay(*specific[i]);
    // Merging made the call a function call: there is no network call left to protect.
    if (!p.any() || edges[i].mode == CallMode::InProcess) continue;
    if (edges[i].mode != CallMode::Sync) {
      if (specific[i]) {
        throw InputError(specific[i]->where,
                         "edge " + text::edge_name(sys.services[caller].name, sys.services[callee].name) +
                             " is asynchronous: timeouts, retries and breakers apply to sync calls");
      }
      continue;
    }
    EdgePolicy ep;
    ep.name = text::edge_name(sys.services[caller].name, sys.services[callee].name);
    ep.caller = caller;
    ep.callee = callee;
    if (p.retry) ep.retry = *p.retry;
    if (p.per_try_timeout) ep.retry.per_try_timeout = *p.per_try_timeout;
    if (p.deadline) ep.retry.deadline = *p.deadline;
    if (p.propagate_deadline) ep.retry.propagate_deadline = *p.propagate_deadline;
    if (p.cancel_on_timeout) ep.retry.cancel_on_timeout = *p.cancel_on_timeout;
    if (ep.retry.deadline > 0 && ep.retry.per_try_timeout > ep.retry.deadline) {
      throw InputError(p.where, ep.name + ": the per-try timeout is longer than the deadline");
    }
    ep.budget = p.budget;
    ep.retry_quota = p.retry_quota;
    ep.circuit_breaker = p.circuit_breaker;
    ep.fallback = p.fallback.value_or(false);
    ep.bulkhead = p.bulkhead.value_or(0);
    out[i] = static_cast<uint32_t>(sys.edge_policies.size());
    sys.edge_policies.push_back(std::move(ep));
  }
  for (const auto& prot : scenario.protections) {
    const auto s = require_service(topology, prot.service, prot.where, "service");
    auto& target = sys.services[s].protection;
    target.outlier_ejection = prot.outlier_ejection;
    target.admission = prot.admission;
    target.shedding = prot.shedding;
  }
  return out;
}

/// Resolves the fault timeline's targets and the host speed levels slowdowns need.
void resolve_faults(const Topology& topology, const Scenario& scenario, System& sys) {
  using Kind = FaultSpec::Kind;
  auto host_index = [&](const FaultSpec& f) {
    for (uint32_t h = 0; h < sys.hosts.size(); ++h) {
      if (sys.hosts[h].name == f.target) return h;
    }
    throw InputError(f.where, "fault '" + f.name + "': unknown host '" + f.target + "'");
  };
  for (const auto& f : scenario.faults) {
    if (!(f.end > f.start) && !(f.kind == Kind::CacheFlush && f.end == f.start)) {
      throw InputError(f.where, "fault '" + f.name + "' ends before it starts");
    }
    FaultConfig c;
    c.spec = f;
    switch (f.kind) {
      case Kind::Slowdown:
      case Kind::HostFailure:
      case Kind::LinkDegradation:
      case Kind::Partition: c.host = host_index(f); break;
      case Kind::MixShift:
        for (const auto& [name, weight] : f.mix) {
          uint32_t t = 0;
          while (t < sys.request_types.size() && sys.request_types[t].name != name) ++t;
          if (t == sys.request_types.size())
            throw InputError(f.where, "fault '" + f.name + "': unknown request type '" + name + "'");
          if (!(weight > 0)) throw InputError(f.where, "fault '" + f.name + "': mix weights must be > 0");
          c.mix_types.push_back(t);
          c.mix_cumulative.push_back((c.mix_cumulative.empty() ? 0.0 : c.mix_cumulative.back()) + weight);
        }
        if (c.mix_types.empty()) throw InputError(f.where, "fault '" + f.name + "': mix_shift needs a mix");
        for (auto& x : c.mix_cumulative) x /= c.mix_cumulative.back();
        [[fallthrough]];
      case Kind::LoadSpike:
        if (!f.target.empty()) {
          const auto w = static_cast<uint32_t>(std::strtoul(f.target.c_str(), nullptr, 10));
          if (f.target.find_first_not_of("0123456789") != std::string::npos || w >= sys.workload.size()) {
            throw InputError(f.where, "fault '" + f.name + "': target must be a workload index below " +
                                          std::to_string(sys.workload.size()) + ", got '" + f.target + "'");
          }
          c.workload = w;
        }
        break;
      default:
        if (const auto call = f.target_call()) {
          c.caller = require_service(topology, call->first, f.where, "fault edge caller");
          c.service = require_service(topology, call->second, f.where, "fault edge callee");
          // As for policies.edges: a call the topology does not make would delay nothing.
          if (!boost::edge(c.caller, c.service, topology.graph).second) {
            throw InputError(f.where, "edge " + text::edge_name(call->first, call->second) + " is not in topology '" +
                                          topology.name + "'");
          }
          break;
        }
        c.service = require_service(topology, f.target, f.where, "fault target service");
        if (f.kind == Kind::CacheFlush && sys.services[c.service].cache == kNone) {
          throw InputError(f.where, "a cache_flush needs a stateful cache; '" + f.target +
                                        "' is not one (declare it under services: " + f.target + ": {cache: ...})");
        }
        if (f.replica && f.kind != Kind::CacheFlush) {
          const auto& svc = sys.services[c.service];
          if (*f.replica < 0 || *f.replica >= svc.replicas) {
            throw InputError(f.where, "fault '" + f.name + "': service '" + svc.name + "' has no replica " +
                                          std::to_string(*f.replica));
          }
          uint32_t first = 0;
          for (uint32_t s = 0; s < c.service; ++s) first += static_cast<uint32_t>(sys.services[s].replicas);
          c.replica = first + static_cast<uint32_t>(*f.replica);
        }
        break;
    }
    // Two shrinks of one target to different sizes at once contradict each other.
    for (const auto& o : sys.faults) {
      const bool overlap = o.spec.start < f.end && f.start < o.spec.end;
      if (overlap && o.spec.kind == f.kind && o.service == c.service && o.host == c.host &&
          (f.kind == Kind::QueueShrink || f.kind == Kind::WorkerShrink) && o.spec.size != f.size) {
        throw InputError(f.where, "fault '" + f.name + "' contradicts fault '" + o.spec.name + "': both set the " +
                                      (f.kind == Kind::QueueShrink ? "queue" : "workers") + " of '" + f.target +
                                      "' at the same time, to different sizes");
      }
    }
    sys.faults.push_back(std::move(c));
  }
  // Slowdowns compose by product; SimGrid needs every speed a host will run at as a pstate.
  for (uint32_t h = 0; h < sys.hosts.size(); ++h) {
    std::vector<double> points;
    for (const auto& f : sys.faults) {
      if (f.host != h || f.spec.kind != Kind::Slowdown) continue;
      points.push_back(f.spec.start);
      points.push_back(f.spec.end);
    }
    for (double t : points) {
      double product = 1;
      for (const auto& f : sys.faults) {
        if (f.host == h && f.spec.kind == Kind::Slowdown && f.spec.start <= t && t < f.spec.end)
          product *= f.spec.factor;
      }
      auto& levels = sys.hosts[h].speed_levels;
      if (std::find(levels.begin(), levels.end(), product) == levels.end()) levels.push_back(product);
    }
  }
}

}  // namespace

ServiceParams resolved_params(const ServiceNode& node, const Scenario& scenario) {
  ServiceParams p = builtin_defaults(node.kind);
  p.overlay(scenario.kind_defaults[static_cast<size_t>(node.kind)]);
  p.overlay(node.params);
  for (const auto& [name, over] : scenario.services) {
    if (name == node.name) p.overlay(over);
  }
  return p;
}

double cache_table_bytes(const System& system) {
  double bytes = 0;
  for (const auto& c : system.caches) bytes += static_cast<double>(LookAsideCache::memory_bytes_for(c.spec.capacity));
  return bytes;
}

bool System::any_contended_host() const {
  return std::any_of(hosts.begin(), hosts.end(), [](const HostConfig& h) { return h.contended(); });
}

bool System::uses_bandwidth() const {
  return bandwidth > 0 && std::any_of(calls.begin(), calls.end(),
                                      [](const CallConfig& c) { return c.request_bytes > 0 || c.response_bytes > 0; });
}

System build_system(const Topology& topology, const Scenario& scenario) {
  System sys;
  sys.name = scenario.name;
  sys.seed = scenario.seed;
  sys.duration = scenario.duration;
  sys.warmup = scenario.warmup;
  sys.bin_width = scenario.bin_width;
  sys.reference_speed = scenario.platform.reference_speed;
  sys.hop_latency = scenario.platform.hop_latency;
  sys.bandwidth = scenario.platform.bandwidth;
  sys.limits = scenario.limits;
  const auto& g = topology.graph;
  if (topology.service_count() == 0) throw InputError({topology.file, 0, ""}, "the topology has no service");

  // Services: built-in kind defaults < scenario kind defaults < topology attributes < scenario overrides.
  std::vector<ServiceParams> params(topology.service_count());
  for (auto [it, end] = boost::vertices(g); it != end; ++it) {
    const auto& node = g[*it];
    ServiceParams p = builtin_defaults(node.kind);
    p.overlay(scenario.kind_defaults[static_cast<size_t>(node.kind)]);
    p.overlay(node.params);
    params[*it] = p;
  }
  for (size_t i = 0; i < scenario.services.size(); ++i) {
    const auto& [name, over] = scenario.services[i];
    const SourceLocation where = i < scenario.service_where.size() ? scenario.service_where[i]
                                                                   : scenario_where(scenario, "service '" + name + "'");
    params[require_service(topology, name, where, "service")].overlay(over);
  }
  int64_t total_replicas = 0;
  for (auto [it, end] = boost::vertices(g); it != end; ++it) {
    const auto& node = g[*it];
    const auto& p = params[*it];
    const SourceLocation where = topology_where(topology, node);
    check_range(*p.replicas, 1, 100'000, where, "replicas");
    check_range(*p.workers, 1, 100'000, where, "workers");
    check_range(*p.queue_capacity, 0, 100'000'000, where, "queue capacity");
    total_replicas += *p.replicas;
    if (total_replicas > kMaxTotalReplicas) {
      throw InputError(where, "more than " + std::to_string(kMaxTotalReplicas) + " replicas in total");
    }
    ServiceConfig svc;
    svc.name = node.name;
    svc.kind = node.kind;
    svc.replicas = *p.replicas;
    svc.workers = *p.workers;
    svc.queue_capacity = *p.queue_capacity;
    svc.service_time = *p.service_time;
    svc.discipline = *p.discipline;
    svc.balancer = *p.balancer;
    svc.error_rate = p.error_rate.value_or(0.0);
    if (p.load_cost) svc.load_cost = *p.load_cost;
    sys.services.push_back(std::move(svc));
  }
  // Stateful look-aside caches: the backend is a synchronous callee of the cache.
  for (auto [it, end] = boost::vertices(g); it != end; ++it) {
    const auto& p = params[*it];
    if (!p.cache) continue;
    const auto& spec = *p.cache;
    auto backend = topology.find(spec.backend);
    // In a cell-based design the copy of a cache `c@cK` calls its cell's copy of the backend.
    const auto& name = g[*it].name;
    if (const auto at = name.rfind("@c");
        at != std::string::npos && !(backend && boost::edge(*it, *backend, g).second)) {
      if (const auto copy = topology.find(spec.backend + name.substr(at))) backend = copy;
    }
    const auto [edge, linked] =
        backend ? boost::edge(*it, *backend, g) : std::pair<CallEdgeDesc, bool>{CallEdgeDesc{}, false};
    if (!linked) {
      throw InputError(spec.where, "the backend of cache '" + g[*it].name + "' must be one of its callees; '" +
                                       spec.backend + "' is not (no edge " +
                                       text::edge_name(g[*it].name, spec.backend) + " in topology '" + topology.name +
                                       "')");
    }
    if (g[edge].mode == CallMode::Async) {
      throw InputError(spec.where, "the backend call " + text::edge_name(g[*it].name, spec.backend) +
                                       " of a cache must wait for its answer (not async): the answer fills the cache");
    }
    sys.services[*it].cache = static_cast<uint32_t>(sys.caches.size());
    sys.caches.push_back({static_cast<uint32_t>(*it), static_cast<uint32_t>(*backend), spec});
  }
  build_hosts(topology, scenario, sys);

  // Request types.
  if (scenario.requests.empty()) throw InputError({scenario.file, 0, "requests"}, "no request type is defined");
  std::unordered_map<std::string, uint32_t> rt_index;
  for (const auto& spec : scenario.requests) {
    if (rt_index.count(spec.name)) throw InputError(spec.where, "request type '" + spec.name + "' defined twice");
    RequestTypeConfig cfg;
    cfg.name = spec.name;
    cfg.entry = require_service(topology, spec.entry, spec.where, "entry service");
    for (const auto& e : spec.cell_entries)
      cfg.cell_entries.push_back(require_service(topology, e, spec.where, "cell entry"));
    rt_index[spec.name] = static_cast<uint32_t>(sys.request_types.size());
    sys.request_types.push_back(cfg);
  }
  std::vector<CallEdgeDesc> descs;
  const auto edges = resolve_edges(topology, scenario, descs);
  const auto edge_policy = resolve_policies(topology, scenario, edges, descs, sys);
  sys.plans.resize(sys.request_types.size() * sys.services.size());
  for (uint32_t rt = 0; rt < sys.request_types.size(); ++rt) {
    const auto& spec = scenario.requests[rt];
    if (spec.calls.empty()) {
      build_plans(topology, scenario, spec, rt, edges, descs, edge_policy, sys);
    } else {
      auto own = edges;
      apply_overrides(topology, spec.calls, descs, own);
      build_plans(topology, scenario, spec, rt, own, descs, edge_policy, sys);
    }
  }

  // A cache's calls to its backend are made on a miss: mark them (calls belong to one caller's plan).
  if (!sys.caches.empty()) {
    for (uint32_t rt = 0; rt < sys.request_types.size(); ++rt) {
      for (const auto& cache_cfg : sys.caches) {
        const CallPlan& plan = sys.plan(rt, cache_cfg.service);
        for (uint32_t k = 0; k < plan.stage_count; ++k) {
          const CallStage& st = sys.stages[plan.first_stage + k];
          for (uint32_t i = 0; i < st.call_count; ++i) {
            auto& call = sys.calls[st.first_call + i];
            if (call.callee == cache_cfg.backend && call.mode != CallMode::Async) {
              call.cache = sys.services[cache_cfg.service].cache;
            }
          }
        }
      }
    }
  }

  // Workload.
  if (scenario.workload.empty()) throw InputError({scenario.file, 0, "workload"}, "the workload is empty");
  double expected_requests = 0;
  const WorkloadSpec* busiest = nullptr;  // the entry that adds the most requests, named by the guard
  double busiest_requests = 0;
  for (size_t i = 0; i < scenario.workload.size(); ++i) {
    const auto& w = scenario.workload[i];
    WorkloadConfig cfg;
    cfg.kind = w.kind;
    cfg.label = "workload[" + std::to_string(i) + "]";
    double total = 0;
    for (const auto& [name, weight] : w.mix) {
      auto it = rt_index.find(name);
      if (it == rt_index.end()) throw InputError(w.where, "unknown request type '" + name + "'");
      if (!(weight > 0)) throw InputError(w.where, "mix weight of '" + name + "' must be > 0");
      total += weight;
      cfg.mix_types.push_back(it->second);
      cfg.mix_cumulative.push_back(total);
    }
    if (cfg.mix_types.empty()) throw InputError(w.where, "the workload names no request type");
    for (auto& c : cfg.mix_cumulative) c /= total;
    cfg.mix_cumulative.back() = 1.0;
    cfg.rate = w.rate;
    cfg.users = w.users;
    cfg.think = w.think ? *w.think : Distribution::constant(0);
    const int64_t tenants = w.tenants.value_or(w.kind == WorkloadSpec::Kind::Closed ? w.users : 1000);
    check_range(tenants, 1, 10'000'000, w.where, "tenants");
    cfg.tenants = static_cast<uint32_t>(tenants);
    cfg.first_tenant = sys.tenants;
    sys.tenants += cfg.tenants;
    if (w.kind == WorkloadSpec::Kind::Poisson) {
      if (!(cfg.rate.max() > 0)) throw InputError(w.where, "the arrival rate must be > 0");
      double requests = cfg.rate.max() * scenario.duration;
      for (const auto& b : cfg.rate.bursts) {
        if (b.count < 1) throw InputError(w.where, "a burst must send at least 1 request");
        if (!(b.at >= 0 && b.at < scenario.duration)) {
          throw InputError(w.where, "a burst at " + text::number(b.at) + " s is outside the run [0, " +
                                        text::number(scenario.duration) + " s)");
        }
        requests += static_cast<double>(b.count);
      }
      expected_requests += requests;
      if (requests > busiest_requests) {
        busiest_requests = requests;
        busiest = &w;
      }
    } else {
      check_range(w.users, 1, 10'000'000, w.where, "users");
    }
    sys.workload.push_back(std::move(cfg));
  }
  if (sys.tenants > 50'000'000) throw InputError({scenario.file, 0, "workload"}, "more than 5e7 tenants in total");
  resolve_faults(topology, scenario, sys);
  for (const auto& f : sys.faults) {
    sys.user_window_start = std::min(sys.user_window_start, f.spec.start);
  }
  if (!sys.faults.empty()) {
    double end = sys.user_window_start;
    for (const auto& f : sys.faults) end = std::max(end, f.spec.end);
    sys.user_window_end = std::min(end, sys.duration);
  }
  sys.user_failing_share = scenario.analysis.degraded_error;

  sys.cells = static_cast<uint32_t>(std::max<int64_t>(scenario.cells, 0));
  sys.shuffle_sharding = scenario.shuffle_sharding;
  for (const auto& rt : sys.request_types) {
    if (!rt.cell_entries.empty() && rt.cell_entries.size() != sys.cells) {
      throw InputError({scenario.file, 0, "request type '" + rt.name + "'"}, "a cell entry per cell is needed");
    }
  }
  for (const auto& d : scenario.decays) {
    auto& svc = sys.services[require_service(topology, d.service, {scenario.file, 0, "decay"}, "legacy service")];
    svc.decaying = true;
    svc.decay_error = d.error_rate;
    svc.decay_latency = d.latency;
  }
  if (expected_requests > kMaxExpectedRequests) {
    throw InputError(busiest ? busiest->where : SourceLocation{scenario.file, 0, "workload"},
                     "the workload would generate about " + text::number(expected_requests) +
                         " requests; the limit is 1e10 (shorten the duration or lower the rate)");
  }
  return sys;
}

}  // namespace rapture
