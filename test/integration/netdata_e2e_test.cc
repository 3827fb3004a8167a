// End-to-end tests of the parent role against the REAL Netdata 1.37.1 agent as a streaming child
// (started by <shared>/netdata-peer/start-netdata): handshake with and without compression, TLS
// (force/optional, TLS and plain children), key and IP refusals, and replication of an outage.
// Values stored by ndrelay are compared with the child's own /api/v1/data at the same seconds.
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ndrelay/v1/admin.grpc.pb.h"
#include "test/testutil/netdata_peer.h"
#include "test/testutil/relay.h"

namespace ndrelay {
namespace {

using testutil::DataTable;
using testutil::NetdataChildOptions;
using testutil::NetdataPeer;
using testutil::Relay;
using testutil::RunCommand;
using testutil::TempDir;

constexpr char kApiKey[] = "11111111-2222-3333-4444-555555555555";
constexpr char kStreamConf[] =
    "[stream]\n    enabled = no\n"
    "[11111111-2222-3333-4444-555555555555]\n    type = api\n    enabled = yes\n";

// Bounds of every wait. A child connects ~1-2 s after it starts and retries a refused connection
// every `reconnect delay seconds` (5).
constexpr auto kPollInterval = std::chrono::milliseconds(250);
constexpr auto kConnectTimeout = std::chrono::seconds(45);
constexpr auto kDataTimeout = std::chrono::seconds(60);
constexpr auto kReplicationTimeout = std::chrono::seconds(90);
constexpr auto kGrpcDeadline = std::chrono::seconds(5);
// The outage of the replication test (the child keeps collecting meanwhile).
constexpr auto kOutage = std::chrono::seconds(50);
// How long the child streams before the outage.
constexpr int64_t kSecondsBeforeOutage = 10;
// Margin around the outage that must be complete on both sides.
constexpr int64_t kGapMargin = 5;
// Data comparison: timestamps both sides must share, window asked, tolerance.
constexpr int kMinOverlap = 10;
constexpr int64_t kCompareWindow = 30;
constexpr int64_t kHistoryAsked = 600;
// Seconds after the relay's first point that a 1.37.1 parent cannot reproduce (see
// ExpectSameValues).
constexpr int64_t kSettleSeconds = 2;
constexpr double kRelTolerance = 1e-3;
constexpr double kAbsTolerance = 1e-3;
// Failure messages show this much of a log's end.
constexpr size_t kLogTail = 6000;

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Tail(const std::string& s, size_t n = kLogTail) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// Polls `pred` every kPollInterval until true or `timeout`; returns the last result.
template <typename Pred>
bool PollUntil(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

// The first line of `log` containing `needle` ("" when none).
std::string LineWith(const std::string& log, const std::string& needle) {
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, needle)) {
      return std::string(line);
    }
  }
  return "";
}

// True when `log` has a line "... STREAM [receive from [127.0.0.1]:<port>]: <message>".
bool HasStreamLogLine(const std::string& log, const std::string& message) {
  constexpr absl::string_view kPrefix = "STREAM [receive from [127.0.0.1]:";
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    const size_t at = line.find(kPrefix);
    if (at == absl::string_view::npos) {
      continue;
    }
    absl::string_view rest = line.substr(at + kPrefix.size());
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
      ++digits;
    }
    if (digits > 0 && absl::StartsWith(rest.substr(digits), absl::StrCat("]: ", message))) {
      return true;
    }
  }
  return false;
}

