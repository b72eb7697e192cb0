#pragma once
/// Reading of scenario files (YAML) into a Scenario. docs/scenario-format.md is the reference of
/// the format. Only what can be checked without the topology is checked here; names of
/// services, edges and entries are checked against the topology by model/system. Implemented in
/// io/scenario/: the reading machinery (reader.hpp) and one file per section of the scenario.

#include <string>
#include <vector>

#include "model/scenario.hpp"

namespace rapture {

/// Reads a scenario from a YAML file; `overrides` are `--set KEY=VALUE` pairs applied to the YAML tree before it is
/// interpreted.
Scenario read_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

/// Same from text (`file_name` used in messages and to resolve relative paths, `base_dir` for relative files).
Scenario parse_scenario(const std::string& text, const std::string& file_name, const std::string& base_dir,
                        const std::vector<std::string>& overrides = {});

}  // namespace rapture
