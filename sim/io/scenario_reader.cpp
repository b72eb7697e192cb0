#include "io/scenario_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "common/units.hpp"

namespace rapture {

namespace {

/// The file name given to values that come from `--set` (they have no line).
constexpr const char* kSetFile = "--set";

constexpr int64_t kMaxReplicas = 100'000;
constexpr int64_t kMaxQueue = 100'000'000;
constexpr int64_t kMaxUsers = 10'000'000;
constexpr double kMaxBins = 1e7;

std::string fmt_number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

std::string fmt_seconds(double value) { return fmt_number(value) + "s"; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// A key as it appears in a dotted path; keys that would not read back as one segment are quoted.
std::string path_key(std::string_view key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return plain ? std::string(key) : "\"" + std::string(key) + "\"";
}

std::string join_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? path_key(key) : parent + "." + path_key(key);
}

std::string index_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string type_name(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string list_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + std::string(names[i]);
  return out;
}

/// Splits "from -> to"; nullopt when the text is not of that form.
std::optional<std::pair<std::string, std::string>> split_edge(std::string_view text) {
  const auto arrow = text.find("->");
  if (arrow == std::string_view::npos || text.find("->", arrow + 2) != std::string_view::npos) return std::nullopt;
  const auto from = trim(text.substr(0, arrow));
  const auto to = trim(text.substr(arrow + 2));
  if (from.empty() || to.empty()) return std::nullopt;
  return std::pair{std::string(from), std::string(to)};
}

/// A node of the tree with what is needed to report a problem with it.
struct Item {
  YAML::Node node;
  YAML::Node key;      ///< its key when it is a value in a map (a null node otherwise)
  std::string path;    ///< dotted path from the root, "workload[0].arrivals.rate"
  std::string joined;  ///< when not empty, the text of the value, rejoined (see `rejoin`)
};

/// Parentheses opened and not closed in `text`.
int open_parens(std::string_view text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '(')) -
         static_cast<int>(std::count(text.begin(), text.end(), ')'));
}

/// In a flow map the comma separates entries, so `{service_time: lognormal(20ms, 0.6)}` reads
/// as `service_time: "lognormal(20ms"` and a key `"0.6)"` with no value. Writing it that way is
/// natural, so the pieces are put back together: returns the text and how many entries it took.
std::pair<std::string, size_t> rejoin(const std::vector<std::pair<YAML::Node, YAML::Node>>& pairs, size_t i) {
  const YAML::Node& value = pairs[i].second;
  const bool plain = value.IsScalar() && value.Tag() == "?";
  if (!plain || open_parens(value.Scalar()) <= 0) return {"", 1};
  std::string text = value.Scalar();
  size_t used = 1;
  while (open_parens(text) > 0 && i + used < pairs.size()) {
    const auto& [k, v] = pairs[i + used];
    if (!k.IsScalar() || k.Tag() != "?" || !v.IsNull()) break;
    text += ", " + k.Scalar();
    ++used;
  }
  if (open_parens(text) != 0) return {"", 1};
  return {text, used};
}

class Reader;

/// A YAML map checked for duplicate and non-text keys; a null node reads as an empty map.
class MapView {
 public:
  struct Entry {
    std::string name;
    Item item;
  };

  MapView(const Reader& reader, const Item& item);

  [[nodiscard]] std::optional<Item> get(std::string_view key) const;
  /// The value of a required key.
  [[nodiscard]] Item need(std::string_view key, std::string_view what) const;
  /// Rejects keys outside `allowed`, so that typos do not pass silently.
  void allow(const std::vector<std::string_view>& allowed) const;
  [[nodiscard]] const std::vector<Entry>& entries() const { return entries_; }

 private:
  const Reader& reader_;
  Item item_;
  std::vector<Entry> entries_;
};

class Reader {
 public:
  Reader(std::string file, std::string base_dir, YAML::Node root)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), root_(std::move(root)) {}

  Scenario read();

  /// Where `item` lies: its line in the file, or "--set" when the value came from an override.
  [[nodiscard]] SourceLocation where(const Item& item) const {
    // An empty value in the file is marked on the next token, possibly lines below: use its key.
    const bool empty_in_file = item.node.IsNull() && !item.node.Mark().is_null();
    const YAML::Node& node = empty_in_file && item.key.IsDefined() && !item.key.IsNull() ? item.key : item.node;
    return locate(node, "key " + item.path);
  }
  /// The same with the element named explicitly (for the `where` fields of the scenario).
  [[nodiscard]] SourceLocation where_key(const Item& item, std::string element) const {
    const YAML::Node& node = item.key.IsDefined() && !item.key.IsNull() ? item.key : item.node;
    return locate(node, std::move(element));
  }
  [[noreturn]] void fail(const Item& item, const std::string& message) const { throw InputError(where(item), message); }
  /// Whether the value came from `--set` (its paths are then relative to the working directory).
  [[nodiscard]] bool from_override(const Item& item) const {
    return item.node.Mark().is_null() && !item.node.is(root_);
  }

  // Scalars. Each names what it expected when the value does not fit.
  std::string text(const Item& item, std::string_view what) const;
  double duration(const Item& item) const;
  double rate(const Item& item) const;
  int64_t integer(const Item& item, int64_t low, int64_t high) const;
  double number(const Item& item) const;
  bool boolean(const Item& item) const;
  Distribution distribution(const Item& item) const;
  std::pair<std::string, std::string> edge(const Item& item, std::string_view text) const;
  std::vector<Item> list(const Item& item, std::string_view what) const;

 private:
  SourceLocation locate(const YAML::Node& node, std::string element) const {
    const auto mark = node.Mark();
    if (mark.is_null()) {
      // Only the synthetic root of an empty file and values from --set have no mark.
      if (node.is(root_)) return {file_, 0, std::move(element)};
      return {kSetFile, 0, std::move(element)};
    }
    return {file_, mark.line + 1, std::move(element)};
  }

  template <typename Parse>
  double with_units(const Item& item, std::string_view what, Parse parse) const {
    const std::string t = text(item, what);
    try {
      return parse(t);
    } catch (const std::invalid_argument& e) {
      fail(item, e.what());
    }
  }

  void read_requests(const MapView& top, Scenario& s) const;
  void read_workload(const MapView& top, Scenario& s) const;
  RateProfile read_profile(const Item& base, const std::optional<Item>& profile) const;
  ServiceParams read_params(const Item& item) const;
  void read_edges(const MapView& top, Scenario& s) const;
  /// Reads a map of "from -> to": {settings} entries (the scenario's `edges`, a request's `calls`).
  std::vector<EdgeOverride> edge_overrides(const Item& item) const;
  void read_platform(const MapView& top, Scenario& s) const;
  // Tolerance policies (`policies`, `protection`).
  void read_policies(const MapView& top, Scenario& s) const;
  void read_faults(const MapView& top, Scenario& s) const;
  // How a run is judged (`analysis`, `hypothesis`).
  void read_analysis(const MapView& top, Scenario& s) const;
  void read_hypothesis(const MapView& top, Scenario& s) const;
  // Design variants (`designs`).
  void read_designs(const MapView& top, Scenario& s) const;
  Transformation read_transformation(const Item& item, const std::string& design) const;
  std::vector<std::string> names(const Item& item, std::string_view what) const;
  ProbeSpec read_probe(const Item& item, const Scenario& s) const;
  PolicySpec read_policy(const Item& item, SourceLocation where) const;
  RetryPolicy read_retry(const Item& item) const;
  RetryBudget read_budget(const Item& item) const;
  CircuitBreakerConfig read_breaker(const Item& item) const;
  OutlierConfig read_outlier(const Item& item) const;
  AdmissionConfig read_admission(const Item& item) const;
  double percent(const Item& item) const;
  /// A share in [0, 1], written `5%` or `0.05`.
  double share(const Item& item) const;
  /// One of a fixed set of words, each standing for a value; the error lists them all.
  template <typename T>
  T keyword(const Item& item, std::string_view what, const std::vector<std::pair<std::string_view, T>>& choices) const {
    const std::string t = text(item, what);
    std::string expected;
    for (size_t i = 0; i < choices.size(); ++i) {
      if (choices[i].first == t) return choices[i].second;
      expected += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + std::string(choices[i].first);
    }
    fail(item, "unknown " + std::string(what) + " '" + t + "' (expected " + expected + ")");
  }
  /// Runs a policy's validate(), turning its complaint into an error at `item`.
  template <typename Config>
  void validated(const Item& item, const Config& config) const {
    try {
      config.validate();
    } catch (const std::invalid_argument& e) {
      fail(item, e.what());
    }
  }

  std::string file_, base_dir_;
  YAML::Node root_;
};