int CountOf(const std::string& haystack, std::string_view needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The Admin gRPC API of a relay, over h2c or (with `ca_pem`) TLS.
class AdminClient {
 public:
  AdminClient(const std::string& address, const std::string& ca_pem) {
    grpc::ChannelArguments args;
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
    if (!ca_pem.empty()) {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = ca_pem;
      creds = grpc::SslCredentials(ssl);
      args.SetSslTargetNameOverride("localhost");
    }
    stub_ = v1::Admin::NewStub(grpc::CreateCustomChannel(address, creds, args));
  }

  absl::StatusOr<v1::Node> FindNode(const std::string& guid) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kGrpcDeadline);
    v1::ListNodesResponse resp;
    grpc::Status s = stub_->ListNodes(&ctx, v1::ListNodesRequest(), &resp);
    if (!s.ok()) {
      return absl::UnavailableError(s.error_message());
    }
    for (const v1::Node& n : resp.nodes()) {
      if (n.machine_guid() == guid) {
        return n;
      }
    }
    return absl::NotFoundError(absl::StrCat("no node ", guid, " among ", resp.nodes_size()));
  }

  absl::StatusOr<v1::Chart> GetChart(const std::string& node, const std::string& chart) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kGrpcDeadline);
    v1::GetChartRequest req;
    req.set_node(node);
    req.set_chart(chart);
    v1::Chart resp;
    grpc::Status s = stub_->GetChart(&ctx, req, &resp);
    if (!s.ok()) {
      return absl::UnavailableError(s.error_message());
    }
    return resp;
  }

  absl::StatusOr<v1::QueryDataResponse> QueryData(const std::string& node, const std::string& chart,
                                                  int64_t after, int64_t before) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kGrpcDeadline);
    v1::QueryDataRequest req;
    req.set_node(node);
    req.set_chart(chart);
    req.set_after(after);
    req.set_before(before);
    v1::QueryDataResponse resp;
    grpc::Status s = stub_->QueryData(&ctx, req, &resp);
    if (!s.ok()) {
      return absl::UnavailableError(s.error_message());
    }
    return resp;
  }

  // True when the node is listed and connected.
  bool Connected(const std::string& guid) {
    auto n = FindNode(guid);
    return n.ok() && n->connected();
  }

 private:
  std::unique_ptr<v1::Admin::Stub> stub_;
};

bool IsGap(const v1::DataRow& row, int col) {
  return std::isnan(row.values(col)) || (row.flags(col) & 1) != 0;
}

// The rows of a relay answer that hold a value in every column.
int CompleteRows(const v1::QueryDataResponse& r) {
  int n = 0;
  for (const v1::DataRow& row : r.rows()) {
    bool complete = row.values_size() > 0;
    for (int c = 0; c < row.values_size(); ++c) {
      complete &= !IsGap(row, c);
    }
    n += complete ? 1 : 0;
  }
  return n;
}

// ndrelay's stored values vs the child's own, second by second.
struct Comparison {
  int overlap = 0;               // seconds where the child has data and the relay has a row
  int values = 0;                // values compared
  std::vector<int64_t> missing;  // seconds the child has data for and the relay has no row
  std::vector<std::string> mismatches;
  std::string Describe() const {
    std::string s = absl::StrCat("overlap ", overlap, " s, ", values, " values, ", missing.size(),
                                 " seconds missing on the relay");
    for (size_t i = 0; i < missing.size() && i < 10; ++i) {
      absl::StrAppend(&s, i == 0 ? ": " : ", ", missing[i]);
    }
    for (size_t i = 0; i < mismatches.size() && i < 20; ++i) {
      absl::StrAppend(&s, "\n  ", mismatches[i]);
    }
    if (mismatches.size() > 20) {
      absl::StrAppend(&s, "\n  ... ", mismatches.size() - 20, " more");
    }
    return s;
  }
};

// Compares the seconds >= `from`.
Comparison Compare(const DataTable& child, const v1::QueryDataResponse& relay, int64_t from) {
  Comparison out;
  std::map<int64_t, const v1::DataRow*> relay_rows;
  for (const v1::DataRow& row : relay.rows()) {
    relay_rows[row.time()] = &row;
  }
  std::vector<int> column_of;  // child column → relay column (-1: absent)
  for (const std::string& name : child.columns) {
    int found = -1;
    for (int i = 0; i < relay.dimension_names_size(); ++i) {
      if (relay.dimension_names(i) == name) {
        found = i;
      }
    }
    if (found < 0) {
      out.mismatches.push_back(absl::StrCat("dimension '", name, "' missing on the relay"));
    }
    column_of.push_back(found);
  }
  for (const auto& [t, values] : child.rows) {
    bool child_has_data = false;
    for (double v : values) {
      child_has_data |= !std::isnan(v);
    }
    if (!child_has_data || t < from) {
      continue;  // before the child's first point, or not compared
    }
    auto it = relay_rows.find(t);
    if (it == relay_rows.end()) {
      out.missing.push_back(t);
      continue;
    }
    ++out.overlap;
    for (size_t c = 0; c < values.size(); ++c) {
      if (column_of[c] < 0) {
        continue;
      }
      const v1::DataRow& row = *it->second;
      const bool relay_gap = IsGap(row, column_of[c]);
      const double mine = row.values(column_of[c]);
      ++out.values;
      if (std::isnan(values[c]) || relay_gap) {
        if (std::isnan(values[c]) != relay_gap) {
          out.mismatches.push_back(absl::StrCat(t, " ", child.columns[c], ": child ", values[c],
                                                ", relay ", mine, " flags ",
                                                row.flags(column_of[c])));
        }
        continue;
      }
      if (std::fabs(values[c] - mine) > kAbsTolerance + kRelTolerance * std::fabs(values[c])) {
        out.mismatches.push_back(
            absl::StrCat(t, " ", child.columns[c], ": child ", values[c], ", relay ", mine));
      }
    }
  }
  return out;
}

