#include "server/tls_hello.h"

#include <cstdint>

namespace ndrelay::server {
namespace {

constexpr uint8_t kRecordHandshake = 0x16;
constexpr uint8_t kHandshakeClientHello = 0x01;
constexpr uint16_t kExtServerName = 0;
constexpr uint16_t kExtAlpn = 16;

// A bounds-checked cursor over the reassembled handshake message.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool U8(uint32_t* v) { return Take(1, v); }
  bool U16(uint32_t* v) { return Take(2, v); }
  bool U24(uint32_t* v) { return Take(3, v); }
  bool Bytes(size_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) {
      return false;
    }
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool Skip(size_t n) {
    std::string_view ignored;
    return Bytes(n, &ignored);
  }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  bool Take(size_t n, uint32_t* v) {
    if (data_.size() - pos_ < n) {
      return false;
    }
    uint32_t r = 0;
    for (size_t i = 0; i < n; ++i) {
      r = (r << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    }
    pos_ += n;
    *v = r;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

bool ParseAlpn(std::string_view ext, ClientHello* out) {
  Reader r(ext);
  uint32_t list_len;
  if (!r.U16(&list_len) || list_len != r.remaining()) {
    return false;
  }
  while (r.remaining() > 0) {
    uint32_t n;
    std::string_view name;
    if (!r.U8(&n) || n == 0 || !r.Bytes(n, &name)) {
      return false;
    }
    out->alpn.emplace_back(name);
  }
  return true;
}

bool ParseSni(std::string_view ext, ClientHello* out) {
  Reader r(ext);
  uint32_t list_len;
  if (!r.U16(&list_len) || list_len != r.remaining()) {
    return false;
  }
  while (r.remaining() > 0) {
    uint32_t type, n;
    std::string_view name;
    if (!r.U8(&type) || !r.U16(&n) || !r.Bytes(n, &name)) {
      return false;
    }
    if (type == 0 && out->sni.empty()) {
      out->sni.assign(name);
    }
  }
  return true;
}

bool ParseHelloBody(std::string_view body, ClientHello* out) {
  Reader r(body);
  uint32_t n;
  if (!r.Skip(2 + 32)) {  // legacy_version, random
    return false;
  }
  if (!r.U8(&n) || !r.Skip(n)) {  // session id
    return false;
  }
  if (!r.U16(&n) || !r.Skip(n)) {  // cipher suites
    return false;
  }
  if (!r.U8(&n) || !r.Skip(n)) {  // compression methods
    return false;
  }
  if (r.remaining() == 0) {
    return true;  // no extensions at all
  }
  uint32_t ext_len;
  if (!r.U16(&ext_len) || ext_len > r.remaining()) {
    return false;
  }
  while (r.remaining() > 0) {
    uint32_t type, len;
    std::string_view ext;
    if (!r.U16(&type) || !r.U16(&len) || !r.Bytes(len, &ext)) {
      return false;
    }
    if (type == kExtAlpn && !ParseAlpn(ext, out)) {
      return false;
    }
    if (type == kExtServerName && !ParseSni(ext, out)) {
      return false;
    }
  }
  return true;
}

}  // namespace

HelloParse ParseClientHello(std::string_view bytes, ClientHello* out) {
  // Reassemble the handshake message from as many records as it spans.
  std::string message;
  size_t pos = 0;
  size_t need = 0;  // full handshake message length (header included), once known
  while (true) {
    if (bytes.size() - pos < 5) {
      return bytes.size() >= kMaxClientHelloBytes ? HelloParse::kNotHello : HelloParse::kNeedMore;
    }
    const auto b = [&](size_t i) { return static_cast<uint8_t>(bytes[pos + i]); };
    if (b(0) != kRecordHandshake || b(1) != 0x03) {
      return HelloParse::kNotHello;
    }
    const size_t record_len = (size_t{b(3)} << 8) | b(4);
    if (record_len == 0 || record_len > 16384 + 2048) {
      return HelloParse::kNotHello;
    }
    if (bytes.size() - pos - 5 < record_len) {
      return pos + 5 + record_len > kMaxClientHelloBytes ? HelloParse::kNotHello
                                                         : HelloParse::kNeedMore;
    }
    message.append(bytes.substr(pos + 5, record_len));
    pos += 5 + record_len;
    if (need == 0 && message.size() >= 4) {
      if (static_cast<uint8_t>(message[0]) != kHandshakeClientHello) {
        return HelloParse::kNotHello;
      }
      need =
          4 + ((size_t{static_cast<uint8_t>(message[1])} << 16) |
               (size_t{static_cast<uint8_t>(message[2])} << 8) | static_cast<uint8_t>(message[3]));
      if (need > kMaxClientHelloBytes) {
        return HelloParse::kNotHello;
      }
    }
    if (need != 0 && message.size() >= need) {
      break;
    }
  }
  out->alpn.clear();
  out->sni.clear();
  return ParseHelloBody(std::string_view(message).substr(4, need - 4), out) ? HelloParse::kDone
                                                                            : HelloParse::kNotHello;
}

}  // namespace ndrelay::server
