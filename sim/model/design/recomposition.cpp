#include "model/design/recomposition.hpp"

#include "model/system.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "model/design/scenario_references.hpp"

namespace rapture {

std::string_view to_string(Transformation::Kind kind) {
  using Kind = Transformation::Kind;
  switch (kind) {
    case Kind::Merge: return "merge";
    case Kind::Split: return "split";
    case Kind::Async: return "async";
    case Kind::RemoveTier: return "remove";
    case Kind::Buffer: return "buffer";
    case Kind::Colocate: return "colocate";
    case Kind::Separate: return "separate";
    case Kind::DropEdge: return "drop";
  }
  return "?";
}

namespace {

using Call = TopologyDraft::Call;
using Pair = std::pair<std::string, std::string>;
using Pairs = std::vector<Pair>;

/// One step being applied: what it works on, and how its errors and notes name it.
struct Step {
  TopologyDraft& draft;
  Scenario& scenario;
  const Transformation& spec;
  const std::string& design;
  std::vector<std::string>& notes;
  std::string what;  ///< "design 'd': merge", the prefix of its errors and notes

  [[noreturn]] void fail(const std::string& message) const { throw InputError(spec.where, what + ": " + message); }
  void note(const std::string& message) const { notes.push_back(what + ": " + message); }
  [[nodiscard]] ServiceNode& service(const std::string& name) const {
    return draft.services[draft.require(name, spec.where, what)];
  }

