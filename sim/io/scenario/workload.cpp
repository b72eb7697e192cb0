// `requests:` and `workload:`: the request types and the sources that send them.

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/limits.hpp"
#include "io/scenario/sections.hpp"

namespace rapture::scenario_reader {

namespace {

/// The kinds of the segments of a rate profile.
enum class SegmentKind { Step, Ramp, Spike, Burst };

const text::KeywordTable<SegmentKind> kSegmentKinds{{"step", SegmentKind::Step},
                                                    {"ramp", SegmentKind::Ramp},
                                                    {"spike", SegmentKind::Spike},
                                                    {"burst", SegmentKind::Burst}};

const text::KeywordTable<WorkloadSpec::Kind> kArrivalKinds{{"poisson", WorkloadSpec::Kind::Poisson},
                                                           {"closed", WorkloadSpec::Kind::Closed}};

/// The base rate and its `profile:` segments, as consecutive segments of the rate; its bursts,
/// which must fall inside a run of `duration` seconds.
RateProfile read_profile(const Reader& r, const Item& base, const std::optional<Item>& profile, double duration) {
  RateProfile p;
  p.base = r.rate(base);
  if (!(p.base > 0)) r.fail(base, "the arrival rate must be > 0, got " + base.node.Scalar());
  if (!profile) return p;

  struct Step {
    double at, rate;
    Item item;
  };
  struct Window {
    RateProfile::Segment segment;
    Item item;
    std::string what;
  };
  std::vector<Step> steps;
  std::vector<Window> windows;  // ramps and spikes: they apply only inside their interval
  for (const auto& item : r.list(*profile, "profile segments such as {kind: step, at: 60s, rate: 200/s}")) {
    const MapView m(r, item);
    const Item kind_item = m.need("kind", kSegmentKinds.expected());
    switch (r.keyword(kind_item, "profile segment kind", kSegmentKinds)) {
      case SegmentKind::Step:
        m.allow({"kind", "at", "rate"});
        steps.push_back(
            {r.duration(m.need("at", "when the step happens")), r.rate(m.need("rate", "the new rate")), item});
        break;
      case SegmentKind::Ramp: {
        m.allow({"kind", "from", "to", "start_rate", "end_rate"});
        const Item from = m.need("from", "when the ramp starts");
        const Item to = m.need("to", "when the ramp ends");
        RateProfile::Segment seg{r.duration(from), r.duration(to), r.rate(m.need("start_rate", "the rate at from")),
                                 r.rate(m.need("end_rate", "the rate at to"))};
        if (seg.end <= seg.start) {
          r.fail(to, "a ramp must end after it starts (from " + seconds(seg.start) + ", to " + seconds(seg.end) + ")");
        }
        windows.push_back({seg, item, "ramp"});
        break;
      }
      case SegmentKind::Spike: {
        m.allow({"kind", "at", "duration", "rate"});
        const double at = r.duration(m.need("at", "when the spike starts"));
        const Item length = m.need("duration", "how long the spike lasts");
        const double d = r.duration(length);
        if (d <= 0) r.fail(length, "a spike must last > 0, got " + length.node.Scalar());
        const double rate = r.rate(m.need("rate", "the rate during the spike"));
        windows.push_back({{at, at + d, rate, rate}, item, "spike"});
        break;
      }
      case SegmentKind::Burst: {
        m.allow({"kind", "at", "count"});
        const Item at = m.need("at", "when the burst is sent");
        RateProfile::Burst burst{
            r.duration(at),
            r.integer(m.need("count", "how many requests it sends, e.g. count: 500"), 1, limits::kUsers)};
        if (burst.at >= duration) {
          r.fail(at, "a burst at " + seconds(burst.at) + " falls after the end of the run (duration " +
                         seconds(duration) + ")");
        }
        p.bursts.push_back(burst);
        break;
      }
    }
  }

  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.at < b.at; });
  std::stable_sort(windows.begin(), windows.end(),
                   [](const Window& a, const Window& b) { return a.segment.start < b.segment.start; });
  for (size_t i = 1; i < steps.size(); ++i) {
    if (steps[i].at == steps[i - 1].at) r.fail(steps[i].item, "two steps at " + seconds(steps[i].at));
  }
  auto span = [](const RateProfile::Segment& g) { return "[" + seconds(g.start) + ", " + seconds(g.end) + ")"; };
  for (size_t i = 1; i < windows.size(); ++i) {
    if (windows[i].segment.start < windows[i - 1].segment.end) {
      r.fail(windows[i].item, windows[i].what + " " + span(windows[i].segment) + " overlaps " + windows[i - 1].what +
                                  " " + span(windows[i - 1].segment));
    }
  }
  // A step changes the level in the middle of a ramp or spike would make the level after it unclear.
  for (const auto& st : steps) {
    for (const auto& w : windows) {
      if (st.at > w.segment.start && st.at < w.segment.end) {
        r.fail(st.item, "the step at " + seconds(st.at) + " falls inside the " + w.what + " " + span(w.segment));
      }
    }
  }

  // Steps set the level until the next step; ramps and spikes replace it only inside their interval.
  for (size_t i = 0; i < steps.size(); ++i) {
    double start = steps[i].at;
    const double end = i + 1 < steps.size() ? steps[i + 1].at : std::numeric_limits<double>::infinity();
    for (const auto& w : windows) {
      if (w.segment.end <= start || w.segment.start >= end) continue;
      if (w.segment.start > start) p.segments.push_back({start, w.segment.start, steps[i].rate, steps[i].rate});
      start = w.segment.end;
    }
    if (start < end) p.segments.push_back({start, end, steps[i].rate, steps[i].rate});
  }
  for (const auto& w : windows) p.segments.push_back(w.segment);
  std::sort(p.segments.begin(), p.segments.end(),
            [](const RateProfile::Segment& a, const RateProfile::Segment& b) { return a.start < b.start; });
  return p;
}

}  // namespace