// A netdata.conf like TestNetdataConf() but listening on a fixed port (a restarted relay must
// come back where the child looks for it).
std::string FixedPortNetdataConf(const TempDir& dir, int port) {
  return absl::StrCat("[global]\n    hostname = ndrelay-test\n    memory mode = ram\n",
                      "[web]\n    bind to = 127.0.0.1:", port, "\n",
                      "[directories]\n    lib = ", dir.path(), "/lib\n    cache = ", dir.path(),
                      "/cache\n    log = ", dir.path(), "/log\n",
                      "[registry]\n    netdata unique id file = ", dir.path(),
                      "/lib/registry/netdata.public.unique.id\n");
}

// Stops the relay and expects a clean exit: status 0 and no sanitizer report in its log (the
// sanitizer build runs these tests too).
void ExpectCleanExit(Relay& relay) {
  const int status = relay.Stop();
  const std::string log = relay.Log();
  EXPECT_EQ(status, 0) << Tail(log);
  EXPECT_FALSE(absl::StrContains(log, "Sanitizer")) << log;
  EXPECT_FALSE(absl::StrContains(log, "runtime error:")) << log;
}

std::string NodeClient() {
  return absl::StrCat("node ", testutil::SourceDir(), "/test/integration/node/reflect_call.js ");
}

class NetdataE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NetdataPeer::Available()) {
      GTEST_SKIP() << "netdata-core or " << testutil::SharedDir()
                   << "/netdata-peer is not installed";
    }
  }

  std::unique_ptr<NetdataPeer> StartChild(const std::string& hostname, const std::string& guid,
                                          const std::string& stream_to,
                                          const std::string& api_key = kApiKey,
                                          bool compression = true,
                                          const std::string& memory_mode = "ram") {
    NetdataChildOptions o;
    o.hostname = hostname;
    o.machine_guid = guid;
    o.stream_to = stream_to;
    o.api_key = api_key;
    o.compression = compression;
    o.memory_mode = memory_mode;
    auto child = std::make_unique<NetdataPeer>(o);
    EXPECT_TRUE(child->ok()) << child->start_output() << Tail(child->ErrorLog());
    return child;
  }

  // Waits until the child's error.log says it negotiated a link; returns that line.
  static std::string WaitForLink(const NetdataPeer& child) {
    std::string line;
    PollUntil(
        [&] {
          line = LineWith(child.ErrorLog(), "established link with negotiated capabilities");
          return !line.empty();
        },
        kConnectTimeout);
    return line;
  }

  // Waits until the relay holds enough complete seconds of `chart`, then compares the last
  // kCompareWindow seconds with the child's own API. The first kSettleSeconds of the relay's
  // data are left out: a 1.37.1 parent (the real one too, checked by hand against
  // start-netdata --accept-key) stores its first live point after connecting as a gap when the
  // replication round brought no points for the chart (the dimension has only one collection, so
  // incremental values are 0 and not stored), and its second point lacks the remainder the child
  // carried over from its own first interval.
  static void ExpectSameValues(AdminClient& admin, const NetdataPeer& child,
                               const std::string& chart) {
    SCOPED_TRACE(chart);
    int64_t first = 0, last = 0;
    bool enough = PollUntil(
        [&] {
          auto r = admin.QueryData(child.machine_guid(), chart, NowS() - kHistoryAsked, 0);
          if (!r.ok() || CompleteRows(*r) < kMinOverlap + kSettleSeconds + 1) {
            return false;
          }
          first = r->rows(0).time();
          last = r->rows(r->rows_size() - 1).time();
          return true;
        },
        kDataTimeout);
    ASSERT_TRUE(enough) << "the relay did not collect enough seconds of " << chart;
    const int64_t after = last - kCompareWindow;
    auto relay = admin.QueryData(child.machine_guid(), chart, after, last);
    ASSERT_TRUE(relay.ok()) << relay.status();
    auto mine = child.QueryData(chart, after, last);
    ASSERT_TRUE(mine.ok()) << mine.status();
    const Comparison cmp = Compare(*mine, *relay, first + kSettleSeconds);
    EXPECT_GE(cmp.overlap, kMinOverlap) << cmp.Describe();
    EXPECT_TRUE(cmp.missing.empty()) << cmp.Describe();
    EXPECT_TRUE(cmp.mismatches.empty()) << cmp.Describe();
    EXPECT_EQ(relay->dimension_ids_size(), static_cast<int>(mine->columns.size()));
  }

  TempDir state_;
};

