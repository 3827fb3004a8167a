#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "test/testutil/process.h"

namespace ndrelay::testutil {

// How to start a real Netdata 1.37.1 agent as a streaming child (the options of
// <shared>/netdata-peer/start-netdata, see its README).
struct NetdataChildOptions {
  std::string hostname;      // [global] hostname
  std::string machine_guid;  // 36-char UUID, must differ from every other node
  std::string stream_to;     // "127.0.0.1:PORT" or "127.0.0.1:PORT:SSL"
  std::string api_key;
  bool compression = true;
  std::string memory_mode = "ram";  // ram or dbengine
  bool ssl_skip_verify = true;
  int reconnect_delay_s = 5;
};

// A table of values from Netdata's /api/v1/data (format=csv, options=seconds): one row per
// timestamp, one column per dimension; NaN where Netdata answered `null`.
struct DataTable {
  std::vector<std::string> columns;  // dimension names, without "time"
  std::map<int64_t, std::vector<double>> rows;
};

// Parses Netdata's CSV output (header `time,<dim>,...`, then `<unix seconds>,<value|null>,...`,
// lines ended by "\n" or "\r\n").
absl::StatusOr<DataTable> ParseNetdataCsv(std::string_view csv);

// A loopback TCP port that was free a moment ago (bind 127.0.0.1:0, read it back, close).
int FreeLoopbackPort();

// The real Netdata agent on loopback, started by start-netdata in its own temporary state
// directory and always stopped (by PID, with stop-netdata) on destruction.
class NetdataPeer {
 public:
  // True when netdata and the start/stop scripts are installed (tests skip otherwise).
  static bool Available();

  explicit NetdataPeer(NetdataChildOptions options);
  ~NetdataPeer();
  NetdataPeer(const NetdataPeer&) = delete;
  NetdataPeer& operator=(const NetdataPeer&) = delete;

  // True once the agent answered HTTP 200 on /api/v1/info.
  bool ok() const { return ok_; }
  // What start-netdata printed (PID=..., STATUS=...), for failure messages.
  const std::string& start_output() const { return start_output_; }
  int port() const { return port_; }
  const std::string& hostname() const { return options_.hostname; }
  const std::string& machine_guid() const { return options_.machine_guid; }
  const std::string& state_dir() const { return dir_.path(); }

  // STATE/log/error.log (the agent logs its streaming decisions there).
  std::string ErrorLog() const;
  // Stops the agent (idempotent); returns stop-netdata's exit code.
  int Stop();

  // GET `path_and_query` on the agent's own web API; the body, or an error with curl's output.
  absl::StatusOr<std::string> HttpGet(const std::string& path_and_query) const;
  // The agent's own stored values of `chart` between the unix seconds `after` and `before`
  // (both included, as Netdata selects them), every dimension including hidden ones (1.37 hides
  // them unless a `dimensions` pattern names them), one row per second.
  absl::StatusOr<DataTable> QueryData(const std::string& chart, int64_t after,
                                      int64_t before) const;

 private:
  NetdataChildOptions options_;
  TempDir dir_;
  int port_ = 0;
  bool ok_ = false;
  bool stopped_ = false;
  std::string start_output_;
};

}  // namespace ndrelay::testutil