void read_requests(const Reader& r, const MapView& top, Scenario& s) {
  const auto requests = top.get("requests");
  if (!requests) return;
  const MapView m(r, *requests);
  for (const auto& e : m.entries()) {
    if (e.name.empty()) r.fail(e.item, "a request name must not be empty");
    const MapView req(r, e.item);
    req.allow({"entry", "edges", "skip", "calls"});
    RequestTypeSpec spec;
    spec.name = e.name;
    spec.entry = r.text(req.need("entry", "the service where the request enters"), "a service name");
    auto edges = [&](std::string_view key, auto& out) {
      if (auto list_item = req.get(key)) {
        for (const auto& el : r.list(*list_item, "edges such as \"frontend -> cart\"")) {
          out.push_back(r.edge(el, r.text(el, "an edge such as \"frontend -> cart\"")));
        }
      }
    };
    edges("edges", spec.only_edges);
    edges("skip", spec.skip_edges);
    if (auto calls = req.get("calls")) spec.calls = read_edge_overrides(r, *calls);
    spec.where = r.where_key(e.item, "request '" + e.name + "'");
    s.requests.push_back(std::move(spec));
  }
}

void read_workload(const Reader& r, const MapView& top, Scenario& s) {
  const Item workload = top.need("workload", "a list of request sources, e.g. - request: browse");
  const auto items = r.list(workload, "request sources");
  if (items.empty()) r.fail(workload, "the workload must list at least one source of requests");

  const size_t declared = s.requests.size();
  auto find_request = [&](const std::string& name) -> RequestTypeSpec* {
    for (auto& q : s.requests) {
      if (q.name == name) return &q;
    }
    return nullptr;
  };
  // Names are checked once every inline definition is known, so the order of entries does not matter.
  std::vector<std::pair<std::string, Item>> references;

  for (const auto& item : items) {
    const MapView m(r, item);
    m.allow({"request", "mix", "entry", "arrivals", "tenants"});
    WorkloadSpec w;
    w.where = r.where_key(item, item.path);
    const auto request = m.get("request");
    const auto mix = m.get("mix");
    const auto entry = m.get("entry");
    if (request && mix) r.fail(*mix, "give either request: or mix:, not both");
    if (!request && !mix) {
      r.fail(item, "a workload entry needs request: NAME or mix: {NAME: WEIGHT, ...}");
    }
    if (request) {
      const std::string name = r.text(*request, "a request name");
      if (name.empty()) r.fail(*request, "a request name must not be empty");
      w.mix.emplace_back(name, 1.0);
      RequestTypeSpec* known = find_request(name);
      if (entry) {
        const std::string entry_name = r.text(*entry, "a service name");
        if (known && known->entry != entry_name) {
          const bool inline_def = static_cast<size_t>(known - s.requests.data()) >= declared;
          r.fail(*entry, "request '" + name + "' " + (inline_def ? "is defined inline" : "is declared under requests") +
                             " with entry '" + known->entry + "', not '" + entry_name + "'");
        }
        if (!known) {
          RequestTypeSpec spec;
          spec.name = name;
          spec.entry = entry_name;
          // Its entry is what the topology check can find wrong, so point there.
          spec.where = r.where_key(*entry, "request '" + name + "'");
          s.requests.push_back(std::move(spec));
        }
      } else {
        references.emplace_back(name, *request);
      }
    } else {
      if (entry) r.fail(*entry, "entry: defines a single request: and cannot go with mix:");
      const MapView weights(r, *mix);
      if (weights.entries().empty()) r.fail(*mix, "a mix needs at least one request and its weight");
      double total = 0;
      for (const auto& e : weights.entries()) {
        const double weight = r.number(e.item);
        if (!(weight > 0)) r.fail(e.item, "a mix weight must be > 0, got " + e.item.node.Scalar());
        total += weight;
        w.mix.emplace_back(e.name, weight);
        references.emplace_back(e.name, Item{e.item.key, YAML::Node(), e.item.path, ""});
      }
      if (!std::isfinite(total)) r.fail(*mix, "the mix weights are too large to add up");
      for (auto& [name, weight] : w.mix) weight /= total;
    }

    const Item arrivals = m.need("arrivals", "how requests arrive, e.g. arrivals: {kind: poisson, rate: 100/s}");
    const MapView a(r, arrivals);
    w.kind = WorkloadSpec::Kind::Poisson;
    if (auto k = a.get("kind")) w.kind = r.keyword(*k, "arrival kind", kArrivalKinds);
    switch (w.kind) {
      case WorkloadSpec::Kind::Poisson:
        a.allow({"kind", "rate", "profile"});
        w.rate = read_profile(r, a.need("rate", "the arrival rate, e.g. rate: 100/s"), a.get("profile"), s.duration);
        break;
      case WorkloadSpec::Kind::Closed:
        a.allow({"kind", "users", "think"});
        w.users = r.integer(a.need("users", "the number of concurrent users, e.g. users: 200"), 1, limits::kUsers);
        if (auto think = a.get("think")) w.think = r.distribution(*think);
        break;
    }
    if (auto t = m.get("tenants")) w.tenants = r.integer(*t, 1, limits::kUsers);
    s.workload.push_back(std::move(w));
  }

  for (const auto& [name, item] : references) {
    if (!find_request(name)) {
      r.fail(item, "request '" + name +
                       "' is neither declared under requests nor defined inline (give it an entry: in the workload)");
    }
  }
}

}  // namespace rapture::scenario_reader
