#include "command/slurm_array.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "common/error.hpp"
#include "common/text.hpp"

extern char** environ;

namespace rapture {

namespace {

struct ProgramOutput {
  int status = -1;  ///< exit status; -1 when it could not start or did not exit
  std::string out, err;
};

/// Runs a program from the PATH, its output captured (small: a job id, a configuration).
ProgramOutput run_program(std::vector<std::string> argv) {
  ProgramOutput result;
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0) return result;
  if (pipe(err_pipe) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = 0;
  const bool started = posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), environ) == 0;
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Read both pipes to the end, one after another: the programs asked here write little to stderr.
  for (auto [fd, text] : {std::pair{out_pipe[0], &result.out}, std::pair{err_pipe[0], &result.err}}) {
    std::array<char, 4096> buffer;
    ssize_t n = 0;
    while ((n = read(fd, buffer.data(), buffer.size())) > 0) {
      if (text->size() < (1 << 20)) text->append(buffer.data(), static_cast<size_t>(n));
    }
    close(fd);
  }
  if (started) {
    int status = 0;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) result.status = WEXITSTATUS(status);
  }
  return result;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::vector<std::vector<std::string>> bundle_tasks(const std::vector<std::string>& runs, int per_task,
                                                   int64_t max_array_size) {
  size_t k = static_cast<size_t>(std::max(per_task, 1));
  const size_t most = static_cast<size_t>(std::max<int64_t>(max_array_size, 1));
  if ((runs.size() + k - 1) / k > most) k = (runs.size() + most - 1) / most;
  std::vector<std::vector<std::string>> tasks;
  for (size_t i = 0; i < runs.size(); i += k) {
    tasks.emplace_back(runs.begin() + static_cast<ptrdiff_t>(i),
                       runs.begin() + static_cast<ptrdiff_t>(std::min(runs.size(), i + k)));
  }
  return tasks;
}

std::optional<int64_t> slurm_max_array_size() {
  const ProgramOutput config = run_program({"scontrol", "show", "config"});
  if (config.status != 0) return std::nullopt;
  std::istringstream in(config.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MaxArraySize", 0) != 0) continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) return std::nullopt;
    const std::string value(text::trim(std::string_view(line).substr(eq + 1)));
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    if (end == value.c_str() || n <= 0) return std::nullopt;
    return n;
  }
  return std::nullopt;
}

std::string array_list(const std::vector<int64_t>& indices) {
  std::string out;
  for (size_t i = 0; i < indices.size();) {
    size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(indices[i]);
    if (j > i) out += '-' + std::to_string(indices[j]);
    i = j + 1;
  }
  return out;
}

std::string sbatch_script(const std::string& self, const std::string& store, const std::string& tasks_file,
                          const std::string& job_name, size_t tasks, const SlurmRequest& request,
                          const std::vector<std::string>& task_options) {
  const std::string logs = (std::filesystem::path(store) / "logs").string();
  std::string s = "#!/bin/sh\n";
  s += "# Written by rapture sweep: one array task per line of " + tasks_file + ".\n";
  s += "#SBATCH --job-name=" + job_name + "\n";
  s += "#SBATCH --array=0-" + std::to_string(tasks == 0 ? 0 : tasks - 1);
  if (request.max_concurrent > 0) s += "%" + std::to_string(request.max_concurrent);
  s += "\n#SBATCH --output=" + logs + "/%A_%a.out\n";
  s += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n";
  if (!request.partition.empty()) s += "#SBATCH --partition=" + request.partition + "\n";
  if (!request.time.empty()) s += "#SBATCH --time=" + request.time + "\n";
  s += "exec " + shell_quote(self) + " sweep task " + shell_quote(store) + " " + shell_quote(tasks_file) +
       " \"$SLURM_ARRAY_TASK_ID\"";
  for (const auto& option : task_options) s += " " + shell_quote(option);
  return s + "\n";
}

bool sbatch_available() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && access((std::filesystem::path(dir) / "sbatch").c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string submit(const std::string& script) {
  const ProgramOutput r = run_program({"sbatch", "--parsable", script});
  if (r.status != 0) {
    std::string why(text::trim(r.err.empty() ? r.out : r.err));
    throw Error("sbatch refused " + script + ": " + (why.empty() ? "exit status " + std::to_string(r.status) : why));
  }
  std::string id(text::trim(r.out));
  return id.substr(0, id.find(';'));  // "<job id>;<cluster>" on multi-cluster installations
}

}  // namespace rapture
