#pragma once

// Netdata's LZ4 stream compression, child -> parent (netdata-stream-protocol.md §6, STYLE.md 12).
// On the wire every block is a 4-byte header, FA 80|(L&7F) 80|((L>>7)&7F) 0A, then L bytes of one
// raw LZ4 block of a single continuous LZ4 stream per connection (blocks refer back up to 64 KiB
// into earlier decoded data).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

union LZ4_stream_u;
union LZ4_streamDecode_u;

namespace ndrelay::bridge {

inline constexpr size_t kLz4HeaderBytes = 4;
// The header holds 14 bits of length.
inline constexpr size_t kLz4MaxHeaderLength = (size_t{1} << 14) - 1;
// Default largest compressed block L the decoder accepts: OLD senders may send up to 16384
// (which the 14-bit header caps at 16383 anyway); a NEW parent refuses L > 16255.
inline constexpr size_t kLz4MaxWireBlock = 16384;
// Largest decoded block: NEW refuses more, OLD senders never compress more per block.
inline constexpr size_t kLz4MaxDecodedBlock = 16384;
// What our sender puts in one block, in and out: NEW's COMPRESSION_MAX_MSG_SIZE (16384-128-1),
// which both OLD and NEW receivers accept.
inline constexpr size_t kLz4MaxSenderChunk = 16255;
// Decoder history ring: LZ4_DECODER_RING_BUFFER_SIZE(kLz4MaxDecodedBlock) = 64 KiB + 14 + 16 KiB.
inline constexpr size_t kLz4DecoderRingBytes = 65536 + 14 + kLz4MaxDecodedBlock;

// Appends the 4-byte header for a payload of `len` bytes. REQUIRES: len <= kLz4MaxHeaderLength.
void AppendLz4FrameHeader(size_t len, std::string* out);

// True when `header` (at least 4 bytes; only the first 4 are read) carries the signature (byte 0
// 0xFA, top bit set in bytes 1 and 2, byte 3 '\n'); then *len is the payload length.
bool ParseLz4FrameHeader(std::string_view header, size_t* len);

struct Lz4DecoderOptions {
  // Largest compressed block length L accepted; a larger header is an error (kBlockTooLarge).
  size_t max_block = kLz4MaxWireBlock;
  // OLD receiver behaviour: a 4-byte header without the signature is passed through as 4 plain
  // bytes and the next 4 bytes are read as a header. false = NEW behaviour: kNotFramed error.
  bool plain_passthrough = true;
};

enum class Lz4Feed { kData, kNeedMore, kError };
enum class Lz4Error { kNone, kBlockTooLarge, kEmptyBlock, kCorruptBlock, kNotFramed };

std::string_view Lz4ErrorName(Lz4Error error);

// Decodes one connection's compressed child->parent byte stream. Wire bytes may be split at any
// point (mid-header, mid-block): a partial frame is copied into a bounded internal buffer, a
// complete one is decompressed straight from the caller's bytes. Decoding uses
// LZ4_decompress_safe_continue into a ring of kLz4DecoderRingBytes; a block may not decode to
// more than kLz4MaxDecodedBlock bytes. Memory is allocated once, in the constructor.
//
// Usage (pull, no callbacks, no allocation per block):
//   std::string_view in = bytes_read, out;
//   Lz4Feed r;
//   while ((r = decoder.Next(&in, &out)) == Lz4Feed::kData) splitter.Append(out);
//   if (r == Lz4Feed::kError) close(decoder.error());
//
// One per connection; not thread-safe. Errors are final.
class Lz4StreamDecoder {
 public:
  explicit Lz4StreamDecoder(Lz4DecoderOptions options = {});
  ~Lz4StreamDecoder();
  Lz4StreamDecoder(const Lz4StreamDecoder&) = delete;
  Lz4StreamDecoder& operator=(const Lz4StreamDecoder&) = delete;

  // Consumes bytes from the front of *wire until it has output or runs out.
  // kData: *out holds decoded bytes (1..kLz4MaxDecodedBlock; or the 4 bytes of a passed-through
  //   unsigned header); call again, *wire may still hold bytes. *out points into this object or
  //   into the bytes *wire pointed at, and stays valid until the next call (and while those bytes
  //   are unchanged).
  // kNeedMore: *wire is empty; a partial frame (if any) is kept for the next call.
  // kError: the stream is broken (see error()); this and every later call return kError.
  Lz4Feed Next(std::string_view* wire, std::string_view* out);

