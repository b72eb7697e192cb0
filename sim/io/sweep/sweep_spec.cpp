// The sweep file reader: the scenario reader's YAML machinery (located values, checked maps),
// applied to the few keys of a sweep.
#include "io/sweep/sweep_spec.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "analysis/run_metrics.hpp"
#include "common/input_file.hpp"
#include "common/limits.hpp"
#include "common/text.hpp"
#include "io/scenario/document.hpp"
#include "io/scenario/reader.hpp"
#include "io/sweep/sweep_constraint.hpp"

namespace rapture {

namespace {

using scenario_reader::Item;
using scenario_reader::MapView;
using scenario_reader::Reader;

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

/// The leading number of `text` and the unit after it ("100/s" -> 100, "/s"); nullopt when the
/// text does not start with a number.
std::optional<std::pair<double, std::string>> split_unit(std::string_view text) {
  const std::string t(text::trim(text));
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(t.c_str(), &end);
  if (end == t.c_str() || !std::isfinite(value)) return std::nullopt;
  return std::pair{value, std::string(text::trim(std::string_view(end)))};
}

/// The coordinate of a value along its axis: its number with the unit dropped, NaN for a word.
double coordinate(std::string_view value) {
  const auto split = split_unit(value);
  return split ? split->first : NAN;
}

/// `{from, to, points[, scale]}`: evenly spaced values, linearly or on a log scale, in the unit
/// both ends are written in.
std::vector<std::string> read_range(const Reader& r, const Item& item) {
  const MapView m(r, item);
  m.allow({"from", "to", "points", "scale"});
  const Item from_item = m.need("from", "the first value");
  const Item to_item = m.need("to", "the last value");
  const auto from = split_unit(r.text(from_item, "a number with its unit, such as 100/s"));
  const auto to = split_unit(r.text(to_item, "a number with its unit, such as 400/s"));
  if (!from) r.fail(from_item, "expected a number with its unit, such as 100/s");
  if (!to) r.fail(to_item, "expected a number with its unit, such as 400/s");
  if (from->second != to->second) {
    r.fail(to_item,
           "'from' and 'to' must be written in the same unit, got '" + from->second + "' and '" + to->second + "'");
  }
  const Item points_item = m.need("points", "the number of values");
  const int64_t points = r.integer(points_item, 1, limits::kSweepValues);
  if (points == 1 && from->first != to->first) r.fail(points_item, "one point cannot span from 'from' to 'to'");
  bool log = false;
  if (auto scale = m.get("scale")) {
    static const text::KeywordTable<bool> kScales{{"linear", false}, {"log", true}};
    log = r.keyword(*scale, "scale", kScales);
    if (log && (from->first <= 0 || to->first <= 0)) r.fail(*scale, "a log scale needs 'from' and 'to' above 0");
  }
  std::vector<std::string> values;
  std::set<std::string> seen;
  for (int64_t i = 0; i < points; ++i) {
    const double f = points == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(points - 1);
    const double v = log ? std::exp(std::log(from->first) + f * (std::log(to->first) - std::log(from->first)))
                         : from->first + f * (to->first - from->first);
    std::string value = text::number(v) + from->second;
    if (!seen.insert(value).second) {
      r.fail(points_item, "the range gives the value " + value + " twice at 6 significant digits; use fewer points");
    }
    values.push_back(std::move(value));
  }
  return values;
}

/// The values of a factor: a list, or a range.
std::vector<std::string> read_values(const Reader& r, const Item& item) {
  if (item.node.IsMap()) return read_range(r, item);
  std::vector<std::string> values;
  std::set<std::string> seen;
  for (const Item& v : r.list(item, "the factor's values")) {
    std::string value(text::trim(r.text(v, "a value (a number with its unit, or a word)")));
    if (!seen.insert(value).second) r.fail(v, "the value '" + text::excerpt(value, 40) + "' is listed twice");
    values.push_back(std::move(value));
  }
  if (values.empty()) r.fail(item, "a factor needs at least one value");
  if (static_cast<int64_t>(values.size()) > limits::kSweepValues) {
    r.fail(item, "more than " + std::to_string(limits::kSweepValues) + " values");
  }
  return values;
}

/// The default name of a factor on `path`: its last key ("workload[0].arrivals.rate" -> "rate").
std::string last_key(const std::string& path) {
  std::string key = path.substr(path.find_last_of('.') + 1);
  return key.substr(0, key.find('['));
}

SweepFactor read_factor(const Reader& r, const Item& item) {
  const MapView m(r, item);
  m.allow({"name", "path", "fault", "field", "values", "design"});
  SweepFactor f;
  f.where = r.where(item);
  const auto path = m.get("path");
  const auto fault = m.get("fault");
  const auto design = m.get("design");
  if ((path ? 1 : 0) + (fault ? 1 : 0) + (design ? 1 : 0) != 1) {
    r.fail(item, "a factor has exactly one of 'path' (a scenario path), 'fault' with 'field', or 'design'");
  }
  if (design) {
    if (m.get("values")) r.fail(*m.get("values"), "the design factor lists its designs under 'design:'");
    f.values = read_values(r, *design);
    f.name = "design";
  } else {
    if (path) {
      f.path = std::string(text::trim(r.text(*path, "a scenario path such as workload[0].arrivals.rate")));
      if (f.path.empty()) r.fail(*path, "the path is empty");
      if (f.path == "seed") r.fail(*path, "the seed is the replication axis (replications:, seed:), not a factor");
      if (m.get("field")) r.fail(*m.get("field"), "'field' goes with 'fault', not with 'path'");
    } else {
      const std::string fault_ref(text::trim(r.text(*fault, "a fault's index or name")));
      const Item field = m.need("field", "the fault's field (latency, error_rate, factor, size, duration, ...)");
      const std::string field_name = r.text(field, "a fault's field");
      // A fault by name is found in the base scenario when the plan is made; by index, here.
      f.path = "faults[" + fault_ref + "]." + field_name;
    }
    f.values = read_values(r, m.need("values", "the factor's values (a list, or {from, to, points})"));
    f.name = last_key(f.path);
  }
  if (auto name = m.get("name")) f.name = r.text(*name, "a name for the factor");
  if (!is_identifier(f.name)) {
    r.fail(m.get("name") ? *m.get("name") : item,
           "the factor's name '" + text::excerpt(f.name, 40) +
               "' is not an identifier (letters, digits, _); give one with name:");
  }
  for (const auto& v : f.values) f.coordinates.push_back(f.is_design() ? NAN : coordinate(v));
  return f;
}

size_t find_factor(const Reader& r, const Item& item, const std::vector<SweepFactor>& factors) {
  const std::string name = r.text(item, "a factor's name");
  for (size_t i = 0; i < factors.size(); ++i) {
    if (factors[i].name == name) return i;
  }
  std::vector<std::string_view> names;
  for (const auto& f : factors) names.push_back(f.name);
  std::string message = "no factor is named '" + text::excerpt(name, 40) + "'";
  if (auto near = text::near_miss(name, names)) message += "; did you mean '" + std::string(*near) + "'?";
  r.fail(item, message + " (factors: " + text::one_of(names) + ")");
}

}  // namespace

std::optional<size_t> SweepSpec::design_factor() const {
  for (size_t i = 0; i < factors.size(); ++i) {
    if (factors[i].is_design()) return i;
  }
  return std::nullopt;
}

size_t SweepSpec::grid_points() const {
  size_t n = 1;
  for (const auto& a : axes) n *= a.size;
  return n;
}

SweepSpec parse_sweep(const std::string& text, const std::string& file_name, const std::string& base_dir) {
  const YAML::Node root = scenario_reader::load_root(text, file_name, "scenario:, factors:, ...");
  const Reader r(file_name, base_dir, root);
  const MapView top(r, Item{root, YAML::Node(), "", ""});
  top.allow(
      {"name", "scenario", "set", "factors", "zip", "constraint", "replications", "seed", "reference", "metrics"});

  SweepSpec s;
  s.file = file_name;
  s.text = text;
  s.name = top.get("name") ? r.text(*top.get("name"), "a name") : std::filesystem::path(file_name).stem().string();
  const Item scenario = top.need("scenario", "the base scenario file");
  const std::filesystem::path scenario_path(r.text(scenario, "a scenario file"));
  s.scenario =
      scenario_path.is_absolute() ? scenario_path.string() : (std::filesystem::path(base_dir) / scenario_path).string();
  if (auto set = top.get("set")) {
    for (const Item& a : r.list(*set, "overrides KEY=VALUE")) {
      const std::string assignment = r.text(a, "an override KEY=VALUE");
      if (assignment.find('=') == std::string::npos)
        r.fail(a, "expected KEY=VALUE, got '" + text::excerpt(assignment, 40) + "'");
      s.sets.push_back(assignment);
    }
  }

  const Item factors = top.need("factors", "the factors to vary");
  std::set<std::string> names;
  for (const Item& f : r.list(factors, "the factors to vary")) {
    SweepFactor factor = read_factor(r, f);
    if (!names.insert(factor.name).second) {
      r.fail(f, "two factors are named '" + factor.name + "'; give this one another with name:");
    }
    if (factor.name == "replication") r.fail(f, "'replication' is the name of the replication axis; rename the factor");
    if (factor.is_design() &&
        std::any_of(s.factors.begin(), s.factors.end(), [](const SweepFactor& g) { return g.is_design(); })) {
      r.fail(f, "only one factor can be the design");
    }
    s.factors.push_back(std::move(factor));
  }
  if (s.factors.empty()) r.fail(factors, "a sweep needs at least one factor");

  // Axes: each zip group is one axis placed where its first factor is; every other factor its own.
  std::vector<int> axis_of(s.factors.size(), -1);
  std::vector<std::vector<size_t>> groups;
  if (auto zip = top.get("zip")) {
    for (const Item& group : r.list(*zip, "lists of factors that step together")) {
      std::vector<size_t> members;
      for (const Item& name : r.list(group, "factor names")) {
        const size_t i = find_factor(r, name, s.factors);
        if (axis_of[i] != -1) r.fail(name, "factor '" + s.factors[i].name + "' is zipped twice");
        if (!members.empty() && s.factors[i].values.size() != s.factors[members[0]].values.size()) {
          r.fail(name, "zipped factors need as many values each: '" + s.factors[members[0]].name + "' has " +
                           std::to_string(s.factors[members[0]].values.size()) + ", '" + s.factors[i].name + "' has " +
                           std::to_string(s.factors[i].values.size()));
        }
        axis_of[i] = static_cast<int>(groups.size());
        members.push_back(i);
      }
      if (members.size() < 2) r.fail(group, "a zip group needs two factors or more");
      groups.push_back(std::move(members));
    }
  }
  std::vector<bool> placed(groups.size(), false);
  for (size_t i = 0; i < s.factors.size(); ++i) {
    if (axis_of[i] == -1) {
      s.axes.push_back({s.factors[i].name, {i}, s.factors[i].values.size()});
    } else if (!placed[axis_of[i]]) {
      placed[axis_of[i]] = true;
      const auto& members = groups[axis_of[i]];
      s.axes.push_back({s.factors[members[0]].name, members, s.factors[members[0]].values.size()});
    }
  }

  if (auto replications = top.get("replications")) s.replications = r.integer(*replications, 1, limits::kSweepRuns);
  if (auto seed = top.get("seed")) {
    const std::string t(text::trim(r.text(*seed, "a seed")));
    uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
      r.fail(*seed, "the seed must be a non-negative whole number below 2^64, got '" + text::excerpt(t, 40) + "'");
    }
    s.seed = value;
  }
  double runs = static_cast<double>(s.replications);
  for (const auto& a : s.axes) runs *= static_cast<double>(a.size);
  if (runs > static_cast<double>(limits::kSweepRuns)) {
    r.fail(factors, "the grid times the replications is " + text::number(runs) + " runs, more than " +
                        text::number(static_cast<double>(limits::kSweepRuns)));
  }

