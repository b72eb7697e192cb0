#include "command/interrupts.hpp"

#include <pthread.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

namespace rapture::interrupts {

namespace {

struct Registry {
  std::mutex lock;
  std::multiset<std::string> paths;
  std::set<pid_t> children;
  sigset_t watched{};
  sigset_t before{};  // the mask before install(): what children start with
  bool installed = false;
};

Registry& registry() {
  static Registry r;  // never destroyed before the watcher: leaked on purpose at exit
  return r;
}

[[noreturn]] void clean_up_and_die(int signal) {
  Registry& r = registry();
  {
    const std::lock_guard guard(r.lock);
    // The children clean their own temporary files; wait (without reaping, which their
    // spawning thread does) until they have, then remove what is left.
    for (const pid_t pid : r.children) ::kill(pid, signal);
    for (const pid_t pid : r.children) {
      siginfo_t info{};
      while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {}
    }
    for (const auto& path : r.paths) {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
    // Die of the signal itself: the lock stays held, so nothing registers after the cleanup.
    std::signal(signal, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal);
    pthread_sigmask(SIG_UNBLOCK, &only, nullptr);
    std::raise(signal);
    std::_Exit(128 + signal);
  }
}

}  // namespace

void install() {
  Registry& r = registry();
  if (r.installed) return;
  r.installed = true;
  sigemptyset(&r.watched);
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&r.watched, s);
  pthread_sigmask(SIG_BLOCK, &r.watched, &r.before);
  std::thread([] {
    int signal = 0;
    while (sigwait(&registry().watched, &signal) != 0) {}
    clean_up_and_die(signal);
  }).detach();
}

void unblocked_mask(sigset_t* mask) {
  Registry& r = registry();
  *mask = r.before;
}

RemovedOnSignal::RemovedOnSignal(std::string path) : path_(std::move(path)) {
  Registry& r = registry();
  const std::lock_guard guard(r.lock);
  r.paths.insert(path_);
}

RemovedOnSignal::~RemovedOnSignal() {
  Registry& r = registry();
  const std::lock_guard guard(r.lock);
  r.paths.erase(r.paths.find(path_));
}

void child_started(pid_t pid) {
  Registry& r = registry();
  const std::lock_guard guard(r.lock);
  r.children.insert(pid);
}

void child_ended(pid_t pid) {
  Registry& r = registry();
  const std::lock_guard guard(r.lock);
  r.children.erase(pid);
}

}  // namespace rapture::interrupts
