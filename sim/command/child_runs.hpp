#pragma once
/// Runs of `rapture run` in child processes, several at once: SimGrid allows one engine per
/// process, so searches (`amplify`) and sweeps (`premortem`) run each point as its own process
/// and merge the results files afterwards.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "command/interrupts.hpp"

namespace rapture {

/// A directory for the children's files beside the final output, removed with everything in it
/// when the object goes away or the command is interrupted (interrupts.hpp). The merged file is
/// made inside it and renamed to the output only when complete.
class WorkDir {
 public:
  /// Checks `output` (require_writable_results: never an input, a device or a directory) and
  /// creates the directory beside it; throws OutputError naming the file.
  explicit WorkDir(const std::string& output);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;

  /// The absolute final output path.
  [[nodiscard]] const std::string& output() const { return output_; }
  /// A fresh results file name in the directory.
  std::string next_file();
  /// `name` in the directory.
  [[nodiscard]] std::string place(const std::string& name) const;
  /// Where the runs are merged and the record written, before publish().
  [[nodiscard]] std::string merged_file() const;
  /// Renames the complete merged file to the output.
  void publish();

 private:
  std::string output_;
  std::filesystem::path dir_;
  std::unique_ptr<interrupts::RemovedOnSignal> guard_;
  int counter_ = 0;
};

/// The path of the running rapture executable (what child runs start); empty when it cannot be read.
std::string self_executable();

/// The processes to run at once for `requested` (at least 1, checked by the command line):
/// at most `runs` and 4 per core, with a note on stderr when lowered.
int job_count(int requested, size_t runs);

/// One child: `rapture run <args> -q -o <file>`.
struct ChildRun {
  std::vector<std::string> args;  ///< after `run`: the scenario and options
  std::string file;               ///< its results file
  std::string label;              ///< how errors name it ("faults[0].factor=3")
};

/// Runs every child, `jobs` at once (at least one), calling `done` for each as it finishes (from
/// worker threads, one at a time). When one fails, `failed` is called with the first line it
/// printed on stderr and the others go on; without `failed`, the failure throws Error naming the
/// child's label and that line. Each child ends when this process does, even by SIGKILL
/// (kParentEnvironment).
void run_children(const std::string& self, std::vector<ChildRun>& runs, int jobs,
                  const std::function<void(size_t)>& done,
                  const std::function<void(size_t, const std::string&)>& failed = {});

/// The environment variable a child run finds its parent's pid in: it asks the kernel for
/// SIGKILL when that parent ends (watch_parent), so that no child outlives a killed command.
inline constexpr const char* kParentEnvironment = "RAPTURE_PARENT_PID";

/// In a child run: ends this process when the parent named by kParentEnvironment ends (a parent
/// that ends normally or by Ctrl-C stops its children itself, cleanly). Does nothing in a process started by a user.
void watch_parent();

}  // namespace rapture
