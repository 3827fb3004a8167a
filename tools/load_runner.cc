#include "tools/load_runner.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "bridge/caps.h"
#include "conf/strings.h"
#include "tools/load_child.h"

namespace ndrelay::tools {
namespace {

double MonoNow() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int64_t WallNow() { return static_cast<int64_t>(::time(nullptr)); }

double CpuNow() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Each child needs one descriptor; ask for the hard limit when the soft one is too low.
void RaiseFdLimit(int children) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return;
  }
  const rlim_t want = static_cast<rlim_t>(children) + 64;
  if (rl.rlim_cur < want) {
    rl.rlim_cur = std::min(want, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

enum class ConnState : uint8_t { kConnecting, kHandshake, kStreaming, kFinishing, kClosed };

struct Conn {
  std::unique_ptr<LoadChild> child;
  int fd = -1;
  ConnState state = ConnState::kConnecting;
  std::string out;  // queued wire bytes: out[out_off..) not yet written
  size_t out_off = 0;
  uint64_t queued_total = 0;
  uint64_t written_total = 0;
  // (queued_total at the end of an iteration, samples in it), oldest first: a sample counts as
  // sent once every byte up to its iteration's end was written.
  std::deque<std::pair<uint64_t, uint64_t>> marks;
  uint64_t samples_generated = 0;
  uint64_t samples_sent = 0;
  uint64_t bytes_received = 0;
  int64_t next_iteration = 0;
  int64_t iterations = 0;
  bool want_out = false;
  bool shut_wr = false;
  double deadline = 0;  // handshake deadline

  size_t pending() const { return out.size() - out_off; }
};

class Runner {
 public:
  Runner(const LoadOptions& o, const std::atomic<bool>* stop)
      : o_(o),
        stop_(stop),
        shape_(o.charts, o.dims, o.update_every),
        rate_(o.rate_multiplier / o.update_every) {}

  ~Runner() {
    for (Conn& c : conns_) {
      if (c.fd >= 0) {
        close(c.fd);
      }
    }
    if (epfd_ >= 0) {
      close(epfd_);
    }
  }

  absl::StatusOr<LoadReport> Run();

 private:
  void Log(const Conn& c, std::string_view what) const {
    if (o_.verbose) {
      std::fprintf(stderr, "ndrelay-load: %s: %.*s\n", c.child->identity().hostname.c_str(),
                   static_cast<int>(what.size()), what.data());
    }
  }
  int64_t DueCount(double now) const {
    if (now < start_) {
      return 0;
    }
    return std::min<int64_t>(total_iterations_,
                             static_cast<int64_t>(std::floor((now - start_) * rate_)) + 1);
  }
  void StartConnect(size_t i);
  void OnEvent(Conn& c, uint32_t events);
  void OnConnected(Conn& c);
  void OnReadable(Conn& c);
  void Flush(Conn& c);
  void SetWantOut(Conn& c, bool want);
  void Close(Conn& c, int* counter, std::string_view why);
  void Generate(double now);

  const LoadOptions& o_;
  const std::atomic<bool>* stop_;
  const LoadShape shape_;
  const double rate_;  // iterations per real second
  int epfd_ = -1;
  LoopbackAddress addr_;
  std::vector<Conn> conns_;
  LoadReport r_;
  double start_ = 0;
  int64_t total_iterations_ = 0;
  int64_t t0_ = 0;  // end time of iteration 0's points
  bool generating_ = true;
  bool first_accept_ = true;
  // One read buffer for every connection (the runner is single-threaded).
  std::unique_ptr<char[]> read_buf_ = std::make_unique<char[]>(kReadChunkBytes);
};

void Runner::SetWantOut(Conn& c, bool want) {
  if (c.want_out == want || c.fd < 0) {
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u);
  ev.data.u64 = static_cast<uint64_t>(&c - conns_.data());
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.want_out = want;
}

void Runner::Close(Conn& c, int* counter, std::string_view why) {
  if (counter) {
    ++*counter;
  }
  if (!why.empty()) {
    Log(c, why);
  }
  if (c.fd >= 0) {
    epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
  }
  c.state = ConnState::kClosed;
}

void Runner::StartConnect(size_t i) {
  Conn& c = conns_[i];
  c.fd = socket(addr_.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    Close(c, &r_.connect_errors, conf::Cat("socket: ", std::strerror(errno)));
    return;
  }
  c.deadline = MonoNow() + o_.handshake_timeout_s;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  ev.data.u64 = i;
  c.want_out = true;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
    Close(c, &r_.connect_errors, conf::Cat("epoll_ctl: ", std::strerror(errno)));
    return;
  }
  if (connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_.addr), addr_.len) != 0 &&
      errno != EINPROGRESS) {
    Close(c, &r_.connect_errors, conf::Cat("connect: ", std::strerror(errno)));
  }
  // Completion (or failure) is reported as EPOLLOUT.
}

