// `platform:`: the network, the hosts and where services run.

#include <set>

#include "common/limits.hpp"
#include "common/units.hpp"
#include "io/scenario/sections.hpp"

namespace rapture::scenario_reader {

void read_platform(const Reader& r, const MapView& top, Scenario& s) {
  const auto platform = top.get("platform");
  if (!platform) return;
  PlatformSpec& p = s.platform;
  const MapView m(r, *platform);
  m.allow({"network", "reference_speed", "hosts", "placement"});

  if (auto network = m.get("network")) {
    const MapView n(r, *network);
    n.allow({"latency", "bandwidth"});
    if (auto v = n.get("latency")) p.hop_latency = r.duration(*v);
    if (auto v = n.get("bandwidth")) {
      p.bandwidth = r.with_units(*v, "a bandwidth such as 10Gbps", units::parse_bandwidth);
      if (!(p.bandwidth > 0)) r.fail(*v, "a bandwidth must be > 0, got " + v->node.Scalar());
    }
  }
  auto speed = [&](const Item& v) {
    const double x = r.with_units(v, "a CPU speed such as 1Gf", units::parse_speed);
    if (!(x > 0)) r.fail(v, "a CPU speed must be > 0, got " + v.node.Scalar());
    return x;
  };
  if (auto v = m.get("reference_speed")) p.reference_speed = speed(*v);

  // Every name a placement may use: hosts, groups and the members of groups.
  std::set<std::string> names;
  auto add_name = [&](const Item& item, const std::string& name) {
    if (!names.insert(name).second) r.fail(item, "host name '" + name + "' is used twice");
  };
  if (auto hosts = m.get("hosts")) {
    for (const auto& item : r.list(*hosts, "hosts such as {name: big, speed: 2Gf, cores: 16}")) {
      const MapView h(r, item);
      h.allow({"name", "speed", "cores", "count"});
      HostSpec host;
      const Item name = h.need("name", "the host's name");
      host.name = r.text(name, "a host name");
      if (host.name.empty()) r.fail(name, "a host name must not be empty");
      host.speed = p.reference_speed;
      if (auto v = h.get("speed")) host.speed = speed(*v);
      if (auto v = h.get("cores")) host.cores = r.integer(*v, 1, 1'000'000);
      if (auto v = h.get("count")) host.count = r.integer(*v, 1, limits::kReplicas);
      add_name(name, host.name);
      if (host.count > 1) {
        for (int64_t i = 0; i < host.count; ++i) add_name(name, host.name + "-" + std::to_string(i));
      }
      host.where = r.where_key(item, "host '" + host.name + "'");
      p.hosts.push_back(std::move(host));
    }
  }

  if (auto placement = m.get("placement")) {
    const MapView pl(r, *placement);
    for (const auto& e : pl.entries()) {
      std::vector<Item> targets;
      if (e.item.node.IsScalar()) {
        targets.push_back(e.item);
      } else {
        targets = r.list(e.item, "host names");
      }
      if (targets.empty()) r.fail(e.item, "a placement needs at least one host");
      std::vector<std::string> hosts;
      for (const auto& t : targets) {
        hosts.push_back(r.text(t, "a host name"));
        if (names.count(hosts.back()) == 0) {
          r.fail(t, "unknown host '" + hosts.back() + "'" +
                        (names.empty() ? " (no hosts are declared under platform.hosts)"
                                       : " (declare it under platform.hosts)"));
        }
      }
      p.placement.emplace_back(e.name, std::move(hosts));
      p.placement_where.push_back(r.where_key(e.item, "platform.placement." + e.name));
    }
  }
}

}  // namespace rapture::scenario_reader
