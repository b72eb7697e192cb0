#pragma once
/// `--set KEY=VALUE`: a change of one value of the scenario tree, by its dotted path, made
/// before the tree is read. Values set this way carry no line, so errors name `--set`.

#include <string>

#include <yaml-cpp/yaml.h>

namespace rapture::scenario_reader {

/// Applies `assignment` ("workload[0].arrivals.rate=500/s") to `root`; missing maps on the way are created.
void apply_override(YAML::Node& root, const std::string& assignment);

}  // namespace rapture::scenario_reader