  if (auto constraint = top.get("constraint")) {
    s.constraint = r.text(*constraint, "an expression over the factors' names, such as \"rate * retries < 1000\"");
    s.constraint_where = r.where(*constraint);
    std::vector<std::string> factor_names;
    for (const auto& f : s.factors) factor_names.push_back(f.name);
    SweepConstraint::parse(s.constraint, factor_names, s.constraint_where);  // checked here, used by the plan
  }
  if (auto reference = top.get("reference")) {
    s.reference = r.text(*reference, "a design name");
    s.reference_where = r.where(*reference);
    const auto d = s.design_factor();
    if (!d) r.fail(*reference, "a reference design needs a design factor (- design: [baseline, ...])");
    const auto& designs = s.factors[*d].values;
    if (std::find(designs.begin(), designs.end(), s.reference) == designs.end()) {
      r.fail(*reference,
             "the reference '" + text::excerpt(s.reference, 40) + "' is not among the design factor's values");
    }
  }
  if (auto metrics = top.get("metrics")) {
    s.metrics_where = r.where(*metrics);
    for (const Item& m : r.list(*metrics, "run-metric names")) {
      const std::string name = r.text(m, "a run-metric name");
      std::vector<std::string_view> known;
      for (const auto& metric : run_metrics()) known.push_back(metric.shown.name);
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string message = "unknown metric '" + text::excerpt(name, 40) + "'";
        if (auto near = text::near_miss(name, known)) message += "; did you mean '" + std::string(*near) + "'?";
        r.fail(m, message + " (expected " + text::one_of(known) + ")");
      }
      s.metrics.push_back(name);
    }
  }
  return s;
}

