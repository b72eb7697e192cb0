// Fuzz target of `--set KEY=VALUE` (io/scenario/overrides.cpp: the path syntax `a.b[2].c`, the
// creation of missing maps and sequence items, the value read as YAML) and of what the changed
// scenario then meets in the reader and build_system. The base is the demo,
// scenarios/styleflow-checkout.yaml, read once; each line of the input is one `--set`, so a few
// overrides can interact (`duration=30s` then `warmup=40s`). Expected outcomes are a System or
// rapture::Error; anything else is a finding.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "fuzz_support.hpp"
#include "io/scenario_reader.hpp"
#include "model/system.hpp"

namespace {

const std::string& base_scenario() {
  static const std::string text = rapture::fuzz::read_source_file("scenarios/styleflow-checkout.yaml");
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)base_scenario();
  (void)rapture::fuzz::known_topologies();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = (rapture::fuzz::kSourceDir / "scenarios").string();
  static const std::string name = dir + "/styleflow-checkout.yaml";
  std::vector<std::string> overrides;
  const std::string input(reinterpret_cast<const char*>(data), size);
  for (size_t start = 0; start <= input.size();) {
    const size_t end = std::min(input.find('\n', start), input.size());
    // Blank lines (a trailing newline) are not overrides: an empty `--set` would only test one message.
    if (end > start) overrides.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  try {
    const rapture::Scenario scenario = rapture::parse_scenario(base_scenario(), name, dir, overrides);
    const rapture::System system = rapture::build_system(rapture::fuzz::topology_for(scenario.topology_path), scenario);
    (void)system;
  } catch (const rapture::Error&) {
    // A user error, reported as one: the expected outcome of most inputs.
  }
  return 0;
}
