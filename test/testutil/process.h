#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace ndrelay::testutil {

// A fresh temporary directory, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

// Runs `argv` as a child process with stdout+stderr to `log_path`; killed by PID on destruction
// (SIGTERM, then SIGKILL after 5 s). Never signals anything but its own PID.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  pid_t pid() const { return pid_; }
  bool Running();
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  int status_ = -1;
};

// Runs a command to completion (bounded by `timeout`), returns its exit code; output in `out`.
int RunCommand(const std::string& shell_command, std::string* out,
               std::chrono::seconds timeout = std::chrono::seconds(60));

// Polls `pred` every 20 ms until true or `timeout`; returns the last result.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
}

std::string ReadFileOrEmpty(const std::string& path);

// Paths baked in by CMake.
std::string NdrelayBinary();
std::string SourceDir();
std::string SharedDir();  // ../shared beside the checkout

}  // namespace ndrelay::testutil
