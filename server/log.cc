#include "server/log.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace ndrelay::server {
namespace {

std::atomic<int> g_log_fd{-1};
std::atomic<LogLevel> g_min_level{LogLevel::kInfo};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO ";
    case LogLevel::kWarning:
      return "WARN ";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kFatal:
      return "FATAL";
  }
  return "INFO ";
}

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

void LogLine(LogLevel level, std::string_view component, std::string_view message) {
  char stamp[32];
  time_t now = ::time(nullptr);
  struct tm tm;
  ::localtime_r(&now, &tm);
  ::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
  std::string line =
      absl::StrFormat("%s: ndrelay %s: %s : %s\n", stamp, LevelName(level), component, message);
  WriteAll(STDERR_FILENO, line.data(), line.size());
  int fd = g_log_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    WriteAll(fd, line.data(), line.size());
  }
}

bool OpenLogFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return false;
  }
  int old = g_log_fd.exchange(fd);
  if (old >= 0) {
    ::close(old);
  }
  return true;
}

void SetMinLogLevel(LogLevel level) { g_min_level.store(level); }
LogLevel MinLogLevel() { return g_min_level.load(std::memory_order_relaxed); }

}  // namespace ndrelay::server
