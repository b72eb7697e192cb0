#include "io/scenario/overrides.hpp"

#include <charconv>
#include <vector>

#include "common/error.hpp"
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
      if (text::trim(step.key).empty()) bad("empty key");
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

}  // namespace

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
  const std::string key =
      eq == std::string::npos ? "" : std::string(text::trim(std::string_view(assignment).substr(0, eq)));
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

}  // namespace rapture::scenario_reader
