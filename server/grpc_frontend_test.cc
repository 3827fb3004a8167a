#include "server/grpc_frontend.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "server/host_registry.h"

namespace ndrelay::server {
namespace {

// True when the peer of `fd` closed it (EOF within a second).
bool PeerClosed(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 1000) != 1) {
    return false;
  }
  char c;
  return ::read(fd, &c, 1) == 0;
}

// A listening loopback socket, as the listener's fd handed along with a connection.
int ListeningSocket() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::listen(fd, 1) != 0) {
    return -1;
  }
  return fd;
}

TEST(GrpcFrontendTest, ServerIsBuiltByTheFirstHandOffAndNeverAfterStopAccepting) {
  RelayInfo info;
  HostRegistry registry;
  const int listener = ListeningSocket();
  ASSERT_GE(listener, 0);
  {
    // Stopped before any connection: the socket is closed, no server is built.
    auto frontend = GrpcFrontend::Start(info, nullptr, &registry);
    ASSERT_TRUE(frontend.ok()) << frontend.status();
    EXPECT_FALSE((*frontend)->server_started());
    (*frontend)->StopAccepting();
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    (*frontend)->HandOff(sv[0], listener, /*tls=*/false);
    EXPECT_TRUE(PeerClosed(sv[1]));
    EXPECT_FALSE((*frontend)->server_started());
    (*frontend)->Shutdown();
    ::close(sv[1]);
  }
  {
    // The first hand-off builds it; a TLS hand-off without a TLS context is closed.
    auto frontend = GrpcFrontend::Start(info, nullptr, &registry);
    ASSERT_TRUE(frontend.ok()) << frontend.status();
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    (*frontend)->HandOff(sv[0], listener, /*tls=*/false);
    EXPECT_TRUE((*frontend)->server_started());
    int tv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, tv), 0);
    (*frontend)->HandOff(tv[0], listener, /*tls=*/true);
    EXPECT_TRUE(PeerClosed(tv[1]));
    ::close(sv[1]);
    ::close(tv[1]);
    (*frontend)->Shutdown();
    (*frontend)->Shutdown();  // idempotent
  }
  ::close(listener);
}

}  // namespace
}  // namespace ndrelay::server
