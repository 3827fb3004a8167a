// ndrelay-load: simulates N Netdata children streaming synthetic metrics to a parent (ndrelay or
// a real Netdata) on loopback, then prints one key=value report line. See tools/load_options.h
// for the options and tools/load_runner.h for the timing model.

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <string_view>
#include <vector>

#include "tools/load_options.h"
#include "tools/load_runner.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  absl::StatusOr<ndrelay::tools::LoadOptions> options = ndrelay::tools::ParseLoadOptions(args);
  if (!options.ok()) {
    std::fprintf(stderr, "ndrelay-load: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(ndrelay::tools::LoadUsage().c_str(), stdout);
    return 0;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<ndrelay::tools::LoadReport> report = ndrelay::tools::RunLoad(*options, &g_stop);
  if (!report.ok()) {
    std::fprintf(stderr, "ndrelay-load: %s\n", report.status().ToString().c_str());
    return 2;
  }
  std::printf("%s\n", ndrelay::tools::FormatReport(*report).c_str());
  std::fflush(stdout);
  return report->errors() == 0 && report->connected == report->children ? 0 : 1;
}
