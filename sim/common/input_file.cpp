#include "common/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"

namespace rapture {

namespace {

/// "it is a FIFO, not a regular file": what a file of type `mode` is instead.
std::string not_regular_reason(mode_t mode) {
  const char* kind = S_ISDIR(mode)                    ? "a directory"
                     : S_ISFIFO(mode)                 ? "a FIFO"
                     : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
                     : S_ISSOCK(mode)                 ? "a socket"
                                                      : nullptr;
  return kind == nullptr ? "it is not a regular file" : std::string("it is ") + kind + ", not a regular file";
}

/// Closes the descriptor on every path out, thrown or not.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string byte_size(std::uint64_t bytes) {
  if (bytes >= (std::uint64_t{1} << 30) && bytes % (std::uint64_t{1} << 30) == 0)
    return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (std::uint64_t{1} << 20) && bytes % (std::uint64_t{1} << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (std::uint64_t{1} << 10) && bytes % (std::uint64_t{1} << 10) == 0)
    return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string read_input_file(const std::string& path, std::string_view what, std::uint64_t max_bytes) {
  const auto fail = [&](const std::string& why) -> InputError {
    return InputError(SourceLocation{path, 0, ""}, "cannot read the " + std::string(what) + ": " + why);
  };
  const auto not_regular = [&](mode_t mode) { return fail(not_regular_reason(mode)); };
  const auto os_error = [&](int error) {
    return fail(error == ENOENT ? std::string("no such file") : std::string(std::strerror(error)));
  };
  // stat first: a socket cannot be opened at all, and open() would give only "No such device".
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw os_error(errno);
  if (!S_ISREG(info.st_mode)) throw not_regular(info.st_mode);
  // O_NONBLOCK: should the path be swapped for a FIFO after the stat, open() still returns at once.
  const Descriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)};
  if (file.fd < 0) throw os_error(errno);
  if (::fstat(file.fd, &info) != 0) throw os_error(errno);
  if (!S_ISREG(info.st_mode)) throw not_regular(info.st_mode);
  const auto too_large = [&] { return fail("it is larger than the limit of " + byte_size(max_bytes)); };
  if (static_cast<std::uint64_t>(info.st_size) > max_bytes) throw too_large();

  std::string text;
  text.reserve(static_cast<size_t>(info.st_size));
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw os_error(errno);
    }
    if (n == 0) break;
    // The file may have grown since fstat: stop at the limit rather than read on.
    if (text.size() + static_cast<size_t>(n) > max_bytes) throw too_large();
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace rapture
