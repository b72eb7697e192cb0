// `designs:`: design variants (settings, recomposition steps, a decay layer, cells).

#include <limits>
#include <tuple>

#include "common/limits.hpp"
#include "io/scenario/sections.hpp"

namespace rapture::scenario_reader {

namespace {

using Kind = Transformation::Kind;

const text::KeywordTable<Kind> kSteps{
    {"merge", Kind::Merge},   {"split", Kind::Split},       {"async", Kind::Async},       {"remove", Kind::RemoveTier},
    {"buffer", Kind::Buffer}, {"colocate", Kind::Colocate}, {"separate", Kind::Separate}, {"drop", Kind::DropEdge}};

const text::KeywordTable<bool> kCellCapacities{{"split", true}, {"copy", false}};

Transformation read_transformation(const Reader& r, const Item& item, const std::string& design) {
  const MapView m(r, item);
  if (m.entries().size() != 1) {
    r.fail(item, "a recomposition step is one of " + kSteps.expected() + ", e.g. - merge: [cart, checkout]");
  }
  const auto& [key, value] = m.entries().front();
  const auto kind = kSteps.find(key);
  if (!kind) r.fail(item, "unknown recomposition step '" + key + "' (expected " + kSteps.expected() + ")");
  Transformation t;
  t.kind = *kind;
  t.where = r.where_key(item, "design '" + design + "', step " + key);
  // A call is written "a -> b", alone or as `call:` of a map with the step's options.
  auto read_call = [&](const Item& v, const std::vector<std::string_view>& options) {
    const Item* call = &v;
    std::optional<Item> from_map;
    if (v.node.IsMap()) {
      const MapView o(r, v);
      o.allow(options);
      from_map = o.need("call", "the call, e.g. call: \"checkout -> email\"");
      call = &*from_map;
      if (auto q = o.get("queue")) t.queue = r.text(*q, "the queue service's name");
      if (auto c = o.get("capacity")) t.capacity = r.integer(*c, 0, limits::kQueue);
      if (auto c = o.get("consumers")) t.consumers = r.integer(*c, 1, limits::kReplicas);
    }
    std::tie(t.from, t.to) = r.edge(*call, r.text(*call, "a call \"from -> to\""));
  };
  switch (t.kind) {
    case Kind::Merge:
      if (value.node.IsMap()) {
        const MapView o(r, value);
        o.allow({"services", "into"});
        t.services = r.names(o.need("services", "the services to merge"), "service names");
        if (auto into = o.get("into")) t.into = r.text(*into, "the merged process's name");
      } else {
        t.services = r.names(value, "service names");
      }
      if (t.services.size() < 2) r.fail(value, "merge needs at least two services");
      break;
    case Kind::Split: {
      const MapView o(r, value);
      o.allow({"service", "parts"});
      t.services = {r.text(o.need("service", "the service to split"), "a service name")};
      const Item parts =
          o.need("parts", "the new services and the request types each serves, e.g. {catalog-read: [browse]}");
      const MapView pm(r, parts);
      for (const auto& e : pm.entries()) t.parts.emplace_back(e.name, r.names(e.item, "request type names"));
      if (t.parts.empty()) r.fail(parts, "split needs at least one part");
      break;
    }
    case Kind::Async: read_call(value, {"call", "queue", "capacity", "consumers"}); break;
    case Kind::Buffer:
      read_call(value, {"call", "queue", "capacity", "consumers"});
      if (!value.node.IsMap()) r.fail(value, "buffer needs {call: \"a -> b\", capacity: N, consumers: M}");
      break;
    case Kind::DropEdge: read_call(value, {"call"}); break;
    case Kind::RemoveTier: t.services = {r.text(value, "the service to remove")}; break;
    case Kind::Colocate:
    case Kind::Separate:
      t.services = r.names(value, "service names");
      if (t.kind == Kind::Colocate && t.services.size() < 2) r.fail(value, "colocate needs at least two services");
      break;
  }
  return t;
}

/// A design's `decay:`, the legacy path part of a request type takes.
DecaySpec read_decay(const Reader& r, const Item& item, const std::string& design) {
  const MapView o(r, item);
  o.allow({"request", "service", "legacy", "share", "error_rate", "latency", "replicas"});
  DecaySpec decay;
  decay.where = r.where_key(item, "design '" + design + "', decay");
  decay.request = r.text(o.need("request", "the request type partly served by the legacy path"), "a request type");
  if (auto x = o.get("service")) decay.service = r.text(*x, "the service the legacy path replaces");
  if (auto x = o.get("legacy")) decay.legacy = r.text(*x, "the legacy service's name");
  decay.share = r.share(o.need("share", "the share of the request type on the legacy path, e.g. 20%"));
  // A ramp is written {from: X, to: Y} (worsening over the run) or as one value (constant).
  auto ramp = [&](const Item& v, auto value_of) {
    if (!v.node.IsMap()) {
      const double x = value_of(v);
      return Ramp{x, x};
    }
    const MapView rm(r, v);
    rm.allow({"from", "to"});
    return Ramp{value_of(rm.need("from", "the value at the start")), value_of(rm.need("to", "the value at the end"))};
  };
  if (auto x = o.get("error_rate")) decay.error_rate = ramp(*x, [&](const Item& i) { return r.share(i); });
  if (auto x = o.get("latency")) decay.latency = ramp(*x, [&](const Item& i) { return r.duration(i); });
  if (auto x = o.get("replicas")) decay.replicas = r.integer(*x, 1, limits::kReplicas);
  return decay;
}

/// A design's `cells:`, the copies of the system and how tenants are assigned to them.
CellSpec read_cells(const Reader& r, const Item& item, const std::string& design) {
  const MapView o(r, item);
  o.allow({"count", "services", "shared", "shuffle_sharding", "capacity"});
  CellSpec c;
  c.where = r.where_key(item, "design '" + design + "', cells");
  const Item count = o.need("count", "the number of cells, e.g. count: 4");
  c.count = r.integer(count, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  if (c.count < 1) r.fail(count, "the number of cells must be at least 1, got " + count.node.Scalar());
  if (auto x = o.get("services")) c.services = r.names(*x, "service names");
  if (auto x = o.get("shared")) c.shared = r.names(*x, "service names");
  if (auto x = o.get("shuffle_sharding")) c.shuffle_sharding = r.boolean(*x);
  if (auto x = o.get("capacity")) c.split_capacity = r.keyword(*x, "capacity", kCellCapacities);
  return c;
}

}  // namespace

void read_designs(const Reader& r, const MapView& top, Scenario& s) {
  const auto designs = top.get("designs");
  if (!designs) return;
  for (const auto& item : r.list(*designs, "a list of designs")) {
    const MapView m(r, item);
    m.allow({"name", "description", "set", "recompose", "decay", "cells"});
    DesignSpec d;
    const Item name = m.need("name", "the design's name, e.g. name: cells");
    d.name = r.text(name, "a design name");
    if (d.name.empty() || d.name == "baseline") {
      r.fail(name, "a design needs a name other than 'baseline' (the scenario as written)");
    }
    for (const auto& other : s.designs) {
      if (other.name == d.name) r.fail(name, "design '" + d.name + "' is defined twice");
    }
    d.where = r.where_key(item, "design '" + d.name + "'");
    if (auto v = m.get("description")) d.description = r.text(*v, "a sentence");
    if (auto v = m.get("set")) {
      // Kept as `--set` assignments: the design is the scenario with them applied.
      const MapView sets(r, *v);
      std::vector<SourceLocation> where;
      for (const auto& e : sets.entries()) {
        YAML::Emitter out;
        out << YAML::Flow << e.item.node;
        d.set.push_back(e.name + "=" + out.c_str());
        // Errors in the value, once applied, name this line and the design (see load_design).
        where.push_back(r.where_key(e.item, "design '" + d.name + "'"));
      }
      s.design_set_where.emplace_back(d.name, std::move(where));
    }
    if (auto v = m.get("recompose")) {
      for (const auto& step : r.list(*v, "a list of recomposition steps")) {
        d.recomposition.push_back(read_transformation(r, step, d.name));
      }
    }
    // A design that changes nothing is allowed on purpose: it reproduces the baseline (common random numbers).
    if (auto v = m.get("decay")) d.decay = read_decay(r, *v, d.name);
    if (auto v = m.get("cells")) d.cells = read_cells(r, *v, d.name);
    s.designs.push_back(std::move(d));
  }
}

}  // namespace rapture::scenario_reader