MapView::MapView(const Reader& reader, const Item& item) : reader_(reader), item_(item) {
  if (item.node.IsNull()) return;
  if (!item.node.IsMap()) reader.fail(item, "expected a map of keys, got " + type_name(item.node));
  std::vector<std::pair<YAML::Node, YAML::Node>> pairs;
  for (auto it = item.node.begin(); it != item.node.end(); ++it) pairs.emplace_back(it->first, it->second);
  const bool flow = item.node.Style() == YAML::EmitterStyle::Flow;
  std::set<std::string> seen;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& [key, node] = pairs[i];
    if (!key.IsScalar()) {
      SourceLocation loc = reader.where(Item{key, YAML::Node(), item.path, ""});
      loc.element = item.path.empty() ? "" : "key " + item.path;
      throw InputError(loc, "expected a text key, got " + type_name(key));
    }
    const std::string& name = key.Scalar();
    Item value{node, key, join_path(item.path, name), ""};
    if (!seen.insert(name).second) {
      throw InputError(reader.where_key(value, "key " + value.path), "key '" + name + "' is given twice");
    }
    if (flow) {
      auto [text, used] = rejoin(pairs, i);
      value.joined = std::move(text);
      i += used - 1;
    }
    entries_.push_back({name, std::move(value)});
  }
}

std::optional<Item> MapView::get(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.name == key) return e.item;
  }
  return std::nullopt;
}

Item MapView::need(std::string_view key, std::string_view what) const {
  if (auto found = get(key)) return *found;
  Item missing{item_.node, item_.key, join_path(item_.path, key), ""};
  const std::string in = item_.path.empty() ? "" : " in " + item_.path;
  throw InputError(reader_.where_key(missing, "key " + missing.path),
                   "missing required key '" + std::string(key) + "'" + in + " (" + std::string(what) + ")");
}

void MapView::allow(const std::vector<std::string_view>& allowed) const {
  for (const auto& e : entries_) {
    if (std::find(allowed.begin(), allowed.end(), e.name) != allowed.end()) continue;
    std::string hint;
    if (e.name == "<<") hint = "YAML merge keys are not supported: repeat the keys; ";
    if (e.name.find(')') != std::string::npos && e.name.find('(') == std::string::npos) {
      // `{service_time: lognormal(20ms, 0.6)}`: the comma of the flow map split the distribution.
      hint = "inside {...}, quote a value that has a comma, e.g. \"lognormal(20ms, 0.6)\"; ";
    }
    for (auto a : allowed) {
      if (!hint.empty()) break;
      if (edit_distance(e.name, a) <= 2 && a.size() > 2) {
        hint = "did you mean '" + std::string(a) + "'? ";
        break;
      }
    }
    const std::string in = item_.path.empty() ? "at the top level" : "in " + item_.path;
    throw InputError(reader_.where_key(e.item, "key " + e.item.path),
                     "unknown key '" + e.name + "' " + in + " (" + hint + "expected one of " + list_names(allowed) + ")");
  }
}

std::string Reader::text(const Item& item, std::string_view what) const {
  if (!item.node.IsScalar()) fail(item, "expected " + std::string(what) + ", got " + type_name(item.node));
  return item.joined.empty() ? item.node.Scalar() : item.joined;
}

double Reader::duration(const Item& item) const {
  const double d = with_units(item, "a duration such as 250ms", units::parse_duration);
  if (d < 0) fail(item, "a duration must not be negative, got " + item.node.Scalar());
  return d;
}

double Reader::rate(const Item& item) const {
  const double r = with_units(item, "a rate such as 300/s", units::parse_rate);
  if (r < 0) fail(item, "a rate must not be negative, got " + item.node.Scalar());
  return r;
}

double Reader::number(const Item& item) const { return with_units(item, "a number", units::parse_number); }

int64_t Reader::integer(const Item& item, int64_t low, int64_t high) const {
  const std::string t(trim(text(item, "a whole number")));
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || ptr != t.data() + t.size()) fail(item, "expected a whole number, got '" + t + "'");
  if (value < low || value > high) {
    fail(item, "expected a whole number from " + std::to_string(low) + " to " + std::to_string(high) + ", got " + t);
  }
  return value;
}

bool Reader::boolean(const Item& item) const {
  bool value = false;
  if (!item.node.IsScalar() || !YAML::convert<bool>::decode(item.node, value)) {
    fail(item, "expected true or false, got " + type_name(item.node));
  }
  return value;
}

Distribution Reader::distribution(const Item& item) const {
  const std::string t = text(item, "a distribution such as exp(5ms)");
  try {
    return Distribution::parse(t, from_override(item) ? "." : base_dir_);
  } catch (const std::invalid_argument& e) {
    fail(item, e.what());
  }
}

std::pair<std::string, std::string> Reader::edge(const Item& item, std::string_view t) const {
  auto e = split_edge(t);
  if (!e) fail(item, "expected an edge such as \"frontend -> cart\", got '" + std::string(t) + "'");
  return *e;
}

std::vector<Item> Reader::list(const Item& item, std::string_view what) const {
  std::vector<Item> out;
  if (item.node.IsNull()) return out;
  if (!item.node.IsSequence()) fail(item, "expected a list of " + std::string(what) + ", got " + type_name(item.node));
  for (size_t i = 0; i < item.node.size(); ++i) out.push_back({item.node[i], YAML::Node(), index_path(item.path, i), ""});
  return out;
}

Scenario Reader::read() {
  Scenario s;
  const MapView top(*this, Item{root_, YAML::Node(), "", ""});
  top.allow({"name", "topology", "duration", "warmup", "seed", "bin", "requests", "workload", "defaults", "services",
             "edges", "platform", "limits", "policies", "protection", "faults", "analysis", "hypothesis", "designs"});

  if (auto name = top.get("name")) {
    s.name = text(*name, "a name");
  } else {
    s.name = std::filesystem::path(file_).stem().string();
    if (s.name.empty()) s.name = "scenario";
  }

  const Item topology = top.need("topology", "the topology file, e.g. topology: ../topologies/shop.dot");
  std::filesystem::path topo = text(topology, "the path of a topology file");
  if (topo.empty()) fail(topology, "expected the path of a topology file, got nothing");
  // A path typed on the command line is relative to where the command runs, not to the file.
  if (topo.is_relative() && !from_override(topology) && !base_dir_.empty()) topo = base_dir_ / topo;
  s.topology_path = topo.lexically_normal().string();

  const Item duration_item = top.need("duration", "the simulated time, e.g. duration: 600s");
  s.duration = duration(duration_item);
  if (s.duration <= 0) fail(duration_item, "the duration must be > 0, got " + duration_item.node.Scalar());

  if (auto warmup = top.get("warmup")) {
    s.warmup = duration(*warmup);
    if (s.warmup >= s.duration) {
      fail(*warmup, "the warmup (" + fmt_seconds(s.warmup) + ") must be shorter than the duration (" +
                        fmt_seconds(s.duration) + ")");
    }
  }

  if (auto seed = top.get("seed")) {
    const std::string t(trim(text(*seed, "a non-negative whole number")));
    uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (t.empty() || t.front() == '-' || ec != std::errc() || ptr != t.data() + t.size()) {
      fail(*seed, "the seed must be a non-negative whole number below 2^64, got '" + t + "'");
    }
    s.seed = value;
  }

  const auto bin = top.get("bin");
  if (bin) {
    s.bin_width = duration(*bin);
    if (s.bin_width <= 0) fail(*bin, "the bin width must be > 0, got " + bin->node.Scalar());
  }
  if (s.duration / s.bin_width > kMaxBins) {
    fail(bin ? *bin : duration_item, "duration / bin gives " + fmt_number(s.duration / s.bin_width) +
                                         " bins, more than 10^7; use a wider bin");
  }

  read_requests(top, s);
  read_workload(top, s);

  if (auto defaults = top.get("defaults")) {
    const MapView m(*this, *defaults);
    m.allow({"frontend", "service", "cache", "db", "queue"});
    for (const auto& e : m.entries()) {
      s.kind_defaults[static_cast<size_t>(parse_service_kind(e.name))] = read_params(e.item);
    }
  }

  if (auto services = top.get("services")) {
    const MapView m(*this, *services);
    for (const auto& e : m.entries()) {
      if (e.name.empty()) fail(e.item, "a service name must not be empty");
      s.services.emplace_back(e.name, read_params(e.item));
      s.service_where.push_back(where_key(e.item, "service '" + e.name + "'"));
    }
  }

  read_edges(top, s);
  read_platform(top, s);
  read_policies(top, s);
  read_faults(top, s);
  read_designs(top, s);
  read_analysis(top, s);
  read_hypothesis(top, s);

  if (auto limits = top.get("limits")) {
    const MapView m(*this, *limits);
    m.allow({"max_in_flight"});
    if (auto max = m.get("max_in_flight")) {
      s.limits.max_in_flight = integer(*max, 1, 1'000'000'000'000);
    }
  }
  return s;
}