// ---- the comparison tools themselves (no Netdata needed) ----

TEST(ParseNetdataCsvTest, TableDriven) {
  struct Case {
    const char* name;
    const char* csv;
    bool ok;
    size_t columns;
    size_t rows;
  };
  const Case cases[] = {
      {"lf", "time,user,idle\n1795802148,91.5,0\n1795802149,null,8.25\n", true, 2, 2},
      {"crlf", "time,user\r\n1795802148,91.5\r\n", true, 1, 1},
      {"header only", "time,interrupts\n", true, 1, 0},
      {"no trailing newline", "time,a\n1,2", true, 1, 1},
      {"empty", "", false, 0, 0},
      {"not csv", "{\"labels\": []}", false, 0, 0},
      {"short row", "time,a,b\n1,2\n", false, 0, 0},
      {"long row", "time,a\n1,2,3\n", false, 0, 0},
      {"date time (no options=seconds)", "time,a\n2026-11-27 17:55:41,2\n", false, 0, 0},
      {"bad value", "time,a\n1,abc\n", false, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto t = testutil::ParseNetdataCsv(c.csv);
    ASSERT_EQ(t.ok(), c.ok) << t.status();
    if (c.ok) {
      EXPECT_EQ(t->columns.size(), c.columns);
      EXPECT_EQ(t->rows.size(), c.rows);
    }
  }
  auto t = testutil::ParseNetdataCsv("time,user,idle\n1795802149,null,8.25\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->columns, (std::vector<std::string>{"user", "idle"}));
  ASSERT_EQ(t->rows.count(1795802149), 1u);
  EXPECT_TRUE(std::isnan(t->rows[1795802149][0]));
  EXPECT_EQ(t->rows[1795802149][1], 8.25);
}

v1::QueryDataResponse RelayAnswer(const std::vector<std::string>& dims,
                                  const std::map<int64_t, std::vector<double>>& rows) {
  v1::QueryDataResponse r;
  for (const std::string& d : dims) {
    r.add_dimension_ids(d);
    r.add_dimension_names(d);
  }
  for (const auto& [t, values] : rows) {
    v1::DataRow* row = r.add_rows();
    row->set_time(t);
    for (double v : values) {
      row->add_values(v);
      row->add_flags(std::isnan(v) ? 1 : 0);
    }
  }
  return r;
}

TEST(CompareTest, FindsMissingSecondsMismatchesAndGapDisagreements) {
  const double nan = std::nan("");
  DataTable child;
  child.columns = {"a", "b"};
  child.rows = {{99, {nan, nan}},      // before the child's first point: ignored
                {100, {1.0, 2.0}},     // equal
                {101, {1000.0, 0.0}},  // within tolerance (relative 1e-3, absolute 1e-3)
                {102, {5.0, nan}},     // gap on both sides: equal
                {103, {5.0, 6.0}},     // missing on the relay
                {104, {7.0, 8.0}},     // b differs
                {105, {nan, 1.0}}};    // gap on the child only
  const auto relay = RelayAnswer({"b", "a"}, {{100, {2.0, 1.0}},
                                              {101, {0.0009, 1000.9}},
                                              {102, {nan, 5.0}},
                                              {104, {8.1, 7.0}},
                                              {105, {1.0, 3.0}},
                                              {106, {1.0, 1.0}}});
  Comparison c = Compare(child, relay, 0);
  EXPECT_EQ(c.overlap, 5);
  EXPECT_EQ(c.values, 10);
  EXPECT_EQ(c.missing, (std::vector<int64_t>{103}));
  ASSERT_EQ(c.mismatches.size(), 2u) << c.Describe();
  EXPECT_TRUE(absl::StartsWith(c.mismatches[0], "104 b:")) << c.Describe();
  EXPECT_TRUE(absl::StartsWith(c.mismatches[1], "105 a:")) << c.Describe();
  // Seconds before `from` are not compared.
  c = Compare(child, relay, 105);
  EXPECT_EQ(c.overlap, 1);
  EXPECT_TRUE(c.missing.empty());
  EXPECT_EQ(c.mismatches.size(), 1u);
  // A dimension the relay does not have is reported.
  c = Compare(child, RelayAnswer({"a"}, {{100, {1.0}}}), 100);
  ASSERT_FALSE(c.mismatches.empty());
  EXPECT_EQ(c.mismatches[0], "dimension 'b' missing on the relay");
}

// ---- 1. plain and compressed children ----

class NetdataChildStreamTest : public NetdataE2eTest, public ::testing::WithParamInterface<bool> {};

TEST_P(NetdataChildStreamTest, ConnectsAndStoresTheChildsOwnValues) {
  const bool compressed = GetParam();
  const std::string hostname = compressed ? "e2e-lz4" : "e2e-plain";
  const std::string guid =
      compressed ? "e2e00000-0000-0000-0000-00000000a002" : "e2e00000-0000-0000-0000-00000000a001";
  Relay relay(testutil::TestNetdataConf(state_), kStreamConf);
  ASSERT_TRUE(relay.ok()) << relay.Log();
  auto child = StartChild(hostname, guid, relay.address(), kApiKey, compressed);
  ASSERT_TRUE(child->ok());

  // The child's view: a negotiated link, COMPRESSION only when both sides enabled it.
  const std::string link = WaitForLink(*child);
  ASSERT_FALSE(link.empty()) << Tail(child->ErrorLog()) << "\nrelay:\n" << Tail(relay.Log());
  EXPECT_EQ(absl::StrContains(link, " COMPRESSION "), compressed) << link;
  EXPECT_TRUE(absl::StrContains(link, " REPLICATION ")) << link;

  // The relay's view over gRPC.
  AdminClient admin(relay.address(), "");
  ASSERT_TRUE(PollUntil([&] { return admin.Connected(guid); }, kConnectTimeout)) << relay.Log();
  auto node = admin.FindNode(guid);
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->hostname(), hostname);
  EXPECT_EQ(node->compression(), compressed ? "lz4" : "none");
  EXPECT_FALSE(node->tls());
  EXPECT_EQ(node->program_version(), "v1.37.1");
  EXPECT_EQ(node->hops(), 1);
  EXPECT_TRUE(absl::StartsWith(node->peer(), "[127.0.0.1]:")) << node->peer();
  bool has_compression_cap = false;
  for (const auto& c : node->capability_names()) {
    has_compression_cap |= c == "COMPRESSION";
  }
  EXPECT_EQ(has_compression_cap, compressed);
  EXPECT_TRUE(
      absl::StrContains(relay.Log(), absl::StrCat("compression ", compressed ? "lz4" : "none")))
      << relay.Log();

  // Chart definitions as the child sent them.
  absl::StatusOr<v1::Chart> cpu;
  ASSERT_TRUE(PollUntil(
      [&] {
        cpu = admin.GetChart(guid, "system.cpu");
        return cpu.ok() && cpu->dimensions_size() >= 2;
      },
      kDataTimeout))
      << cpu.status();
  bool idle_hidden = false;
  for (const v1::Dimension& d : cpu->dimensions()) {
    EXPECT_EQ(d.algorithm(), "percentage-of-incremental-row") << d.id();
    if (d.id() == "idle") {
      idle_hidden = d.hidden();
    }
  }
  EXPECT_TRUE(idle_hidden) << "system.cpu's idle dimension is hidden on Netdata";
  // The child defines its charts one by one as its collectors first run: system.intr may come
  // after system.cpu.
  absl::StatusOr<v1::Chart> intr;
  ASSERT_TRUE(PollUntil(
      [&] {
        intr = admin.GetChart(guid, "system.intr");
        return intr.ok() && intr->dimensions_size() >= 1;
      },
      kDataTimeout))
      << intr.status();
  ASSERT_EQ(intr->dimensions_size(), 1);
  EXPECT_EQ(intr->dimensions(0).algorithm(), "incremental");

  // Values: the same as the child's own database at the same seconds.
  ExpectSameValues(admin, *child, "system.cpu");
  ExpectSameValues(admin, *child, "system.intr");

  // Netdata's /api/v1/info lists the child among the mirrored hosts.
  std::string info;
  ASSERT_EQ(RunCommand("curl -sS --max-time 10 http://" + relay.address() + "/api/v1/info", &info),
            0)
      << info;
  const size_t hosts = info.find("\"mirrored_hosts\"");
  ASSERT_NE(hosts, std::string::npos) << info;
  const std::string mirrored = info.substr(hosts, info.find(']', hosts) - hosts);
  EXPECT_TRUE(absl::StrContains(mirrored, "\"" + hostname + "\"")) << info;
  EXPECT_TRUE(absl::StrContains(
      info, "\"guid\": \"" + guid + "\", \"hostname\": \"" + hostname + "\", \"reachable\": true"))
      << info;

  // A reflection-driven client (no .proto) sees the node too.
  std::string out;
  ASSERT_EQ(
      RunCommand(NodeClient() + relay.address() + " call ndrelay.v1.Admin/ListNodes '{}'", &out), 0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "\"machine_guid\":\"" + guid + "\"")) << out;
  EXPECT_TRUE(absl::StrContains(out, "\"hostname\":\"" + hostname + "\"")) << out;
  EXPECT_TRUE(absl::StrContains(out, "\"connected\":true")) << out;
  EXPECT_TRUE(
      absl::StrContains(out, absl::StrCat("\"compression\":\"", compressed ? "lz4" : "none", "\"")))
      << out;
  ExpectCleanExit(relay);
}

