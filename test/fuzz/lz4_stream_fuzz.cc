// Fuzzes the LZ4 stream decoder (and round-trips the encoder).
// Input: byte 0 = options: bits 0-6 the read size (0 = everything at once), bit 7 set = NEW
// behaviour (an unsigned header is an error instead of 4 plain bytes). The rest is wire bytes.
// Invariants (a violation traps):
//  - no output piece is empty or larger than kLz4MaxDecodedBlock;
//  - counters add up: output = decoded + passed-through bytes; without an error every byte fed
//    is consumed;
//  - an error is final;
//  - encoding the input and decoding it again gives the input back, block limits respected.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bridge/lz4_stream.h"

namespace {

using ndrelay::bridge::kLz4MaxDecodedBlock;
using ndrelay::bridge::kLz4MaxSenderChunk;
using ndrelay::bridge::Lz4DecoderOptions;
using ndrelay::bridge::Lz4EncoderOptions;
using ndrelay::bridge::Lz4Feed;
using ndrelay::bridge::Lz4StreamDecoder;
using ndrelay::bridge::Lz4StreamEncoder;

constexpr uint8_t kNewBehaviourBit = 0x80;
constexpr uint8_t kChunkMask = 0x7F;

void Check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const size_t chunk = (data[0] & kChunkMask) == 0 ? size : (data[0] & kChunkMask);
  const bool new_behaviour = (data[0] & kNewBehaviourBit) != 0;
  const std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);

  Lz4StreamDecoder decoder(Lz4DecoderOptions{.plain_passthrough = !new_behaviour});
  uint64_t output = 0;
  uint64_t fed = 0;
  Lz4Feed last = Lz4Feed::kNeedMore;
  for (size_t at = 0; at < wire.size() && last != Lz4Feed::kError; at += chunk) {
    std::string_view in = wire.substr(at, chunk);
    fed += in.size();
    std::string_view out;
    while ((last = decoder.Next(&in, &out)) == Lz4Feed::kData) {
      Check(!out.empty() && out.size() <= kLz4MaxDecodedBlock);
      output += out.size();
    }
    if (last == Lz4Feed::kNeedMore) {
      Check(in.empty());
    }
  }
  Check(output == decoder.decoded_bytes() + decoder.plain_passthrough_bytes());
  if (last == Lz4Feed::kError) {
    Check(decoder.errors() == 1);
    std::string_view more = "more";
    std::string_view out;
    Check(decoder.Next(&more, &out) == Lz4Feed::kError);
  } else {
    Check(decoder.wire_bytes() == fed && decoder.errors() == 0);
    Check(!new_behaviour || decoder.plain_passthrough_bytes() == 0);
  }

  // Encoder round trip over the same bytes.
  Lz4StreamEncoder encoder(Lz4EncoderOptions{.binary = (data[0] & 1) != 0});
  std::string encoded;
  Check(encoder.Compress(wire, &encoded).ok());
  Lz4StreamDecoder check(
      Lz4DecoderOptions{.max_block = kLz4MaxSenderChunk, .plain_passthrough = false});
  std::string_view in = encoded;
  std::string_view out;
  std::string decoded;
  while ((last = check.Next(&in, &out)) == Lz4Feed::kData) {
    decoded.append(out);
  }
  Check(last == Lz4Feed::kNeedMore && decoded == wire);
  return 0;
}
