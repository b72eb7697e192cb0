#pragma once
/// The one way rapture opens an input file (scenario, topology, sample file): only a regular
/// file is read, never more than a stated number of bytes, and opening never blocks. A FIFO
/// would block in open() and a device such as /dev/zero would be read until memory runs out.

#include <cstdint>
#include <string>
#include <string_view>

namespace rapture {

/// The whole content of the regular file `path`. Throws InputError naming `path` when it is
/// missing, unreadable, not a regular file (a directory, a FIFO, a device, a socket) or larger
/// than `max_bytes` (checked before reading, and while reading in case the file grows).
/// `what` names the file in messages: "scenario file", "topology file", "sample file".
[[nodiscard]] std::string read_input_file(const std::string& path, std::string_view what, std::uint64_t max_bytes);

/// `bytes` for a message: "64 MiB", "1 KiB" when a whole number of them, else "N bytes".
[[nodiscard]] std::string byte_size(std::uint64_t bytes);

}  // namespace rapture
