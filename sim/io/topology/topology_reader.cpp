// Reading a topology file: the format by extension, the text read once, then the DOT or
// GraphML reader.

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "common/error.hpp"
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
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw InputError(SourceLocation{path, 0, ""}, "cannot read the topology file: no such file");
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(SourceLocation{path, 0, ""}, "cannot read the topology file: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(SourceLocation{path, 0, ""},
                     std::string("cannot read the topology file: ") + std::strerror(errno));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(SourceLocation{path, 0, ""}, "cannot read the topology file: read error");
  return dot ? read_topology_dot(text, path) : read_topology_graphml(text, path);
}

}  // namespace rapture
