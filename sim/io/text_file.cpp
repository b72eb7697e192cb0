#include "io/text_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.hpp"

namespace rapture {

std::string text_temp_path(const std::string& path) { return path + ".tmp-" + std::to_string(getpid()); }

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = text_temp_path(path);
  {
    std::ofstream out(tmp);
    out << text;
    if (!out.flush()) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw OutputError("cannot write '" + path + "'");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw OutputError("cannot write '" + path + "': " + ec.message());
  }
}

void require_text_output(const std::string& path, const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  const auto fail = [&](const std::string& why) { throw OutputError("cannot write '" + path + "': " + why); };
  if (path.empty()) fail("the path is empty");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail("directory '" + dir.string() + "' does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    fail("directory '" + dir.string() + "' is not writable: " + std::strerror(errno));
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) return;
  if (fs::is_directory(status)) fail("it is a directory");
  if (!fs::is_regular_file(status)) fail("it exists and is not a regular file");
  for (const auto& input : inputs) {
    if (!input.empty() && fs::equivalent(path, input, ec))
      fail("it is an input of this command (refusing to replace it)");
  }
}

}  // namespace rapture
