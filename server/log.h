#pragma once

#include <string>
#include <string_view>

#include "absl/strings/str_format.h"

namespace ndrelay::server {

enum class LogLevel { kDebug, kInfo, kWarning, kError, kFatal };

// Netdata-style log lines: "2026-11-27 17:27:25: ndrelay INFO  : COMPONENT : message\n".
// Each line goes out in one write(2) to stderr and, when OpenLogFile() succeeded, to that file.
// Thread-safe.
void LogLine(LogLevel level, std::string_view component, std::string_view message);

// Also append log lines to `path` (created if needed). Returns false with errno set on failure.
bool OpenLogFile(const std::string& path);
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

template <typename... Args>
void Log(LogLevel level, std::string_view component, const absl::FormatSpec<Args...>& format,
         const Args&... args) {
  if (level < MinLogLevel()) {
    return;
  }
  LogLine(level, component, absl::StrFormat(format, args...));
}

#define NDR_LOG_INFO(component, ...) \
  ::ndrelay::server::Log(::ndrelay::server::LogLevel::kInfo, component, __VA_ARGS__)
#define NDR_LOG_WARN(component, ...) \
  ::ndrelay::server::Log(::ndrelay::server::LogLevel::kWarning, component, __VA_ARGS__)
#define NDR_LOG_ERROR(component, ...) \
  ::ndrelay::server::Log(::ndrelay::server::LogLevel::kError, component, __VA_ARGS__)
#define NDR_LOG_DEBUG(component, ...) \
  ::ndrelay::server::Log(::ndrelay::server::LogLevel::kDebug, component, __VA_ARGS__)

}  // namespace ndrelay::server
