#pragma once
/// `--set KEY=VALUE`: a change of one value of the scenario tree, by its dotted path, made
/// before the tree is read. Values set this way carry no line, so errors name where the
/// assignment was written (`--set`, or a design's `set` entry).

#include <string>

#include <yaml-cpp/yaml.h>

#include "io/scenario_reader.hpp"

namespace rapture::scenario_reader {

/// Applies `change.assignment` ("workload[0].arrivals.rate=500/s") to `root`; missing maps on the
/// way are created. Returns the path it set, written as the reader's paths are (`Item::path`).
std::string apply_override(YAML::Node& root, const Override& change);

}  // namespace rapture::scenario_reader
