#include "analysis/system_graph.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace rapture {

namespace {

void add_unique(std::vector<uint32_t>& list, uint32_t value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

/// Request types whose traffic a load change of `workload` changes (kNone: every source).
std::vector<uint32_t> workload_request_types(const System& sys, uint32_t workload) {
  std::vector<uint32_t> types;
  for (uint32_t w = 0; w < sys.workload.size(); ++w) {
    if (workload != kNone && workload != w) continue;
    for (const auto t : sys.workload[w].mix_types) add_unique(types, t);
  }
  return types;
}

/// Request types a workload fault changes: those of its source's mix (all sources when it
/// names none), and for a mix shift those of the new mix.
std::vector<uint32_t> fault_request_types(const System& sys, const FaultConfig& f) {
  if (f.spec.kind == FaultSpec::Kind::MixShift) return f.mix_types;
  return workload_request_types(sys, f.workload);
}

/// The spans where a source's rate differs from its base rate, each a trigger: consecutive
/// segments off the base are one change (a step up and back down is one spike-shaped change);
/// then each burst of requests sent at once.
std::vector<Trigger> load_changes(const RateProfile& rate, const std::string& source) {
  std::vector<Trigger> changes;
  bool ramp = false;
  size_t segments = 0;
  auto name = [&](Trigger& t) {
    const std::string kind = ramp ? "ramp" : std::isinf(t.end) ? "step" : segments == 1 ? "spike" : "change";
    t.name = source + "profile " + kind + " " + text::number(t.start) +
             (std::isinf(t.end) ? " s on" : "-" + text::number(t.end) + " s");
  };
  for (const auto& seg : rate.segments) {
    if (seg.rate_start == rate.base && seg.rate_end == rate.base) continue;
    if (!changes.empty() && seg.start <= changes.back().end) {
      changes.back().end = std::max(changes.back().end, seg.end);
    } else {
      if (!changes.empty()) name(changes.back());
      changes.push_back({"", seg.start, seg.end, true});
      ramp = false;
      segments = 0;
    }
    ramp |= seg.rate_start != seg.rate_end;
    ++segments;
  }
  if (!changes.empty()) name(changes.back());
  // A burst is a change of offered load that lasts an instant: it ends where it starts.
  for (const auto& burst : rate.bursts) {
    changes.push_back(
        {source + "profile burst of " + std::to_string(burst.count) + " at " + text::number(burst.at) + " s", burst.at,
         burst.at, true});
  }
  return changes;
}

}  // namespace

bool SystemGraph::has_load_change() const {
  return std::any_of(triggers.begin(), triggers.end(), [](const Trigger& t) { return t.load_change; });
}

bool SystemGraph::calls(uint32_t caller, uint32_t callee) const {
  const auto& c = sync_callees[caller];
  return std::find(c.begin(), c.end(), callee) != c.end();
}

SystemGraph build_system_graph(const System& sys) {
  const size_t n = sys.services.size();
  SystemGraph g;
  g.sync_callees.resize(n);
  g.callers.resize(n);
  g.hosts.resize(n);
  g.on_host.resize(sys.hosts.size());
  g.edges_into.resize(n);
  g.touched_by.assign(n, -1);
  g.reaches.assign(sys.request_types.size(), std::vector<uint8_t>(n, 0));

  for (uint32_t t = 0; t < sys.request_types.size(); ++t) {
    auto& seen = g.reaches[t];
    std::vector<uint32_t> stack{sys.request_types[t].entry};
    seen[stack.back()] = 1;
    while (!stack.empty()) {
      const uint32_t s = stack.back();
      stack.pop_back();
      const CallPlan& plan = sys.plan(t, s);
      for (uint32_t st = plan.first_stage; st < plan.first_stage + plan.stage_count; ++st) {
        const CallStage& stage = sys.stages[st];
        for (uint32_t c = stage.first_call; c < stage.first_call + stage.call_count; ++c) {
          const CallConfig& call = sys.calls[c];
          if (call.mode != CallMode::Async) add_unique(g.sync_callees[s], call.callee);
          add_unique(g.callers[call.callee], s);
          if (!seen[call.callee]) {
            seen[call.callee] = 1;
            stack.push_back(call.callee);
          }
        }
      }
    }
  }
  for (uint32_t s = 0; s < n; ++s) {
    for (const auto h : sys.services[s].replica_hosts) {
      add_unique(g.hosts[s], h);
      add_unique(g.on_host[h], s);
    }
  }
  for (uint32_t e = 0; e < sys.edge_policies.size(); ++e) g.edges_into[sys.edge_policies[e].callee].push_back(e);

  using Kind = FaultSpec::Kind;
  auto touch = [&](uint32_t s, size_t f) {
    if (g.touched_by[s] < 0) g.touched_by[s] = static_cast<int32_t>(f);
  };
  // Extra or shifted traffic lands on every service those requests visit.
  auto touch_visited = [&](const std::vector<uint32_t>& types, size_t f) {
    for (const auto t : types) {
      for (uint32_t s = 0; s < n; ++s) {
        if (g.reaches[t][s]) touch(s, f);
      }
    }
  };
  for (size_t f = 0; f < sys.faults.size(); ++f) {
    const FaultConfig& fc = sys.faults[f];
    g.triggers.push_back({fc.spec.name, fc.spec.start, fc.spec.end, false});
    switch (fc.spec.kind) {
      case Kind::Slowdown:
      case Kind::HostFailure:
      case Kind::LinkDegradation:
      case Kind::Partition:
        for (const auto s : g.on_host[fc.host]) touch(s, f);
        break;
      case Kind::LoadSpike:
      case Kind::MixShift: touch_visited(fault_request_types(sys, fc), f); break;
      default:
        // A latency on an edge is felt by the caller, which waits for it.
        touch(fc.caller != kNone ? fc.caller : fc.service, f);
        break;
    }
  }
  // A change of offered load is a trigger like a load_spike fault, and touches the same services.
  for (uint32_t w = 0; w < sys.workload.size(); ++w) {
    const std::string source = sys.workload.size() > 1 ? sys.workload[w].label + " " : "";
    for (auto& change : load_changes(sys.workload[w].rate, source)) {
      g.triggers.push_back(std::move(change));
      touch_visited(workload_request_types(sys, w), g.triggers.size() - 1);
    }
  }
  return g;
}

}  // namespace rapture
