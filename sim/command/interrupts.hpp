#pragma once
/// What an interrupted command leaves behind: nothing. SIGINT, SIGTERM and SIGHUP are taken by
/// one watcher thread (sigwait), which signals the child runs, waits for them to end, removes
/// every registered temporary file and directory, then dies of the same signal (exit status
/// 128 + signal in a shell: 130 for Ctrl-C, 143 for SIGTERM).

#include <signal.h>
#include <sys/types.h>

#include <string>

namespace rapture::interrupts {

/// Blocks the signals in the calling thread (so in every thread started afterwards) and starts
/// the watcher; called first thing in main, before any other thread exists.
void install();

/// Children must start with the signals unblocked: the mask the watcher's process had before.
void unblocked_mask(sigset_t* mask);

/// A path (file or directory, removed recursively) removed on a signal while the object lives.
class RemovedOnSignal {
 public:
  explicit RemovedOnSignal(std::string path);
  ~RemovedOnSignal();
  RemovedOnSignal(const RemovedOnSignal&) = delete;
  RemovedOnSignal& operator=(const RemovedOnSignal&) = delete;

 private:
  std::string path_;
};

/// A child process signalled, and waited for, on a signal while it is registered.
void child_started(pid_t pid);
/// The child has been reaped.
void child_ended(pid_t pid);

}  // namespace rapture::interrupts
