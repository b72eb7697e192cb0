#include "command/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace rapture {

namespace {

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
}

}  // namespace

Progress::Progress(std::string what, size_t total, size_t already, bool quiet)
    : what_(std::move(what)),
      total_(total),
      already_(already),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_),
      terminal_(isatty(STDERR_FILENO) == 1),
      quiet_(quiet) {
  print(false);
}

void Progress::finished(bool ok) {
  ++done_;
  if (!ok) ++failed_;
  print(false);
}

void Progress::close() {
  if (closed_) return;
  closed_ = true;
  print(true);
}

void Progress::print(bool last) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // Off a terminal: the first line, then one at most every 10 s, and the last.
  if (!terminal_ && !last && done_ > 0 && now - last_print_ < std::chrono::seconds(10)) return;
  last_print_ = now;
  const size_t finished = already_ + done_;
  const size_t left = total_ - std::min(total_, finished);
  std::string line = fmt::format("{}: {}/{} runs", what_, finished, total_);
  if (failed_ > 0) line += fmt::format(", {} failed", failed_);
  if (!last && elapsed >= 1) line += ", " + clock_text(elapsed) + " elapsed";
  if (done_ > 0 && elapsed > 0) {
    const double rate = static_cast<double>(done_) / elapsed;
    line += rate >= 1 ? fmt::format(", {:.1f} runs/s", rate) : fmt::format(", {:.1f} s/run", 1 / rate);
    if (left > 0) line += ", " + clock_text(static_cast<double>(left) / rate) + " left";
  }
  if (last) line += fmt::format(" in {}", clock_text(elapsed));
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), last ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace rapture