void Runner::OnConnected(Conn& c) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    Close(c, &r_.connect_errors, conf::Cat("connect: ", std::strerror(err ? err : errno)));
    return;
  }
  c.state = ConnState::kHandshake;
  const size_t before = c.out.size();
  c.out.append(c.child->Request());
  c.queued_total += c.out.size() - before;
  Flush(c);
}

void Runner::Flush(Conn& c) {
  while (c.fd >= 0 && c.pending() > 0) {
    const ssize_t n = send(c.fd, c.out.data() + c.out_off, c.pending(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      Close(c,
            c.state == ConnState::kStreaming || c.state == ConnState::kFinishing
                ? &r_.disconnects
                : &r_.bad_handshakes,
            conf::Cat("send: ", std::strerror(errno)));
      return;
    }
    c.out_off += static_cast<size_t>(n);
    c.written_total += static_cast<uint64_t>(n);
    r_.bytes_sent += static_cast<uint64_t>(n);
    while (!c.marks.empty() && c.marks.front().first <= c.written_total) {
      c.samples_sent += c.marks.front().second;
      c.marks.pop_front();
    }
  }
  if (c.fd < 0) {
    return;
  }
  if (c.pending() == 0) {
    c.out.clear();
    c.out_off = 0;
  } else if (c.out_off >= c.out.size() / 2) {
    // Compact once per flush, not per write.
    c.out.erase(0, c.out_off);
    c.out_off = 0;
  }
  if (c.state == ConnState::kFinishing && c.pending() == 0 && !c.shut_wr) {
    // Everything is out: half-close and wait for the parent to read it all and close.
    shutdown(c.fd, SHUT_WR);
    c.shut_wr = true;
  }
  SetWantOut(c, c.pending() > 0 || c.state == ConnState::kConnecting);
}

void Runner::OnReadable(Conn& c) {
  for (int reads = 0; reads < 16 && c.fd >= 0; ++reads) {
    const ssize_t n = recv(c.fd, read_buf_.get(), kReadChunkBytes, 0);
    const int err = errno;
    if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
      return;
    }
    if (n < 0 && err == EINTR) {
      continue;
    }
    const bool closed = n <= 0;
    const std::string_view bytes(read_buf_.get(), n > 0 ? static_cast<size_t>(n) : 0);
    c.bytes_received += bytes.size();
    r_.bytes_received += bytes.size();
    const int64_t now_s = WallNow();
    switch (c.state) {
      case ConnState::kHandshake: {
        const Handshake h = c.child->OnReply(bytes, closed);
        if (h == Handshake::kNeedMore) {
          break;
        }
        if (h == Handshake::kRejected) {
          Close(c, &r_.rejected, conf::Cat("rejected: '", c.child->reply(), "'"));
          return;
        }
        if (h == Handshake::kBad) {
          Close(c, &r_.bad_handshakes, conf::Cat("bad handshake reply: '", c.child->reply(), "'"));
          return;
        }
        ++r_.connected;
        if (first_accept_) {
          first_accept_ = false;
          r_.caps = c.child->caps();
        }
        const size_t before = c.out.size();
        if (absl::Status s = c.child->Start(now_s, &c.out); !s.ok()) {
          Close(c, &r_.internal_errors, s.ToString());
          return;
        }
        c.queued_total += c.out.size() - before;
        if (r_.dialect.empty()) {
          r_.dialect = c.child->v2() ? "v2" : "v1";
          r_.compression = c.child->compressed() ? "lz4" : "none";
        }
        Log(c, conf::Cat("accepted, caps ", c.child->caps(), " (",
                         bridge::CapsToString(c.child->caps()), ")"));
        c.state = generating_ ? ConnState::kStreaming : ConnState::kFinishing;
        // Iterations missed while connecting are skipped, not sent in a burst.
        c.next_iteration = std::max<int64_t>(0, DueCount(MonoNow()) - 1);
        Flush(c);
        if (closed && c.fd >= 0) {
          Close(c, &r_.disconnects, "closed right after the handshake");
        }
        break;
      }
      case ConnState::kStreaming:
      case ConnState::kFinishing: {
        if (closed) {
          if (c.state == ConnState::kFinishing && c.shut_wr) {
            Close(c, &r_.finished, "closed by the parent after our end of stream");
          } else {
            Close(
                c, &r_.disconnects,
                n == 0 ? "disconnected by the parent" : conf::Cat("recv: ", std::strerror(errno)));
          }
          return;
        }
        const size_t before = c.out.size();
        if (absl::Status s = c.child->OnParentBytes(bytes, now_s, &c.out); !s.ok()) {
          Close(c, &r_.internal_errors, s.ToString());
          return;
        }
        c.queued_total += c.out.size() - before;
        if (!c.shut_wr) {
          Flush(c);
        }
        break;
      }
      default:
        return;
    }
    if (closed) {
      return;
    }
  }
}

