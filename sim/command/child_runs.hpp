#pragma once
/// Runs of `rapture run` in child processes, several at once: SimGrid allows one engine per
/// process, so searches (`amplify`) and sweeps (`premortem`) run each point as its own process
/// and merge the results files afterwards.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace rapture {

/// A directory for the children's files beside the final output, removed with everything in it
/// when the object goes away.
class WorkDir {
 public:
  /// Resolves `output` (empty: `fallback_name` in the working directory) and creates the
  /// directory beside it; throws OutputError when the output's directory is missing or not writable.
  WorkDir(const std::string& output, const std::string& fallback_name);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;

  /// The absolute final output path.
  [[nodiscard]] const std::string& output() const { return output_; }
  /// A fresh results file name in the directory.
  std::string next_file();

 private:
  std::string output_;
  std::filesystem::path dir_;
  int counter_ = 0;
};

/// One child: `rapture run <args> -q -o <file>`.
struct ChildRun {
  std::vector<std::string> args;  ///< after `run`: the scenario and options
  std::string file;               ///< its results file
  std::string label;              ///< how errors name it ("faults[0].factor=3")
};

/// Runs every child, `jobs` at once (at least one), calling `done` for each as it finishes (from
/// worker threads, one at a time). Throws Error naming the child's label and the first line it
/// printed on stderr when one fails.
void run_children(const std::string& self, std::vector<ChildRun>& runs, int jobs,
                  const std::function<void(size_t)>& done);

}  // namespace rapture
