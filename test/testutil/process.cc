#include "test/testutil/process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace ndrelay::testutil {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ndrelay-test-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  path_ = p ? p : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty() && getenv("NDRELAY_KEEP_TEST_DIRS") == nullptr) {
    std::filesystem::remove_all(path_, ec);
  }
}

std::string TempDir::Write(const std::string& name, const std::string& text) const {
  std::string p = path_ + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(p).parent_path());
  std::ofstream(p, std::ios::trunc) << text;
  return p;
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path)
    : log_path_(std::move(log_path)) {
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) {
      dup2(null, 0);
    }
    std::vector<char*> args;
    for (auto& a : argv) {
      args.push_back(a.data());
    }
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() { Stop(std::chrono::seconds(5)); }

bool ChildProcess::Running() {
  if (pid_ <= 0) {
    return false;
  }
  int st;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    pid_ = -1;
    return false;
  }
  return true;
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    return status_;
  }
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    int st;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = st;
      pid_ = -1;
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  int st;
  waitpid(pid_, &st, 0);
  pid_ = -1;
  status_ = st;
  return -1;
}

std::string ChildProcess::Log() const { return ReadFileOrEmpty(log_path_); }

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int RunCommand(const std::string& shell_command, std::string* out, std::chrono::seconds timeout) {
  std::string cmd = "timeout " + std::to_string(timeout.count()) + " sh -c '";
  for (char c : shell_command) {
    if (c == '\'') {
      cmd += "'\\''";
    } else {
      cmd += c;
    }
  }
  cmd += "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return -1;
  }
  std::array<char, 4096> buf;
  size_t n;
  std::string o;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) {
    o.append(buf.data(), n);
  }
  int st = pclose(p);
  if (out) {
    *out = std::move(o);
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string NdrelayBinary() { return NDRELAY_BINARY; }
std::string SourceDir() { return NDRELAY_SOURCE_DIR; }
std::string SharedDir() {
  if (const char* s = getenv("NDRELAY_SHARED_DIR")) {
    return s;
  }
  return std::string(NDRELAY_SOURCE_DIR) + "/../shared";
}

}  // namespace ndrelay::testutil