void Runner::OnEvent(Conn& c, uint32_t events) {
  if (c.state == ConnState::kConnecting) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
      OnConnected(c);
    }
    return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
    OnReadable(c);
  }
  if (c.fd >= 0 && (events & EPOLLOUT)) {
    Flush(c);
  }
}

void Runner::Generate(double now) {
  const int64_t due = DueCount(now);
  const int ue = o_.update_every;
  for (Conn& c : conns_) {
    if (c.state != ConnState::kStreaming) {
      continue;
    }
    bool produced = false;
    while (c.next_iteration < due && c.pending() < o_.max_pending_bytes) {
      const size_t before = c.out.size();
      absl::StatusOr<uint64_t> samples =
          c.child->Collect(t0_ + c.next_iteration * int64_t{ue}, &c.out);
      if (!samples.ok()) {
        Close(c, &r_.internal_errors, samples.status().ToString());
        break;
      }
      c.queued_total += c.out.size() - before;
      c.samples_generated += *samples;
      if (*samples > 0) {
        c.marks.emplace_back(c.queued_total, *samples);
      }
      ++c.next_iteration;
      ++c.iterations;
      produced = true;
    }
    if (produced && c.fd >= 0) {
      Flush(c);
    }
  }
}

absl::StatusOr<LoadReport> Runner::Run() {
  absl::StatusOr<LoopbackAddress> addr = ResolveLoopback(o_.host, o_.port);
  if (!addr.ok()) {
    return addr.status();
  }
  addr_ = *addr;
  RaiseFdLimit(o_.children);
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    return absl::InternalError(conf::Cat("epoll_create1: ", std::strerror(errno)));
  }
  const uint32_t offered = OfferedCaps(o_.protocol, o_.compression, o_.ieee754);
  conns_.resize(static_cast<size_t>(o_.children));
  for (int i = 0; i < o_.children; ++i) {
    conns_[static_cast<size_t>(i)].child = std::make_unique<LoadChild>(
        &shape_, i, o_.seed, MakeChildIdentity(o_.hostname_prefix, o_.seed, i), o_.api_key,
        offered);
  }
  r_.children = o_.children;
  r_.charts = int64_t{o_.children} * o_.charts;
  r_.metrics = r_.charts * o_.dims;

  const double cpu0 = CpuNow();
  start_ = MonoNow();
  total_iterations_ =
      std::max<int64_t>(1, static_cast<int64_t>(std::floor(o_.duration_s * rate_ + 1e-9)));
  // The last iteration's points end at about the wall clock of the end of the run.
  const int64_t wall_end = WallNow() + static_cast<int64_t>(std::llround(o_.duration_s));
  t0_ = wall_end - total_iterations_ * int64_t{o_.update_every};
  t0_ -= t0_ % o_.update_every;
  const double data_end = start_ + o_.duration_s;
  for (size_t i = 0; i < conns_.size(); ++i) {
    StartConnect(i);
  }

  std::vector<epoll_event> events(std::min<size_t>(conns_.size(), 1024) + 1);
  double drain_end = 0;
  while (true) {
    double now = MonoNow();
    if (generating_ && (now >= data_end || (stop_ && stop_->load()))) {
      Generate(now);  // iterations that fell due since the last pass
      generating_ = false;
      drain_end = now + o_.drain_timeout_s;
      for (Conn& c : conns_) {
        if (c.state == ConnState::kStreaming) {
          ++r_.streaming_at_end;
          r_.lagged_iterations += std::max<int64_t>(0, DueCount(now) - c.next_iteration);
          c.state = ConnState::kFinishing;
          Flush(c);
        } else if (c.state == ConnState::kConnecting || c.state == ConnState::kHandshake) {
          Close(c, &r_.handshake_timeouts, "no handshake before the end of the run");
        }
      }
    }
    bool open = false;
    for (const Conn& c : conns_) {
      open = open || c.fd >= 0;
    }
    if (!open || (!generating_ && now >= drain_end)) {
      // Every child is gone (or the drain time is up).
      break;
    }
    if (generating_) {
      Generate(now);
    }
    // Handshake deadlines.
    for (Conn& c : conns_) {
      if ((c.state == ConnState::kConnecting || c.state == ConnState::kHandshake) &&
          now >= c.deadline) {
        Close(c, &r_.handshake_timeouts, "handshake timeout");
      }
    }
    int wait_ms = kMaxPollWaitMs;
    if (generating_) {
      const double next_due = start_ + static_cast<double>(DueCount(now)) / rate_;
      wait_ms = std::clamp(static_cast<int>(std::ceil((next_due - now) * 1000)), 0, wait_ms);
    }
    const int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), wait_ms);
    if (n < 0 && errno != EINTR) {
      return absl::InternalError(conf::Cat("epoll_wait: ", std::strerror(errno)));
    }
    for (int i = 0; i < n; ++i) {
      Conn& c = conns_[static_cast<size_t>(events[static_cast<size_t>(i)].data.u64)];
      if (c.fd >= 0) {
        OnEvent(c, events[static_cast<size_t>(i)].events);
      }
    }
  }
  const double end = MonoNow();
  for (Conn& c : conns_) {
    if (c.fd >= 0) {
      const bool flushed = c.pending() == 0;
      Close(c, flushed ? &r_.finished : &r_.drain_timeouts,
            flushed ? "flushed; the parent did not close before the drain timeout"
                    : "drain timeout with bytes still queued");
    }
    r_.iterations += c.iterations;
    r_.samples_generated += c.samples_generated;
    r_.samples_sent += c.samples_sent;
    r_.plain_bytes += c.child->plain_bytes();
    r_.replay_requests += c.child->replay_requests();
    r_.unknown_replay_requests += c.child->unknown_replay_requests();
    if (c.child->caps() != 0) {
      r_.charts_waiting_replication +=
          static_cast<uint64_t>(shape_.charts() - c.child->charts_streaming());
    }
  }
  r_.elapsed_s = end - start_;
  r_.samples_per_s = r_.elapsed_s > 0 ? static_cast<double>(r_.samples_sent) / r_.elapsed_s : 0;
  r_.cpu_s = CpuNow() - cpu0;
  r_.cpu_pct = r_.elapsed_s > 0 ? 100 * r_.cpu_s / r_.elapsed_s : 0;
  if (r_.dialect.empty()) {
    r_.dialect = "none";
    r_.compression = "none";
  }
  return r_;
}

}  // namespace

