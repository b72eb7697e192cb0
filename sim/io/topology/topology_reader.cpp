// Reading a topology file: the format by extension, the text read once, then the DOT or
// GraphML reader.

#include <filesystem>
#include <string>

#include "common/error.hpp"
#include "common/input_file.hpp"
#include "common/limits.hpp"
#include "common/text.hpp"
#include "io/topology_reader.hpp"

namespace rapture {

Topology read_topology(const std::string& path) {
  const std::string extension = text::lower(std::filesystem::path(path).extension().string());
  const bool dot = extension == ".dot" || extension == ".gv";
  const bool graphml = extension == ".graphml" || extension == ".xml";
  if (!dot && !graphml) {
    throw InputError(SourceLocation{path, 0, ""},
                     "unknown topology format '" + extension + "' (expected a .dot, .gv, .graphml or .xml file)");
  }
  const std::string text = read_input_file(path, "topology file", limits::kInputFileBytes);
  return dot ? read_topology_dot(text, path) : read_topology_graphml(text, path);
}

}  // namespace rapture
