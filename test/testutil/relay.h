#pragma once

#include <memory>
#include <string>

#include "test/testutil/process.h"

namespace ndrelay::testutil {

// A self-signed certificate for localhost/127.0.0.1, made at test time (never committed).
struct TestCert {
  std::string key_file;
  std::string cert_file;
  std::string cert_pem;
};
TestCert MakeTestCert(const TempDir& dir);

// The real ndrelay binary on loopback: writes netdata.conf/stream.conf into a temp dir, starts
// the daemon with --port-file, waits until it listens, and stops it by PID on destruction.
class Relay {
 public:
  // `netdata_conf` must bind to 127.0.0.1:0 (or ^SSL variants); the real port is read back.
  Relay(const std::string& netdata_conf, const std::string& stream_conf);
  ~Relay();
  bool ok() const { return ok_; }
  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  int port() const { return port_; }
  std::string Log() const { return process_ ? process_->Log() : ""; }
  int Stop() { return process_ ? process_->Stop() : -1; }
  bool Running() { return process_ && process_->Running(); }
  const TempDir& dir() const { return dir_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  std::string address_;
  int port_ = 0;
  bool ok_ = false;
};

// A netdata.conf for tests: listener on 127.0.0.1:0 with `bind_suffix` (e.g. "^SSL=force"),
// state under `dir`, plus `extra` lines appended verbatim.
std::string TestNetdataConf(const TempDir& dir, const std::string& bind_suffix = "",
                            const std::string& extra = "");

// Connects a TCP socket to 127.0.0.1:port; -1 on failure.
int ConnectLoopback(int port);
// Reads until EOF or `timeout`; returns what came. Sets *closed when the peer closed.
std::string ReadAll(int fd, std::chrono::milliseconds timeout, bool* closed = nullptr);
bool SendAll(int fd, std::string_view bytes);

}  // namespace ndrelay::testutil
