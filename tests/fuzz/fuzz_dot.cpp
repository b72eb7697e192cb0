// Fuzz target of the DOT topology reader (io/topology/dot_scanner.cpp, dot_reader.cpp and
// raw_graph.cpp, through read_topology_dot): the input bytes are the text of a `.dot` file.
// Whatever it is, the reader must either return a Topology or throw rapture::Error (bad input,
// reported to the user with its line); any other exception, a crash, a sanitizer report, a hang
// or runaway memory is a finding. The file name makes relative `empirical(...)` files resolve
// in tests/data/topology, where the seed empirical_ok.dot finds its samples.txt.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "fuzz_support.hpp"
#include "io/topology_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string name = (rapture::fuzz::kSourceDir / "tests/data/topology/fuzz.dot").string();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const rapture::Topology topology = rapture::read_topology_dot(text, name);
    (void)topology;
  } catch (const rapture::Error&) {
    // A user error, reported as one: the expected outcome of most inputs.
  }
  return 0;
}