std::string sweep_file_text(const SweepSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << spec.name;
  out << YAML::Key << "scenario" << YAML::Value << YAML::DoubleQuoted << spec.scenario;
  if (!spec.sets.empty()) {
    out << YAML::Key << "set" << YAML::Value << YAML::BeginSeq;
    for (const auto& s : spec.sets) out << YAML::DoubleQuoted << s;
    out << YAML::EndSeq;
  }
  out << YAML::Key << "factors" << YAML::Value << YAML::BeginSeq;
  for (const auto& f : spec.factors) {
    out << YAML::BeginMap;
    if (!f.is_design()) {
      out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << f.name;
      out << YAML::Key << "path" << YAML::Value << YAML::DoubleQuoted << f.path;
    }
    out << YAML::Key << (f.is_design() ? "design" : "values") << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : f.values) out << YAML::DoubleQuoted << v;
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
  std::vector<const SweepAxis*> zipped;
  for (const auto& a : spec.axes) {
    if (a.factors.size() > 1) zipped.push_back(&a);
  }
  if (!zipped.empty()) {
    out << YAML::Key << "zip" << YAML::Value << YAML::BeginSeq;
    for (const SweepAxis* a : zipped) {
      out << YAML::Flow << YAML::BeginSeq;
      for (size_t f : a->factors) out << YAML::DoubleQuoted << spec.factors[f].name;
      out << YAML::EndSeq;
    }
    out << YAML::EndSeq;
  }
  if (!spec.constraint.empty())
    out << YAML::Key << "constraint" << YAML::Value << YAML::DoubleQuoted << spec.constraint;
  out << YAML::Key << "replications" << YAML::Value << spec.replications;
  if (spec.seed) out << YAML::Key << "seed" << YAML::Value << *spec.seed;
  if (!spec.reference.empty()) out << YAML::Key << "reference" << YAML::Value << YAML::DoubleQuoted << spec.reference;
  if (!spec.metrics.empty()) {
    out << YAML::Key << "metrics" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& m : spec.metrics) out << m;
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

SweepSpec read_sweep_file(const std::string& path) {
  const std::string text = read_input_file(path, "sweep file", limits::kInputFileBytes);
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return parse_sweep(text, path, dir);
}

}  // namespace rapture