absl::StatusOr<LoadReport> RunLoad(const LoadOptions& options, const std::atomic<bool>* stop) {
  Runner runner(options, stop);
  return runner.Run();
}

std::string FormatReport(const LoadReport& r) {
  return absl::StrFormat(
      "children=%d connected=%d streaming_at_end=%d finished=%d drain_timeouts=%d rejected=%d "
      "bad_handshakes=%d "
      "connect_errors=%d handshake_timeouts=%d disconnects=%d internal_errors=%d errors=%d "
      "caps=%u dialect=%s compression=%s charts=%d metrics=%d iterations=%d "
      "lagged_iterations=%d samples_generated=%u samples_sent=%u bytes_sent=%u plain_bytes=%u "
      "bytes_received=%u replay_requests=%u unknown_replay_requests=%u "
      "charts_waiting_replication=%u elapsed_s=%.3f samples_per_s=%.0f cpu_s=%.3f cpu_pct=%.1f",
      r.children, r.connected, r.streaming_at_end, r.finished, r.drain_timeouts, r.rejected,
      r.bad_handshakes, r.connect_errors, r.handshake_timeouts, r.disconnects, r.internal_errors,
      r.errors(), r.caps, r.dialect, r.compression, r.charts, r.metrics, r.iterations,
      r.lagged_iterations, r.samples_generated, r.samples_sent, r.bytes_sent, r.plain_bytes,
      r.bytes_received, r.replay_requests, r.unknown_replay_requests, r.charts_waiting_replication,
      r.elapsed_s, r.samples_per_s, r.cpu_s, r.cpu_pct);
}

}  // namespace ndrelay::tools