void Reader::read_requests(const MapView& top, Scenario& s) const {
  const auto requests = top.get("requests");
  if (!requests) return;
  const MapView m(*this, *requests);
  for (const auto& e : m.entries()) {
    if (e.name.empty()) fail(e.item, "a request name must not be empty");
    const MapView r(*this, e.item);
    r.allow({"entry", "edges", "skip", "calls"});
    RequestTypeSpec spec;
    spec.name = e.name;
    spec.entry = text(r.need("entry", "the service where the request enters"), "a service name");
    auto edges = [&](std::string_view key, auto& out) {
      if (auto list_item = r.get(key)) {
        for (const auto& el : list(*list_item, "edges such as \"frontend -> cart\"")) {
          out.push_back(edge(el, text(el, "an edge such as \"frontend -> cart\"")));
        }
      }
    };
    edges("edges", spec.only_edges);
    edges("skip", spec.skip_edges);
    if (auto calls = r.get("calls")) spec.calls = edge_overrides(*calls);
    spec.where = where_key(e.item, "request '" + e.name + "'");
    s.requests.push_back(std::move(spec));
  }
}

void Reader::read_workload(const MapView& top, Scenario& s) const {
  const Item workload = top.need("workload", "a list of request sources, e.g. - request: browse");
  const auto items = list(workload, "request sources");
  if (items.empty()) fail(workload, "the workload must list at least one source of requests");

  const size_t declared = s.requests.size();
  auto find_request = [&](const std::string& name) -> RequestTypeSpec* {
    for (auto& r : s.requests) {
      if (r.name == name) return &r;
    }
    return nullptr;
  };
  // Names are checked once every inline definition is known, so the order of entries does not matter.
  std::vector<std::pair<std::string, Item>> references;

  for (const auto& item : items) {
    const MapView m(*this, item);
    m.allow({"request", "mix", "entry", "arrivals", "tenants"});
    WorkloadSpec w;
    w.where = where_key(item, item.path);
    const auto request = m.get("request");
    const auto mix = m.get("mix");
    const auto entry = m.get("entry");
    if (request && mix) fail(*mix, "give either request: or mix:, not both");
    if (!request && !mix) {
      fail(item, "a workload entry needs request: NAME or mix: {NAME: WEIGHT, ...}");
    }
    if (request) {
      const std::string name = text(*request, "a request name");
      if (name.empty()) fail(*request, "a request name must not be empty");
      w.mix.emplace_back(name, 1.0);
      RequestTypeSpec* known = find_request(name);
      if (entry) {
        const std::string entry_name = text(*entry, "a service name");
        if (known && known->entry != entry_name) {
          const bool inline_def = static_cast<size_t>(known - s.requests.data()) >= declared;
          fail(*entry, "request '" + name + "' " + (inline_def ? "is defined inline" : "is declared under requests") +
                           " with entry '" + known->entry + "', not '" + entry_name + "'");
        }
        if (!known) {
          RequestTypeSpec spec;
          spec.name = name;
          spec.entry = entry_name;
          // Its entry is what the topology check can find wrong, so point there.
          spec.where = where_key(*entry, "request '" + name + "'");
          s.requests.push_back(std::move(spec));
        }
      } else {
        references.emplace_back(name, *request);
      }
    } else {
      if (entry) fail(*entry, "entry: defines a single request: and cannot go with mix:");
      const MapView weights(*this, *mix);
      if (weights.entries().empty()) fail(*mix, "a mix needs at least one request and its weight");
      double total = 0;
      for (const auto& e : weights.entries()) {
        const double weight = number(e.item);
        if (!(weight > 0)) fail(e.item, "a mix weight must be > 0, got " + e.item.node.Scalar());
        total += weight;
        w.mix.emplace_back(e.name, weight);
        references.emplace_back(e.name, Item{e.item.key, YAML::Node(), e.item.path, ""});
      }
      if (!std::isfinite(total)) fail(*mix, "the mix weights are too large to add up");
      for (auto& [name, weight] : w.mix) weight /= total;
    }

    const Item arrivals = m.need("arrivals", "how requests arrive, e.g. arrivals: {kind: poisson, rate: 100/s}");
    const MapView a(*this, arrivals);
    std::string kind = "poisson";
    if (auto k = a.get("kind")) kind = text(*k, "poisson or closed");
    if (kind == "poisson") {
      a.allow({"kind", "rate", "profile"});
      w.kind = WorkloadSpec::Kind::Poisson;
      w.rate = read_profile(a.need("rate", "the arrival rate, e.g. rate: 100/s"), a.get("profile"));
    } else if (kind == "closed") {
      a.allow({"kind", "users", "think"});
      w.kind = WorkloadSpec::Kind::Closed;
      w.users = integer(a.need("users", "the number of concurrent users, e.g. users: 200"), 1, kMaxUsers);
      if (auto think = a.get("think")) w.think = distribution(*think);
    } else {
      fail(*a.get("kind"), "unknown arrival kind '" + kind + "' (expected poisson or closed)");
    }
    if (auto t = m.get("tenants")) w.tenants = integer(*t, 1, kMaxUsers);
    s.workload.push_back(std::move(w));
  }

  for (const auto& [name, item] : references) {
    if (!find_request(name)) {
      fail(item, "request '" + name +
                     "' is neither declared under requests nor defined inline (give it an entry: in the workload)");
    }
  }
}

