#include "io/sweep/sweep_plan.hpp"

#include <algorithm>
#include <cstdio>

#include <boost/uuid/detail/sha1.hpp>

#include "common/text.hpp"
#include "io/scenario/document.hpp"
#include "io/scenario/overrides.hpp"
#include "io/sweep/sweep_constraint.hpp"

namespace rapture {

namespace {

/// Appends a canonical text of `node`: scalars quoted with their length, maps with keys sorted,
/// sequences in order. Aliases are followed (the tree has been read, so it is bounded).
void canonical(const YAML::Node& node, std::string& out, int depth) {
  if (depth > 512) throw std::length_error("scenario tree too deep to identify");
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      out += 's' + std::to_string(s.size()) + ':' + s;
      break;
    }
    case YAML::NodeType::Sequence:
      out += '[';
      for (const auto& child : node) {
        canonical(child, out, depth + 1);
        out += ',';
      }
      out += ']';
      break;
    case YAML::NodeType::Map: {
      // Each entry is written out while the iterator is on it: the nodes an iterator hands out
      // are not stable handles once it moves on.
      std::vector<std::pair<std::string, std::string>> entries;
      for (const auto& kv : node) {
        std::string key, value;
        canonical(kv.first, key, depth + 1);
        canonical(kv.second, value, depth + 1);
        entries.emplace_back(std::move(key), std::move(value));
      }
      std::sort(entries.begin(), entries.end());
      out += '{';
      for (const auto& [key, value] : entries) out += key + '=' + value + ';';
      out += '}';
      break;
    }
    default: out += '~';
  }
}

std::string sha1_hex(std::string_view text) {
  boost::uuids::detail::sha1 h;
  h.process_bytes(text.data(), text.size());
  unsigned int digest[5];
  h.get_digest(digest);
  char hex[41];
  for (int i = 0; i < 5; ++i) std::snprintf(hex + 8 * i, 9, "%08x", digest[i]);
  return std::string(hex, 40);
}

}  // namespace

SweepPlan expand_sweep(const SweepSpec& spec, uint64_t first_seed) {
  std::vector<std::string> names;
  for (const auto& f : spec.factors) names.push_back(f.name);
  const SweepConstraint constraint = spec.constraint.empty()
                                         ? SweepConstraint()
                                         : SweepConstraint::parse(spec.constraint, names, spec.constraint_where);
  SweepPlan plan;
  const size_t cells = spec.grid_points();
  std::vector<uint32_t> index(spec.axes.size(), 0);
  std::vector<ConstraintValue> values(spec.factors.size());
  for (uint64_t cell = 0; cell < cells; ++cell) {
    // Row-major: the last axis varies fastest.
    uint64_t rest = cell;
    for (size_t a = spec.axes.size(); a-- > 0;) {
      index[a] = static_cast<uint32_t>(rest % spec.axes[a].size);
      rest /= spec.axes[a].size;
    }
    SweepPoint p;
    p.cell = cell;
    p.index = index;
    p.sets = spec.sets;
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      for (size_t f : spec.axes[a].factors) {
        const SweepFactor& factor = spec.factors[f];
        const std::string& value = factor.values[index[a]];
        values[f] = {factor.coordinates[index[a]], value};
        if (factor.is_design()) {
          p.design = value;
        } else {
          p.sets.push_back(factor.path + "=" + value);
        }
      }
    }
    for (size_t f = 0; f < spec.factors.size(); ++f) {
      p.label += (f ? " " : "") + spec.factors[f].name + "=" + values[f].word;
    }
    if (!constraint.keeps(values)) continue;
    plan.points.push_back(std::move(p));
  }
  if (plan.points.empty()) {
    throw InputError(spec.constraint_where,
                     "the constraint drops every one of the " + std::to_string(cells) + " combinations of the factors");
  }
  plan.runs.reserve(plan.points.size() * static_cast<size_t>(spec.replications));
  for (size_t p = 0; p < plan.points.size(); ++p) {
    for (int64_t r = 0; r < spec.replications; ++r) {
      plan.runs.push_back(
          {static_cast<uint32_t>(p), static_cast<uint32_t>(r), first_seed + static_cast<uint64_t>(r), {}});
    }
  }
  return plan;
}

std::string run_identity(const std::string& scenario_text, const std::string& scenario_file,
                         const std::vector<std::string>& sets, std::string_view design, uint64_t seed,
                         std::string_view topology_bytes, std::string_view version) {
  YAML::Node root = scenario_reader::load_root(scenario_text, scenario_file, "topology:, duration:, ...");
  for (const auto& assignment : sets)
    (void)scenario_reader::apply_override(root, Override{assignment, {"--set", 0, ""}, {}});
  root.remove("seed");  // the run's seed is hashed on its own
  std::string text = "rapture-run 1\nversion ";
  text += version;
  text += "\ndesign ";
  text += design;
  text += "\nseed " + std::to_string(seed) + "\nscenario ";
  try {
    canonical(root, text, 0);
  } catch (const std::length_error& e) {
    throw InputError({scenario_file, 0, ""}, e.what());
  }
  text += "\ntopology " + std::to_string(topology_bytes.size()) + ":";
  text += topology_bytes;
  return sha1_hex(text);
}

}  // namespace rapture
