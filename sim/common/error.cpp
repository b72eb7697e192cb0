#include "common/error.hpp"

namespace rapture {

std::string SourceLocation::prefix() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
  }
  if (!element.empty()) out += element + ": ";
  return out;
}

InputError::InputError(SourceLocation where, const std::string& message)
    : Error(where.prefix() + message), where_(std::move(where)) {}

}  // namespace rapture
