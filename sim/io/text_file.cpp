#include "io/text_file.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"

namespace rapture {

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream out(tmp);
    out << text;
    if (!out.flush()) {
      std::filesystem::remove(tmp);
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

}  // namespace rapture