INSTANTIATE_TEST_SUITE_P(Compression, NetdataChildStreamTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? std::string("Lz4") : std::string("Plain");
                         });

// ---- 2. TLS ----

class NetdataTlsTest : public NetdataE2eTest {
 protected:
  void SetUp() override {
    NetdataE2eTest::SetUp();
    if (IsSkipped()) {
      return;
    }
    cert_ = testutil::MakeTestCert(state_);
    ASSERT_FALSE(cert_.cert_pem.empty()) << "openssl could not make a test certificate";
  }
  std::unique_ptr<Relay> StartTlsRelay(const std::string& bind_suffix) {
    auto r = std::make_unique<Relay>(
        testutil::TestNetdataConf(state_, bind_suffix,
                                  "[web]\n    ssl key = " + cert_.key_file +
                                      "\n    ssl certificate = " + cert_.cert_file + "\n"),
        kStreamConf);
    EXPECT_TRUE(r->ok()) << r->Log();
    return r;
  }
  testutil::TestCert cert_;
};

TEST_F(NetdataTlsTest, ForcedTlsAcceptsATlsChildAndRefusesAPlainOne) {
  auto relay = StartTlsRelay("^SSL=force");
  ASSERT_TRUE(relay->ok());
  const std::string tls_guid = "e2e00000-0000-0000-0000-00000000b001";
  const std::string plain_guid = "e2e00000-0000-0000-0000-00000000b002";
  auto tls_child = StartChild("e2e-tls-force", tls_guid, relay->address() + ":SSL");
  auto plain_child = StartChild("e2e-plain-on-force", plain_guid, relay->address());
  ASSERT_TRUE(tls_child->ok() && plain_child->ok());

  const std::string link = WaitForLink(*tls_child);
  EXPECT_FALSE(link.empty()) << Tail(tls_child->ErrorLog()) << "\nrelay:\n" << relay->Log();
  AdminClient admin(relay->address(), cert_.cert_pem);
  ASSERT_TRUE(PollUntil([&] { return admin.Connected(tls_guid); }, kConnectTimeout))
      << relay->Log();
  auto node = admin.FindNode(tls_guid);
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_TRUE(node->tls());
  EXPECT_EQ(node->compression(), "lz4");
  EXPECT_TRUE(PollUntil([&] { return admin.FindNode(tls_guid).value_or(v1::Node()).charts() > 0; },
                        kDataTimeout));

  // The plain child is refused with Netdata's wording, and never becomes a node.
  const std::string refusal = absl::StrCat(
      "The server is configured to always use encrypted connections, please enable the SSL on "
      "child with hostname '",
      plain_child->hostname(), "'");
  EXPECT_TRUE(PollUntil([&] { return absl::StrContains(relay->Log(), refusal); }, kConnectTimeout))
      << relay->Log();
  EXPECT_TRUE(absl::IsNotFound(admin.FindNode(plain_guid).status()));
  // The child saw an HTTP error instead of a Netdata reply: not a link.
  EXPECT_TRUE(PollUntil(
      [&] {
        return absl::StrContains(plain_child->ErrorLog(), "remote node response is not understood");
      },
      kConnectTimeout))
      << Tail(plain_child->ErrorLog());
  EXPECT_FALSE(absl::StrContains(plain_child->ErrorLog(), "established link"))
      << Tail(plain_child->ErrorLog());
  ExpectCleanExit(*relay);
}

