#include "test/testutil/netdata_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ndrelay::testutil {
namespace {

// start-netdata waits this long for the agent's HTTP 200 (it answers in ~0.5 s).
constexpr int kStartWaitSeconds = 30;
// A start that failed (e.g. the web port was taken meanwhile) is retried on a new port.
constexpr int kStartAttempts = 3;
// stop-netdata sends SIGTERM, then SIGKILL after this many seconds (a clean stop takes ~1 s).
constexpr int kStopKillAfterSeconds = 10;
// Bound of one HTTP request to the agent.
constexpr int kHttpTimeoutSeconds = 10;

std::string PeerScript(const std::string& name) { return SharedDir() + "/netdata-peer/" + name; }

// Single-quotes `s` for sh.
std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

absl::StatusOr<DataTable> ParseNetdataCsv(std::string_view text) {
  // Debian's abseil has its own string_view type.
  const absl::string_view csv(text.data(), text.size());
  DataTable table;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(csv, '\n', absl::SkipEmpty())) {
    line = absl::StripSuffix(line, "\r");
    if (line.empty()) {
      continue;
    }
    std::vector<absl::string_view> cells = absl::StrSplit(line, ',');
    if (header) {
      if (cells.empty() || cells[0] != "time") {
        return absl::InvalidArgumentError(absl::StrCat("not a Netdata CSV header: ", line));
      }
      for (size_t i = 1; i < cells.size(); ++i) {
        table.columns.emplace_back(cells[i]);
      }
      header = false;
      continue;
    }
    if (cells.size() != table.columns.size() + 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "row with ", cells.size(), " cells, header has ", table.columns.size() + 1, ": ", line));
    }
    int64_t t = 0;
    if (!absl::SimpleAtoi(cells[0], &t)) {
      return absl::InvalidArgumentError(absl::StrCat("bad time (need options=seconds): ", line));
    }
    std::vector<double> values;
    values.reserve(table.columns.size());
    for (size_t i = 1; i < cells.size(); ++i) {
      double v = std::numeric_limits<double>::quiet_NaN();
      if (cells[i] != "null" && !absl::SimpleAtod(cells[i], &v)) {
        return absl::InvalidArgumentError(absl::StrCat("bad value '", cells[i], "' in: ", line));
      }
      values.push_back(v);
    }
    table.rows[t] = std::move(values);
  }
  if (header) {
    return absl::InvalidArgumentError("empty CSV");
  }
  return table;
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

bool NetdataPeer::Available() {
  std::error_code ec;
  return std::filesystem::exists("/usr/sbin/netdata", ec) &&
         std::filesystem::exists(PeerScript("start-netdata"), ec) &&
         std::filesystem::exists(PeerScript("stop-netdata"), ec);
}

NetdataPeer::NetdataPeer(NetdataChildOptions options) : options_(std::move(options)) {
  const std::string state = dir_.path() + "/netdata";
  for (int attempt = 0; attempt < kStartAttempts && !ok_; ++attempt) {
    port_ = FreeLoopbackPort();
    std::string cmd = absl::StrCat(
        Quote(PeerScript("start-netdata")), " ", Quote(state), " --port ", port_, " --fresh",
        " --wait ", kStartWaitSeconds, " --hostname ", Quote(options_.hostname), " --guid ",
        Quote(options_.machine_guid), " --memory-mode ", Quote(options_.memory_mode));
    if (!options_.stream_to.empty()) {
      absl::StrAppend(&cmd, " --stream-to ", Quote(options_.stream_to), " --api-key ",
                      Quote(options_.api_key), " --compression ",
                      options_.compression ? "yes" : "no", " --ssl-skip-verify ",
                      options_.ssl_skip_verify ? "yes" : "no", " --reconnect-delay ",
                      options_.reconnect_delay_s);
    }
    std::string out;
    const int rc = RunCommand(cmd, &out, std::chrono::seconds(kStartWaitSeconds + 30));
    absl::StrAppend(&start_output_, "$ ", cmd, "\n", out, "(exit ", rc, ")\n");
    ok_ = rc == 0 && out.find("STATUS=ready") != std::string::npos;
    if (!ok_) {
      // A half-started instance must not outlive the attempt.
      std::string ignored;
      RunCommand(absl::StrCat(Quote(PeerScript("stop-netdata")), " ", Quote(state),
                              " --kill-after ", kStopKillAfterSeconds),
                 &ignored, std::chrono::seconds(kStopKillAfterSeconds + 20));
    }
  }
}

NetdataPeer::~NetdataPeer() { Stop(); }

int NetdataPeer::Stop() {
  if (stopped_) {
    return 0;
  }
  stopped_ = true;
  std::string out;
  return RunCommand(
      absl::StrCat(Quote(PeerScript("stop-netdata")), " ", Quote(dir_.path() + "/netdata"),
                   " --kill-after ", kStopKillAfterSeconds),
      &out, std::chrono::seconds(kStopKillAfterSeconds + 20));
}

std::string NetdataPeer::ErrorLog() const {
  return ReadFileOrEmpty(dir_.path() + "/netdata/log/error.log");
}

absl::StatusOr<std::string> NetdataPeer::HttpGet(const std::string& path_and_query) const {
  std::string out;
  const std::string url = absl::StrCat("http://127.0.0.1:", port_, path_and_query);
  const int rc =
      RunCommand(absl::StrCat("curl -sS -f --max-time ", kHttpTimeoutSeconds, " ", Quote(url)),
                 &out, std::chrono::seconds(kHttpTimeoutSeconds + 5));
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("GET ", url, " failed (", rc, "): ", out));
  }
  return out;
}

absl::StatusOr<DataTable> NetdataPeer::QueryData(const std::string& chart, int64_t after,
                                                 int64_t before) const {
  // `dimensions=*` makes 1.37 include hidden dimensions (system.cpu's `idle`); `seconds` gives
  // unix timestamps, `flip` oldest first. No `points`: one row per stored second.
  auto body =
      HttpGet(absl::StrCat("/api/v1/data?chart=", chart, "&after=", after, "&before=", before,
                           "&format=csv&options=seconds%7Cflip&dimensions=*"));
  if (!body.ok()) {
    return body.status();
  }
  return ParseNetdataCsv(*body);
}

}  // namespace ndrelay::testutil
