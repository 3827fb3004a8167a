// ndrelay: a Netdata streaming parent/proxy fronted by gRPC, on one port.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "conf/config.h"
#include "server/daemon.h"
#include "server/embedded_conf.h"
#include "server/log.h"

namespace {

constexpr char kUsage[] =
    "usage: ndrelay [--config-dir DIR] [--bind ADDR] [--check-config] [--pid-file FILE]\n"
    "               [--port-file FILE] [--log-level debug|info|warning|error] [--help] "
    "[--version]\n"
    "\n"
    "  --config-dir DIR  read DIR/netdata.conf and DIR/stream.conf (default: /etc/netdata when it\n"
    "                    exists, else the configuration embedded in this binary, the same as the\n"
    "                    repository's conf/)\n"
    "  --bind ADDR       listen here instead of [web] bind to (same syntax, e.g. 127.0.0.1:0)\n"
    "  --check-config    print the effective configuration and where each value came from; exit 0\n"
    "                    when it is valid, else print the errors and exit 1\n"
    "  --pid-file FILE   write the process id there (also [global] pid file)\n"
    "  --port-file FILE  once listening, write one bound address per line there (for tests)\n";

struct Flags {
  std::string config_dir;
  std::string bind;
  std::string pid_file;
  std::string port_file;
  std::string log_level;
  bool check_config = false;
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      const size_t eq = a.find('=');
      if (eq != std::string::npos) {
        *out = a.substr(eq + 1);
        return true;
      }
      if (i + 1 >= argc) {
        std::fprintf(stderr, "ndrelay: %s needs a value\n", a.c_str());
        return false;
      }
      *out = argv[++i];
      return true;
    };
    auto is = [&](const char* name) {
      return a == name || a.rfind(std::string(name) + "=", 0) == 0;
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--version" || a == "-v") {
      std::printf("ndrelay %s\n", ndrelay::server::NdrelayVersion());
      std::exit(0);
    } else if (a == "--check-config") {
      f->check_config = true;
    } else if (is("--config-dir")) {
      if (!value(&f->config_dir)) return false;
    } else if (is("--bind")) {
      if (!value(&f->bind)) return false;
    } else if (is("--pid-file")) {
      if (!value(&f->pid_file)) return false;
    } else if (is("--port-file")) {
      if (!value(&f->port_file)) return false;
    } else if (is("--log-level")) {
      if (!value(&f->log_level)) return false;
    } else {
      std::fprintf(stderr, "ndrelay: unknown argument '%s'\n%s", a.c_str(), kUsage);
      return false;
    }
  }
  return true;
}

bool WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!(out << text)) {
      return false;
    }
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  using ndrelay::server::LogLevel;
  // Debian's abseil records a lock-order graph on every absl::Mutex acquisition; our lock order
  // is fixed by construction (registry, then host), and the bookkeeping showed up in profiles.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    return 2;
  }
  if (flags.log_level == "debug") {
    ndrelay::server::SetMinLogLevel(LogLevel::kDebug);
  } else if (flags.log_level == "warning") {
    ndrelay::server::SetMinLogLevel(LogLevel::kWarning);
  } else if (flags.log_level == "error") {
    ndrelay::server::SetMinLogLevel(LogLevel::kError);
  }

  absl::StatusOr<ndrelay::conf::Config> config;
  std::string config_dir = flags.config_dir;
  if (config_dir.empty() && std::filesystem::is_directory("/etc/netdata")) {
    config_dir = "/etc/netdata";
  }
  if (config_dir.empty()) {
    config =
        ndrelay::conf::ParseConfig(ndrelay::server::kEmbeddedNetdataConf, "(embedded) netdata.conf",
                                   ndrelay::server::kEmbeddedStreamConf, "(embedded) stream.conf");
    config_dir = "(embedded)";
  } else {
    config = ndrelay::conf::LoadConfigDir(config_dir);
  }
  if (!config.ok()) {
    std::fprintf(stderr, "ndrelay: configuration in %s is not valid:\n%s\n", config_dir.c_str(),
                 std::string(config.status().message()).c_str());
    return 1;
  }
  if (flags.check_config) {
    std::printf("# ndrelay %s: effective configuration from %s\n",
                ndrelay::server::NdrelayVersion(), config_dir.c_str());
    std::string section;
    for (const auto& o : config->Describe()) {
      if (o.file_section != section) {
        section = o.file_section;
        std::printf("\n%s\n", section.c_str());
      }
      std::printf("    %s = %s    # %s\n", o.name.c_str(), o.value.c_str(), o.source.c_str());
    }
    for (const auto& w : config->warnings) {
      std::printf("# warning: %s\n", w.c_str());
    }
    return 0;
  }
  for (const auto& w : config->warnings) {
    NDR_LOG_WARN("CONFIG", "%s", w);
  }
  if (!config->logs.error_log.empty() && !ndrelay::server::OpenLogFile(config->logs.error_log)) {
    NDR_LOG_WARN("MAIN", "cannot open log file '%s': %s", config->logs.error_log,
                 std::strerror(errno));
  }
  std::string pid_file = flags.pid_file.empty() ? config->global.pid_file : flags.pid_file;

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  ndrelay::server::Daemon daemon(*std::move(config), config_dir);
  if (absl::Status s = daemon.Start(flags.bind); !s.ok()) {
    NDR_LOG_ERROR("MAIN", "cannot start: %s", s.ToString());
    return 1;
  }
  if (!pid_file.empty() && !WriteFileAtomically(pid_file, std::to_string(getpid()) + "\n")) {
    NDR_LOG_WARN("MAIN", "cannot write pid file '%s'", pid_file);
  }
  if (!flags.port_file.empty()) {
    std::string text;
    for (const auto& l : daemon.info().listeners) {
      absl::StrAppend(&text, l.address, "\n");
    }
    if (!WriteFileAtomically(flags.port_file, text)) {
      NDR_LOG_WARN("MAIN", "cannot write port file '%s'", flags.port_file);
    }
  }
  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
    NDR_LOG_INFO("MAIN", "SIGHUP: configuration reload is not supported yet; ignoring");
  }
  NDR_LOG_INFO("MAIN", "received signal %d (%s), shutting down", sig, strsignal(sig));
  daemon.Stop();
  if (!pid_file.empty()) {
    std::remove(pid_file.c_str());
  }
  return 0;
}