TEST_F(NetdataTlsTest, OptionalTlsAcceptsTlsAndPlainChildren) {
  auto relay = StartTlsRelay("^SSL=optional");
  ASSERT_TRUE(relay->ok());
  const std::string tls_guid = "e2e00000-0000-0000-0000-00000000b003";
  const std::string plain_guid = "e2e00000-0000-0000-0000-00000000b004";
  auto tls_child = StartChild("e2e-tls-optional", tls_guid, relay->address() + ":SSL");
  // Netdata 1.37.1 itself refuses this one once TLS is configured (netdata-peer README,
  // problem 8); ndrelay serves it.
  auto plain_child = StartChild("e2e-plain-on-optional", plain_guid, relay->address());
  ASSERT_TRUE(tls_child->ok() && plain_child->ok());

  EXPECT_FALSE(WaitForLink(*tls_child).empty()) << Tail(tls_child->ErrorLog());
  EXPECT_FALSE(WaitForLink(*plain_child).empty()) << Tail(plain_child->ErrorLog());
  AdminClient admin(relay->address(), cert_.cert_pem);
  ASSERT_TRUE(PollUntil([&] { return admin.Connected(tls_guid) && admin.Connected(plain_guid); },
                        kConnectTimeout))
      << relay->Log();
  auto tls_node = admin.FindNode(tls_guid);
  auto plain_node = admin.FindNode(plain_guid);
  ASSERT_TRUE(tls_node.ok() && plain_node.ok());
  EXPECT_TRUE(tls_node->tls());
  EXPECT_FALSE(plain_node->tls());
  // Both deliver data.
  for (const std::string& guid : {tls_guid, plain_guid}) {
    EXPECT_TRUE(PollUntil(
        [&] {
          auto r = admin.QueryData(guid, "system.cpu", -60, 0);
          return r.ok() && CompleteRows(*r) >= 2;
        },
        kDataTimeout))
        << guid;
  }
  EXPECT_FALSE(absl::StrContains(relay->Log(), "always use encrypted")) << relay->Log();
  ExpectCleanExit(*relay);
}

