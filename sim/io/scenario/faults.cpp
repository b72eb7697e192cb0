// `faults:`: what goes wrong, where and when.

#include <algorithm>

#include "common/limits.hpp"
#include "io/scenario/sections.hpp"
#include "io/scenario_reader.hpp"

namespace rapture::scenario_reader {

namespace {

using Kind = FaultSpec::Kind;

const text::KeywordTable<Kind> kFaultKinds{{"crash", Kind::Crash},
                                           {"latency", Kind::Latency},
                                           {"error", Kind::Error},
                                           {"slowdown", Kind::Slowdown},
                                           {"queue_shrink", Kind::QueueShrink},
                                           {"worker_shrink", Kind::WorkerShrink},
                                           {"host_failure", Kind::HostFailure},
                                           {"swallow", Kind::Swallow},
                                           {"load_spike", Kind::LoadSpike},
                                           {"link_degradation", Kind::LinkDegradation},
                                           {"partition", Kind::Partition},
                                           {"mix_shift", Kind::MixShift},
                                           {"cache_flush", Kind::CacheFlush}};

/// Every key some fault takes; a key no fault takes is reported with these (near misses first).
const std::vector<std::string_view> kAnyField{"name",       "kind",     "target", "replica", "cell",
                                              "start",      "duration", "end",    "restart", "latency",
                                              "error_rate", "factor",   "size",   "mix",     "share"};

/// The settings of fault `f` that depend on its kind.
void read_magnitude(const Reader& r, const MapView& m, const Item& item, FaultSpec& f) {
  switch (f.kind) {
    case Kind::Latency: f.latency = r.distribution(m.need("latency", "the added latency, e.g. exp(50ms)")); break;
    case Kind::Error: {
      const Item v = m.need("error_rate", "the share of visits that fail, e.g. 0.2");
      f.error_rate = r.number(v);
      if (!(f.error_rate >= 0 && f.error_rate <= 1)) r.fail(v, "an error rate must be in [0, 1]");
      break;
    }
    case Kind::Slowdown: {
      const Item v = m.need("factor", "the CPU speed multiplier, e.g. 0.25");
      f.factor = r.number(v);
      if (!(f.factor > 0 && f.factor <= 1)) r.fail(v, "a slowdown factor must be in (0, 1]");
      break;
    }
    case Kind::LoadSpike: {
      const Item v = m.need("factor", "the arrival rate multiplier, e.g. 3");
      f.factor = r.number(v);
      if (!(f.factor > 0 && f.factor <= 1000)) r.fail(v, "a load spike factor must be in (0, 1000]");
      break;
    }
    case Kind::LinkDegradation:
      if (auto v = m.get("latency")) f.latency = r.distribution(*v);
      if (auto v = m.get("factor")) {
        f.factor = r.number(*v);
        if (!(f.factor > 0 && f.factor <= 1)) r.fail(*v, "a bandwidth factor must be in (0, 1]");
      }
      if (!m.get("latency") && !m.get("factor")) r.fail(item, "link_degradation needs a latency, a factor or both");
      break;
    case Kind::MixShift: {
      const Item v = m.need("mix", "the request mix while it lasts, e.g. {browse: 1, checkout: 3}");
      const MapView mix(r, v);
      for (const auto& e : mix.entries()) f.mix.emplace_back(e.name, r.number(e.item));
      break;
    }
    case Kind::QueueShrink:
      f.size = r.integer(m.need("size", "the queue capacity during the fault"), 0, limits::kQueue);
      break;
    case Kind::WorkerShrink:
      f.size = r.integer(m.need("size", "the workers per replica during the fault"), 1, limits::kWorkers);
      break;
    case Kind::CacheFlush:
      if (auto v = m.get("share")) {
        f.share = r.share(*v);
        if (!(f.share > 0 && f.share <= 1)) r.fail(*v, "a flush drops a share of the keys in (0, 100%]");
      }
      break;
    default: break;
  }
}

}  // namespace

void read_faults(const Reader& r, const MapView& top, Scenario& s) {
  const auto faults = top.get("faults");
  if (!faults) return;
  const auto items = r.list(*faults, "a list of faults");
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    const MapView m(r, item);
    FaultSpec f;
    f.name = m.get("name") ? r.text(*m.get("name"), "a fault name") : "fault" + std::to_string(i);
    f.kind = r.keyword(m.need("kind", "the kind of fault"), "fault kind", kFaultKinds);
    // The keys of the fault's own kind only: `size` on a latency fault would be read by nothing.
    const auto fields = fault_fields(f.kind);
    for (const auto& e : m.entries()) {
      if (std::find(fields.begin(), fields.end(), e.name) != fields.end()) continue;
      const std::string kind(kFaultKinds.name(f.kind));
      const auto near = text::near_miss(e.name, fields);
      const bool of_another_kind = std::find(kAnyField.begin(), kAnyField.end(), e.name) != kAnyField.end();
      throw InputError(r.where_key(e.item, "key " + e.item.path),
                       (of_another_kind ? "a " + kind + " fault has no field '" + e.name + "'"
                                        : "unknown key '" + e.name + "' in fault '" + f.name + "'") +
                           " (" + (near ? "did you mean '" + std::string(*near) + "'? " : std::string()) + "a " + kind +
                           " fault takes " + text::one_of(fields) + ")");
    }
    if (auto v = m.get("target")) {
      f.target = r.text(*v, "a service, host or workload index");
      // A latency fault may aim at one call: an arrow must make a well-formed one (see target_call).
      if (f.kind == Kind::Latency && f.target.find("->") != std::string::npos) (void)r.edge(*v, f.target);
    } else if (f.kind != Kind::LoadSpike && f.kind != Kind::MixShift) {
      r.fail(item, "fault '" + f.name + "' needs a target");
    }
    if (auto v = m.get("replica")) f.replica = r.integer(*v, 0, limits::kReplicas);
    if (auto v = m.get("cell")) {
      f.cell = v->node.IsScalar() && v->node.Scalar() == "all" ? -1 : r.integer(*v, 0, 1000);
    }
    f.start = r.duration(m.need("start", "when the fault starts, e.g. 120s"));
    if (f.kind == Kind::CacheFlush) f.end = f.start;  // a one-shot: no duration
    const auto dur = m.get("duration") ? m.get("duration") : m.get("restart");
    if (dur && m.get("end")) r.fail(*m.get("end"), "give either a duration (or restart) or an end, not both");
    if (dur) f.end = f.start + r.duration(*dur);
    if (auto v = m.get("end")) f.end = r.duration(*v);
    if (!(f.end > f.start) && f.kind != Kind::CacheFlush)
      r.fail(item, "fault '" + f.name + "' must end after it starts");
    // A note, not an error: shortening a run with `--set duration=...` for a quick look is
    // common, and the faults it cuts off should say so rather than stop the run.
    if (f.start >= s.duration) {
      s.notes.push_back({r.where(*m.get("start")), "fault '" + f.name + "' starts at " + seconds(f.start) +
                                                       ", when the run has ended (duration " + seconds(s.duration) +
                                                       "): it has no effect"});
    }
    read_magnitude(r, m, item, f);
    f.where = r.where_key(item, "fault '" + f.name + "'");
    for (const auto& other : s.faults) {
      if (other.name == f.name) r.fail(item, "fault '" + f.name + "' is defined twice");
    }
    s.faults.push_back(std::move(f));
  }
}

}  // namespace rapture::scenario_reader

