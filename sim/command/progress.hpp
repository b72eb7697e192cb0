#pragma once
/// One progress line on stderr for commands that make many runs: done of total, failed, elapsed,
/// rate and time left. On a terminal it is rewritten in place; otherwise a line is printed at most every
/// few seconds, so that logs (a Slurm task's, CI's) stay short.

#include <chrono>
#include <cstddef>
#include <string>

namespace rapture {

class Progress {
 public:
  /// `what` names the work ("sweep checkout"); `total` runs, `already` of them done before;
  /// `quiet` (-q) prints nothing.
  Progress(std::string what, size_t total, size_t already, bool quiet = false);
  /// One run finished, well or not.
  void finished(bool ok);
  /// The work turned out to be `total` runs (a search that stopped early).
  void set_total(size_t total) { total_ = total; }
  /// Ends the line (on a terminal) with the final counts.
  void close();
  /// Runs that failed so far.
  [[nodiscard]] size_t failed() const { return failed_; }

 private:
  void print(bool last);

  std::string what_;
  size_t total_, already_, done_ = 0, failed_ = 0;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool terminal_;
  bool quiet_;
  bool closed_ = false;
};

}  // namespace rapture
