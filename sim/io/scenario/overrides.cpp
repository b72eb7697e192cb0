#include "io/scenario/overrides.hpp"

#include <charconv>
#include <vector>

#include "common/error.hpp"
#include "common/limits.hpp"
#include "common/text.hpp"
#include "io/scenario/document.hpp"
#include "io/scenario/reader.hpp"

namespace rapture::scenario_reader {

namespace {

/// One step of a --set key: a map key or a list index.
struct KeyStep {
  bool is_index = false;
  std::string key;
  size_t index = 0;
};

/// `origin` with the key named after what it already names (a design), the key cut if long.
SourceLocation at_key(const SourceLocation& origin, const std::string& key) {
  const std::string element = "key " + text::excerpt(key, 120);
  return {origin.file, origin.line, origin.element.empty() ? element : origin.element + ", " + element};
}

/// Parses `a.b[2]."c -> d"` into steps.
std::vector<KeyStep> parse_key(const std::string& key, const SourceLocation& origin) {
  std::vector<KeyStep> steps;
  size_t i = 0;
  auto bad = [&](const std::string& why) {
    throw InputError(at_key(origin, key), why +
                                              " (expected a dotted path such as services.cart.replicas or "
                                              "workload[0].arrivals.rate)");
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
      if (text::trim(step.key).empty()) bad("empty key");
    }
    steps.push_back(std::move(step));
  };
  name();
  while (i < key.size()) {
    // Checked as the key is read: a path of 100,000 steps would otherwise build as many nested maps.
    if (steps.size() >= limits::kSetSteps) bad("more than " + std::to_string(limits::kSetSteps) + " steps");
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
        bad("expected a list index such as [0], got '[" + text::excerpt(digits, 40) + "]'");
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
      out.SetTag(node.Tag());  // keeps plain and quoted apart (see `rejoin` in reader.cpp)
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

/// Sets the value at `steps` below `root`, one step at a time (a loop, not recursion: the key's
/// length is the user's).
void set_path(const YAML::Node& root, const std::vector<KeyStep>& steps, const YAML::Node& value,
              const std::string& key, const SourceLocation& origin) {
  auto fail = [&](const std::string& message) { throw InputError(at_key(origin, key), message); };
  // Copying a YAML::Node binds a new handle, whereas assigning to an existing handle would
  // overwrite the node it refers to: each step rebinds with reset().
  YAML::Node node = root;
  std::string prefix;
  for (size_t i = 0; i < steps.size(); ++i) {
    const KeyStep& step = steps[i];
    const bool last = i + 1 == steps.size();
    if (step.is_index) {
      if (!node.IsSequence()) fail(prefix + " is " + type_name(node) + ", not a list");
      if (step.index >= node.size()) {
        fail("index " + std::to_string(step.index) + " is out of range (" + prefix + " has " +
             std::to_string(node.size()) + " entries)");
      }
      if (last) {
        node[step.index] = value;
      } else {
        node.reset(node[step.index]);
        prefix = index_path(prefix, step.index);
      }
      continue;
    }
    // Missing and empty maps are created; anything else in the way is an error.
    if (node.IsDefined() && !node.IsNull() && !node.IsMap()) {
      fail((prefix.empty() ? std::string("the scenario") : prefix) + " is " + type_name(node) + ", not a map");
    }
    if (last) {
      node[step.key] = value;
    } else {
      node.reset(node[step.key]);
      prefix = join_path(prefix, step.key);
    }
  }
}

/// The path `steps` name, written as the reader writes an Item's path.
std::string path_of(const std::vector<KeyStep>& steps) {
  std::string path;
  for (const auto& step : steps) path = step.is_index ? index_path(path, step.index) : join_path(path, step.key);
  return path;
}

}  // namespace

std::string apply_override(YAML::Node& root, const Override& change) {
  const std::string& assignment = change.assignment;
  const SourceLocation& origin = change.origin;
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
  const std::string key =
      eq == std::string::npos ? "" : std::string(text::trim(std::string_view(assignment).substr(0, eq)));
  if (key.empty()) {
    throw InputError(origin, "expected KEY=VALUE such as duration=100s, got '" + text::excerpt(assignment, 120) + "'");
  }
  const std::string value_text = assignment.substr(eq + 1);
  const auto steps = parse_key(key, origin);
  const SourceLocation& value_origin = change.value_origin.file.empty() ? origin : change.value_origin;
  auto bad_value = [&](const std::string& why) {
    throw InputError(at_key(value_origin, key),
                     "cannot read the value '" + text::excerpt(value_text, 120) + "': " + why);
  };
  YAML::Node value;
  try {
    const Document doc = load_document(value_text);
    if (doc.problem_line > 0) bad_value(doc.problem);
    // Copied below node by node: aliases must not make that copy unbounded.
    const size_t limit = value_text.size() + limits::kAliasExpansion;
    if (expand_bounded(doc.root, limit).over) {
      bad_value("its aliases (*name) expand to more than " + std::to_string(limit) + " nodes");
    }
    value = unmarked(doc.root);
  } catch (const YAML::Exception& e) {
    bad_value(e.msg);
  }
  set_path(root, steps, value, key, origin);
  return path_of(steps);
}

}  // namespace rapture::scenario_reader
