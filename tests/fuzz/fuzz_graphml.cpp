// Fuzz target of the GraphML topology reader (io/topology/graphml_reader.cpp and raw_graph.cpp,
// through read_topology_graphml): the input bytes are the text of a `.graphml` file. The reader
// must either return a Topology or throw rapture::Error; any other exception (a Boost parser
// error that escaped translation, say), a crash, a sanitizer report, a hang or runaway memory is
// a finding. Relative `empirical(...)` files resolve in tests/data/topology, as for fuzz_dot.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "fuzz_support.hpp"
#include "io/topology_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string name = (rapture::fuzz::kSourceDir / "tests/data/topology/fuzz.graphml").string();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const rapture::Topology topology = rapture::read_topology_graphml(text, name);
    (void)topology;
  } catch (const rapture::Error&) {
    // A user error, reported as one: the expected outcome of most inputs.
  }
  return 0;
}
