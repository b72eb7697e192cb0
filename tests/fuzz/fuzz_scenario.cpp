// Fuzz target of the scenario reader (io/scenario/: yaml-cpp's parser, then every section) and of
// the checks against the topology that `rapture validate` makes next (build_system): the input
// bytes are the text of a scenario file, read as if it were scenarios/fuzz.yaml. Its `topology:`
// is looked up by file name among the repository's topologies (fuzz_support.hpp), parsed once
// before fuzzing, so every seed from scenarios/ and tests/data/e2e/ meets its own topology.
// Expected outcomes are a System or rapture::Error; anything else is a finding.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "fuzz_support.hpp"
#include "io/scenario_reader.hpp"
#include "model/system.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Parse the topologies before the first input, so their cost is not charged to it (-timeout).
  (void)rapture::fuzz::known_topologies();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = (rapture::fuzz::kSourceDir / "scenarios").string();
  static const std::string name = dir + "/fuzz.yaml";
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const rapture::Scenario scenario = rapture::parse_scenario(text, name, dir);
    const rapture::System system = rapture::build_system(rapture::fuzz::topology_for(scenario.topology_path), scenario);
    (void)system;
  } catch (const rapture::Error&) {
    // A user error, reported as one: the expected outcome of most inputs.
  }
  return 0;
}
