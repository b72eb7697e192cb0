#include "common/input_file.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.hpp"
#include "common/text.hpp"
#include "support/temp_dir.hpp"

namespace rapture {
namespace {

using testing::TempDir;

/// The message read_input_file throws on `path`; fails the test when it reads the file.
std::string refusal(const std::string& path, std::uint64_t max_bytes = 1 << 20) {
  try {
    (void)read_input_file(path, "topology file", max_bytes);
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, path);
    return e.what();
  }
  ADD_FAILURE() << path << " was read";
  return "";
}

TEST(InputFile, ARegularFileIsReadWholeWithItsNulBytes) {
  const TempDir dir;
  const std::string text("digraph {\n a\0b\n}\n", 17);
  const std::string path = (dir.path() / "t.dot").string();
  std::ofstream(path, std::ios::binary) << text;
  EXPECT_EQ(read_input_file(path, "topology file", 17), text);
}

TEST(InputFile, AMissingFileIsNamedAsMissing) {
  const TempDir dir;
  const std::string path = (dir.path() / "absent.dot").string();
  EXPECT_EQ(refusal(path), path + ": cannot read the topology file: no such file");
}

TEST(InputFile, ADirectoryIsRefused) {
  const TempDir dir;
  EXPECT_EQ(refusal(dir.str()), dir.str() + ": cannot read the topology file: it is a directory, not a regular file");
}

TEST(InputFile, AFifoIsRefusedWithoutBlocking) {
  // Before the helper, opening a FIFO with no writer blocked forever: the test would hang.
  const TempDir dir;
  const std::string path = (dir.path() / "pipe.dot").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
  EXPECT_EQ(refusal(path), path + ": cannot read the topology file: it is a FIFO, not a regular file");
}

TEST(InputFile, ADeviceIsRefusedRatherThanReadForever) {
  EXPECT_EQ(refusal("/dev/zero"), "/dev/zero: cannot read the topology file: it is a device, not a regular file");
}

TEST(InputFile, ASocketIsRefused) {
  const TempDir dir;
  const std::string path = (dir.path() / "s.dot").string();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof address.sun_path);
  std::strcpy(address.sun_path, path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
  EXPECT_EQ(refusal(path), path + ": cannot read the topology file: it is a socket, not a regular file");
  ::close(fd);
}

TEST(InputFile, AFileOverTheLimitIsRefusedNamingTheLimit) {
  const TempDir dir;
  const std::string path = (dir.path() / "big.dot").string();
  std::ofstream(path) << "x";
  // Sparse: the size says 1 TiB, nothing is written.
  std::filesystem::resize_file(path, std::uint64_t{1} << 40);
  EXPECT_EQ(refusal(path, std::uint64_t{64} << 20),
            path + ": cannot read the topology file: it is larger than the limit of 64 MiB");
  std::filesystem::resize_file(path, 1025);
  EXPECT_EQ(refusal(path, 1024), path + ": cannot read the topology file: it is larger than the limit of 1 KiB");
  EXPECT_EQ(read_input_file(path, "topology file", 1025).size(), 1025u);
}

TEST(InputFile, APathThroughAFileGivesTheSystemsReason) {
  const TempDir dir;
  const std::string path = dir.write("plain.dot", "digraph { a }\n") + "/inside.dot";
  EXPECT_EQ(refusal(path), path + ": cannot read the topology file: " + std::strerror(ENOTDIR));
}

TEST(InputFile, AnUnreadableFileGivesTheSystemsReason) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  const TempDir dir;
  const std::string path = dir.write("locked.dot", "digraph { a }\n");
  std::filesystem::permissions(path, std::filesystem::perms::none);
  EXPECT_EQ(refusal(path), path + ": cannot read the topology file: " + std::strerror(EACCES));
}

TEST(InputFile, SizesAreNamedInTheirLargestWholeUnit) {
  EXPECT_EQ(byte_size(std::uint64_t{64} << 20), "64 MiB");
  EXPECT_EQ(byte_size(std::uint64_t{2} << 30), "2 GiB");
  EXPECT_EQ(byte_size(1024), "1 KiB");
  EXPECT_EQ(byte_size(1000), "1000 bytes");
}

TEST(Text, AnExcerptKeepsShortTextAndCutsLongTextWithAnEllipsis) {
  EXPECT_EQ(text::excerpt("short", 40), "short");
  EXPECT_EQ(text::excerpt(std::string(40, 'a'), 40), std::string(40, 'a'));
  EXPECT_EQ(text::excerpt(std::string(100'000, '9'), 5), "99999\u2026");
  // "é" is two bytes: the cut backs up rather than split it.
  EXPECT_EQ(text::excerpt("abcd\u00e9fgh", 5), "abcd\u2026");
}

}  // namespace
}  // namespace rapture