// ---- 3, 4. refusals ----

TEST_F(NetdataE2eTest, UnknownApiKeyIsRefusedAndTheChildSaysSo) {
  Relay relay(testutil::TestNetdataConf(state_), kStreamConf);
  ASSERT_TRUE(relay.ok()) << relay.Log();
  const std::string key = "99999999-8888-7777-6666-555555555555";
  const std::string guid = "e2e00000-0000-0000-0000-00000000c001";
  auto child = StartChild("e2e-wrong-key", guid, relay.address(), key);
  ASSERT_TRUE(child->ok());

  const std::string refused =
      absl::StrCat("API key '", key, "' is not allowed. Forbidding access.");
  EXPECT_TRUE(PollUntil([&] { return HasStreamLogLine(relay.Log(), refused); }, kConnectTimeout))
      << relay.Log();
  // The real child's wording for the 67-byte refusal (captures/rejected-wrong-key).
  EXPECT_TRUE(PollUntil(
      [&] {
        return absl::StrContains(
            child->ErrorLog(),
            "remote server denied access, probably we don't have the right API key?");
      },
      kConnectTimeout))
      << Tail(child->ErrorLog());
  EXPECT_FALSE(absl::StrContains(child->ErrorLog(), "established link"));
  AdminClient admin(relay.address(), "");
  EXPECT_TRUE(absl::IsNotFound(admin.FindNode(guid).status()));
  EXPECT_TRUE(
      absl::StrContains(relay.Log(), "'ACCESS DENIED - KEY NOT ENABLED' host 'e2e-wrong-key'"))
      << relay.Log();
  ExpectCleanExit(relay);
}

TEST_F(NetdataE2eTest, AllowFromExcludingLoopbackIsRefused) {
  Relay relay(testutil::TestNetdataConf(state_),
              absl::StrCat("[stream]\n    enabled = no\n[", kApiKey,
                           "]\n    type = api\n    enabled = yes\n"
                           "    allow from = !127.0.0.1 *\n"));
  ASSERT_TRUE(relay.ok()) << relay.Log();
  const std::string guid = "e2e00000-0000-0000-0000-00000000c002";
  auto child = StartChild("e2e-not-from-here", guid, relay.address());
  ASSERT_TRUE(child->ok());

  const std::string refused =
      absl::StrCat("API key '", kApiKey, "' is not permitted from this IP. Forbidding access.");
  EXPECT_TRUE(PollUntil([&] { return HasStreamLogLine(relay.Log(), refused); }, kConnectTimeout))
      << relay.Log();
  EXPECT_TRUE(
      PollUntil([&] { return absl::StrContains(child->ErrorLog(), "remote server denied access"); },
                kConnectTimeout))
      << Tail(child->ErrorLog());
  AdminClient admin(relay.address(), "");
  EXPECT_TRUE(absl::IsNotFound(admin.FindNode(guid).status()));
  ExpectCleanExit(relay);
}

// ---- 5. replication of an outage ----

