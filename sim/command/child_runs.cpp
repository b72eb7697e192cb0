#include "command/child_runs.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "command/interrupts.hpp"
#include "common/error.hpp"
#include "io/results_file.hpp"

extern char** environ;

namespace rapture {

WorkDir::WorkDir(const std::string& output) : output_(std::filesystem::absolute(output).lexically_normal().string()) {
  // The output is checked before any run: never an input, a device or a directory.
  require_writable_results(output_);
  const auto dir = std::filesystem::path(output_).parent_path();
  std::string pattern = (dir / ".rapture-runs-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw OutputError("cannot write in '" + dir.string() + "'");
  dir_ = pattern;
  guard_ = std::make_unique<interrupts::RemovedOnSignal>(dir_.string());
}

WorkDir::~WorkDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string WorkDir::next_file() { return (dir_ / fmt::format("run-{}.h5", counter_++)).string(); }

std::string WorkDir::place(const std::string& name) const { return (dir_ / name).string(); }

std::string WorkDir::merged_file() const { return (dir_ / "merged.h5").string(); }

void WorkDir::publish() {
  const std::string merged = merged_file();
  if (std::rename(merged.c_str(), output_.c_str()) != 0) {
    throw OutputError("cannot write results file '" + output_ + "': renaming '" + merged +
                      "': " + std::strerror(errno));
  }
}

std::string self_executable() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "";
  self[n] = '\0';
  return self;
}

int job_count(int requested, size_t runs) {
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int most = std::max(1, std::min(4 * cores, static_cast<int>(std::min<size_t>(runs, 1 << 20))));
  if (requested <= most) return requested;
  std::cerr << fmt::format("rapture: note: -j {} lowered to {} (at most the runs, and 4 per core)\n", requested, most);
  return most;
}

void watch_parent() {
  const char* parent = std::getenv(kParentEnvironment);
  if (parent == nullptr) return;
  const long pid = std::strtol(parent, nullptr, 10);
  ::unsetenv(kParentEnvironment);
  // SIGKILL, not SIGTERM: the kernel delivered the parent-death SIGTERM to this (main) thread,
  // which blocks it for the interrupt watcher's sigwait, so it stayed pending and the run went
  // on (measured: children of a sweep killed with -9 ran to their end). A killed run leaves a
  // temporary file, which the next sweep removes; a killed command's work directory is left too.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have ended before the request: then no signal comes, so end now.
  if (pid > 0 && ::getppid() != static_cast<pid_t>(pid)) ::kill(::getpid(), SIGKILL);
}

void run_children(const std::string& self, std::vector<ChildRun>& runs, int jobs,
                  const std::function<void(size_t)>& done,
                  const std::function<void(size_t, const std::string&)>& failed) {
  // The children's environment: ours and the parent's pid (watch_parent).
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, kParentEnvironment, std::strlen(kParentEnvironment)) != 0) environment.emplace_back(*e);
  }
  environment.push_back(std::string(kParentEnvironment) + "=" + std::to_string(::getpid()));
  std::vector<char*> child_environment;
  for (auto& e : environment) child_environment.push_back(e.data());
  child_environment.push_back(nullptr);
  std::mutex lock;
  tbb::task_arena arena(std::max(1, jobs));
  arena.execute([&] {
    tbb::parallel_for(size_t{0}, runs.size(), [&](size_t i) {
      ChildRun& run = runs[i];
      std::vector<std::string> argv{self, "run"};
      argv.insert(argv.end(), run.args.begin(), run.args.end());
      argv.insert(argv.end(), {"-q", "-o", run.file});
      const std::string log = run.file + ".log";
      posix_spawnattr_t attributes;
      posix_spawnattr_init(&attributes);
      sigset_t mask;
      interrupts::unblocked_mask(&mask);
      posix_spawnattr_setsigmask(&attributes, &mask);
      posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      pid_t pid = 0;
      int status = -1;
      if (posix_spawn(&pid, self.c_str(), &actions, &attributes, cargv.data(), child_environment.data()) == 0) {
        interrupts::child_started(pid);
        waitpid(pid, &status, 0);
        interrupts::child_ended(pid);
      }
      posix_spawn_file_actions_destroy(&actions);
      posix_spawnattr_destroy(&attributes);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::ifstream in(log);
        std::string first;
        std::getline(in, first);
        if (first.empty()) {
          first = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                      : "exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
        if (!failed) throw Error("the run at " + run.label + " failed: " + first);
        std::lock_guard guard(lock);
        failed(i, first);
        return;
      }
      std::lock_guard guard(lock);
      done(i);
    });
  });
}

}  // namespace rapture
