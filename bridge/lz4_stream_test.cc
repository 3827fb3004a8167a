#include "bridge/lz4_stream.h"

#include <lz4.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test/testutil/captures.h"

namespace ndrelay::bridge {
namespace {

std::filesystem::path CapturesDir() { return ndrelay::testutil::CapturesDir(); }

bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

struct Capture {
  std::string wire;     // c2s after the request
  std::string decoded;  // what the parent's parser saw
};

// Loads <dir>/<prefix>.c2s.bin minus the request (its length is that of <prefix>.request.txt).
bool LoadCapture(const std::string& dir, const std::string& prefix, Capture* c) {
  std::string bin;
  std::string request;
  const auto base = CapturesDir() / dir;
  if (!ReadFile(base / (prefix + ".c2s.bin"), &bin) ||
      !ReadFile(base / (prefix + ".request.txt"), &request) ||
      !ReadFile(base / (prefix + ".c2s.decoded.txt"), &c->decoded)) {
    return false;
  }
  if (bin.compare(0, request.size(), request) != 0) {
    ADD_FAILURE() << dir << ": request is not the start of c2s";
    return false;
  }
  c->wire = bin.substr(request.size());
  return true;
}

struct DecodeResult {
  std::string out;
  Lz4Feed last = Lz4Feed::kNeedMore;
  size_t max_piece = 0;
};

// Feeds `wire` in chunks whose sizes come from `next_chunk`. Each chunk is copied into a scratch
// buffer that is overwritten after use, so a decoder keeping a view into old input would fail.
template <typename NextChunk>
DecodeResult DecodeInChunks(Lz4StreamDecoder* d, std::string_view wire, NextChunk next_chunk) {
  DecodeResult r;
  std::string scratch;
  for (size_t at = 0; at < wire.size();) {
    const size_t n = std::min(next_chunk(), wire.size() - at);
    scratch.assign(wire.substr(at, n));
    at += n;
    std::string_view in = scratch;
    std::string_view out;
    while ((r.last = d->Next(&in, &out)) == Lz4Feed::kData) {
      r.out.append(out);
      r.max_piece = std::max(r.max_piece, out.size());
    }
    if (r.last == Lz4Feed::kError) {
      return r;
    }
    EXPECT_TRUE(in.empty());
    std::fill(scratch.begin(), scratch.end(), '\xAA');
  }
  return r;
}

DecodeResult DecodeAll(Lz4StreamDecoder* d, std::string_view wire) {
  return DecodeInChunks(d, wire, [&] { return wire.size() + 1; });
}

struct CaptureCase {
  const char* dir;
  const char* prefix;
  uint64_t frames;
};

const CaptureCase kCaptures[] = {
    {"compressed", "conn1", 6131},
    {"fake-parent-compression-yes", "fake1", 6177},
    {"replication/1-before-gap", "conn1", 6498},
    {"replication/2-after-gap", "conn1", 6046},  // the replication burst: blocks up to 16 KiB
    {"tls/decrypted", "conn1", 2026},
};

TEST(Lz4FrameHeaderTest, LayoutAndRoundTrip) {
  std::string h;
  AppendLz4FrameHeader(32, &h);  // the first frame of compressed/conn1
  EXPECT_EQ(h, std::string("\xfa\xa0\x80\x0a", 4));
  for (size_t len = 0; len <= kLz4MaxHeaderLength; ++len) {
    std::string s;
    AppendLz4FrameHeader(len, &s);
    size_t got = 99999;
    ASSERT_TRUE(ParseLz4FrameHeader(s, &got)) << len;
    ASSERT_EQ(got, len);
  }
  size_t len = 0;
  EXPECT_FALSE(ParseLz4FrameHeader("\xfa\x80\x80", &len));    // short
  EXPECT_FALSE(ParseLz4FrameHeader("SET ", &len));            // plain text
  EXPECT_FALSE(ParseLz4FrameHeader("\xfa\x20\x80\n", &len));  // b1 without top bit
  EXPECT_FALSE(ParseLz4FrameHeader("\xfa\x80\x00\n", &len));  // b2 without top bit
  EXPECT_FALSE(ParseLz4FrameHeader("\xfa\x80\x80\r", &len));  // b3 not '\n'
  EXPECT_FALSE(ParseLz4FrameHeader("\x7a\x80\x80\n", &len));  // 'z' without top bit
}

TEST(Lz4StreamDecoderTest, RealCapturesDecodeByteForByte) {
  for (const auto& c : kCaptures) {
    SCOPED_TRACE(c.dir);
    Capture cap;
    if (!LoadCapture(c.dir, c.prefix, &cap)) {
      GTEST_SKIP() << "captures not found in " << CapturesDir();
    }
    Lz4StreamDecoder d;
    DecodeResult r = DecodeAll(&d, cap.wire);
    EXPECT_EQ(r.last, Lz4Feed::kNeedMore) << Lz4ErrorName(d.error());
    EXPECT_TRUE(r.out == cap.decoded)
        << "decoded " << r.out.size() << " want " << cap.decoded.size();
    EXPECT_EQ(d.blocks(), c.frames);
    EXPECT_EQ(d.wire_bytes(), cap.wire.size());
    EXPECT_EQ(d.decoded_bytes(), cap.decoded.size());
    EXPECT_EQ(d.plain_passthrough_bytes(), 0u);
    EXPECT_EQ(d.errors(), 0u);
    EXPECT_TRUE(d.AtFrameBoundary());
    EXPECT_LE(r.max_piece, kLz4MaxDecodedBlock);
  }
}

TEST(Lz4StreamDecoderTest, ReplicationBurstHasFullSizeBlocks) {
  Capture cap;
  if (!LoadCapture("replication/2-after-gap", "conn1", &cap)) {
    GTEST_SKIP() << "captures not found";
  }
  Lz4StreamDecoder d(
      Lz4DecoderOptions{.max_block = kLz4MaxSenderChunk, .plain_passthrough = false});
  DecodeResult r = DecodeAll(&d, cap.wire);
  EXPECT_EQ(r.max_piece, kLz4MaxDecodedBlock);  // 1.37 compresses up to 16384 input bytes
  EXPECT_TRUE(r.out == cap.decoded);
}

TEST(Lz4StreamDecoderTest, OneByteAtATime) {
  for (const auto& c : kCaptures) {
    SCOPED_TRACE(c.dir);
    Capture cap;
    if (!LoadCapture(c.dir, c.prefix, &cap)) {
      GTEST_SKIP() << "captures not found";
    }
    Lz4StreamDecoder d;
    DecodeResult r = DecodeInChunks(&d, cap.wire, [] { return size_t{1}; });
    EXPECT_EQ(r.last, Lz4Feed::kNeedMore);
    EXPECT_TRUE(r.out == cap.decoded);
    EXPECT_EQ(d.blocks(), c.frames);
  }
}

TEST(Lz4StreamDecoderTest, RandomSplitPoints) {
  for (const auto& c : kCaptures) {
    SCOPED_TRACE(c.dir);
    Capture cap;
    if (!LoadCapture(c.dir, c.prefix, &cap)) {
      GTEST_SKIP() << "captures not found";
    }
    for (uint32_t seed : {1u, 2u, 3u}) {
      std::mt19937 rng(seed);
      // Mostly small reads (mid-header, mid-block), sometimes big ones (many blocks at once).
      std::uniform_int_distribution<size_t> small(1, 64);
      std::uniform_int_distribution<size_t> big(1, 70000);
      Lz4StreamDecoder d;
      DecodeResult r =
          DecodeInChunks(&d, cap.wire, [&] { return rng() % 4 == 0 ? big(rng) : small(rng); });
      EXPECT_EQ(r.last, Lz4Feed::kNeedMore) << seed;
      EXPECT_TRUE(r.out == cap.decoded) << seed;
    }
  }
}

TEST(Lz4StreamDecoderTest, EverySplitPointOfTheFirst4KiB) {
  Capture cap;
  if (!LoadCapture("compressed", "conn1", &cap)) {
    GTEST_SKIP() << "captures not found";
  }
  // Cut at a frame boundary so that the prefix decodes completely.
  std::string_view wire(cap.wire);
  size_t end = 0;
  for (size_t len = 0; end < 4096 && ParseLz4FrameHeader(wire.substr(end), &len);) {
    end += kLz4HeaderBytes + len;
  }
  wire = wire.substr(0, end);
  Lz4StreamDecoder whole_decoder;
  const std::string whole = DecodeAll(&whole_decoder, wire).out;
  ASSERT_FALSE(whole.empty());
  ASSERT_TRUE(cap.decoded.starts_with(whole));
  for (size_t k = 0; k <= wire.size(); ++k) {
    Lz4StreamDecoder d;
    std::vector<size_t> chunks = {k, wire.size() - k};
    size_t i = 0;
    DecodeResult r = DecodeInChunks(&d, wire, [&] { return std::max<size_t>(chunks[i++], 1); });
    ASSERT_TRUE(r.out == whole) << k;
    ASSERT_TRUE(d.AtFrameBoundary()) << k;
  }
}

TEST(Lz4StreamDecoderTest, PartialFrameNeedsMore) {
  Lz4StreamEncoder e;
  std::string wire;
  ASSERT_TRUE(e.Compress("CLAIMED_ID 00000000-0000-0000-0000-0000000000c1 NULL\n", &wire).ok());
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    Lz4StreamDecoder d;
    std::string_view in = std::string_view(wire).substr(0, cut);
    std::string_view out;
    EXPECT_EQ(d.Next(&in, &out), Lz4Feed::kNeedMore) << cut;
    EXPECT_TRUE(in.empty());
    EXPECT_EQ(d.AtFrameBoundary(), cut == 0) << cut;
    EXPECT_EQ(d.wire_bytes(), cut);
    std::string_view nothing;  // data() == nullptr
    EXPECT_EQ(d.Next(&nothing, &out), Lz4Feed::kNeedMore) << cut;
    std::string_view rest = std::string_view(wire).substr(cut);
    EXPECT_EQ(d.Next(&rest, &out), Lz4Feed::kData) << cut;
    EXPECT_EQ(out, "CLAIMED_ID 00000000-0000-0000-0000-0000000000c1 NULL\n");
  }
}

TEST(Lz4StreamDecoderTest, PlainBytesPassThroughFourAtATime) {
  Lz4StreamEncoder e;
  std::string wire = "SET ";
  ASSERT_TRUE(e.Compress("BEGIN x\n", &wire).ok());
  wire += "END\n";
  {
    Lz4StreamDecoder d;
    DecodeResult r = DecodeInChunks(&d, wire, [] { return size_t{3}; });
    EXPECT_EQ(r.last, Lz4Feed::kNeedMore);
    EXPECT_EQ(r.out, "SET BEGIN x\nEND\n");
    EXPECT_EQ(d.plain_passthrough_bytes(), 8u);
    EXPECT_EQ(d.blocks(), 1u);
    EXPECT_EQ(d.decoded_bytes(), 8u);
  }
  {
    Lz4StreamDecoder d(Lz4DecoderOptions{.plain_passthrough = false});
    DecodeResult r = DecodeAll(&d, wire);
    EXPECT_EQ(r.last, Lz4Feed::kError);
    EXPECT_EQ(d.error(), Lz4Error::kNotFramed);
    EXPECT_EQ(d.errors(), 1u);
    EXPECT_EQ(r.out, "");
  }
}

TEST(Lz4StreamDecoderTest, OversizeHeaderIsAnError) {
  const struct {
    size_t max_block;
    size_t len;
    bool error;
  } cases[] = {
      {kLz4MaxSenderChunk, kLz4MaxSenderChunk + 1, true},  // NEW's limit
      {kLz4MaxSenderChunk, kLz4MaxSenderChunk, false},
      {100, 101, true},
      {kLz4MaxWireBlock, kLz4MaxHeaderLength, false},  // the default takes every 14-bit length
  };
  for (const auto& c : cases) {
    std::string wire;
    AppendLz4FrameHeader(c.len, &wire);
    Lz4StreamDecoder d(Lz4DecoderOptions{.max_block = c.max_block});
    std::string_view in = wire;
    std::string_view out;
    EXPECT_EQ(d.Next(&in, &out), c.error ? Lz4Feed::kError : Lz4Feed::kNeedMore) << c.len;
    EXPECT_EQ(d.error(), c.error ? Lz4Error::kBlockTooLarge : Lz4Error::kNone) << c.len;
  }
}

TEST(Lz4StreamDecoderTest, EmptyBlockIsAnError) {
  std::string wire;
  AppendLz4FrameHeader(0, &wire);
  Lz4StreamDecoder d;
  std::string_view in = wire;
  std::string_view out;
  EXPECT_EQ(d.Next(&in, &out), Lz4Feed::kError);
  EXPECT_EQ(d.error(), Lz4Error::kEmptyBlock);
}

TEST(Lz4StreamDecoderTest, CorruptBlocksAreErrorsNotCrashes) {
  // A well-formed block that decodes to 1 + 20000 + 5 bytes: more than a block may hold.
  std::string too_big(
      "\x1f"
      "A"
      "\x01\x00",
      4);  // 1 literal, match offset 1, length 19 + ext
  size_t extra = 20000 - 19;
  for (; extra >= 255; extra -= 255) {
    too_big.push_back('\xff');
  }
  too_big.push_back(static_cast<char>(extra));
  too_big +=
      "\x50"
      "BBBBB";  // last sequence: 5 literals
  {
    std::vector<char> big(30000);
    ASSERT_EQ(LZ4_decompress_safe(too_big.data(), big.data(), static_cast<int>(too_big.size()),
                                  static_cast<int>(big.size())),
              20006);
  }
  // Hand-made blocks that cannot decode on a fresh stream.
  const std::string bad_blocks[] = {
      std::string("\x04\xff\xff", 3),      // match with offset 65535 and no history
      std::string("\xf0\xff\xff\xff", 4),  // literal length runs past the input
      std::string("\x10", 1),              // 1 literal announced, none present
      too_big,
  };
  for (const auto& block : bad_blocks) {
    std::string wire;
    AppendLz4FrameHeader(block.size(), &wire);
    wire += block;
    Lz4StreamDecoder d;
    DecodeResult r = DecodeAll(&d, wire);
    EXPECT_EQ(r.last, Lz4Feed::kError);
    EXPECT_EQ(d.error(), Lz4Error::kCorruptBlock);
    // Errors are final.
    std::string_view in = "more";
    std::string_view out;
    EXPECT_EQ(d.Next(&in, &out), Lz4Feed::kError);
  }
  // Real stream with damage: a block cut short (header shrunk by one byte) and random byte flips.
  Capture cap;
  if (!LoadCapture("compressed", "conn1", &cap)) {
    GTEST_SKIP() << "captures not found";
  }
  {
    std::string wire = cap.wire.substr(0, 36);  // first frame: 4 + 32
    wire[1] = static_cast<char>(0x80 | 31);
    wire.pop_back();
    Lz4StreamDecoder d;
    EXPECT_EQ(DecodeAll(&d, wire).last, Lz4Feed::kError);
  }
  std::mt19937 rng(7);
  const std::string_view prefix = std::string_view(cap.wire).substr(0, 20000);
  int errors = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string wire(prefix);
    for (int flips = 0; flips < 3; ++flips) {
      wire[rng() % wire.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    Lz4StreamDecoder d;
    DecodeResult r = DecodeAll(&d, wire);
    EXPECT_LE(r.max_piece, kLz4MaxDecodedBlock);
    errors += r.last == Lz4Feed::kError;
  }
  EXPECT_GT(errors, 0);
}

TEST(Lz4StreamEncoderTest, NextChunkCutsAfterTheLastNewline) {
  Lz4StreamEncoder text(Lz4EncoderOptions{.max_chunk = 10});
  Lz4StreamEncoder binary(Lz4EncoderOptions{.binary = true, .max_chunk = 10});
  const struct {
    std::string_view rest;
    size_t text;
    size_t binary;
  } cases[] = {
      {"", 0, 0},
      {"abc\n", 4, 4},
      {"0123456789", 10, 10},
      {"0123456789X", 10, 10},  // no '\n' in the window: cut at the limit
      {"ab\ncd\nefghijk", 6, 10},
      {"abcdefghi\nX", 10, 10},
      {"abcdefghij\n", 10, 10},
      {"\nbcdefghijkl", 1, 10},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(text.NextChunk(c.rest), c.text) << c.rest;
    EXPECT_EQ(binary.NextChunk(c.rest), c.binary) << c.rest;
  }
  Lz4StreamEncoder deflt;
  std::string big(100000, 'x');
  EXPECT_EQ(deflt.NextChunk(big), kLz4MaxSafeInput);
  Lz4StreamEncoder zero(Lz4EncoderOptions{.max_chunk = 0});
  EXPECT_EQ(zero.NextChunk("ab"), 1u);
}

// An independent reference decoder: keeps all output, decodes each block with the previous
// 64 KiB as dictionary (what any LZ4 streaming receiver does, whatever its ring size).
std::string ReferenceDecode(std::string_view wire, std::vector<size_t>* decoded_sizes,
                            std::vector<size_t>* wire_sizes) {
  std::string out;
  std::vector<char> dst(kLz4MaxDecodedBlock);
  size_t len = 0;
  while (ParseLz4FrameHeader(wire, &len)) {
    wire.remove_prefix(kLz4HeaderBytes);
    const size_t dict = std::min<size_t>(out.size(), 65536);
    int n = LZ4_decompress_safe_usingDict(wire.data(), dst.data(), static_cast<int>(len),
                                          static_cast<int>(dst.size()),
                                          out.data() + out.size() - dict, static_cast<int>(dict));
    EXPECT_GE(n, 0);
    if (n < 0) {
      break;
    }
    out.append(dst.data(), static_cast<size_t>(n));
    decoded_sizes->push_back(static_cast<size_t>(n));
    wire_sizes->push_back(len);
    wire.remove_prefix(len);
  }
  EXPECT_TRUE(wire.empty());
  return out;
}

// ~`total` bytes of Netdata-like lines, with some long lines and some incompressible ones.
std::vector<std::string> GenerateMessages(size_t total, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> messages;
  size_t produced = 0;
  while (produced < total) {
    std::string m;
    const size_t target = 1 + rng() % (rng() % 8 == 0 ? 100000 : 3000);
    while (m.size() < target) {
      switch (rng() % 10) {
        case 0: {  // a long line, still <= 15 KiB
          m += "CLABEL \"" + std::string(rng() % 15000, static_cast<char>('a' + rng() % 26)) +
               "\" \"v\" 1\n";
          break;
        }
        case 1: {  // incompressible bytes, no newline inside
          std::string junk(rng() % 2000, '\0');
          for (char& ch : junk) {
            ch = static_cast<char>(rng() % 255 + 1);
            if (ch == '\n') {
              ch = ' ';
            }
          }
          m += "JUNK " + junk + "\n";
          break;
        }
        default:
          m += "BEGIN \"system.cpu" + std::to_string(rng() % 50) + "\" " +
               std::to_string(rng() % 2000000) + "\nSET \"user\" = " + std::to_string(rng()) +
               "\nSET \"system\" = " + std::to_string(rng() % 1000) + "\nEND\n";
      }
    }
    produced += m.size();
    messages.push_back(std::move(m));
  }
  return messages;
}

TEST(Lz4StreamEncoderTest, TenMegabyteRoundTrip) {
  for (bool binary : {false, true}) {
    SCOPED_TRACE(binary ? "binary" : "text");
    const auto messages = GenerateMessages(10 * 1024 * 1024, binary ? 11 : 12);
    Lz4StreamEncoder e(Lz4EncoderOptions{.binary = binary});
    std::string wire;
    std::string want;
    for (const auto& m : messages) {
      ASSERT_TRUE(e.Compress(m, &wire).ok());
      want += m;
    }
    EXPECT_EQ(e.input_bytes(), want.size());
    EXPECT_EQ(e.wire_bytes(), wire.size());

    // Our decoder, at random split points.
    std::mt19937 rng(5);
    Lz4StreamDecoder d(
        Lz4DecoderOptions{.max_block = kLz4MaxSenderChunk, .plain_passthrough = false});
    DecodeResult r = DecodeInChunks(&d, wire, [&] { return size_t{1} + rng() % 40000; });
    EXPECT_EQ(r.last, Lz4Feed::kNeedMore) << Lz4ErrorName(d.error());
    EXPECT_TRUE(r.out == want);
    EXPECT_EQ(d.blocks(), e.blocks());

    // An independent decoder, and the block limits both Netdata receivers require.
    std::vector<size_t> decoded_sizes;
    std::vector<size_t> wire_sizes;
    EXPECT_TRUE(ReferenceDecode(wire, &decoded_sizes, &wire_sizes) == want);
    ASSERT_EQ(decoded_sizes.size(), e.blocks());
    EXPECT_LE(*std::max_element(decoded_sizes.begin(), decoded_sizes.end()), kLz4MaxSenderChunk);
    EXPECT_LE(*std::max_element(wire_sizes.begin(), wire_sizes.end()), kLz4MaxSenderChunk);
    // Text mode: every block ends at a line end (all lines here are <= 15 KiB).
    size_t at = 0;
    size_t full_blocks = 0;
    for (size_t n : decoded_sizes) {
      at += n;
      if (!binary) {
        EXPECT_EQ(want[at - 1], '\n') << at;
      }
      full_blocks += n == kLz4MaxSafeInput;
    }
    if (binary) {
      EXPECT_GT(full_blocks, 0u);
    }
  }
}

TEST(Lz4StreamEncoderTest, IncompressibleInputStaysWithinTheWireLimit) {
  std::mt19937 rng(3);
  std::string noise(1 << 20, '\0');
  for (char& c : noise) {
    c = static_cast<char>(rng());
  }
  Lz4StreamEncoder e(Lz4EncoderOptions{.binary = true});
  std::string wire;
  ASSERT_TRUE(e.Compress(noise, &wire).ok());
  std::vector<size_t> decoded_sizes;
  std::vector<size_t> wire_sizes;
  EXPECT_TRUE(ReferenceDecode(wire, &decoded_sizes, &wire_sizes) == noise);
  EXPECT_GT(*std::max_element(wire_sizes.begin(), wire_sizes.end()), kLz4MaxSafeInput);
  EXPECT_LE(*std::max_element(wire_sizes.begin(), wire_sizes.end()), kLz4MaxSenderChunk);
}

TEST(Lz4StreamEncoderTest, EmptyMessageAppendsNothing) {
  Lz4StreamEncoder e;
  std::string wire = "keep";
  ASSERT_TRUE(e.Compress("", &wire).ok());
  EXPECT_EQ(wire, "keep");
  EXPECT_EQ(e.blocks(), 0u);
}

TEST(Lz4StreamEncoderTest, ReencodingARealSessionRoundTrips) {
  Capture cap;
  if (!LoadCapture("replication/2-after-gap", "conn1", &cap)) {
    GTEST_SKIP() << "captures not found";
  }
  Lz4StreamEncoder e;
  std::string wire;
  ASSERT_TRUE(e.Compress(cap.decoded, &wire).ok());
  Lz4StreamDecoder d;
  DecodeResult r = DecodeInChunks(&d, wire, [] { return size_t{4093}; });
  EXPECT_TRUE(r.out == cap.decoded);
  EXPECT_LT(wire.size(), cap.decoded.size() / 3);
}

}  // namespace
}  // namespace ndrelay::bridge