namespace rapture {

std::vector<std::string_view> fault_fields(FaultSpec::Kind kind) {
  using Kind = FaultSpec::Kind;
  std::vector<std::string_view> out{"name", "kind", "target"};
  FaultSpec probe;
  probe.kind = kind;
  // The kinds aimed at a service resolve `replica` and `cell` (system.cpp, cells).
  if (kind == Kind::CacheFlush) {  // a one-shot at its start: no replica, no duration
    out.insert(out.end(), {"cell", "start", "share"});
    return out;
  }
  if (probe.targets_service()) out.insert(out.end(), {"replica", "cell"});
  out.insert(out.end(), {"start", "duration", "end"});
  switch (kind) {
    case Kind::Crash: out.push_back("restart"); break;
    case Kind::Latency: out.push_back("latency"); break;
    case Kind::Error: out.push_back("error_rate"); break;
    case Kind::Slowdown:
    case Kind::LoadSpike: out.push_back("factor"); break;
    case Kind::LinkDegradation: out.insert(out.end(), {"latency", "factor"}); break;
    case Kind::QueueShrink:
    case Kind::WorkerShrink: out.push_back("size"); break;
    case Kind::MixShift: out.push_back("mix"); break;
    case Kind::HostFailure:
    case Kind::Swallow:
    case Kind::Partition:
    case Kind::CacheFlush: break;
  }
  return out;
}

std::string_view fault_kind_name(FaultSpec::Kind kind) { return scenario_reader::kFaultKinds.name(kind); }

}  // namespace rapture
