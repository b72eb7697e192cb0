#pragma once
/// What the fuzz targets share: the repository's files they read once, before fuzzing starts,
/// and the topologies a fuzzed scenario may name. Only the readers are exercised, so nothing
/// here touches SimGrid or writes a file.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "io/topology_reader.hpp"
#include "model/topology.hpp"

namespace rapture::fuzz {

/// The source tree, read-only: seeds refer to its files (`../topologies/styleflow.dot`,
/// `empirical(samples.txt)`), so relative paths are resolved from inside it.
inline const std::filesystem::path kSourceDir = RAPTURE_SOURCE_DIR;

/// The whole of a repository file; a missing one is a broken build, not a finding.
inline std::string read_source_file(const std::filesystem::path& relative) {
  std::ifstream in(kSourceDir / relative, std::ios::binary);
  if (!in) throw std::runtime_error("fuzz setup: cannot read " + (kSourceDir / relative).string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The repository's topologies by file name (`styleflow.dot`), each parsed once. A fuzzed
/// scenario's `topology:` is looked up by its file name only: reading whatever path the fuzzer
/// invents would make runs depend on the machine (and `/dev/zero` would hang them).
inline const std::map<std::string, Topology>& known_topologies() {
  static const std::map<std::string, Topology> topologies = [] {
    std::map<std::string, Topology> all;
    for (const char* dir : {"topologies", "tests/data/e2e"}) {
      for (const auto& entry : std::filesystem::directory_iterator(kSourceDir / dir)) {
        const auto ext = entry.path().extension();
        if (ext != ".dot" && ext != ".graphml") continue;
        all.emplace(entry.path().filename().string(), read_topology(entry.path().string()));
      }
    }
    return all;
  }();
  return topologies;
}

/// The topology a scenario names, or the small chain of the end-to-end tests when the name is
/// not one of the repository's (so that build_system still runs on every parsed scenario).
inline const Topology& topology_for(const std::string& topology_path) {
  const auto& all = known_topologies();
  const auto found = all.find(std::filesystem::path(topology_path).filename().string());
  return found != all.end() ? found->second : all.at("chain.dot");
}

}  // namespace rapture::fuzz
