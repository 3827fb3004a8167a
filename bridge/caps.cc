#include "bridge/caps.h"

#include <limits>

namespace ndrelay::bridge {
namespace {

constexpr uint32_t kOurReceiverCaps = kCapV1 | kCapV2 | kCapVN | kCapVCaps | kCapHLabels |
                                      kCapClaim | kCapCLabels | kCapLz4 | kCapFunctions |
                                      kCapReplication | kCapBinary | kCapInterpolated |
                                      kCapIeee754 | kCapSlots | kCapProgress | kCapFuncDel;

// The algorithms this build can decode; the others are never negotiated.
constexpr uint32_t kOurCompression = kCapLz4;

constexpr uint32_t kBitsPerCaps = 32;

struct CapName {
  uint32_t cap;
  std::string_view name;
};

// Netdata's names (§4.2); bit 10 under its 1.37 name. Bits not listed print as "BIT<n>".
constexpr CapName kCapNames[] = {
    {kCapV1, "V1"},
    {kCapV2, "V2"},
    {kCapVN, "VN"},
    {kCapVCaps, "VCAPS"},
    {kCapHLabels, "HLABELS"},
    {kCapClaim, "CLAIM"},
    {kCapCLabels, "CLABELS"},
    {kCapLz4, "COMPRESSION"},
    {kCapFunctions, "FUNCTIONS"},
    {kCapReplication, "REPLICATION"},
    {kCapBinary, "BINARY"},
    {kCapInterpolated, "INTERPOLATED"},
    {kCapIeee754, "IEEE754"},
    {kCapDataWithMl, "ML"},
    {kCapSlots, "SLOTS"},
    {kCapZstd, "ZSTD"},
    {kCapGzip, "GZIP"},
    {kCapBrotli, "BROTLI"},
    {kCapProgress, "PROGRESS"},
    {kCapDyncfg, "DYNCFG"},
    {kCapNodeId, "NODEID"},
    {kCapPaths, "PATHS"},
    {kCapMlModels, "MLMODELS"},
    {kCapFloatBaseline, "FLOATBASELINE"},
    {kCapFuncDel, "FUNCDEL"},
    {kCapInvalid, "INVALID"},
};

std::string_view CapNameOf(uint32_t cap) {
  for (const auto& c : kCapNames) {
    if (c.cap == cap) {
      return c.name;
    }
  }
  return {};
}

uint32_t LegacyVersionToCaps(uint64_t ver) {
  switch (ver) {
    case 0:
    case 1:
      return kCapV1;
    case 2:
      return kCapV2 | kCapHLabels;
    case 3:
      return kCapVN | kCapHLabels | kCapClaim;
    case 4:
      return kCapVN | kCapHLabels | kCapClaim | kCapCLabels;
    case 5:
      return kCapVN | kCapHLabels | kCapClaim | kCapCLabels | (kLz4BuiltIn ? kCapLz4 : 0u);
    default:
      // Netdata keeps the bitmask in a 32-bit word.
      return static_cast<uint32_t>(ver);
  }
}

}  // namespace

uint32_t ConvertVersionToCaps(uint64_t ver_or_legacy, uint32_t ours) {
  uint32_t caps = LegacyVersionToCaps(ver_or_legacy);
  if (caps & kCapVCaps) {
    caps &= ~(kCapV1 | kCapV2 | kCapVN);
  } else if (caps & kCapVN) {
    caps &= ~(kCapV1 | kCapV2);
  } else if (caps & kCapV2) {
    caps &= ~kCapV1;
  }
  caps &= ours;
  if (!(caps & kCapInterpolated)) {
    caps &= ~kCapMlModels;
  }
  return caps;
}

uint32_t OurReceiverCaps() { return kOurReceiverCaps; }

Negotiation Negotiate(uint32_t child_caps_converted, bool compression_enabled) {
  Negotiation n;
  n.caps = child_caps_converted;
  if (!compression_enabled) {
    n.caps &= ~kCapsAllCompression;
  } else {
    // Netdata's fixed preference is ZSTD > LZ4 > BROTLI > GZIP; of those only LZ4 is ours, so the
    // choice reduces to "LZ4 if offered".
    n.caps &= ~(kCapsAllCompression & ~kOurCompression);
  }
  n.compression = (n.caps & kCapLz4) ? Compression::kLz4 : Compression::kNone;
  return n;
}

std::string HandshakeReply(uint32_t caps) {
  if (caps & kCapVCaps) {
    return std::string(kReplyVersionPrefix) + std::to_string(caps);
  }
  if (caps & kCapVN) {
    int legacy = (caps & kCapLz4) ? 5 : (caps & kCapCLabels) ? 4 : 3;
    return std::string(kReplyVersionPrefix) + std::to_string(legacy);
  }
  if (caps & kCapV2) {
    return std::string(kReplyV2);
  }
  return std::string(kReplyV1);
}

std::optional<uint64_t> ParseHandshakeReply(std::string_view reply) {
  if (reply.size() > kReplyVersionPrefix.size() &&
      reply.size() <= kReplyVersionPrefix.size() + kMaxReplyVersionDigits &&
      reply.substr(0, kReplyVersionPrefix.size()) == kReplyVersionPrefix) {
    uint64_t v = 0;
    for (char c : reply.substr(kReplyVersionPrefix.size())) {
      if (c < '0' || c > '9') {
        break;
      }
      uint64_t digit = static_cast<uint64_t>(c - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
        v = std::numeric_limits<uint64_t>::max();
        break;
      }
      v = v * 10 + digit;
    }
    if (v == 0) {
      return std::nullopt;
    }
    return v;
  }
  if (reply == kReplyV2) {
    return 2;
  }
  if (reply == kReplyV1) {
    return 1;
  }
  return std::nullopt;
}

std::string CapsToString(uint32_t caps) {
  std::string out;
  for (uint32_t bit = 0; bit < kBitsPerCaps; ++bit) {
    if (!(caps & (1u << bit))) {
      continue;
    }
    if (!out.empty()) {
      out.push_back(' ');
    }
    const std::string_view name = CapNameOf(1u << bit);
    if (name.empty()) {
      out.append("BIT").append(std::to_string(bit));
    } else {
      out.append(name);
    }
  }
  return out;
}

}  // namespace ndrelay::bridge
