#include "bridge/caps.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gtest/gtest.h"
#include "test/testutil/captures.h"

namespace ndrelay::bridge {
namespace {

// Real Netdata 1.37.1 captures; NDRELAY_CAPTURES overrides the location.
std::filesystem::path CapturesDir() { return ndrelay::testutil::CapturesDir(); }

bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// VCAPS HLABELS CLAIM CLABELS COMPRESSION FUNCTIONS REPLICATION BINARY
constexpr uint32_t k137Reply = 16320;
constexpr uint32_t k137ReplyNoCompression = 15296;
constexpr uint32_t kNewChildAll = 536674296;  // 0x1FFCFFF8, §4.3
constexpr uint32_t kNewChildNoMlModels = 469565432;
constexpr uint32_t kOurFromNewChild =
    kCapVCaps | kCapHLabels | kCapClaim | kCapCLabels | kCapLz4 | kCapFunctions | kCapReplication |
    kCapBinary | kCapInterpolated | kCapIeee754 | kCapSlots | kCapProgress | kCapFuncDel;

TEST(CapsTest, ConstantsMatchNetdataValues) {
  EXPECT_EQ(kCapV1, 8u);
  EXPECT_EQ(kCapV2, 16u);
  EXPECT_EQ(kCapVN, 32u);
  EXPECT_EQ(kCapVCaps, 64u);
  EXPECT_EQ(kCapHLabels, 128u);
  EXPECT_EQ(kCapClaim, 256u);
  EXPECT_EQ(kCapCLabels, 512u);
  EXPECT_EQ(kCapLz4, 1024u);
  EXPECT_EQ(kCapFunctions, 2048u);
  EXPECT_EQ(kCapReplication, 4096u);
  EXPECT_EQ(kCapBinary, 8192u);
  EXPECT_EQ(kCapFuncDel, 1u << 28);
  EXPECT_EQ(kCapsNetdata137, 16376u);
  EXPECT_EQ(kCapsNetdata137 & ~kCapLz4, 15352u);
  EXPECT_EQ(kOurFromNewChild, 272957376u);
}

TEST(CapsTest, OurReceiverCapsAreExactlyTheImplementedSet) {
  const uint32_t ours = OurReceiverCaps();
  EXPECT_EQ(ours, kCapsNetdata137 | kCapInterpolated | kCapIeee754 | kCapSlots | kCapProgress |
                      kCapFuncDel);
  EXPECT_EQ(ours & (kCapZstd | kCapGzip | kCapBrotli), 0u);
  EXPECT_EQ(ours & (kCapNodeId | kCapPaths | kCapDyncfg | kCapMlModels | kCapFloatBaseline |
                    kCapDataWithMl | kCapDyncfgOld | kCapInvalid),
            0u);
}

struct ConvertCase {
  const char* name;
  uint64_t ver;
  uint32_t ours;
  uint32_t want;
};

TEST(CapsTest, ConvertVersionToCapsTable) {
  const uint32_t ours = OurReceiverCaps();
  const uint32_t legacy4 = kCapVN | kCapHLabels | kCapClaim | kCapCLabels;
  const ConvertCase cases[] = {
      {"1.37 child, 1.37 parent", 16376, kCapsNetdata137, k137Reply},
      {"1.37 child, no compression", 15352, kCapsNetdata137, k137ReplyNoCompression},
      {"1.37 parent without lz4", 16376, kCapsNetdata137 & ~kCapLz4, k137ReplyNoCompression},
      {"1.37 child, us", 16376, ours, k137Reply},
      {"1.37 child off, us", 15352, ours, k137ReplyNoCompression},
      {"NEW child, us", kNewChildAll, ours, kOurFromNewChild},
      {"NEW child no MLMODELS, us", kNewChildNoMlModels, ours, kOurFromNewChild},
      {"NEW child, 1.37 parent", kNewChildAll, kCapsNetdata137, k137Reply},
      {"legacy 0", 0, ours, kCapV1},
      {"legacy 1", 1, ours, kCapV1},
      {"legacy 2", 2, ours, kCapV2 | kCapHLabels},
      {"legacy 3", 3, ours, kCapVN | kCapHLabels | kCapClaim},
      {"legacy 4", 4, ours, legacy4},
      {"legacy 5", 5, ours, legacy4 | kCapLz4},
      {"legacy 5, we lack lz4", 5, ours & ~kCapLz4, legacy4},
      {"6 is a bitmask of unused bits", 6, ours, 0},
      {"VN clears V1 V2", kCapV1 | kCapV2 | kCapVN | kCapClaim, ours, kCapVN | kCapClaim},
      {"V2 clears V1", kCapV1 | kCapV2 | kCapHLabels, ours, kCapV2 | kCapHLabels},
      {"V1 alone stays", kCapV1 | kCapHLabels, ours, kCapV1 | kCapHLabels},
      {"high bits truncated to 32", (uint64_t{1} << 32) | 16376, ours, k137Reply},
      {"MLMODELS needs INTERPOLATED", kCapVCaps | kCapMlModels, ~0u, kCapVCaps},
      {"MLMODELS with INTERPOLATED", kCapVCaps | kCapMlModels | kCapInterpolated, ~0u,
       kCapVCaps | kCapMlModels | kCapInterpolated},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ConvertVersionToCaps(c.ver, c.ours), c.want) << c.name;
  }
}

struct NegotiateCase {
  const char* name;
  uint64_t child_ver;
  bool compression;
  uint32_t want_caps;
  Compression want_compression;
  std::string_view want_reply;
};

TEST(CapsTest, NegotiateAndReplyTable) {
  const NegotiateCase cases[] = {
      {"1.37 child", 16376, true, k137Reply, Compression::kLz4,
       "Hit me baby, push them over with the version=16320"},
      {"1.37 child, compression off here", 16376, false, k137ReplyNoCompression, Compression::kNone,
       "Hit me baby, push them over with the version=15296"},
      {"1.37 child without compression", 15352, true, k137ReplyNoCompression, Compression::kNone,
       "Hit me baby, push them over with the version=15296"},
      {"NEW child", kNewChildAll, true, kOurFromNewChild, Compression::kLz4,
       "Hit me baby, push them over with the version=272957376"},
      {"NEW child, compression off", kNewChildAll, false, kOurFromNewChild & ~kCapLz4,
       Compression::kNone, "Hit me baby, push them over with the version=272956352"},
      {"legacy 0", 0, true, kCapV1, Compression::kNone, kReplyV1},
      {"legacy 1", 1, true, kCapV1, Compression::kNone, kReplyV1},
      {"legacy 2", 2, true, kCapV2 | kCapHLabels, Compression::kNone, kReplyV2},
      {"legacy 3", 3, true, kCapVN | kCapHLabels | kCapClaim, Compression::kNone,
       "Hit me baby, push them over with the version=3"},
      {"legacy 4", 4, true, kCapVN | kCapHLabels | kCapClaim | kCapCLabels, Compression::kNone,
       "Hit me baby, push them over with the version=4"},
      {"legacy 5", 5, true, kCapVN | kCapHLabels | kCapClaim | kCapCLabels | kCapLz4,
       Compression::kLz4, "Hit me baby, push them over with the version=5"},
      {"legacy 5, compression off", 5, false, kCapVN | kCapHLabels | kCapClaim | kCapCLabels,
       Compression::kNone, "Hit me baby, push them over with the version=4"},
  };
  for (const auto& c : cases) {
    Negotiation n = Negotiate(ConvertVersionToCaps(c.child_ver, OurReceiverCaps()), c.compression);
    EXPECT_EQ(n.caps, c.want_caps) << c.name;
    EXPECT_EQ(n.compression, c.want_compression) << c.name;
    EXPECT_EQ(HandshakeReply(n.caps), c.want_reply) << c.name;
  }
}

TEST(CapsTest, NegotiateKeepsOnlyLz4AmongAlgorithms) {
  // Even if a caller forgets to AND with our caps, we never agree to an algorithm we lack.
  const uint32_t offered = kCapVCaps | kCapZstd | kCapLz4 | kCapGzip | kCapBrotli;
  EXPECT_EQ(Negotiate(offered, true), (Negotiation{kCapVCaps | kCapLz4, Compression::kLz4}));
  EXPECT_EQ(Negotiate(kCapVCaps | kCapZstd, true), (Negotiation{kCapVCaps, Compression::kNone}));
  EXPECT_EQ(Negotiate(offered, false), (Negotiation{kCapVCaps, Compression::kNone}));
}

TEST(CapsTest, ReplyMatchesRealCaptures) {
  struct {
    const char* file;
    uint64_t child_ver;
    bool compression;
  } cases[] = {
      {"compressed/conn1.reply.txt", 16376, true},
      {"uncompressed/conn1.reply.txt", 15352, true},
      {"replication/2-after-gap/conn1.reply.txt", 16376, true},
  };
  for (const auto& c : cases) {
    std::string want;
    if (!ReadFile(CapturesDir() / c.file, &want)) {
      GTEST_SKIP() << "captures not found in " << CapturesDir();
    }
    Negotiation n = Negotiate(ConvertVersionToCaps(c.child_ver, OurReceiverCaps()), c.compression);
    EXPECT_EQ(HandshakeReply(n.caps), want) << c.file;
  }
  std::string rejected;
  if (ReadFile(CapturesDir() / "rejected-wrong-key/conn1.reply.txt", &rejected)) {
    EXPECT_EQ(rejected, kReplyNotPermitted);
  }
}

TEST(CapsTest, ParseHandshakeReplyTable) {
  const std::string prefix(kReplyVersionPrefix);
  struct {
    std::string reply;
    std::optional<uint64_t> want;
  } cases[] = {
      {prefix + "16320", 16320},
      {prefix + "5", 5},
      {prefix + "16320 trailing", 16320},
      {prefix + "16320\nCLAIMED", 16320},
      {prefix, std::nullopt},                         // no digits: length must exceed prefix
      {prefix + "0", std::nullopt},                   // 0 is not a success
      {prefix + "x", std::nullopt},                   // reads as 0
      {prefix + std::string(29, '1'), UINT64_MAX},    // saturates, still within 29 bytes
      {prefix + std::string(30, '1'), std::nullopt},  // too long for the dynamic match
      {std::string(kReplyV2), 2},
      {std::string(kReplyV1), 1},
      {std::string(kReplyV1) + ".", std::nullopt},
      {std::string(kReplyNotPermitted), std::nullopt},
      {std::string(kReplyTooBusy), std::nullopt},
      {std::string(kReplyAlreadyStreaming), std::nullopt},
      {std::string(kReplyLocalhost), std::nullopt},
      {"HTTP/1.1 400 Bad Request\r\n\r\n", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseHandshakeReply(c.reply), c.want) << c.reply;
  }
}

TEST(CapsTest, ChildSideRoundTrip) {
  // Parent replies, the child parses and converts against its own caps (§4.4: reply ∩ child).
  for (uint64_t child_ver : {uint64_t{0}, uint64_t{2}, uint64_t{3}, uint64_t{4}, uint64_t{5},
                             uint64_t{15352}, uint64_t{16376}, uint64_t{kNewChildAll}}) {
    for (bool compression : {true, false}) {
      Negotiation n = Negotiate(ConvertVersionToCaps(child_ver, OurReceiverCaps()), compression);
      std::optional<uint64_t> v = ParseHandshakeReply(HandshakeReply(n.caps));
      ASSERT_TRUE(v.has_value()) << child_ver;
      const uint32_t child_caps =
          child_ver > kMaxLegacyVersion ? static_cast<uint32_t>(child_ver) : kCapsNetdata137;
      const uint32_t child_final = ConvertVersionToCaps(*v, child_caps);
      EXPECT_EQ((child_final & kCapLz4) != 0, n.compression == Compression::kLz4)
          << child_ver << " " << compression;
      if (n.caps & kCapVCaps) {
        EXPECT_EQ(child_final, n.caps);
      }
    }
  }
}

TEST(CapsTest, CapsToStringTable) {
  struct {
    uint32_t caps;
    std::string_view want;
  } cases[] = {
      {0, ""},
      {k137Reply, "VCAPS HLABELS CLAIM CLABELS COMPRESSION FUNCTIONS REPLICATION BINARY"},
      {kCapsNetdata137,
       "V1 V2 VN VCAPS HLABELS CLAIM CLABELS COMPRESSION FUNCTIONS REPLICATION BINARY"},
      {kCapInterpolated | kCapIeee754 | kCapDataWithMl | kCapSlots,
       "INTERPOLATED IEEE754 ML SLOTS"},
      {kCapZstd | kCapGzip | kCapBrotli | kCapProgress | kCapDyncfg | kCapNodeId | kCapPaths,
       "ZSTD GZIP BROTLI PROGRESS DYNCFG NODEID PATHS"},
      {kCapMlModels | kCapFloatBaseline | kCapFuncDel, "MLMODELS FLOATBASELINE FUNCDEL"},
      {1u | kCapDyncfgOld | (1u << 29) | kCapInvalid | (1u << 31),
       "BIT0 BIT17 BIT29 INVALID BIT31"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(CapsToString(c.caps), c.want) << c.caps;
  }
}

}  // namespace
}  // namespace ndrelay::bridge
