#include "io/hdf5_support.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace rapture::hdf5 {

namespace {
herr_t keep_innermost(unsigned /*n*/, const H5E_error2_t* error, void* out) {
  if (error->desc != nullptr && error->desc[0] != '\0') *static_cast<std::string*>(out) = error->desc;
  return 0;
}
}  // namespace

void silence() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string error_detail() {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  // A system call's failure reads "..., errno = 13, error message = 'Permission denied', ...".
  constexpr std::string_view kSystem = "error message = '";
  if (const size_t at = detail.find(kSystem); at != std::string::npos) {
    const size_t start = at + kSystem.size();
    if (const size_t end = detail.find('\'', start); end != std::string::npos) return detail.substr(start, end - start);
  }
  return detail;
}

std::string unwritable_reason(const std::string& final_path) {
  namespace fs = std::filesystem;
  if (final_path.empty()) return "the path is empty";
  const fs::path path(final_path);
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  const fs::file_status dir_status = fs::status(dir, ec);
  if (!fs::exists(dir_status)) return "directory '" + dir.string() + "' does not exist";
  if (!fs::is_directory(dir_status)) return "'" + dir.string() + "' is not a directory";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return "directory '" + dir.string() + "' is not writable: " + std::strerror(errno);
  }
  if (fs::is_directory(fs::status(path, ec))) return "it is a directory";
  return {};
}

}  // namespace rapture::hdf5