  /// The step's `services`: at least `at_least`, each known, none twice.
  [[nodiscard]] std::vector<std::string> services(size_t at_least) const {
    if (spec.services.size() < at_least) {
      fail("needs at least " + std::to_string(at_least) + " service" + (at_least > 1 ? "s" : "") + ", got " +
           std::to_string(spec.services.size()));
    }
    for (const auto& s : spec.services) {
      (void)service(s);
      if (std::count(spec.services.begin(), spec.services.end(), s) > 1) fail("'" + s + "' is listed twice");
    }
    return spec.services;
  }
  /// The step's one service (split, remove).
  [[nodiscard]] std::string one_service() const {
    if (spec.services.size() != 1) fail("takes exactly one service, got " + std::to_string(spec.services.size()));
    return service(spec.services.front()).name;
  }
  /// The index of the step's call `from -> to` (async, buffer, drop).
  [[nodiscard]] size_t call() const {
    if (spec.from.empty() || spec.to.empty()) fail("needs the call's `from` and `to`");
    return draft.require_call(spec.from, spec.to, spec.where, what);
  }
};

bool is(const Pair& e, const std::string& from, const std::string& to) { return e.first == from && e.second == to; }
bool listed(const Pairs& list, const std::string& from, const std::string& to) {
  return std::any_of(list.begin(), list.end(), [&](const Pair& e) { return is(e, from, to); });
}

/// Every edge override of the scenario: its `edges` and each request type's `calls`.
template <typename F>
void for_each_override(Scenario& scenario, F f) {
  for (auto& o : scenario.edges) f(o);
  for (auto& r : scenario.requests) {
    for (auto& o : r.calls) f(o);
  }
}

/// The mode of a call after the scenario's global `edges` settings (what the simulation runs).
CallMode effective_mode(const Scenario& scenario, const Call& c) {
  CallMode mode = c.edge.mode;
  for (const auto& o : scenario.edges) {
    if (o.from == c.from && o.to == c.to && o.mode) mode = *o.mode;
  }
  return mode;
}

/// A per-service setting added by the step, after (so over) the scenario's own.
ServiceParams& add_setting(const Step& st, const std::string& service) {
  st.scenario.services.emplace_back(service, ServiceParams{});
  st.scenario.service_where.resize(st.scenario.services.size() - 1);
  st.scenario.service_where.push_back(st.spec.where);
  return st.scenario.services.back().second;
}

/// Forgets the `mode` the scenario sets on a call, so that the mode the step gave it wins.
void clear_mode(Scenario& scenario, const std::string& from, const std::string& to) {
  for_each_override(scenario, [&](EdgeOverride& o) {
    if (o.from == from && o.to == to) o.mode.reset();
  });
}

/// Removes the per-edge policies of a call that no longer makes synchronous network calls.
void drop_policies(const Step& st, const std::string& from, const std::string& to, const std::string& why) {
  const auto removed = std::erase_if(st.scenario.policy_edges, [&](const auto& p) { return is(p.first, from, to); });
  if (removed > 0) st.note("the policies of " + from + " -> " + to + " no longer apply: " + why);
}

/// The services of the process a service was merged into, if it was.
std::string process_of(const ServiceNode& node) {
  auto it = node.attributes.find("process");
  return it == node.attributes.end() ? std::string() : it->second;
}

void merge(const Step& st) {
  const auto listed_services = st.services(2);
  // A member already merged brings its whole process: one service is in one process.
  std::vector<std::string> members = listed_services;
  std::set<std::string> processes;
  for (const auto& m : listed_services) {
    if (auto p = process_of(st.service(m)); !p.empty()) processes.insert(p);
  }
  for (const auto& node : st.draft.services) {
    if (processes.count(process_of(node)) && std::find(members.begin(), members.end(), node.name) == members.end()) {
      members.push_back(node.name);
    }
  }
  auto member = [&](const std::string& s) { return std::find(members.begin(), members.end(), s) != members.end(); };
  std::string into = st.spec.into;
  if (into.empty()) {
    for (const auto& m : members) into += (into.empty() ? "" : "+") + m;
  }
  for (const auto& node : st.draft.services) {
    if (!member(node.name) && process_of(node) == into) {
      st.fail("process '" + into + "' already exists ('" + node.name + "' runs in it): give the merge another `into`");
    }
  }
  for (const auto& m : members) st.service(m).attributes["process"] = into;

  for (auto& c : st.draft.calls) {
    if (!member(c.from) || !member(c.to)) continue;
    c.edge.mode = CallMode::InProcess;
    clear_mode(st.scenario, c.from, c.to);
    drop_policies(st, c.from, c.to, "it is a call within process '" + into + "'");
  }

  // One process, one replica count: the first service's.
  const auto replicas = *resolved_params(st.service(members.front()), st.scenario).replicas;
  for (size_t i = 1; i < members.size(); ++i) {
    const auto own = *resolved_params(st.service(members[i]), st.scenario).replicas;
    if (own != replicas) {
      st.note("'" + members[i] + "' runs with the " + std::to_string(replicas) + " replica(s) of '" + members.front() +
              "' instead of " + std::to_string(own));
    }
    add_setting(st, members[i]).replicas = replicas;
  }

  // A crash kills the process, so every service in it.
  std::vector<FaultSpec> faults;
  for (const auto& f : st.scenario.faults) {
    if (f.kind != FaultSpec::Kind::Crash || !member(f.target)) {
      faults.push_back(f);
      continue;
    }
    for (const auto& m : members) {
      faults.push_back(f);
      faults.back().target = m;
    }
    st.note("crash '" + f.name + "' of '" + f.target + "' crashes every service of process '" + into + "'");
  }
  st.scenario.faults = std::move(faults);
}

void split(const Step& st) {
  const std::string s = st.one_service();
  const auto& parts = st.spec.parts;
  if (parts.size() < 2) st.fail("splitting '" + s + "' needs at least two parts");
  std::vector<std::string> names;
  std::map<std::string, std::string> part_of;  // request type -> part
  for (const auto& [name, types] : parts) {
    if (name.empty()) st.fail("a part of '" + s + "' has no name");
    if (std::find(names.begin(), names.end(), name) != names.end()) st.fail("part '" + name + "' is named twice");
    // A part may keep the split service's name; any other name must be new.
    if (name != s && st.draft.find(name))
      st.fail("service '" + name + "' already exists in topology '" + st.draft.name + "'");
    if (types.empty()) st.fail("part '" + name + "' serves no request type");
    names.push_back(name);
    for (const auto& t : types) {
      const auto& rs = st.scenario.requests;
      if (std::none_of(rs.begin(), rs.end(), [&](const RequestTypeSpec& r) { return r.name == t; })) {
        st.fail("part '" + name + "': unknown request type '" + t + "'");
      }
      auto [it, fresh] = part_of.emplace(t, name);
      if (!fresh) st.fail("request type '" + t + "' is in parts '" + it->second + "' and '" + name + "'");
    }
  }
  const size_t index = *st.draft.find(s);
  std::set<std::string> visiting;
  for (const auto& r : st.scenario.requests) {
    if (!st.draft.visited_by(r, st.scenario)[index]) continue;
    if (!part_of.count(r.name)) {
      st.fail("request type '" + r.name + "' visits '" + s +
              "' but no part of the split serves it: it would be unroutable");
    }
    visiting.insert(r.name);
  }
  for (const auto& [type, part] : part_of) {
    if (!visiting.count(type))
      st.note("request type '" + type + "' never visits '" + s + "': part '" + part + "' does not change its route");
  }

  // The graph: a copy of s per part, each with s's callers and callees.
  const auto copies = [&](const std::string& x) { return x == s ? names : std::vector<std::string>{x}; };
  const auto call_copies = [&](const std::string& a, const std::string& b) {
    Pairs out;
    if (a == s && b == s) {
      for (const auto& p : names) out.emplace_back(p, p);  // a part calls itself, not its siblings
      return out;
    }
    for (const auto& x : copies(a)) {
      for (const auto& y : copies(b)) out.emplace_back(x, y);
    }
    return out;
  };
  std::vector<Call> calls;
  for (const auto& c : st.draft.calls) {
    for (auto& [a, b] : call_copies(c.from, c.to)) calls.push_back({a, b, c.edge});
  }
  const ServiceNode original = st.draft.services[index];
  st.draft.remove_service(s);
  for (const auto& name : names) {
    ServiceNode copy = original;
    copy.name = name;
    st.draft.add_service(std::move(copy), st.spec.where);
  }
  // The parts take s's place in the file order (the order results list services in).
  std::rotate(st.draft.services.begin() + static_cast<std::ptrdiff_t>(index),
              st.draft.services.end() - static_cast<std::ptrdiff_t>(names.size()), st.draft.services.end());
  st.draft.calls = std::move(calls);

  // Settings and faults of s go to every part.
  remap_services(st.scenario, copies);
  remap_calls(st.scenario, call_copies);
  remap_faults(st.scenario, copies, call_copies);

  // Each request type visiting s keeps to its own part.
  for (auto& r : st.scenario.requests) {
    if (!visiting.count(r.name)) continue;
    const std::string& own = part_of.at(r.name);
    const auto other = [&](const std::string& x) {
      return x != own && std::find(names.begin(), names.end(), x) != names.end();
    };
    if (r.entry == s) r.entry = own;
    if (!r.only_edges.empty()) {
      std::erase_if(r.only_edges, [&](const Pair& e) { return other(e.first) || other(e.second); });
    } else {
      for (const auto& c : st.draft.calls) {
        if (other(c.to) && !listed(r.skip_edges, c.from, c.to)) r.skip_edges.emplace_back(c.from, c.to);
      }
    }
  }
}

/// Puts a queue service on the step's call: from -> queue with `caller_mode` (the old call's
/// when unset) and the old call's other attributes, queue -> to synchronous. Moves the edge
/// overrides to from -> queue, the per-edge policies to `policies_on`, request types' routes
/// through both calls, and latency faults on the call to queue -> to (the consumer makes it).
/// Returns the queue's name.
std::string insert_queue(const Step& st, size_t index, std::optional<CallMode> caller_mode, bool policies_on_consumer) {
  const auto& t = st.spec;
  const std::string q = t.queue.empty() ? t.from + "-" + t.to + "-queue" : t.queue;
  const int64_t capacity = t.capacity.value_or(1000), consumers = t.consumers.value_or(1);
  if (capacity < 0 || capacity > 100'000'000)
    st.fail("the queue capacity must be between 0 and 100000000, got " + std::to_string(capacity));
  if (consumers < 1 || consumers > 100'000)
    st.fail("the consumers must be between 1 and 100000, got " + std::to_string(consumers));
  if (st.draft.find(q))
    st.fail("service '" + q + "' already exists in topology '" + st.draft.name + "': name the queue");
  const CallEdge old = st.draft.calls[index].edge;
  ServiceNode node;
  node.name = q;
  node.kind = ServiceKind::Queue;
  node.params.replicas = 1;
  node.params.workers = consumers;
  node.params.queue_capacity = capacity;
  node.line = old.line;
  st.draft.add_service(std::move(node), t.where);

  CallEdge in = old;
  if (caller_mode) in.mode = *caller_mode;
  CallEdge out;  // sync, probability 1, one call, critical: the consumer forwards each message
  out.request_bytes = old.request_bytes;
  out.response_bytes = old.response_bytes;
  out.line = old.line;
  st.draft.calls[index] = {t.from, q, in};
  st.draft.calls.insert(st.draft.calls.begin() + static_cast<std::ptrdiff_t>(index) + 1, Call{q, t.to, out});

  for_each_override(st.scenario, [&](EdgeOverride& o) {
    if (o.from != t.from || o.to != t.to) return;
    o.to = q;
    if (caller_mode) o.mode.reset();
  });
  for (auto& policy : st.scenario.policy_edges) {
    if (is(policy.first, t.from, t.to)) policy.first = policies_on_consumer ? Pair{q, t.to} : Pair{t.from, q};
  }
  const auto through_queue = [&](const std::string& a, const std::string& b) {
    return a == t.from && b == t.to ? Pairs{{t.from, q}, {q, t.to}} : Pairs{{a, b}};
  };
  remap_calls(st.scenario, through_queue);
  remap_faults(
      st.scenario, [](const std::string& s) { return std::vector<std::string>{s}; },
      [&](const std::string& a, const std::string& b) {
        return a == t.from && b == t.to ? Pairs{{q, t.to}} : Pairs{{a, b}};
      });
  return q;
}

void make_async(const Step& st) {
  const size_t index = st.call();
  const auto& t = st.spec;
  const CallMode mode = effective_mode(st.scenario, st.draft.calls[index]);
  if (mode != CallMode::Sync) {
    st.fail("the call " + t.from + " -> " + t.to + " is already " +
            (mode == CallMode::Async ? "asynchronous" : "in-process (its services are merged)"));
  }
  if (t.queue.empty() && !t.capacity && !t.consumers) {
    for (auto& c : st.draft.calls) {
      if (c.from == t.from && c.to == t.to) c.edge.mode = CallMode::Async;
    }
    clear_mode(st.scenario, t.from, t.to);
    drop_policies(st, t.from, t.to, "timeouts and retries apply to sync calls");
    return;
  }
  insert_queue(st, index, CallMode::Async, true);
}

void buffer(const Step& st) {
  const size_t index = st.call();
  if (effective_mode(st.scenario, st.draft.calls[index]) == CallMode::InProcess) {
    st.fail("the call " + st.spec.from + " -> " + st.spec.to +
            " is in-process (its services are merged): there is no "
            "message to buffer");
  }
  // The caller keeps its mode, so a sync caller still waits and its timeouts still apply.
  insert_queue(st, index, std::nullopt, false);
}

/// The call a caller makes to a removed service's callee in its place: as often as it reached
/// the callee through the service, waiting only if it waited all the way, critical only if both
/// calls were; the caller's call site (group, line), the callee call's payloads.
CallEdge chain(const CallEdge& in, const CallEdge& out) {
  CallEdge e = in;
  if (in.mode == CallMode::Async || out.mode == CallMode::Async) {
    e.mode = CallMode::Async;
  } else if (in.mode != CallMode::InProcess || out.mode != CallMode::InProcess) {
    e.mode = CallMode::Sync;
  }
  e.probability = in.probability * out.probability;
  e.calls = in.calls * out.calls;
  e.active = in.active && out.active;
  e.critical = in.critical && out.critical;
  e.request_bytes = out.request_bytes;
  e.response_bytes = out.response_bytes;
  return e;
}

void remove_tier(const Step& st) {
  const std::string s = st.one_service();
  auto& scenario = st.scenario;
  const auto touches = [&](const std::string& a, const std::string& b) { return a == s || b == s; };
  remap_entries(
      scenario, [&](const std::string& x) { return x == s ? std::vector<std::string>{} : std::vector{x}; }, st.design);

  // The scenario's global edge settings through s become the calls' own, so that the chained
  // calls start from what the baseline ran.
  for (auto& c : st.draft.calls) {
    for (const auto& o : scenario.edges) {
      if (touches(c.from, c.to) && o.from == c.from && o.to == c.to) o.apply_to(c.edge);
    }
  }
  std::erase_if(scenario.edges, [&](const EdgeOverride& o) { return touches(o.from, o.to); });

  struct Chained {
    Call in, out;       // caller -> s, s -> callee
    bool kept = false;  // the caller already called the callee: that call stays as it was
  };
  std::vector<Chained> chained;
  std::vector<Call> calls;
  const bool leaf = std::none_of(st.draft.calls.begin(), st.draft.calls.end(),
                                 [&](const Call& c) { return c.from == s && c.to != s; });
  for (const auto& c : st.draft.calls) {
    if (c.from == s) continue;
    if (c.to != s) {
      calls.push_back(c);
      continue;
    }
    if (leaf) st.note("'" + s + "' calls no other service: the call " + c.from + " -> " + s + " goes with it");
    for (const auto& o : st.draft.calls) {
      if (o.from != s || o.to == s) continue;
      const bool kept = st.draft.find_call(c.from, o.to) || std::any_of(calls.begin(), calls.end(), [&](const Call& x) {
                          return x.from == c.from && x.to == o.to;
                        });
      chained.push_back({c, o, kept});
      if (kept) {
        st.note(c.from + " already calls " + o.to + ": that call is kept as it was, in place of " + c.from + " -> " +
                s + " -> " + o.to);
      } else {
        calls.push_back({c.from, o.to, chain(c.edge, o.edge)});
      }
    }
  }

  for (auto& r : scenario.requests) {
    // A request type's own edge settings through s chain the same way, for that type only.
    if (std::any_of(r.calls.begin(), r.calls.end(), [&](const EdgeOverride& o) { return touches(o.from, o.to); })) {
      std::vector<EdgeOverride> own;
      for (const auto& ch : chained) {
        if (ch.kept) continue;
        CallEdge in = ch.in.edge, out = ch.out.edge;
        bool changed = false;
        for (const auto& o : r.calls) {
          if (is({o.from, o.to}, ch.in.from, s)) {
            o.apply_to(in);
            changed = true;
          }
          if (is({o.from, o.to}, s, ch.out.to)) {
            o.apply_to(out);
            changed = true;
          }
        }
        if (!changed) continue;
        const CallEdge e = chain(in, out);
        own.push_back(
            {ch.in.from, ch.out.to, e.mode, e.probability, e.calls, e.group, e.active, e.critical, st.spec.where});
      }
      std::erase_if(r.calls, [&](const EdgeOverride& o) { return touches(o.from, o.to); });
      r.calls.insert(r.calls.end(), own.begin(), own.end());
    }
    // A request type following only some edges follows c -> x when it followed c -> s and s -> x.
    if (!r.only_edges.empty()) {
      Pairs only;
      for (const auto& e : r.only_edges) {
        if (!touches(e.first, e.second)) only.push_back(e);
      }
      for (const auto& ch : chained) {
        if (listed(r.only_edges, ch.in.from, s) && listed(r.only_edges, s, ch.out.to) &&
            !listed(only, ch.in.from, ch.out.to)) {
          only.emplace_back(ch.in.from, ch.out.to);
        }
      }
      if (only.empty()) {
        throw InputError(r.where, "request type '" + r.name + "': design '" + st.design + "' removes '" + s +
                                      "' and with it every edge the request type follows");
      }
      r.only_edges = std::move(only);
    }
  }

  // Per-edge policies: the caller's on c -> s, refined by s's on s -> x (tuned for x).
  std::vector<std::pair<Pair, PolicySpec>> policies;
  for (const auto& ch : chained) {
    if (ch.kept) continue;
    PolicySpec p;
    bool any = false;
    for (const Pair& key : {Pair{ch.in.from, s}, Pair{s, ch.out.to}}) {
      for (const auto& [k, spec] : scenario.policy_edges) {
        if (k != key) continue;
        p.overlay(spec);
        any = true;
      }
    }
    if (!any) continue;
    const CallEdge e = chain(ch.in.edge, ch.out.edge);
    if (e.mode == CallMode::Sync) {
      policies.push_back({{ch.in.from, ch.out.to}, p});
    } else {
      st.note("the policies of " + ch.in.from + " -> " + s + " and " + s + " -> " + ch.out.to + " do not apply to " +
              ch.in.from + " -> " + ch.out.to + ", which is not a synchronous network call");
    }
  }
  std::erase_if(scenario.policy_edges, [&](const auto& p) { return touches(p.first.first, p.first.second); });
  scenario.policy_edges.insert(scenario.policy_edges.end(), policies.begin(), policies.end());

  // What is left: skip lists (skipping c -> s or s -> x skips c -> x), settings and faults of s.
  remap_calls(scenario, [&](const std::string& a, const std::string& b) {
    if (!touches(a, b)) return Pairs{{a, b}};
    Pairs out;
    for (const auto& ch : chained) {
      if (!ch.kept && ((ch.in.from == a && b == s) || (a == s && ch.out.to == b)))
        out.emplace_back(ch.in.from, ch.out.to);
    }
    return out;
  });
  const auto gone = [&](const std::string& x) { return x == s ? std::vector<std::string>{} : std::vector{x}; };
  remap_services(scenario, gone);
  for (const auto& f : remap_faults(scenario, gone, [&](const std::string&a, const std::string&b) {
         return touches(a, b) ? Pairs{} : Pairs{{a, b}};
       })) {
    st.note("fault '" + f + "' targets '" + s + "' or one of its calls, which design '" + st.design + "' removes");
  }
  st.draft.calls = std::move(calls);
  st.draft.remove_service(s);
}

/// Forgets where the scenario placed a service (placement entries).
void unplace(Scenario& scenario, const std::string& service) {
  std::erase_if(scenario.platform.placement, [&](const auto& p) { return p.first == service; });
}

void colocate(const Step& st) {
  const auto names = st.services(2);
  const std::string& first = names.front();
  const std::vector<std::string>* hosts = nullptr;  // the last placement wins, as in build_system
  for (const auto& [service, list] : st.scenario.platform.placement) {
    if (service == first) hosts = &list;
  }
  if (hosts) {
    const auto copy = *hosts;
    for (size_t i = 1; i < names.size(); ++i) {
      unplace(st.scenario, names[i]);
      st.scenario.platform.placement.emplace_back(names[i], copy);
    }
    return;
  }
  const auto host = resolved_params(st.service(first), st.scenario).host;
  if (!host) {
    st.fail("'" + first +
            "' runs on hosts of its own: place it first (platform.placement or a `host` setting) so that "
            "the others can join it");
  }
  for (size_t i = 1; i < names.size(); ++i) {
    unplace(st.scenario, names[i]);  // a placement would win over the host
    add_setting(st, names[i]).host = *host;
  }
}

void separate(const Step& st) {
  const auto names = st.services(1);
  for (const auto& name : names) {
    const auto& node = st.service(name);
    if (const auto& host = st.scenario.kind_defaults[static_cast<size_t>(node.kind)].host) {
      st.fail("every " + std::string(to_string(node.kind)) + " runs on host '" + *host + "' by default, so '" + name +
              "' would still share it: give it a placement of its own instead");
    }
  }
  for (const auto& name : names) {
    unplace(st.scenario, name);
    for (auto& [service, params] : st.scenario.services) {
      if (service == name) params.host.reset();
    }
    auto& node = st.service(name);
    node.params.host.reset();
    node.attributes.erase("host");
  }
}

void drop_edge(const Step& st) {
  (void)st.call();
  const auto& t = st.spec;
  const auto without = [&](const std::string& a, const std::string& b) {
    return a == t.from && b == t.to ? Pairs{} : Pairs{{a, b}};
  };
  remap_calls(st.scenario, without);
  for (const auto& f : remap_faults(
           st.scenario, [](const std::string& s) { return std::vector{s}; }, without)) {
    st.note("fault '" + f + "' targets the call " + t.from + " -> " + t.to + ", which design '" + st.design +
            "' removes");
  }
  std::erase_if(st.draft.calls, [&](const Call& c) { return c.from == t.from && c.to == t.to; });
}

}  // namespace

void apply_transformation(TopologyDraft& draft, Scenario& scenario, const Transformation& step,
                          const std::string& design, std::vector<std::string>& notes) {
  const Step st{draft, scenario, step, design, notes, "design '" + design + "': " + std::string(to_string(step.kind))};
  using Kind = Transformation::Kind;
  switch (step.kind) {
    case Kind::Merge: merge(st); break;
    case Kind::Split: split(st); break;
    case Kind::Async: make_async(st); break;
    case Kind::RemoveTier: remove_tier(st); break;
    case Kind::Buffer: buffer(st); break;
    case Kind::Colocate: colocate(st); break;
    case Kind::Separate: separate(st); break;
    case Kind::DropEdge: drop_edge(st); break;
  }
}

}  // namespace rapture
