#include "io/scenario/reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "common/units.hpp"

namespace rapture::scenario_reader {

namespace {

/// A key as it appears in a dotted path; keys that would not read back as one segment are quoted.
std::string path_key(std::string_view key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return plain ? std::string(key) : "\"" + std::string(key) + "\"";
}

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

}  // namespace

std::string join_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? path_key(key) : parent + "." + path_key(key);
}

std::string index_path(const std::string& parent, size_t index) { return parent + "[" + std::to_string(index) + "]"; }

std::string type_name(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "'" + text::excerpt(node.Scalar()) + "'";
}

std::string seconds(double value) { return text::number(value) + "s"; }

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
    if (e.name == "<<") {
      hint = "YAML merge keys are not supported: repeat the keys; ";
    } else if (e.name.find(')') != std::string::npos && e.name.find('(') == std::string::npos) {
      // `{service_time: lognormal(20ms, 0.6)}`: the comma of the flow map split the distribution.
      hint = "inside {...}, quote a value that has a comma, e.g. \"lognormal(20ms, 0.6)\"; ";
    } else if (const auto near = text::near_miss(e.name, allowed)) {
      hint = "did you mean '" + std::string(*near) + "'? ";
    }
    const std::string in = item_.path.empty() ? "at the top level" : "in " + item_.path;
    throw InputError(
        reader_.where_key(e.item, "key " + e.item.path),
        "unknown key '" + e.name + "' " + in + " (" + hint + "expected one of " + text::one_of(allowed) + ")");
  }
}

SourceLocation Reader::where(const Item& item) const {
  // An empty value in the file is marked on the next token, possibly lines below: use its key.
  const bool empty_in_file = item.node.IsNull() && !item.node.Mark().is_null();
  const YAML::Node& node = empty_in_file && item.key.IsDefined() && !item.key.IsNull() ? item.key : item.node;
  return locate(node, "key " + item.path, item.path);
}

SourceLocation Reader::where_key(const Item& item, std::string element) const {
  const YAML::Node& node = item.key.IsDefined() && !item.key.IsNull() ? item.key : item.node;
  return locate(node, std::move(element), item.path);
}

SourceLocation Reader::locate(const YAML::Node& node, std::string element, const std::string& path) const {
  const auto mark = node.Mark();
  if (mark.is_null()) {
    // Only the synthetic root of an empty file and values from overrides have no mark: the
    // override that set the path (the last one applied, at it or above it) is where it was written.
    if (node.is(root_)) return {file_, 0, std::move(element)};
    for (auto it = origins_.rbegin(); it != origins_.rend(); ++it) {
      const std::string& set = it->first;
      const bool below = path.compare(0, set.size(), set) == 0 &&
                         (path.size() == set.size() || path[set.size()] == '.' || path[set.size()] == '[');
      if (!below) continue;
      const SourceLocation& origin = it->second;
      return {origin.file, origin.line, origin.element.empty() ? element : origin.element + ", " + element};
    }
    return {kSetFile, 0, std::move(element)};
  }
  return {file_, mark.line + 1, std::move(element)};
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
  const std::string t(text::trim(text(item, "a whole number")));
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || ptr != t.data() + t.size())
    fail(item, "expected a whole number, got '" + text::excerpt(t) + "'");
  if (value < low || value > high) {
    fail(item, "expected a whole number from " + std::to_string(low) + " to " + std::to_string(high) + ", got " +
                   text::excerpt(t));
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
  const std::string t(text::trim(text(item, "a share such as 5% or 0.05")));
  const bool percent_sign = !t.empty() && t.back() == '%';
  double value = 0;
  try {
    value = units::parse_number(percent_sign ? t.substr(0, t.size() - 1) : t) / (percent_sign ? 100 : 1);
  } catch (const std::invalid_argument&) {
    fail(item, "expected a share such as 5% or 0.05, got '" + text::excerpt(t) + "'");
  }
  if (!(value >= 0 && value <= 1)) fail(item, "expected a share from 0 to 1 (0% to 100%), got " + text::excerpt(t));
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
  auto e = text::split_edge(t);
  if (!e) fail(item, "expected an edge such as \"frontend -> cart\", got '" + text::excerpt(t) + "'");
  return *e;
}

std::vector<Item> Reader::list(const Item& item, std::string_view what) const {
  std::vector<Item> out;
  if (item.node.IsNull()) return out;
  if (!item.node.IsSequence()) fail(item, "expected a list of " + std::string(what) + ", got " + type_name(item.node));
  for (size_t i = 0; i < item.node.size(); ++i) {
    out.push_back({item.node[i], YAML::Node(), index_path(item.path, i), ""});
  }
  return out;
}

std::vector<std::string> Reader::names(const Item& item, std::string_view what) const {
  std::vector<std::string> out;
  if (item.node.IsScalar()) {
    out.push_back(text(item, what));
    return out;
  }
  for (const auto& el : list(item, what)) out.push_back(text(el, what));
  return out;
}

}  // namespace rapture::scenario_reader
