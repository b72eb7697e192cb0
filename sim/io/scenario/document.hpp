#pragma once
/// Loading of one YAML document, guarded against yaml-cpp's silent and endless failures.

#include <string>

#include <yaml-cpp/yaml.h>

namespace rapture::scenario_reader {

/// One YAML document, and what is wrong with the text around it (line 1-based, 0 if fine).
struct Document {
  YAML::Node root;
  int problem_line = 0;
  std::string problem;
};

/// Parses a single YAML document; throws YAML::Exception on bad syntax.
Document load_document(const std::string& text);

}  // namespace rapture::scenario_reader
