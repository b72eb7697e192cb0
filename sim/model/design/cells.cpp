#include "model/design/cells.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/design/scenario_references.hpp"
#include "model/system.hpp"

namespace rapture {

namespace {

/// The hosts a placement list names, host groups expanded to their members.
std::vector<std::string> expand_hosts(const std::vector<std::string>& names, const PlatformSpec& platform) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    auto h = std::find_if(platform.hosts.begin(), platform.hosts.end(), [&](const HostSpec& x) { return x.name == n; });
    if (h == platform.hosts.end() || h->count == 1) {
      out.push_back(n);
      continue;
    }
    for (int64_t i = 0; i < h->count; ++i) out.push_back(n + "-" + std::to_string(i));
  }
  return out;
}

}  // namespace

std::string cell_copy_name(std::string_view service, int64_t cell) {
  return std::string(service) + "@c" + std::to_string(cell);
}

void apply_cells(TopologyDraft& draft, Scenario& scenario, const CellSpec& cells, const std::string& design,
                 std::vector<std::string>& notes) {
  const std::string what = "design '" + design + "': cells";
  const int64_t k = cells.count;
  if (k < 1 || k > 1000)
    throw InputError(cells.where, what + ": the cell count must be between 1 and 1000, got " + std::to_string(k));
  if (cells.shuffle_sharding && k < 3) {
    throw InputError(cells.where, what + ": shuffle sharding needs at least 3 cells (each tenant on a pair of them)");
  }
  std::set<std::string> shared;
  for (const auto& s : cells.shared) shared.insert(draft.services[draft.require(s, cells.where, what)].name);
  std::set<std::string> celled;
  if (cells.services.empty()) {
    for (const auto& s : draft.services) {
      if (!shared.count(s.name)) celled.insert(s.name);
    }
  } else {
    for (const auto& s : cells.services) {
      const auto& name = draft.services[draft.require(s, cells.where, what)].name;
      if (shared.count(name)) throw InputError(cells.where, what + ": '" + name + "' is both in the cells and shared");
      celled.insert(name);
    }
  }
  if (celled.empty()) throw InputError(cells.where, what + ": no service is left to put in the cells");
  // A call the scenario's settings leave dead is dropped; a live one out of the shared layer cannot pick a cell.
  auto active = [&](const TopologyDraft::Call& c) {
    bool on = c.edge.active;
    for (const auto& o : scenario.edges) {
      if (o.from == c.from && o.to == c.to && o.active) on = *o.active;
    }
    return on;
  };
  std::erase_if(draft.calls, [&](const TopologyDraft::Call& c) {
    const bool dead = !celled.count(c.from) && celled.count(c.to) && !active(c);
    if (dead) notes.push_back("design '" + design + "': the dead call " + c.from + " -> " + c.to + " is dropped");
    return dead;
  });
  for (const auto& c : draft.calls) {
    if (!celled.count(c.from) && celled.count(c.to)) {
      throw InputError(cells.where, what + ": shared service '" + c.from + "' calls '" + c.to +
                                        "', which is in the cells; a call out of the shared layer cannot pick a "
                                        "cell: put '" +
                                        c.from + "' in the cells or '" + c.to + "' out of them");
    }
  }
  for (const auto& r : scenario.requests) {
    if (!r.cell_entries.empty()) throw InputError(cells.where, what + ": the design already has cells");
  }

  // Capacity per copy, decided on the baseline's parameters before any rename.
  struct Capacity {
    std::vector<int64_t> replicas;
    int64_t workers = 0;
    std::optional<std::string> host;
  };
  std::map<std::string, Capacity> capacity;
  for (const auto& node : draft.services) {
    if (!celled.count(node.name)) continue;
    const auto p = resolved_params(node, scenario);
    Capacity c;
    c.workers = *p.workers;
    c.host = p.host;
    const int64_t r = *p.replicas;
    for (int64_t i = 0; i < k; ++i) {
      if (!cells.split_capacity) {
        c.replicas.push_back(r);
      } else if (r >= k) {
        c.replicas.push_back(r / k + (i < r % k ? 1 : 0));
      } else {
        // Fewer replicas than cells: each cell gets one with a share of the workers.
        c.replicas.push_back(1);
        c.workers = std::max<int64_t>(1, std::llround(static_cast<double>(*p.workers * r) / static_cast<double>(k)));
      }
    }
    if (cells.split_capacity && r < k) {
      notes.push_back("design '" + design + "': '" + node.name + "' has " + std::to_string(r) + " replica(s) for " +
                      std::to_string(k) + " cells: each cell gets one with " + std::to_string(c.workers) + " of its " +
                      std::to_string(*p.workers * r) + " workers");
    }
    capacity[node.name] = std::move(c);
  }

  // The graph: celled services copied per cell, calls inside a cell and to shared services copied.
  TopologyDraft out;
  out.name = draft.name;
  out.file = draft.file;
  for (const auto& node : draft.services) {
    if (!celled.count(node.name)) {
      out.services.push_back(node);
      continue;
    }
    for (int64_t i = 0; i < k; ++i) {
      ServiceNode copy = node;
      copy.name = cell_copy_name(node.name, i);
      copy.attributes["cell"] = std::to_string(i);
      out.services.push_back(std::move(copy));
    }
  }
  auto copies = [&](const std::string& s, int64_t i) { return celled.count(s) ? cell_copy_name(s, i) : s; };
  for (const auto& c : draft.calls) {
    if (!celled.count(c.from)) {
      out.calls.push_back(c);
      continue;
    }
    for (int64_t i = 0; i < k; ++i) out.calls.push_back({copies(c.from, i), copies(c.to, i), c.edge});
  }

  // Faults first: their targets are still baseline names and each picks its cell.
  std::vector<FaultSpec> faults;
  for (const auto& f : scenario.faults) {
    if (!f.targets_service()) {
      faults.push_back(f);
      continue;
    }
    const auto call = f.target_call();
    const std::string from = call ? call->first : f.target, to = call ? call->second : "";
    if (!celled.count(from)) {
      faults.push_back(f);
      continue;
    }
    const int64_t cell = f.cell.value_or(0);
    if (cell < -1 || cell >= k) {
      throw InputError(f.where, "fault '" + f.name + "': cell " + std::to_string(cell) + " does not exist in design '" +
                                    design + "' (" + std::to_string(k) + " cells; -1 for all)");
    }
    for (int64_t i = cell < 0 ? 0 : cell; i < (cell < 0 ? k : cell + 1); ++i) {
      faults.push_back(f);
      faults.back().target = to.empty() ? copies(from, i) : copies(from, i) + " -> " + copies(to, i);
      if (cell < 0) faults.back().name = f.name + "@c" + std::to_string(i);
    }
  }
  scenario.faults = std::move(faults);

  // Settings follow the copies; the copies' capacity is set after the baseline's overrides.
  remap_services(scenario, [&](const std::string& s) {
    if (!celled.count(s)) return std::vector<std::string>{s};
    std::vector<std::string> out_names;
    for (int64_t i = 0; i < k; ++i) out_names.push_back(cell_copy_name(s, i));
    return out_names;
  });
  remap_calls(scenario, [&](const std::string& a, const std::string& b) {
    if (!celled.count(a)) return std::vector<std::pair<std::string, std::string>>{{a, b}};
    std::vector<std::pair<std::string, std::string>> out_calls;
    for (int64_t i = 0; i < k; ++i) out_calls.emplace_back(copies(a, i), copies(b, i));
    return out_calls;
  });
  std::vector<ServiceDecay> decays;
  for (const auto& d : scenario.decays) {
    if (!celled.count(d.service)) {
      decays.push_back(d);
      continue;
    }
    for (int64_t i = 0; i < k; ++i) decays.push_back({cell_copy_name(d.service, i), d.error_rate, d.latency});
  }
  scenario.decays = std::move(decays);
  for (auto& r : scenario.requests) {
    if (!celled.count(r.entry)) continue;
    for (int64_t i = 0; i < k; ++i) r.cell_entries.push_back(cell_copy_name(r.entry, i));
    r.entry = r.cell_entries.front();
  }
  // The placement entries of each service, found by name: the copies of every service would
  // otherwise scan the whole (k times longer) placement list, quadratic in the cell count.
  auto& placement = scenario.platform.placement;
  std::unordered_map<std::string, std::vector<size_t>> placement_of;
  for (size_t e = 0; e < placement.size(); ++e) placement_of[placement[e].first].push_back(e);
  for (const auto& [name, cap] : capacity) {
    // Spread each cell's replicas over the service's hosts instead of stacking cells on the first ones.
    std::vector<std::string> hosts;
    if (const auto it = placement_of.find(cell_copy_name(name, 0)); it != placement_of.end()) {
      hosts = expand_hosts(placement[it->second.back()].second, scenario.platform);
    }
    const bool placed = !hosts.empty();
    const auto& declared = scenario.platform.hosts;
    if (!placed && cap.host && std::any_of(declared.begin(), declared.end(), [&cap = cap](const HostSpec& h) {
          return h.name == *cap.host;
        })) {
      hosts = expand_hosts({*cap.host}, scenario.platform);
    }
    int64_t offset = 0;
    for (int64_t i = 0; i < k; ++i) {
      ServiceParams p;
      p.replicas = cap.replicas[static_cast<size_t>(i)];
      p.workers = cap.workers;
      const std::string copy = cell_copy_name(name, i);
      scenario.services.emplace_back(copy, p);
      scenario.service_where.push_back(cells.where);
      if (!hosts.empty()) {
        std::vector<std::string> rotated;
        for (size_t h = 0; h < hosts.size(); ++h)
          rotated.push_back(hosts[(h + static_cast<size_t>(offset)) % hosts.size()]);
        if (!placed) {
          placement_of[copy].push_back(placement.size());
          placement.emplace_back(copy, rotated);
        }
        for (size_t e : placement_of[copy]) placement[e].second = rotated;
      }
      offset += cap.replicas[static_cast<size_t>(i)];
    }
  }
  scenario.cells = k;
  scenario.shuffle_sharding = cells.shuffle_sharding;
  draft = std::move(out);
}

}  // namespace rapture