RateProfile Reader::read_profile(const Item& base, const std::optional<Item>& profile) const {
  RateProfile p;
  p.base = rate(base);
  if (!(p.base > 0)) fail(base, "the arrival rate must be > 0, got " + base.node.Scalar());
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
  for (const auto& item : list(*profile, "profile segments such as {kind: step, at: 60s, rate: 200/s}")) {
    const MapView m(*this, item);
    const Item kind_item = m.need("kind", "step, ramp or spike");
    const std::string kind = text(kind_item, "step, ramp or spike");
    if (kind == "step") {
      m.allow({"kind", "at", "rate"});
      steps.push_back({duration(m.need("at", "when the step happens")), rate(m.need("rate", "the new rate")), item});
    } else if (kind == "ramp") {
      m.allow({"kind", "from", "to", "start_rate", "end_rate"});
      const Item from = m.need("from", "when the ramp starts");
      const Item to = m.need("to", "when the ramp ends");
      RateProfile::Segment seg{duration(from), duration(to), rate(m.need("start_rate", "the rate at from")),
                               rate(m.need("end_rate", "the rate at to"))};
      if (seg.end <= seg.start) {
        fail(to, "a ramp must end after it starts (from " + fmt_seconds(seg.start) + ", to " + fmt_seconds(seg.end) + ")");
      }
      windows.push_back({seg, item, "ramp"});
    } else if (kind == "spike") {
      m.allow({"kind", "at", "duration", "rate"});
      const double at = duration(m.need("at", "when the spike starts"));
      const Item length = m.need("duration", "how long the spike lasts");
      const double d = duration(length);
      if (d <= 0) fail(length, "a spike must last > 0, got " + length.node.Scalar());
      const double r = rate(m.need("rate", "the rate during the spike"));
      windows.push_back({{at, at + d, r, r}, item, "spike"});
    } else {
      fail(kind_item, "unknown profile segment kind '" + kind + "' (expected step, ramp or spike)");
    }
  }

  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.at < b.at; });
  std::stable_sort(windows.begin(), windows.end(),
                   [](const Window& a, const Window& b) { return a.segment.start < b.segment.start; });
  for (size_t i = 1; i < steps.size(); ++i) {
    if (steps[i].at == steps[i - 1].at) fail(steps[i].item, "two steps at " + fmt_seconds(steps[i].at));
  }
  auto span = [](const RateProfile::Segment& g) { return "[" + fmt_seconds(g.start) + ", " + fmt_seconds(g.end) + ")"; };
  for (size_t i = 1; i < windows.size(); ++i) {
    if (windows[i].segment.start < windows[i - 1].segment.end) {
      fail(windows[i].item, windows[i].what + " " + span(windows[i].segment) + " overlaps " + windows[i - 1].what +
                                " " + span(windows[i - 1].segment));
    }
  }
  // A step changes the level in the middle of a ramp or spike would make the level after it unclear.
  for (const auto& st : steps) {
    for (const auto& w : windows) {
      if (st.at > w.segment.start && st.at < w.segment.end) {
        fail(st.item, "the step at " + fmt_seconds(st.at) + " falls inside the " + w.what + " " + span(w.segment));
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

ServiceParams Reader::read_params(const Item& item) const {
  const MapView m(*this, item);
  m.allow({"replicas", "workers", "queue", "service_time", "host", "discipline", "balancer", "error_rate"});
  ServiceParams p;
  if (auto v = m.get("error_rate")) {
    p.error_rate = number(*v);
    if (!(*p.error_rate >= 0 && *p.error_rate <= 1)) fail(*v, "an error rate must be in [0, 1]");
  }
  if (auto v = m.get("replicas")) p.replicas = integer(*v, 1, kMaxReplicas);
  if (auto v = m.get("workers")) p.workers = integer(*v, 1, kMaxReplicas);
  if (auto v = m.get("queue")) p.queue_capacity = integer(*v, 0, kMaxQueue);
  if (auto v = m.get("service_time")) p.service_time = distribution(*v);
  if (auto v = m.get("host")) {
    p.host = text(*v, "a host name");
    if (p.host->empty()) fail(*v, "a host name must not be empty");
  }
  try {
    if (auto v = m.get("discipline")) p.discipline = parse_queue_discipline(text(*v, "fifo or lifo"));
  } catch (const std::invalid_argument& e) {
    fail(*m.get("discipline"), e.what());
  }
  try {
    if (auto v = m.get("balancer")) p.balancer = parse_balancer(text(*v, "a load balancer such as round_robin"));
  } catch (const std::invalid_argument& e) {
    fail(*m.get("balancer"), e.what());
  }
  return p;
}

void Reader::read_edges(const MapView& top, Scenario& s) const {
  if (const auto edges = top.get("edges")) s.edges = edge_overrides(*edges);
}

std::vector<EdgeOverride> Reader::edge_overrides(const Item& item) const {
  std::vector<EdgeOverride> out;
  const MapView m(*this, item);
  for (const auto& e : m.entries()) {
    const auto [from, to] = edge(Item{e.item.key, YAML::Node(), e.item.path, ""}, e.name);
    for (const auto& other : out) {
      if (other.from == from && other.to == to) fail(e.item, "edge " + from + " -> " + to + " is given twice");
    }
    const MapView o(*this, e.item);
    o.allow({"probability", "critical", "calls", "group", "mode", "active"});
    EdgeOverride over;
    over.from = from;
    over.to = to;
    if (auto v = o.get("probability")) {
      const double prob = number(*v);
      if (!(prob >= 0 && prob <= 1)) fail(*v, "a probability must be in [0, 1], got " + v->node.Scalar());
      over.probability = prob;
    }
    if (auto v = o.get("critical")) over.critical = boolean(*v);
    if (auto v = o.get("active")) over.active = boolean(*v);
    if (auto v = o.get("calls")) over.calls = integer(*v, 1, kMaxReplicas);
    if (auto v = o.get("group")) over.group = text(*v, "a group name");
    if (auto v = o.get("mode")) {
      try {
        over.mode = parse_call_mode(text(*v, "sync or async"));
      } catch (const std::invalid_argument& ex) {
        fail(*v, ex.what());
      }
    }
    over.where = where_key(e.item, "edge " + from + " -> " + to);
    out.push_back(std::move(over));
  }
  return out;
}

void Reader::read_platform(const MapView& top, Scenario& s) const {
  const auto platform = top.get("platform");
  if (!platform) return;
  PlatformSpec& p = s.platform;
  const MapView m(*this, *platform);
  m.allow({"network", "reference_speed", "hosts", "placement"});

  if (auto network = m.get("network")) {
    const MapView n(*this, *network);
    n.allow({"latency", "bandwidth"});
    if (auto v = n.get("latency")) p.hop_latency = duration(*v);
    if (auto v = n.get("bandwidth")) {
      p.bandwidth = with_units(*v, "a bandwidth such as 10Gbps", units::parse_bandwidth);
      if (!(p.bandwidth > 0)) fail(*v, "a bandwidth must be > 0, got " + v->node.Scalar());
    }
  }
  if (auto v = m.get("reference_speed")) {
    p.reference_speed = with_units(*v, "a CPU speed such as 1Gf", units::parse_speed);
    if (!(p.reference_speed > 0)) fail(*v, "a CPU speed must be > 0, got " + v->node.Scalar());
  }

  // Every name a placement may use: hosts, groups and the members of groups.
  std::set<std::string> names;
  auto add_name = [&](const Item& item, const std::string& name) {
    if (!names.insert(name).second) fail(item, "host name '" + name + "' is used twice");
  };
  if (auto hosts = m.get("hosts")) {
    for (const auto& item : list(*hosts, "hosts such as {name: big, speed: 2Gf, cores: 16}")) {
      const MapView h(*this, item);
      h.allow({"name", "speed", "cores", "count"});
      HostSpec host;
      const Item name = h.need("name", "the host's name");
      host.name = text(name, "a host name");
      if (host.name.empty()) fail(name, "a host name must not be empty");
      host.speed = p.reference_speed;
      if (auto v = h.get("speed")) {
        host.speed = with_units(*v, "a CPU speed such as 1Gf", units::parse_speed);
        if (!(host.speed > 0)) fail(*v, "a CPU speed must be > 0, got " + v->node.Scalar());
      }
      if (auto v = h.get("cores")) host.cores = integer(*v, 1, 1'000'000);
      if (auto v = h.get("count")) host.count = integer(*v, 1, kMaxReplicas);
      add_name(name, host.name);
      if (host.count > 1) {
        for (int64_t i = 0; i < host.count; ++i) add_name(name, host.name + "-" + std::to_string(i));
      }
      host.where = where_key(item, "host '" + host.name + "'");
      p.hosts.push_back(std::move(host));
    }
  }

  if (auto placement = m.get("placement")) {
    const MapView pl(*this, *placement);
    for (const auto& e : pl.entries()) {
      std::vector<Item> targets;
      if (e.item.node.IsScalar()) {
        targets.push_back(e.item);
      } else {
        targets = list(e.item, "host names");
      }
      if (targets.empty()) fail(e.item, "a placement needs at least one host");
      std::vector<std::string> hosts;
      for (const auto& t : targets) {
        hosts.push_back(text(t, "a host name"));
        if (names.count(hosts.back()) == 0) {
          fail(t, "unknown host '" + hosts.back() + "'" +
                      (names.empty() ? " (no hosts are declared under platform.hosts)"
                                     : " (declare it under platform.hosts)"));
        }
      }
      p.placement.emplace_back(e.name, std::move(hosts));
    }
  }
}

/// Records the first node of a document, to tell a real document from a stuck parser.
class FirstNode : public YAML::EventHandler {
 public:
  int nodes = 0;
  bool only_null = false;
  YAML::Mark mark = YAML::Mark::null_mark();

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m, true); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m, false); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override {
    note(m, false);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m, false);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m, false);
  }
  void OnMapEnd() override {}

 private:
  void note(const YAML::Mark& m, bool is_null) {
    if (nodes++ == 0) {
      mark = m;
      only_null = is_null;
    } else {
      only_null = false;
    }
  }
};

/// One YAML document, and what is wrong with the text around it (line 1-based, 0 if fine).
struct Document {
  YAML::Node root;
  int problem_line = 0;
  std::string problem;
};

/// Parses a single YAML document; throws YAML::Exception on bad syntax.
/// YAML::LoadAll is not used: in yaml-cpp 0.7 a stray ',' at block level makes every further call
/// of the parser return an empty document without consuming anything, so LoadAll loops forever
/// while allocating (yaml-cpp issue #1040), and YAML::Load returns silently what came before it.
Document load_document(const std::string& text) {
  Document doc;
  doc.root = YAML::Load(text);
  std::istringstream in(text);
  YAML::Parser parser(in);
  FirstNode previous;
  // Three documents at most: enough to see a second one, and to see the parser stuck on the same spot.
  for (int i = 0; i < 3; ++i) {
    FirstNode current;
    if (!parser.HandleNextDocument(current)) break;
    if (i > 0 && current.only_null && previous.only_null && current.mark.pos == previous.mark.pos) {
      doc.problem_line = current.mark.line + 1;
      doc.problem = "invalid YAML: unexpected character (a ',' outside [...] or {...}?)";
      return doc;
    }
    if (i == 1) {
      doc.problem_line = current.mark.line + 1;
      doc.problem = "expected a single YAML document, found another one here";
    }
    previous = current;
  }
  return doc;
}

/// One step of a --set key: a map key or a list index.
struct KeyStep {
  bool is_index = false;
  std::string key;
  size_t index = 0;
};

[[noreturn]] void fail_set(const std::string& key, const std::string& message) {
  throw InputError({kSetFile, 0, "key " + key}, message);
}

/// Parses `a.b[2]."c -> d"` into steps.
std::vector<KeyStep> parse_key(const std::string& key) {
  std::vector<KeyStep> steps;
  size_t i = 0;
  auto bad = [&](const std::string& why) {
    fail_set(key, why + " (expected a dotted path such as services.cart.replicas or workload[0].arrivals.rate)");
  };
  auto name = [&] {
    KeyStep step;
    if (i < key.size() && (key[i] == '"' || key[i] == '\'')) {
      const char quote = key[i];
      const auto close = key.find(quote, i + 1);
      if (close == std::string::npos) bad("unterminated quote");
      step.key = key.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      const auto stop = key.find_first_of(".[]\"'", i);
      step.key = key.substr(i, stop == std::string::npos ? std::string::npos : stop - i);
      i += step.key.size();
      if (trim(step.key).empty()) bad("empty key");
    }
    steps.push_back(std::move(step));
  };
  name();
  while (i < key.size()) {
    if (key[i] == '.') {
      ++i;
      name();
    } else if (key[i] == '[') {
      const auto close = key.find(']', i);
      if (close == std::string::npos) bad("missing ']'");
      const std::string digits = key.substr(i + 1, close - i - 1);
      KeyStep step;
      step.is_index = true;
      const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), step.index);
      if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
        bad("expected a list index such as [0], got '[" + digits + "]'");
      }
      steps.push_back(std::move(step));
      i = close + 1;
    } else {
      bad(std::string("unexpected '") + key[i] + "'");
    }
  }
  return steps;
}