  Lz4Error error() const { return error_; }
  // True between frames (nothing partial buffered): a clean place for the stream to end.
  bool AtFrameBoundary() const;

  uint64_t blocks() const { return blocks_; }                // LZ4 blocks decoded
  uint64_t wire_bytes() const { return wire_bytes_; }        // bytes consumed from *wire
  uint64_t decoded_bytes() const { return decoded_bytes_; }  // LZ4 output bytes
  uint64_t plain_passthrough_bytes() const { return plain_passthrough_bytes_; }
  uint64_t errors() const { return errors_; }

 private:
  enum class State { kHeader, kPayload };
  struct StreamDeleter {
    void operator()(LZ4_streamDecode_u* s) const;
  };

  Lz4Feed Fail(Lz4Error error);

  const Lz4DecoderOptions options_;
  std::unique_ptr<LZ4_streamDecode_u, StreamDeleter> stream_;
  std::unique_ptr<char[]> ring_;     // kLz4DecoderRingBytes: decoded history + output
  std::unique_ptr<char[]> payload_;  // options_.max_block: a block split across reads
  size_t ring_pos_ = 0;
  State state_ = State::kHeader;
  char header_[kLz4HeaderBytes] = {};
  size_t header_len_ = 0;
  size_t block_len_ = 0;
  size_t payload_len_ = 0;
  Lz4Error error_ = Lz4Error::kNone;
  uint64_t blocks_ = 0;
  uint64_t wire_bytes_ = 0;
  uint64_t decoded_bytes_ = 0;
  uint64_t plain_passthrough_bytes_ = 0;
  uint64_t errors_ = 0;
};

struct Lz4EncoderOptions {
  // BINARY negotiated: a block may end mid-line. Otherwise a block ends just after the last '\n'
  // within the chunk limit (or at the limit when the window has no '\n'), as Netdata's sender.
  bool binary = false;
  // Input bytes per block, clamped to [1, kLz4MaxSenderChunk]. The encoder also caps it at
  // kLz4MaxSafeInput so that the compressed L is <= kLz4MaxSenderChunk even for incompressible
  // input (no re-split needed).
  size_t max_chunk = kLz4MaxSenderChunk;
  int acceleration = 1;  // LZ4_compress_fast_continue acceleration; Netdata's default 1
};

// Largest input whose worst-case LZ4 output, LZ4_COMPRESSBOUND(n) = n + n/255 + 16, is
// <= kLz4MaxSenderChunk.
inline constexpr size_t kLz4MaxSafeInput = 16176;

// Our sender side (and the load generator's): one continuous LZ4 stream, each message cut into
// chunks and appended to a caller's string as framed blocks any Netdata receiver (OLD or NEW) and
// Lz4StreamDecoder accept. Memory (stream state + a 96 KiB input ring) is allocated once. One per
// connection; not thread-safe.
class Lz4StreamEncoder {
 public:
  explicit Lz4StreamEncoder(Lz4EncoderOptions options = {});
  ~Lz4StreamEncoder();
  Lz4StreamEncoder(const Lz4StreamEncoder&) = delete;
  Lz4StreamEncoder& operator=(const Lz4StreamEncoder&) = delete;

  // Appends `message` (any length; empty appends nothing) to *wire as one or more blocks.
  // Internal error: the stream state is lost; the connection must be re-established (Netdata
  // resets and renegotiates too).
  absl::Status Compress(std::string_view message, std::string* wire);

  // The input bytes of the next block when `rest` remains to be sent (exposed for tests).
  size_t NextChunk(std::string_view rest) const;

  uint64_t blocks() const { return blocks_; }
  uint64_t input_bytes() const { return input_bytes_; }
  uint64_t wire_bytes() const { return wire_bytes_; }

 private:
  struct StreamDeleter {
    void operator()(LZ4_stream_u* s) const;
  };

  const bool binary_;
  const size_t max_chunk_;
  const int acceleration_;
  std::unique_ptr<LZ4_stream_u, StreamDeleter> stream_;
  std::unique_ptr<char[]> ring_;  // kEncoderRingBytes of recent input (the LZ4 dictionary)
  size_t ring_pos_ = 0;
  bool broken_ = false;
  uint64_t blocks_ = 0;
  uint64_t input_bytes_ = 0;
  uint64_t wire_bytes_ = 0;
};

}  // namespace ndrelay::bridge
