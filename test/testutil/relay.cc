#include "test/testutil/relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

namespace ndrelay::testutil {

TestCert MakeTestCert(const TempDir& dir) {
  TestCert c;
  c.key_file = dir.path() + "/key.pem";
  c.cert_file = dir.path() + "/cert.pem";
  std::string out;
  RunCommand("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + c.key_file + " -out " +
                 c.cert_file +
                 " -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1",
             &out);
  c.cert_pem = ReadFileOrEmpty(c.cert_file);
  return c;
}

std::string TestNetdataConf(const TempDir& dir, const std::string& bind_suffix,
                            const std::string& extra) {
  return "[global]\n    hostname = ndrelay-test\n    memory mode = ram\n"
         "[web]\n    bind to = 127.0.0.1:0" +
         bind_suffix +
         "\n"
         "[directories]\n    lib = " +
         dir.path() + "/lib\n    cache = " + dir.path() + "/cache\n    log = " + dir.path() +
         "/log\n"
         "[registry]\n    netdata unique id file = " +
         dir.path() + "/lib/registry/netdata.public.unique.id\n" + extra;
}

Relay::Relay(const std::string& netdata_conf, const std::string& stream_conf) {
  dir_.Write("etc/netdata.conf", netdata_conf);
  dir_.Write("etc/stream.conf", stream_conf);
  const std::string port_file = dir_.path() + "/ports";
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{NdrelayBinary(), "--config-dir", dir_.path() + "/etc", "--port-file",
                               port_file, "--log-level", "debug"},
      dir_.path() + "/ndrelay.log");
  ok_ = WaitFor([&] { return !ReadFileOrEmpty(port_file).empty() || !process_->Running(); },
                std::chrono::seconds(20));
  std::string ports = ReadFileOrEmpty(port_file);
  if (!ok_ || ports.empty()) {
    ok_ = false;
    return;
  }
  address_ = ports.substr(0, ports.find('\n'));
  port_ = std::stoi(address_.substr(address_.rfind(':') + 1));
}

Relay::~Relay() {
  if (process_) {
    process_->Stop();
  }
}

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string ReadAll(int fd, std::chrono::milliseconds timeout, bool* closed) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (closed) {
    *closed = false;
  }
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return out;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return out;
    }
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      if (closed) {
        *closed = true;
      }
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace ndrelay::testutil