/// A copy of a node with no marks, so that problems with it are reported as coming from --set.
YAML::Node unmarked(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      YAML::Node out(node.Scalar());
      out.SetTag(node.Tag());  // keeps plain and quoted apart (see `rejoin`)
      return out;
    }
    case YAML::NodeType::Sequence: {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& el : node) out.push_back(unmarked(el));
      return out;
    }
    case YAML::NodeType::Map: {
      YAML::Node out(YAML::NodeType::Map);
      out.SetStyle(node.Style());
      for (auto it = node.begin(); it != node.end(); ++it) out.force_insert(unmarked(it->first), unmarked(it->second));
      return out;
    }
    default: return YAML::Node(YAML::NodeType::Null);
  }
}

// The node is taken by value: copying a YAML::Node binds a new handle, whereas assigning to an
// existing handle would overwrite the node it refers to.
void set_path(YAML::Node node, const std::vector<KeyStep>& steps, size_t i, const YAML::Node& value,
              const std::string& key, const std::string& prefix) {
  const KeyStep& step = steps[i];
  const bool last = i + 1 == steps.size();
  if (step.is_index) {
    if (!node.IsSequence()) fail_set(key, prefix + " is " + type_name(node) + ", not a list");
    if (step.index >= node.size()) {
      fail_set(key, "index " + std::to_string(step.index) + " is out of range (" + prefix + " has " +
                        std::to_string(node.size()) + " entries)");
    }
    if (last) {
      node[step.index] = value;
    } else {
      set_path(node[step.index], steps, i + 1, value, key, index_path(prefix, step.index));
    }
    return;
  }
  // Missing and empty maps are created; anything else in the way is an error.
  if (node.IsDefined() && !node.IsNull() && !node.IsMap()) {
    fail_set(key, (prefix.empty() ? std::string("the scenario") : prefix) + " is " + type_name(node) + ", not a map");
  }
  if (last) {
    node[step.key] = value;
  } else {
    set_path(node[step.key], steps, i + 1, value, key, join_path(prefix, step.key));
  }
}

void apply_override(YAML::Node& root, const std::string& assignment) {
  // The '=' that ends the key is the first one outside quotes.
  size_t eq = std::string::npos;
  char quote = 0;
  for (size_t i = 0; i < assignment.size() && eq == std::string::npos; ++i) {
    const char c = assignment[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '=') {
      eq = i;
    }
  }
  if (eq == std::string::npos) eq = assignment.find('=');  // an unbalanced quote is reported by parse_key
  if (eq == std::string::npos) {
    throw InputError({kSetFile, 0, ""}, "expected KEY=VALUE such as duration=100s, got '" + assignment + "'");
  }
  const std::string key(trim(std::string_view(assignment).substr(0, eq)));
  if (key.empty()) {
    throw InputError({kSetFile, 0, ""}, "expected KEY=VALUE such as duration=100s, got '" + assignment + "'");
  }
  const std::string value_text = assignment.substr(eq + 1);
  const auto steps = parse_key(key);
  YAML::Node value;
  try {
    const Document doc = load_document(value_text);
    if (doc.problem_line > 0) fail_set(key, "cannot read the value '" + value_text + "': " + doc.problem);
    value = unmarked(doc.root);
  } catch (const YAML::Exception& e) {
    fail_set(key, "cannot read the value '" + value_text + "': " + e.msg);
  }
  set_path(root, steps, 0, value, key, "");
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& file_name, const std::string& base_dir,
                        const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    const Document doc = load_document(text);
    if (doc.problem_line > 0) throw InputError({file_name, doc.problem_line, ""}, doc.problem);
    root = doc.root;
  } catch (const YAML::Exception& e) {
    throw InputError({file_name, e.mark.is_null() ? 0 : e.mark.line + 1, ""}, "invalid YAML: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    throw InputError({file_name, root.Mark().line + 1, ""},
                     "expected a map of keys (topology:, duration:, workload:, ...), got " + type_name(root));
  }
  try {
    for (const auto& assignment : overrides) apply_override(root, assignment);
    Scenario s = Reader(file_name, base_dir, root).read();
    s.file = file_name;
    s.text = text;
    return s;
  } catch (const YAML::Exception& e) {
    // Not expected (the reader checks types before converting), but never let one escape unlocated.
    throw InputError({file_name, e.mark.is_null() ? 0 : e.mark.line + 1, ""}, e.msg);
  }
}

Scenario read_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path, 0, ""}, "cannot read the scenario file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError({path, 0, ""}, "cannot read the scenario file");
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return parse_scenario(text.str(), path, dir, overrides);
}

}  // namespace rapture