TEST_F(NetdataE2eTest, RestartedRelayReplicatesTheWholeOutage) {
  const int port = testutil::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string conf = FixedPortNetdataConf(state_, port);
  auto relay = std::make_unique<Relay>(conf, kStreamConf);
  ASSERT_TRUE(relay->ok()) << relay->Log();
  ASSERT_EQ(relay->port(), port);
  const std::string guid = "e2e00000-0000-0000-0000-00000000d001";
  auto child = StartChild("e2e-replication", guid, relay->address(), kApiKey, true, "dbengine");
  ASSERT_TRUE(child->ok());

  // Stream for a while.
  int64_t first = 0;
  {
    AdminClient admin(relay->address(), "");
    ASSERT_TRUE(PollUntil(
        [&] {
          auto r = admin.QueryData(guid, "system.cpu", -120, 0);
          if (!r.ok() || CompleteRows(*r) == 0) {
            return false;
          }
          first = r->rows(0).time();
          return r->rows(r->rows_size() - 1).time() - first >= kSecondsBeforeOutage;
        },
        kDataTimeout))
        << relay->Log() << Tail(child->ErrorLog());
  }
  relay->Stop();
  relay.reset();
  const int64_t stop_time = NowS();
  ASSERT_GE(stop_time - kGapMargin, first) << "not enough history before the outage";

  std::this_thread::sleep_for(kOutage);  // the child keeps collecting, the relay is gone

  relay = std::make_unique<Relay>(conf, kStreamConf);
  ASSERT_TRUE(relay->ok()) << relay->Log();
  const int64_t restart_time = NowS();
  AdminClient admin(relay->address(), "");
  std::string progress;
  const bool replicated = PollUntil(
      [&] {
        auto n = admin.FindNode(guid);
        if (!n.ok() || !n->connected()) {
          progress = n.ok() ? "not connected" : n.status().ToString();
          return false;
        }
        progress = n->replication().DebugString();
        if (n->replication().charts_replicating() != 0 || n->replication().charts_done() == 0) {
          return false;
        }
        auto c = admin.GetChart(guid, "system.cpu");
        if (!c.ok() || c->replication_state() != "finished") {
          return false;
        }
        auto r = admin.QueryData(guid, "system.cpu", restart_time, 0);
        return r.ok() && r->rows_size() > 0 &&
               r->rows(r->rows_size() - 1).time() >= restart_time + kGapMargin;
      },
      kReplicationTimeout);
  ASSERT_TRUE(replicated) << "replication did not finish: " << progress << "\n"
                          << relay->Log() << Tail(child->ErrorLog());
  EXPECT_GE(CountOf(child->ErrorLog(), "established link with negotiated capabilities"), 2)
      << Tail(child->ErrorLog());

  // Every second of [stop - margin, restart + margin] is there, with the child's values.
  const int64_t from = stop_time - kGapMargin;
  const int64_t to = restart_time + kGapMargin;
  auto mine = admin.QueryData(guid, "system.cpu", from, to);
  ASSERT_TRUE(mine.ok()) << mine.status();
  std::vector<int64_t> holes;
  std::map<int64_t, const v1::DataRow*> by_time;
  for (const v1::DataRow& row : mine->rows()) {
    by_time[row.time()] = &row;
  }
  for (int64_t t = from; t <= to; ++t) {
    auto it = by_time.find(t);
    bool complete = it != by_time.end();
    for (int c = 0; complete && c < it->second->values_size(); ++c) {
      complete = !IsGap(*it->second, c);
    }
    if (!complete) {
      holes.push_back(t);
    }
  }
  EXPECT_TRUE(holes.empty()) << holes.size() << " seconds of " << to - from + 1
                             << " missing, first " << (holes.empty() ? 0 : holes.front())
                             << ", stop " << stop_time << ", restart " << restart_time << "\n"
                             << relay->Log();
  auto theirs = child->QueryData("system.cpu", from, to);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  int child_seconds = 0;
  for (const auto& [t, values] : theirs->rows) {
    bool complete = true;
    for (double v : values) {
      complete &= !std::isnan(v);
    }
    child_seconds += complete && t >= from && t <= to ? 1 : 0;
  }
  EXPECT_EQ(child_seconds, to - from + 1) << "the child itself has holes";
  const Comparison cmp = Compare(*theirs, *mine, from);
  EXPECT_GE(cmp.overlap, to - from + 1) << cmp.Describe();
  EXPECT_TRUE(cmp.missing.empty()) << cmp.Describe();
  EXPECT_TRUE(cmp.mismatches.empty()) << cmp.Describe();
  ExpectCleanExit(*relay);
}

}  // namespace
}  // namespace ndrelay
