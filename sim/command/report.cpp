#include "command/report.hpp"

#include "command/child_runs.hpp"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "command/interrupts.hpp"

extern char** environ;

namespace rapture {

namespace {

bool is_file(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::vector<std::string> report_script_candidates(const std::string& self) {
  std::vector<std::string> out;
  if (const char* env = std::getenv("RAPTURE_REPORT_SCRIPT"); env && *env) out.emplace_back(env);
  if (!self.empty()) {
    const std::filesystem::path bin = std::filesystem::path(self).parent_path();
    out.push_back((bin.parent_path() / "share" / "rapture" / "report.py").string());
  }
#ifdef RAPTURE_SOURCE_DIR
  out.push_back(std::string(RAPTURE_SOURCE_DIR) + "/analysis/report.py");
#endif
  return out;
}

std::string find_report_script(const std::string& self) {
  const char* env = std::getenv("RAPTURE_REPORT_SCRIPT");
  if (env && *env) return is_file(env) ? std::string(env) : std::string();  // asked for: that one or none
  for (const std::string& candidate : report_script_candidates(self)) {
    if (is_file(candidate)) return candidate;
  }
  return "";
}

std::string report_python() {
  if (const char* env = std::getenv("RAPTURE_PYTHON"); env && *env) return env;
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

std::vector<std::string> report_command_line(const ReportArgs& args, const std::string& python,
                                             const std::string& script) {
  std::vector<std::string> argv{python, script, args.file};
  if (!args.output.empty()) argv.insert(argv.end(), {"-o", args.output});
  if (!args.png_dir.empty()) argv.insert(argv.end(), {"--png", args.png_dir});
  for (const int64_t run : args.runs) argv.insert(argv.end(), {"--run", std::to_string(run)});
  return argv;
}

int report_command(const ReportArgs& args) {
  const std::string script = find_report_script(self_executable());
  if (const char* env = std::getenv("RAPTURE_REPORT_SCRIPT"); script.empty() && env && *env) {
    std::cerr << "rapture report: RAPTURE_REPORT_SCRIPT=" << env << " is not a file\n";
    return 1;
  }
  if (script.empty()) {
    std::cerr << "rapture report: cannot find the report script (analysis/report.py); looked at:";
    for (const std::string& c : report_script_candidates(self_executable())) std::cerr << " " << c;
    std::cerr << " (set RAPTURE_REPORT_SCRIPT to its path)\n";
    return 1;
  }
  const std::string python = report_python();
  std::vector<std::string> argv = report_command_line(args, python, script);
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t mask;
  interrupts::unblocked_mask(&mask);  // the script must see Ctrl-C like any child
  posix_spawnattr_setsigmask(&attributes, &mask);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int error = python.find('/') == std::string::npos
                        ? posix_spawnp(&pid, python.c_str(), nullptr, &attributes, cargv.data(), environ)
                        : posix_spawn(&pid, python.c_str(), nullptr, &attributes, cargv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    std::cerr << "rapture report: cannot run " << python << ": " << std::strerror(error)
              << (error == ENOENT ? " (install python3 with python3-h5py, python3-matplotlib and graphviz: "
                                    "sh cmake/install-deps.sh; or set RAPTURE_PYTHON)"
                                  : "")
              << "\n";
    return 1;
  }
  interrupts::child_started(pid);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      interrupts::child_ended(pid);
      std::cerr << "rapture report: lost the report process: " << std::strerror(errno) << "\n";
      return 1;
    }
  }
  interrupts::child_ended(pid);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace rapture