namespace rapture {
namespace {

/// A preset given as `name` or as a map whose optional `preset` key names it.
std::optional<std::string> preset_name(const Item& item) {
  if (item.node.IsScalar()) return item.node.Scalar();
  if (item.node.IsMap() && item.node["preset"]) return item.node["preset"].Scalar();
  return std::nullopt;
}

}  // namespace

double Reader::percent(const Item& item) const {
  std::string t = text(item, "a percentage such as 50% or 50");
  if (!t.empty() && t.back() == '%') t.pop_back();
  try {
    return units::parse_number(t);
  } catch (const std::invalid_argument& e) {
    fail(item, e.what());
  }
}

double Reader::share(const Item& item) const {
  const std::string t(trim(text(item, "a share such as 5% or 0.05")));
  const bool percent_sign = !t.empty() && t.back() == '%';
  double value = 0;
  try {
    value = units::parse_number(percent_sign ? t.substr(0, t.size() - 1) : t) / (percent_sign ? 100 : 1);
  } catch (const std::invalid_argument&) {
    fail(item, "expected a share such as 5% or 0.05, got '" + t + "'");
  }
  if (!(value >= 0 && value <= 1)) fail(item, "expected a share from 0 to 1 (0% to 100%), got " + t);
  return value;
}

RetryPolicy Reader::read_retry(const Item& item) const {
  RetryPolicy r;
  try {
    r = RetryPolicy::preset(preset_name(item).value_or("none"));
  } catch (const std::invalid_argument& e) {
    fail(item, e.what());
  }
  if (item.node.IsMap()) {
    const MapView m(*this, item);
    m.allow({"preset", "max_attempts", "retry_on", "backoff", "per_try_timeout", "deadline", "propagate_deadline",
             "cancel_on_timeout"});
    if (auto v = m.get("max_attempts")) r.max_attempts = integer(*v, 1, 100);
    if (auto v = m.get("retry_on")) {
      r.retry_on = RetryOn{false, false, false, false};
      for (const auto& el : list(*v, "conditions: timeout, error, overflow, circuit_open")) {
        const std::string c = text(el, "a retry condition");
        if (c == "timeout") {
          r.retry_on.timeout = true;
        } else if (c == "error") {
          r.retry_on.error = true;
        } else if (c == "overflow") {
          r.retry_on.overflow = true;
        } else if (c == "circuit_open") {
          r.retry_on.circuit_open = true;
        } else {
          fail(el, "unknown retry condition '" + c + "' (expected timeout, error, overflow or circuit_open)");
        }
      }
    }
    if (auto v = m.get("backoff")) {
      const MapView b(*this, *v);
      b.allow({"kind", "base", "multiplier", "cap"});
      if (auto k = b.get("kind")) {
        const std::string kind = text(*k, "a backoff kind");
        if (kind == "none") {
          r.backoff.kind = Backoff::Kind::None;
        } else if (kind == "constant") {
          r.backoff.kind = Backoff::Kind::Constant;
        } else if (kind == "exponential") {
          r.backoff.kind = Backoff::Kind::Exponential;
        } else if (kind == "full_jitter") {
          r.backoff.kind = Backoff::Kind::FullJitter;
        } else if (kind == "decorrelated_jitter") {
          r.backoff.kind = Backoff::Kind::DecorrelatedJitter;
        } else {
          fail(*k, "unknown backoff '" + kind +
                       "' (expected none, constant, exponential, full_jitter or decorrelated_jitter)");
        }
      }
      if (auto x = b.get("base")) r.backoff.base = duration(*x);
      if (auto x = b.get("multiplier")) r.backoff.multiplier = number(*x);
      if (auto x = b.get("cap")) r.backoff.cap = duration(*x);
    }
    if (auto v = m.get("per_try_timeout")) r.per_try_timeout = duration(*v);
    if (auto v = m.get("deadline")) r.deadline = duration(*v);
    if (auto v = m.get("propagate_deadline")) r.propagate_deadline = boolean(*v);
    if (auto v = m.get("cancel_on_timeout")) r.cancel_on_timeout = boolean(*v);
  } else if (!item.node.IsScalar()) {
    fail(item, "expected a preset name or a map");
  }
  validated(item, r);
  return r;
}

RetryBudget Reader::read_budget(const Item& item) const {
  RetryBudgetConfig c;
  try {
    c = RetryBudgetConfig::preset(preset_name(item).value_or("none"));
  } catch (const std::invalid_argument& e) {
    fail(item, e.what());
  }
  if (item.node.IsMap()) {
    const MapView m(*this, item);
    m.allow({"preset", "budget_percent", "min_retry_concurrency", "retry_ratio", "min_retries_per_second", "ttl",
             "max_tokens", "token_ratio"});
    if (auto v = m.get("budget_percent")) c.budget_percent = percent(*v);
    if (auto v = m.get("min_retry_concurrency")) c.min_retry_concurrency = static_cast<uint32_t>(integer(*v, 0, 1'000'000));
    if (auto v = m.get("retry_ratio")) c.retry_ratio = number(*v);
    if (auto v = m.get("min_retries_per_second")) c.min_retries_per_second = static_cast<uint32_t>(integer(*v, 0, 1'000'000));
    if (auto v = m.get("ttl")) c.ttl = duration(*v);
    if (auto v = m.get("max_tokens")) c.max_tokens = static_cast<uint32_t>(integer(*v, 1, 1000));
    if (auto v = m.get("token_ratio")) c.token_ratio = number(*v);
  } else if (!item.node.IsScalar()) {
    fail(item, "expected a preset name or a map");
  }
  validated(item, c);
  return RetryBudget(c);
}

CircuitBreakerConfig Reader::read_breaker(const Item& item) const {
  CircuitBreakerConfig c;
  const std::string preset = preset_name(item).value_or("resilience4j");
  if (preset == "resilience4j") {
    c = CircuitBreakerConfig::resilience4j();
  } else if (preset == "hystrix") {
    c = CircuitBreakerConfig::hystrix();
  } else {
    fail(item, "unknown circuit breaker preset '" + preset + "' (expected resilience4j or hystrix)");
  }
  if (item.node.IsMap()) {
    const MapView m(*this, item);
    m.allow({"preset", "window", "window_size", "minimum_calls", "failure_rate_threshold", "slow_call_duration",
             "slow_call_rate_threshold", "wait_in_open", "wait_multiplier", "max_wait_in_open", "automatic_half_open",
             "permitted_in_half_open", "max_wait_in_half_open"});
    if (auto v = m.get("window")) {
      const std::string w = text(*v, "count_based or time_based");
      if (w == "count_based" || w == "count") {
        c.window = CircuitBreakerConfig::Window::CountBased;
      } else if (w == "time_based" || w == "time") {
        c.window = CircuitBreakerConfig::Window::TimeBased;
      } else {
        fail(*v, "unknown window '" + w + "' (expected count_based or time_based)");
      }
    }
    if (auto v = m.get("window_size")) {
      c.window_size = c.window == CircuitBreakerConfig::Window::TimeBased
                          ? static_cast<int64_t>(std::llround(duration(*v)))
                          : integer(*v, 0, 1'000'000);
    }
    if (auto v = m.get("minimum_calls")) c.minimum_calls = integer(*v, 0, 1'000'000);
    if (auto v = m.get("failure_rate_threshold")) c.failure_rate_threshold = percent(*v);
    if (auto v = m.get("slow_call_duration")) c.slow_call_duration = duration(*v);
    if (auto v = m.get("slow_call_rate_threshold")) c.slow_call_rate_threshold = percent(*v);
    if (auto v = m.get("wait_in_open")) c.wait_in_open = duration(*v);
    if (auto v = m.get("wait_multiplier")) c.wait_multiplier = number(*v);
    if (auto v = m.get("max_wait_in_open")) c.max_wait_in_open = duration(*v);
    if (auto v = m.get("automatic_half_open")) c.automatic_half_open = boolean(*v);
    if (auto v = m.get("permitted_in_half_open")) c.permitted_in_half_open = integer(*v, 0, 1'000'000);
    if (auto v = m.get("max_wait_in_half_open")) c.max_wait_in_half_open = duration(*v);
  } else if (!item.node.IsScalar()) {
    fail(item, "expected a preset name or a map");
  }
  validated(item, c);
  return c;
}

OutlierConfig Reader::read_outlier(const Item& item) const {
  const std::string preset = preset_name(item).value_or("envoy");
  if (preset != "envoy") fail(item, "unknown outlier ejection preset '" + preset + "' (expected envoy)");
  OutlierConfig c = OutlierConfig::envoy();
  if (item.node.IsMap()) {
    const MapView m(*this, item);
    m.allow({"preset", "consecutive_5xx", "interval", "base_ejection_time", "max_ejection_percent",
             "max_ejection_time"});
    if (auto v = m.get("consecutive_5xx")) c.consecutive_5xx = integer(*v, 0, 1'000'000);
    if (auto v = m.get("interval")) c.interval = duration(*v);
    if (auto v = m.get("base_ejection_time")) c.base_ejection_time = duration(*v);
    if (auto v = m.get("max_ejection_percent")) c.max_ejection_percent = percent(*v);
    if (auto v = m.get("max_ejection_time")) c.max_ejection_time = duration(*v);
  }
  validated(item, c);
  return c;
}

AdmissionConfig Reader::read_admission(const Item& item) const {
  AdmissionConfig c;
  const MapView m(*this, item);
  m.allow({"max_concurrent", "rate", "burst"});
  if (auto v = m.get("max_concurrent")) c.max_concurrent = static_cast<uint32_t>(integer(*v, 0, 1'000'000'000));
  if (auto v = m.get("rate")) c.rate = rate(*v);
  if (auto v = m.get("burst")) c.burst = number(*v);
  validated(item, c);
  return c;
}

PolicySpec Reader::read_policy(const Item& item, SourceLocation where) const {
  PolicySpec p;
  p.where = std::move(where);
  const MapView m(*this, item);
  m.allow({"timeout", "retry", "budget", "circuit_breaker", "fallback", "bulkhead"});
  if (auto v = m.get("retry")) p.retry = read_retry(*v);
  if (auto v = m.get("timeout")) {
    const MapView t(*this, *v);
    t.allow({"per_try", "deadline", "propagate", "cancel"});
    if (auto x = t.get("per_try")) p.per_try_timeout = duration(*x);
    if (auto x = t.get("deadline")) p.deadline = duration(*x);
    if (auto x = t.get("propagate")) p.propagate_deadline = boolean(*x);
    if (auto x = t.get("cancel")) p.cancel_on_timeout = boolean(*x);
    if (p.per_try_timeout && p.deadline && *p.deadline > 0 && *p.per_try_timeout > *p.deadline) {
      fail(*v, "the per-try timeout (" + t.get("per_try")->node.Scalar() + ") is longer than the deadline (" +
                   t.get("deadline")->node.Scalar() + ")");
    }
  }
  if (auto v = m.get("budget")) p.budget = read_budget(*v);
  if (auto v = m.get("circuit_breaker")) p.circuit_breaker = read_breaker(*v);
  if (auto v = m.get("fallback")) p.fallback = boolean(*v);
  if (auto v = m.get("bulkhead")) p.bulkhead = integer(*v, 0, 1'000'000'000);
  return p;
}

void Reader::read_policies(const MapView& top, Scenario& s) const {
  if (auto policies = top.get("policies")) {
    const MapView m(*this, *policies);
    m.allow({"defaults", "by_kind", "edges"});
    if (auto v = m.get("defaults")) s.policy_all = read_policy(*v, where_key(*v, "policies.defaults"));
    if (auto v = m.get("by_kind")) {
      const MapView k(*this, *v);
      k.allow({"frontend", "service", "cache", "db", "queue"});
      for (const auto& e : k.entries()) {
        s.policy_by_kind[static_cast<size_t>(parse_service_kind(e.name))] =
            read_policy(e.item, where_key(e.item, "policies.by_kind." + e.name));
      }
    }
    if (auto v = m.get("edges")) {
      const MapView edges(*this, *v);
      for (const auto& e : edges.entries()) {
        const auto key = edge(Item{e.item.key, YAML::Node(), e.item.path, ""}, e.name);
        s.policy_edges.emplace_back(key, read_policy(e.item, where_key(e.item, "edge " + key.first + " -> " + key.second)));
      }
    }
  }
  if (auto protection = top.get("protection")) {
    const MapView m(*this, *protection);
    for (const auto& e : m.entries()) {
      ProtectionSpec p;
      p.service = e.name;
      p.where = where_key(e.item, "service '" + e.name + "'");
      const MapView o(*this, e.item);
      o.allow({"outlier_ejection", "admission", "shedding"});
      if (auto v = o.get("outlier_ejection")) p.outlier_ejection = read_outlier(*v);
      if (auto v = o.get("admission")) p.admission = read_admission(*v);
      if (auto v = o.get("shedding")) {
        const std::string kind = text(*v, "none, codel or adaptive_lifo");
        if (kind == "none") {
          p.shedding = ProtectionSpec::Shedding::None;
        } else if (kind == "codel") {
          p.shedding = ProtectionSpec::Shedding::CoDel;
        } else if (kind == "adaptive_lifo") {
          p.shedding = ProtectionSpec::Shedding::AdaptiveLifo;
        } else {
          fail(*v, "unknown shedding '" + kind + "' (expected none, codel or adaptive_lifo)");
        }
      }
      s.protections.push_back(std::move(p));
    }
  }
}

void Reader::read_faults(const MapView& top, Scenario& s) const {
  const auto faults = top.get("faults");
  if (!faults) return;
  using Kind = FaultSpec::Kind;
  static const std::vector<std::pair<std::string_view, Kind>> kinds{
      {"crash", Kind::Crash},           {"latency", Kind::Latency},          {"error", Kind::Error},
      {"slowdown", Kind::Slowdown},     {"queue_shrink", Kind::QueueShrink}, {"worker_shrink", Kind::WorkerShrink},
      {"host_failure", Kind::HostFailure}, {"swallow", Kind::Swallow},     {"load_spike", Kind::LoadSpike},
      {"link_degradation", Kind::LinkDegradation}, {"partition", Kind::Partition}, {"mix_shift", Kind::MixShift}};
  const auto items = list(*faults, "a list of faults");
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    const MapView m(*this, item);
    m.allow({"name", "kind", "target", "replica", "start", "duration", "end", "restart", "latency", "error_rate",
             "factor", "size", "mix", "cell"});
    FaultSpec f;
    f.name = m.get("name") ? text(*m.get("name"), "a fault name") : "fault" + std::to_string(i);
    const Item kind_item = m.need("kind", "the kind of fault");
    const std::string kind = text(kind_item, "a fault kind");
    const auto k = std::find_if(kinds.begin(), kinds.end(), [&](const auto& p) { return p.first == kind; });
    if (k == kinds.end()) {
      fail(kind_item, "unknown fault kind '" + kind +
                          "' (expected crash, latency, error, slowdown, queue_shrink, worker_shrink, host_failure, "
                          "swallow, load_spike, link_degradation, partition or mix_shift)");
    }
    f.kind = k->second;
    if (auto v = m.get("target")) {
      f.target = text(*v, "a service, host or workload index");
    } else if (f.kind != Kind::LoadSpike && f.kind != Kind::MixShift) {
      fail(item, "fault '" + f.name + "' needs a target");
    }
    if (auto v = m.get("replica")) f.replica = integer(*v, 0, kMaxReplicas);
    if (auto v = m.get("cell")) {
      f.cell = v->node.IsScalar() && v->node.Scalar() == "all" ? -1 : integer(*v, 0, 1000);
    }
    f.start = duration(m.need("start", "when the fault starts, e.g. 120s"));
    const auto dur = m.get("duration") ? m.get("duration") : m.get("restart");
    if (dur && m.get("end")) fail(*m.get("end"), "give either a duration (or restart) or an end, not both");
    if (dur) f.end = f.start + duration(*dur);
    if (auto v = m.get("end")) f.end = duration(*v);
    if (!(f.end > f.start)) fail(item, "fault '" + f.name + "' must end after it starts");
    auto need = [&](const char* key, const char* what) { return m.need(key, what); };
    switch (f.kind) {
      case Kind::Latency: f.latency = distribution(need("latency", "the added latency, e.g. exp(50ms)")); break;
      case Kind::Error: {
        const Item v = need("error_rate", "the share of visits that fail, e.g. 0.2");
        f.error_rate = number(v);
        if (!(f.error_rate >= 0 && f.error_rate <= 1)) fail(v, "an error rate must be in [0, 1]");
        break;
      }
      case Kind::Slowdown: {
        const Item v = need("factor", "the CPU speed multiplier, e.g. 0.25");
        f.factor = number(v);
        if (!(f.factor > 0 && f.factor <= 1)) fail(v, "a slowdown factor must be in (0, 1]");
        break;
      }
      case Kind::LoadSpike: {
        const Item v = need("factor", "the arrival rate multiplier, e.g. 3");
        f.factor = number(v);
        if (!(f.factor > 0 && f.factor <= 1000)) fail(v, "a load spike factor must be in (0, 1000]");
        break;
      }
      case Kind::LinkDegradation:
        if (auto v = m.get("latency")) f.latency = distribution(*v);
        if (auto v = m.get("factor")) {
          f.factor = number(*v);
          if (!(f.factor > 0 && f.factor <= 1)) fail(*v, "a bandwidth factor must be in (0, 1]");
        }
        if (!m.get("latency") && !m.get("factor")) fail(item, "link_degradation needs a latency, a factor or both");
        break;
      case Kind::MixShift: {
        const Item v = need("mix", "the request mix while it lasts, e.g. {browse: 1, checkout: 3}");
        const MapView mix(*this, v);
        for (const auto& e : mix.entries()) f.mix.emplace_back(e.name, number(e.item));
        break;
      }
      case Kind::QueueShrink: f.size = integer(need("size", "the queue capacity during the fault"), 0, kMaxQueue); break;
      case Kind::WorkerShrink: f.size = integer(need("size", "the workers per replica during the fault"), 1, kMaxReplicas); break;
      default: break;
    }
    f.where = where_key(item, "fault '" + f.name + "'");
    for (const auto& other : s.faults) {
      if (other.name == f.name) fail(item, "fault '" + f.name + "' is defined twice");
    }
    s.faults.push_back(std::move(f));
  }
}

void Reader::read_analysis(const MapView& top, Scenario& s) const {
  const auto analysis = top.get("analysis");
  if (!analysis) return;
  AnalysisSpec& a = s.analysis;
  a.where = where_key(*analysis, "analysis");
  const MapView m(*this, *analysis);
  m.allow({"degraded_error", "failed_error", "latency_factor", "queue_saturation", "min_samples", "onset_bins", "stable",
           "metastable_after", "retry_spike", "surge_factor", "hot_spot_share"});
  auto factor = [&](const Item& v) {
    const double f = number(v);
    if (!(f > 1)) fail(v, "a factor must be > 1, got " + v.node.Scalar());
    return f;
  };
  auto span = [&](const Item& v) {
    const double d = duration(v);
    if (!(d > 0)) fail(v, "the duration must be > 0, got " + v.node.Scalar());
    return d;
  };
  if (auto v = m.get("degraded_error")) a.degraded_error = share(*v);
  if (auto v = m.get("failed_error")) a.failed_error = share(*v);
  if (a.degraded_error >= a.failed_error) {
    // Point at the value the user wrote; when both are written, at the second threshold.
    const Item at = m.get("failed_error") ? *m.get("failed_error") : *m.get("degraded_error");
    fail(at, "degraded_error (" + fmt_number(a.degraded_error * 100) + "%) must be below failed_error (" +
                 fmt_number(a.failed_error * 100) + "%)");
  }
  if (auto v = m.get("latency_factor")) a.latency_factor = factor(*v);
  if (auto v = m.get("queue_saturation")) a.queue_saturation = share(*v);
  if (auto v = m.get("min_samples")) a.min_samples = integer(*v, 1, 1'000'000'000);
  if (auto v = m.get("onset_bins")) a.onset_bins = integer(*v, 1, 1'000'000);
  if (auto v = m.get("stable")) a.stable = span(*v);
  if (auto v = m.get("metastable_after")) a.metastable_after = span(*v);
  if (auto v = m.get("retry_spike")) {
    a.retry_spike = number(*v);
    if (!(a.retry_spike >= 0)) fail(*v, "retries per call must not be negative, got " + v->node.Scalar());
  }
  if (auto v = m.get("surge_factor")) a.surge_factor = factor(*v);
  if (auto v = m.get("hot_spot_share")) a.hot_spot_share = share(*v);
}

void Reader::read_hypothesis(const MapView& top, Scenario& s) const {
  const auto hypothesis = top.get("hypothesis");
  if (!hypothesis) return;
  const MapView m(*this, *hypothesis);
  m.allow({"title", "probes"});
  HypothesisSpec h;
  if (auto v = m.get("title")) h.title = text(*v, "a title");
  const Item probes = m.need("probes", "a list of probes such as {metric: error_rate, below: 5%}");
  const auto items = list(probes, "probes such as {metric: error_rate, below: 5%}");
  if (items.empty()) fail(probes, "a hypothesis needs at least one probe");
  for (const auto& item : items) h.probes.push_back(read_probe(item, s));
  s.hypothesis = std::move(h);
}

ProbeSpec Reader::read_probe(const Item& item, const Scenario& s) const {
  using Metric = ProbeSpec::Metric;
  using Window = ProbeSpec::Window;
  const MapView m(*this, item);
  m.allow({"name", "metric", "request", "window", "below", "above"});
  ProbeSpec p;
  if (auto v = m.get("name")) p.name = text(*v, "a probe name");
  p.metric = keyword<Metric>(m.need("metric", "what the probe measures, e.g. metric: error_rate"), "metric",
                             {{"error_rate", Metric::ErrorRate},
                              {"goodput", Metric::Goodput},
                              {"p99", Metric::LatencyP99},
                              {"latency_mean", Metric::LatencyMean},
                              {"recovery_time", Metric::RecoveryTime},
                              {"unhealthy_share", Metric::UnhealthyShare}});
  const bool per_request = p.metric != Metric::RecoveryTime && p.metric != Metric::UnhealthyShare;
  if (auto v = m.get("request")) {
    // Services, not requests, are judged healthy: a request type here would be silently ignored.
    if (!per_request) fail(*v, "request: applies to error_rate, goodput, p99 and latency_mean only");
    p.request = text(*v, "a request type name");
    const bool known = std::any_of(s.requests.begin(), s.requests.end(), [&](const auto& r) { return r.name == p.request; });
    if (!known) {
      fail(*v, "request '" + p.request +
                   "' is neither declared under requests nor defined inline in the workload");
    }
  }
  if (auto v = m.get("window")) {
    p.window = keyword<Window>(*v, "window",
                               {{"whole", Window::Whole},
                                {"steady", Window::Steady},
                                {"during_fault", Window::DuringFault},
                                {"after_fault", Window::AfterFault}});
  }
  // A tolerance is written in the unit of what it bounds.
  auto bound = [&](const Item& v) {
    switch (p.metric) {
      case Metric::ErrorRate:
      case Metric::UnhealthyShare: return share(v);
      case Metric::Goodput: return rate(v);
      default: return duration(v);
    }
  };
  const auto below = m.get("below");
  const auto above = m.get("above");
  if (!below && !above) fail(item, "a probe needs a tolerance: below: VALUE, above: VALUE or both");
  if (below) p.below = bound(*below);
  if (above) p.above = bound(*above);
  if (below && above && !(*p.above < *p.below)) {
    fail(*below, "no value is below " + below->node.Scalar() + " and above " + above->node.Scalar());
  }
  p.where = where_key(item, p.name.empty() ? item.path : "probe '" + p.name + "'");
  return p;
}

}  // namespace rapture

namespace rapture {
namespace {

std::vector<std::string> Reader::names(const Item& item, std::string_view what) const {
  std::vector<std::string> out;
  if (item.node.IsScalar()) {
    out.push_back(text(item, what));
    return out;
  }
  for (const auto& el : list(item, what)) out.push_back(text(el, what));
  return out;
}

Transformation Reader::read_transformation(const Item& item, const std::string& design) const {
  using Kind = Transformation::Kind;
  static const std::vector<std::pair<std::string_view, Kind>> kinds{
      {"merge", Kind::Merge},   {"split", Kind::Split},       {"async", Kind::Async},
      {"remove", Kind::RemoveTier}, {"buffer", Kind::Buffer}, {"colocate", Kind::Colocate},
      {"separate", Kind::Separate}, {"drop", Kind::DropEdge}};
  const MapView m(*this, item);
  if (m.entries().size() != 1) {
    fail(item, "a recomposition step is one of merge, split, async, remove, buffer, colocate, separate or drop, "
               "e.g. - merge: [cart, checkout]");
  }
  const auto& [key, value] = m.entries().front();
  const auto k = std::find_if(kinds.begin(), kinds.end(), [&](const auto& p) { return p.first == key; });
  if (k == kinds.end()) {
    fail(item, "unknown recomposition step '" + key +
                   "' (expected merge, split, async, remove, buffer, colocate, separate or drop)");
  }
  Transformation t;
  t.kind = k->second;
  t.where = where_key(item, "design '" + design + "', step " + key);
  // A call is written "a -> b", alone or as `call:` of a map with the step's options.
  auto read_call = [&](const Item& v, const std::vector<std::string_view>& options) {
    const Item* call = &v;
    std::optional<Item> from_map;
    if (v.node.IsMap()) {
      const MapView o(*this, v);
      o.allow(options);
      from_map = o.need("call", "the call, e.g. call: \"checkout -> email\"");
      call = &*from_map;
      if (auto q = o.get("queue")) t.queue = text(*q, "the queue service's name");
      if (auto c = o.get("capacity")) t.capacity = integer(*c, 0, kMaxQueue);
      if (auto c = o.get("consumers")) t.consumers = integer(*c, 1, kMaxReplicas);
    }
    std::tie(t.from, t.to) = edge(*call, text(*call, "a call \"from -> to\""));
  };
  switch (t.kind) {
    case Kind::Merge:
      if (value.node.IsMap()) {
        const MapView o(*this, value);
        o.allow({"services", "into"});
        t.services = names(o.need("services", "the services to merge"), "service names");
        if (auto into = o.get("into")) t.into = text(*into, "the merged process's name");
      } else {
        t.services = names(value, "service names");
      }
      if (t.services.size() < 2) fail(value, "merge needs at least two services");
      break;
    case Kind::Split: {
      const MapView o(*this, value);
      o.allow({"service", "parts"});
      t.services = {text(o.need("service", "the service to split"), "a service name")};
      const Item parts = o.need("parts", "the new services and the request types each serves, e.g. {catalog-read: [browse]}");
      const MapView pm(*this, parts);
      for (const auto& e : pm.entries()) t.parts.emplace_back(e.name, names(e.item, "request type names"));
      if (t.parts.empty()) fail(parts, "split needs at least one part");
      break;
    }
    case Kind::Async: read_call(value, {"call", "queue", "capacity", "consumers"}); break;
    case Kind::Buffer:
      read_call(value, {"call", "queue", "capacity", "consumers"});
      if (!value.node.IsMap()) fail(value, "buffer needs {call: \"a -> b\", capacity: N, consumers: M}");
      break;
    case Kind::DropEdge: read_call(value, {"call"}); break;
    case Kind::RemoveTier:
      t.services = {text(value, "the service to remove")};
      break;
    case Kind::Colocate:
    case Kind::Separate:
      t.services = names(value, "service names");
      if (t.kind == Kind::Colocate && t.services.size() < 2) fail(value, "colocate needs at least two services");
      break;
  }
  return t;
}

void Reader::read_designs(const MapView& top, Scenario& s) const {
  const auto designs = top.get("designs");
  if (!designs) return;
  for (const auto& item : list(*designs, "a list of designs")) {
    const MapView m(*this, item);
    m.allow({"name", "description", "set", "recompose", "decay", "cells"});
    DesignSpec d;
    const Item name = m.need("name", "the design's name, e.g. name: cells");
    d.name = text(name, "a design name");
    if (d.name.empty() || d.name == "baseline") fail(name, "a design needs a name other than 'baseline' (the scenario as written)");
    for (const auto& other : s.designs) {
      if (other.name == d.name) fail(name, "design '" + d.name + "' is defined twice");
    }
    d.where = where_key(item, "design '" + d.name + "'");
    if (auto v = m.get("description")) d.description = text(*v, "a sentence");
    if (auto v = m.get("set")) {
      const MapView sets(*this, *v);
      for (const auto& e : sets.entries()) {
        YAML::Emitter out;
        out << YAML::Flow << e.item.node;
        d.set.push_back(e.name + "=" + out.c_str());
      }
    }
    if (auto v = m.get("recompose")) {
      for (const auto& step : list(*v, "a list of recomposition steps")) d.recomposition.push_back(read_transformation(step, d.name));
    }
    if (auto v = m.get("decay")) {
      const MapView o(*this, *v);
      o.allow({"request", "service", "legacy", "share", "error_rate", "latency", "replicas"});
      DecaySpec decay;
      decay.where = where_key(*v, "design '" + d.name + "', decay");
      decay.request = text(o.need("request", "the request type partly served by the legacy path"), "a request type");
      if (auto x = o.get("service")) decay.service = text(*x, "the service the legacy path replaces");
      if (auto x = o.get("legacy")) decay.legacy = text(*x, "the legacy service's name");
      decay.share = share(o.need("share", "the share of the request type on the legacy path, e.g. 20%"));
      // A ramp is written {from: X, to: Y} (worsening over the run) or as one value (constant).
      auto ramp = [&](const Item& r, auto value_of) {
        if (!r.node.IsMap()) {
          const double x = value_of(r);
          return Ramp{x, x};
        }
        const MapView rm(*this, r);
        rm.allow({"from", "to"});
        return Ramp{value_of(rm.need("from", "the value at the start")), value_of(rm.need("to", "the value at the end"))};
      };
      if (auto x = o.get("error_rate")) decay.error_rate = ramp(*x, [&](const Item& i) { return share(i); });
      if (auto x = o.get("latency")) decay.latency = ramp(*x, [&](const Item& i) { return duration(i); });
      if (auto x = o.get("replicas")) decay.replicas = integer(*x, 1, kMaxReplicas);
      d.decay = decay;
    }
    if (auto v = m.get("cells")) {
      const MapView o(*this, *v);
      o.allow({"count", "services", "shared", "shuffle_sharding", "capacity"});
      CellSpec c;
      c.where = where_key(*v, "design '" + d.name + "', cells");
      const Item count = o.need("count", "the number of cells, e.g. count: 4");
      c.count = integer(count, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
      if (c.count < 1) fail(count, "the number of cells must be at least 1, got " + count.node.Scalar());
      if (auto x = o.get("services")) c.services = names(*x, "service names");
      if (auto x = o.get("shared")) c.shared = names(*x, "service names");
      if (auto x = o.get("shuffle_sharding")) c.shuffle_sharding = boolean(*x);
      if (auto x = o.get("capacity")) {
        c.split_capacity = keyword<bool>(*x, "capacity", {{"split", true}, {"copy", false}});
      }
      d.cells = c;
    }
    if (d.recomposition.empty() && !d.decay && !d.cells && d.set.empty()) {
      // Allowed on purpose: a design that changes nothing reproduces the baseline (common random numbers).
    }
    s.designs.push_back(std::move(d));
  }
}

}  // namespace
}  // namespace rapture
