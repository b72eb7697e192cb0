#pragma once
/// Runs the independent reader of results files, analysis/check_results.py (Debian's
/// python3 with h5py), or a Python snippet, on a file and keeps what it printed and its exit code.

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace rapture::testing {

struct CheckerResult {
  int exit_code = -1;
  std::string output;  ///< stdout, plus stderr when asked for
};

/// Runs `command` with the shell; keeps what it printed on stdout and its exit code.
inline CheckerResult run_shell(const std::string& command) {
  CheckerResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline CheckerResult run_checker(const std::filesystem::path& file, const std::string& args = "",
                                 bool with_stderr = true) {
  return run_shell(std::string("'") + RAPTURE_PYTHON3 + "' '" + RAPTURE_SOURCE_DIR + "/analysis/check_results.py' '" +
                   file.string() + "' " + args + (with_stderr ? " 2>&1" : ""));
}

/// Runs a Python snippet with h5py on `file` (given as sys.argv[1]), stderr with stdout. The
/// snippet goes inside double quotes: it must not contain any.
inline CheckerResult run_python(const std::filesystem::path& file, const std::string& code) {
  return run_shell(std::string("'") + RAPTURE_PYTHON3 + "' -c \"" + code + "\" '" + file.string() + "' 2>&1");
}

}  // namespace rapture::testing
