#pragma once
/// Small text outputs (DOT graphs) written the way results files are: under a temporary name,
/// renamed when complete, so that a failure never leaves a partial file under the final name.

#include <string>
#include <vector>

namespace rapture {

/// Writes `text` to `path`; throws OutputError naming the file.
void write_text_file(const std::string& path, const std::string& text);

/// The temporary name write_text_file() writes `path` under before renaming it.
[[nodiscard]] std::string text_temp_path(const std::string& path);

/// Throws OutputError naming `path` when a text output cannot go there: its directory is missing
/// or not writable, or it names a directory, a device, a FIFO or one of `inputs` (the command's
/// scenario and topology). Called for every output before any run starts.
void require_text_output(const std::string& path, const std::vector<std::string>& inputs);

}  // namespace rapture
