#pragma once
/// Loading of one YAML document, guarded against yaml-cpp's silent and endless failures, and the
/// bounds a YAML tree is held to before anything walks it.

#include <cstddef>
#include <string>

#include <yaml-cpp/yaml.h>

namespace rapture::scenario_reader {

/// Nesting yaml-cpp accepts (its DepthGuard; deeper throws DeepRecursion, whose message is
/// only "bad file").
inline constexpr int kYamlNesting = 2000;

/// One YAML document, and what is wrong with the text around it (line 1-based, 0 if fine).
struct Document {
  YAML::Node root;
  int problem_line = 0;
  std::string problem;
};

/// Parses a single YAML document; throws YAML::Exception on bad syntax. Nesting deeper than
/// kYamlNesting is reported as a problem at its line.
Document load_document(const std::string& text);

/// Where a tree grows past a bound when its aliases are expanded.
struct Expansion {
  bool over = false;
  std::string path;  ///< the entry (at most four steps down) whose expansion passed the bound
  YAML::Mark mark;   ///< its mark (null for a node from `--set`)
};

/// Counts the nodes of `root` as a walk sees them, each alias as often as it is used, without
/// recursion; stops once the count passes `limit`. `path` prefixes the paths it reports.
Expansion expand_bounded(const YAML::Node& root, size_t limit, const std::string& path = "");

/// The root of the single YAML document `text`, checked as every file rapture reads is: bad
/// syntax, a second document and aliases that expand beyond limits::kAliasExpansion nodes are
/// InputError at `file_name` and the line; an empty document is an empty map; anything else but
/// a map is an error saying it should hold `expected_keys` ("topology:, duration:, ...").
YAML::Node load_root(const std::string& text, const std::string& file_name, const std::string& expected_keys);

}  // namespace rapture::scenario_reader
