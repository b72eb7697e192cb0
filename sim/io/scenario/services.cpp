// `defaults:`, `services:` and `edges:`: what the scenario sets on the topology's services and calls.

#include <cmath>
#include <stdexcept>

#include "common/limits.hpp"
#include "io/scenario/sections.hpp"

namespace rapture::scenario_reader {

namespace {

// "utilization" is an accepted spelling, left out of messages.
const text::KeywordTable<LoadCost::Variable> kLoadVariables{{"utilisation", LoadCost::Variable::Utilisation},
                                                            {"in_flight", LoadCost::Variable::InFlight},
                                                            {"queue", LoadCost::Variable::Queue},
                                                            {"utilization", LoadCost::Variable::Utilisation}};

const text::KeywordTable<LoadCost::Shape> kLoadShapes{{"linear", LoadCost::Shape::Linear},
                                                      {"polynomial", LoadCost::Shape::Polynomial},
                                                      {"exponential", LoadCost::Shape::Exponential},
                                                      {"table", LoadCost::Shape::Table}};

/// `load_cost:` — `none`, or a map: `of` (the load variable), one shape key with its
/// parameters, and `max` (the multiplier's cap).
LoadCost read_load_cost(const Reader& r, const Item& item) {
  LoadCost c;
  if (item.node.IsScalar() && item.node.Scalar() == "none") return c;
  if (!item.node.IsMap()) r.fail(item, "expected none or a map such as {of: utilisation, exponential: 3}");
  const MapView m(r, item);
  std::vector<std::string_view> keys{"of", "max"};
  for (const auto name : kLoadShapes.names()) keys.push_back(name);
  m.allow(keys);
  if (auto v = m.get("of")) c.of = r.keyword(*v, "load variable", kLoadVariables);
  if (auto v = m.get("max")) c.cap = r.number(*v);
  std::optional<Item> shape;
  for (const auto name : kLoadShapes.names()) {
    const auto v = m.get(name);
    if (!v) continue;
    if (shape) r.fail(*v, "give one shape of " + kLoadShapes.expected() + ", not two");
    shape = v;
    c.shape = *kLoadShapes.find(name);
  }
  if (!shape) r.fail(item, "a load cost needs its shape: " + kLoadShapes.expected());
  switch (c.shape) {
    case LoadCost::Shape::Linear:
    case LoadCost::Shape::Exponential: c.coefficients = {r.number(*shape)}; break;
    case LoadCost::Shape::Polynomial:
      for (const auto& el : r.list(*shape, "coefficients c0, c1, c2, ...")) c.coefficients.push_back(r.number(el));
      break;
    case LoadCost::Shape::Table:
      for (const auto& el : r.list(*shape, "points [load, multiplier]")) {
        const auto pair = r.list(el, "a point [load, multiplier]");
        if (pair.size() != 2) r.fail(el, "a table point is [load, multiplier], got " + type_name(el.node));
        c.points.emplace_back(r.number(pair[0]), r.number(pair[1]));
      }
      break;
    case LoadCost::Shape::None: break;
  }
  r.validated(*shape, LoadCost{c.of, c.shape, c.coefficients, c.points, kDefaultLoadCostCap});
  if (auto v = m.get("max")) r.validated(*v, c);
  return c;
}

const text::KeywordTable<KeySpace::Popularity> kPopularities{{"uniform", KeySpace::Popularity::Uniform},
                                                             {"zipf", KeySpace::Popularity::Zipf}};

const text::KeywordTable<LookAsideCache::Eviction> kEvictions{{"lru", LookAsideCache::Eviction::Lru},
                                                              {"fifo", LookAsideCache::Eviction::Fifo}};

/// The most keys a cache holds: its tables take about 40 bytes a key (LookAsideCache::memory_bytes_for).
constexpr int64_t kMaxCacheCapacity = 100'000'000;
/// The largest key space: keys are drawn in O(1) whatever the size.
constexpr double kMaxKeySpace = 1e15;

/// `cache:` of a service — `{keys: {size, popularity, exponent}, capacity, eviction, ttl, backend}`.
CacheSpec read_cache(const Reader& r, const Item& item, Scenario& s, const std::string& service) {
  CacheSpec c;
  const MapView m(r, item);
  m.allow({"keys", "capacity", "eviction", "ttl", "backend"});
  const Item keys = m.need("keys", "the key space, e.g. {size: 100000, popularity: zipf, exponent: 0.99}");
  const MapView k(r, keys);
  k.allow({"size", "popularity", "exponent"});
  const Item size = k.need("size", "how many keys there are, e.g. 100000");
  const double n = r.number(size);
  if (!(n >= 1 && n <= kMaxKeySpace && n == std::floor(n))) {
    r.fail(size, "a key space size must be a whole number from 1 to 1e15, got " + size.node.Scalar());
  }
  c.keys = static_cast<uint64_t>(n);
  if (auto v = k.get("popularity")) c.popularity = r.keyword(*v, "key popularity", kPopularities);
  if (auto v = k.get("exponent")) {
    if (c.popularity != KeySpace::Popularity::Zipf) r.fail(*v, "an exponent applies to zipf popularity only");
    c.exponent = r.number(*v);
    if (!(c.exponent > 0 && c.exponent <= 10)) r.fail(*v, "a Zipf exponent must be in (0, 10]");
  }
  const Item capacity = m.need("capacity", "the most keys it holds, e.g. 20000");
  c.capacity = static_cast<uint32_t>(r.integer(capacity, 1, kMaxCacheCapacity));
  if (static_cast<double>(c.capacity) > n) {
    s.notes.push_back({r.where_key(capacity, "cache '" + service + "'"),
                       "capacity " + std::to_string(c.capacity) + " is above the key space (" + std::to_string(c.keys) +
                           " keys): every key fits, the rest is never used"});
  }
  if (auto v = m.get("eviction")) c.eviction = r.keyword(*v, "eviction", kEvictions);
  if (auto v = m.get("ttl")) {
    if (!(v->node.IsScalar() && v->node.Scalar() == "none")) {
      c.ttl = r.duration(*v);
      if (!(c.ttl > 0)) r.fail(*v, "a ttl must be > 0 (or none: keys stay fresh until evicted)");
    }
  }
  const Item backend = m.need("backend", "the service a miss calls, one of the cache's callees");
  c.backend = r.text(backend, "a service name");
  c.where = r.where_key(backend, "cache '" + service + "'");
  return c;
}

ServiceParams read_params(const Reader& r, const Item& item, bool cache_allowed = false) {
  const MapView m(r, item);
  std::vector<std::string_view> keys{"replicas",   "workers",  "queue",      "service_time", "host",
                                     "discipline", "balancer", "error_rate", "load_cost"};
  if (cache_allowed) keys.push_back("cache");
  m.allow(keys);
  ServiceParams p;
  if (auto v = m.get("load_cost")) p.load_cost = read_load_cost(r, *v);
  if (auto v = m.get("error_rate")) {
    p.error_rate = r.number(*v);
    if (!(*p.error_rate >= 0 && *p.error_rate <= 1)) r.fail(*v, "an error rate must be in [0, 1]");
  }
  if (auto v = m.get("replicas")) p.replicas = r.integer(*v, 1, limits::kReplicas);
  if (auto v = m.get("workers")) p.workers = r.integer(*v, 1, limits::kWorkers);
  if (auto v = m.get("queue")) p.queue_capacity = r.integer(*v, 0, limits::kQueue);
  if (auto v = m.get("service_time")) p.service_time = r.distribution(*v);
  if (auto v = m.get("host")) {
    p.host = r.text(*v, "a host name");
    if (p.host->empty()) r.fail(*v, "a host name must not be empty");
  }
  // The model parses its own enumerations; their complaint lists the choices from its tables.
  try {
    if (auto v = m.get("discipline")) {
      p.discipline = parse_queue_discipline(r.text(*v, "a queue discipline such as fifo"));
    }
  } catch (const std::invalid_argument& e) {
    r.fail(*m.get("discipline"), e.what());
  }
  try {
    if (auto v = m.get("balancer")) p.balancer = parse_balancer(r.text(*v, "a load balancer such as round_robin"));
  } catch (const std::invalid_argument& e) {
    r.fail(*m.get("balancer"), e.what());
  }
  return p;
}

}  // namespace

std::vector<std::string_view> service_kind_names() {
  std::vector<std::string_view> out;
  for (int i = 0; i < kServiceKinds; ++i) out.push_back(to_string(static_cast<ServiceKind>(i)));
  return out;
}

void read_services(const Reader& r, const MapView& top, Scenario& s) {
  if (auto defaults = top.get("defaults")) {
    const MapView m(r, *defaults);
    m.allow(service_kind_names());
    for (const auto& e : m.entries()) {
      s.kind_defaults[static_cast<size_t>(parse_service_kind(e.name))] = read_params(r, e.item);
    }
  }

  if (auto services = top.get("services")) {
    const MapView m(r, *services);
    for (const auto& e : m.entries()) {
      if (e.name.empty()) r.fail(e.item, "a service name must not be empty");
      ServiceParams p = read_params(r, e.item, true);
      if (auto v = MapView(r, e.item).get("cache")) p.cache = read_cache(r, *v, s, e.name);
      s.services.emplace_back(e.name, std::move(p));
      s.service_where.push_back(r.where_key(e.item, "service '" + e.name + "'"));
    }
  }
}

void read_edges(const Reader& r, const MapView& top, Scenario& s) {
  if (const auto edges = top.get("edges")) s.edges = read_edge_overrides(r, *edges);
}

std::vector<EdgeOverride> read_edge_overrides(const Reader& r, const Item& item) {
  std::vector<EdgeOverride> out;
  const MapView m(r, item);
  for (const auto& e : m.entries()) {
    const auto [from, to] = r.edge(Item{e.item.key, YAML::Node(), e.item.path, ""}, e.name);
    for (const auto& other : out) {
      if (other.from == from && other.to == to) r.fail(e.item, "edge " + text::edge_name(from, to) + " is given twice");
    }
    const MapView o(r, e.item);
    o.allow({"probability", "critical", "calls", "group", "mode", "active"});
    EdgeOverride over;
    over.from = from;
    over.to = to;
    if (auto v = o.get("probability")) {
      const double prob = r.number(*v);
      if (!(prob >= 0 && prob <= 1)) r.fail(*v, "a probability must be in [0, 1], got " + v->node.Scalar());
      over.probability = prob;
    }
    if (auto v = o.get("critical")) over.critical = r.boolean(*v);
    if (auto v = o.get("active")) over.active = r.boolean(*v);
    if (auto v = o.get("calls")) over.calls = r.integer(*v, 1, limits::kCallsPerVisit);
    if (auto v = o.get("group")) over.group = r.text(*v, "a group name");
    if (auto v = o.get("mode")) {
      try {
        over.mode = parse_call_mode(r.text(*v, "a call mode such as sync"));
      } catch (const std::invalid_argument& ex) {
        r.fail(*v, ex.what());
      }
    }
    over.where = r.where_key(e.item, "edge " + text::edge_name(from, to));
    out.push_back(std::move(over));
  }
  return out;
}

}  // namespace rapture::scenario_reader
