#include "command/child_runs.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "common/error.hpp"

extern char** environ;

namespace rapture {

WorkDir::WorkDir(const std::string& output, const std::string& fallback_name) {
  output_ = std::filesystem::absolute(output.empty() ? fallback_name : output).lexically_normal().string();
  const auto dir = std::filesystem::path(output_).parent_path();
  if (!std::filesystem::is_directory(dir))
    throw OutputError("cannot write results file '" + output_ + "': no such directory");
  std::string pattern = (dir / ".rapture-runs-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw OutputError("cannot write in '" + dir.string() + "'");
  dir_ = pattern;
}

WorkDir::~WorkDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string WorkDir::next_file() { return (dir_ / fmt::format("run-{}.h5", counter_++)).string(); }

void run_children(const std::string& self, std::vector<ChildRun>& runs, int jobs,
                  const std::function<void(size_t)>& done) {
  std::mutex lock;
  tbb::task_arena arena(std::max(1, jobs));
  arena.execute([&] {
    tbb::parallel_for(size_t{0}, runs.size(), [&](size_t i) {
      ChildRun& run = runs[i];
      std::vector<std::string> argv{self, "run"};
      argv.insert(argv.end(), run.args.begin(), run.args.end());
      argv.insert(argv.end(), {"-q", "-o", run.file});
      const std::string log = run.file + ".log";
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      pid_t pid = 0;
      int status = -1;
      if (posix_spawn(&pid, self.c_str(), &actions, nullptr, cargv.data(), environ) == 0) waitpid(pid, &status, 0);
      posix_spawn_file_actions_destroy(&actions);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::ifstream in(log);
        std::string first;
        std::getline(in, first);
        throw Error("the run at " + run.label + " failed: " + first);
      }
      std::lock_guard guard(lock);
      done(i);
    });
  });
}

}  // namespace rapture
