#pragma once
/// Small text outputs (DOT graphs) written the way results files are: under a temporary name,
/// renamed when complete, so that a failure never leaves a partial file under the final name.

#include <string>

namespace rapture {

/// Writes `text` to `path`; throws OutputError naming the file.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace rapture
