#pragma once
/// Reading of scenario files (YAML) into a Scenario. docs/scenario-format.md is the reference of
/// the format. Only what can be checked without the topology is checked here; names of
/// services, edges and entries are checked against the topology by model/system. Implemented in
/// io/scenario/: the reading machinery (reader.hpp) and one file per section of the scenario.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "model/scenario.hpp"

namespace rapture {

/// One `KEY=VALUE` change of the scenario tree and where it was written, so that its errors
/// name that place: the command line's `--set` (the default), a design's `set:` entry in the
/// scenario file, or `amplify`'s `--param` and `--from`.
struct Override {
  std::string assignment;                 ///< "workload[0].arrivals.rate=500/s"
  SourceLocation origin{"--set", 0, ""};  ///< blamed for a bad key (and for the value, unless `value_origin`)
  SourceLocation value_origin{};          ///< blamed for a bad value; empty file: `origin`
};

/// Reads a scenario from a YAML file; `overrides` are `--set KEY=VALUE` pairs applied to the YAML tree before it is
/// interpreted.
Scenario read_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

/// Same from text (`file_name` used in messages and to resolve relative paths, `base_dir` for relative files).
Scenario parse_scenario(const std::string& text, const std::string& file_name, const std::string& base_dir,
                        const std::vector<std::string>& overrides = {});
/// Same with overrides that say where they come from (a name of its own: a braced list of
/// strings would otherwise fit both).
Scenario parse_scenario_located(const std::string& text, const std::string& file_name, const std::string& base_dir,
                                const std::vector<Override>& overrides);
/// `read` (a scenario read from its file) read again from the text it kept, with `overrides`
/// instead of the ones it was read with: a design's `set`, the corners of an amplify range.
Scenario reread_scenario(const Scenario& read, const std::vector<Override>& overrides);

/// The keys a fault of `kind` takes (`name`, `kind`, `start`, ... and the kind's own), in the
/// order the scenario format documents them.
std::vector<std::string_view> fault_fields(FaultSpec::Kind kind);
/// The word a scenario names `kind` with ("latency").
std::string_view fault_kind_name(FaultSpec::Kind kind);

}  // namespace rapture
