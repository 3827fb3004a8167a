#include "bridge/lz4_stream.h"

#include <lz4.h>

#include <algorithm>
#include <cstring>

namespace ndrelay::bridge {
namespace {

constexpr unsigned char kSignature0 = 0xFA;  // 'z' | 0x80
constexpr unsigned char kLengthFlag = 0x80;
constexpr unsigned char kLengthMask = 0x7F;
constexpr unsigned char kSignature3 = '\n';
constexpr int kLengthShift = 7;

// The encoder's input ring: the last 64 KiB (LZ4's window) plus room for two chunks, so a chunk
// written after wrapping to 0 never overlaps the window of the previous block.
constexpr size_t kEncoderRingBytes = 65536 + 2 * 16384;

static_assert(kLz4DecoderRingBytes ==
              static_cast<size_t>(LZ4_DECODER_RING_BUFFER_SIZE(kLz4MaxDecodedBlock)));
static_assert(LZ4_COMPRESSBOUND(kLz4MaxSafeInput) <= kLz4MaxSenderChunk);
static_assert(LZ4_COMPRESSBOUND(kLz4MaxSafeInput + 1) > kLz4MaxSenderChunk);
static_assert(kLz4MaxSenderChunk <= kLz4MaxHeaderLength);
static_assert(kLz4MaxSenderChunk <= kLz4MaxDecodedBlock);

void WriteHeader(size_t len, char* dst) {
  dst[0] = static_cast<char>(kSignature0);
  dst[1] = static_cast<char>(kLengthFlag | (len & kLengthMask));
  dst[2] = static_cast<char>(kLengthFlag | ((len >> kLengthShift) & kLengthMask));
  dst[3] = static_cast<char>(kSignature3);
}

}  // namespace

void AppendLz4FrameHeader(size_t len, std::string* out) {
  char header[kLz4HeaderBytes];
  WriteHeader(len, header);
  out->append(header, kLz4HeaderBytes);
}

bool ParseLz4FrameHeader(std::string_view header, size_t* len) {
  if (header.size() < kLz4HeaderBytes) {
    return false;
  }
  const auto b0 = static_cast<unsigned char>(header[0]);
  const auto b1 = static_cast<unsigned char>(header[1]);
  const auto b2 = static_cast<unsigned char>(header[2]);
  const auto b3 = static_cast<unsigned char>(header[3]);
  if (b0 != kSignature0 || !(b1 & kLengthFlag) || !(b2 & kLengthFlag) || b3 != kSignature3) {
    return false;
  }
  *len = static_cast<size_t>(b1 & kLengthMask) |
         (static_cast<size_t>(b2 & kLengthMask) << kLengthShift);
  return true;
}

std::string_view Lz4ErrorName(Lz4Error error) {
  switch (error) {
    case Lz4Error::kNone:
      return "none";
    case Lz4Error::kBlockTooLarge:
      return "compressed block too large";
    case Lz4Error::kEmptyBlock:
      return "empty compressed block";
    case Lz4Error::kCorruptBlock:
      return "LZ4 decompression failed";
    case Lz4Error::kNotFramed:
      return "uncompressed data in compressed stream";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Decoder

void Lz4StreamDecoder::StreamDeleter::operator()(LZ4_streamDecode_u* s) const {
  LZ4_freeStreamDecode(s);
}

Lz4StreamDecoder::Lz4StreamDecoder(Lz4DecoderOptions options)
    : options_{std::min(options.max_block, kLz4MaxHeaderLength), options.plain_passthrough},
      stream_(LZ4_createStreamDecode()),
      ring_(new char[kLz4DecoderRingBytes]),
      payload_(new char[std::max<size_t>(options_.max_block, 1)]) {
  // LZ4_createStreamDecode only fails when out of memory; so would `new` above.
  LZ4_setStreamDecode(stream_.get(), nullptr, 0);
}

Lz4StreamDecoder::~Lz4StreamDecoder() = default;

bool Lz4StreamDecoder::AtFrameBoundary() const {
  return state_ == State::kHeader && header_len_ == 0;
}

Lz4Feed Lz4StreamDecoder::Fail(Lz4Error error) {
  error_ = error;
  ++errors_;
  return Lz4Feed::kError;
}

Lz4Feed Lz4StreamDecoder::Next(std::string_view* wire, std::string_view* out) {
  if (error_ != Lz4Error::kNone) {
    return Lz4Feed::kError;
  }
  for (;;) {
    if (state_ == State::kHeader) {
      const char* header;
      if (header_len_ == 0 && wire->size() >= kLz4HeaderBytes) {
        header = wire->data();  // the whole header is here: no copy
        wire_bytes_ += kLz4HeaderBytes;
        wire->remove_prefix(kLz4HeaderBytes);
      } else {
        if (wire->empty()) {
          return Lz4Feed::kNeedMore;  // (also keeps a null data() away from memcpy)
        }
        const size_t take = std::min(kLz4HeaderBytes - header_len_, wire->size());
        std::memcpy(header_ + header_len_, wire->data(), take);
        header_len_ += take;
        wire_bytes_ += take;
        wire->remove_prefix(take);
        if (header_len_ < kLz4HeaderBytes) {
          return Lz4Feed::kNeedMore;
        }
        header_len_ = 0;
        header = header_;
      }
      size_t len = 0;
      if (!ParseLz4FrameHeader(std::string_view(header, kLz4HeaderBytes), &len)) {
        if (!options_.plain_passthrough) {
          return Fail(Lz4Error::kNotFramed);
        }
        // OLD: "multiplexed uncompressed data in compressed stream"; hand the 4 bytes on.
        plain_passthrough_bytes_ += kLz4HeaderBytes;
        *out = std::string_view(header, kLz4HeaderBytes);
        return Lz4Feed::kData;
      }
      if (len > options_.max_block) {
        return Fail(Lz4Error::kBlockTooLarge);
      }
      if (len == 0) {
        return Fail(Lz4Error::kEmptyBlock);  // not a valid LZ4 block
      }
      block_len_ = len;
      payload_len_ = 0;
      state_ = State::kPayload;
    }

    const char* src;
    if (payload_len_ == 0 && wire->size() >= block_len_) {
      src = wire->data();  // the whole block is here: no copy
      wire_bytes_ += block_len_;
      wire->remove_prefix(block_len_);
    } else {
      if (wire->empty()) {
        return Lz4Feed::kNeedMore;
      }
      const size_t take = std::min(block_len_ - payload_len_, wire->size());
      std::memcpy(payload_.get() + payload_len_, wire->data(), take);
      payload_len_ += take;
      wire_bytes_ += take;
      wire->remove_prefix(take);
      if (payload_len_ < block_len_) {
        return Lz4Feed::kNeedMore;
      }
      src = payload_.get();
    }
    payload_len_ = 0;
    state_ = State::kHeader;

    // lz4.h ring rule: blocks are decoded next to each other until fewer than max-block bytes
    // remain, then from the start; with a ring of 64 KiB + 14 + max-block the history is intact.
    if (ring_pos_ + kLz4MaxDecodedBlock > kLz4DecoderRingBytes) {
      ring_pos_ = 0;
    }
    char* dst = ring_.get() + ring_pos_;
    const int n =
        LZ4_decompress_safe_continue(stream_.get(), src, dst, static_cast<int>(block_len_),
                                     static_cast<int>(kLz4MaxDecodedBlock));
    if (n < 0) {
      return Fail(Lz4Error::kCorruptBlock);
    }
    ++blocks_;
    decoded_bytes_ += static_cast<uint64_t>(n);
    ring_pos_ += static_cast<size_t>(n);
    if (n > 0) {
      *out = std::string_view(dst, static_cast<size_t>(n));
      return Lz4Feed::kData;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Encoder

void Lz4StreamEncoder::StreamDeleter::operator()(LZ4_stream_u* s) const { LZ4_freeStream(s); }

Lz4StreamEncoder::Lz4StreamEncoder(Lz4EncoderOptions options)
    : binary_(options.binary),
      max_chunk_(std::clamp<size_t>(options.max_chunk, 1, kLz4MaxSafeInput)),
      acceleration_(options.acceleration),
      stream_(LZ4_createStream()),
      ring_(new char[kEncoderRingBytes]) {}

Lz4StreamEncoder::~Lz4StreamEncoder() = default;

size_t Lz4StreamEncoder::NextChunk(std::string_view rest) const {
  if (rest.size() <= max_chunk_) {
    return rest.size();
  }
  if (binary_) {
    return max_chunk_;
  }
  const size_t nl = rest.substr(0, max_chunk_).rfind('\n');
  return nl == std::string_view::npos ? max_chunk_ : nl + 1;
}

absl::Status Lz4StreamEncoder::Compress(std::string_view message, std::string* wire) {
  if (broken_ || stream_ == nullptr) {
    return absl::FailedPreconditionError("LZ4 stream is broken");
  }
  while (!message.empty()) {
    const size_t chunk = NextChunk(message);
    if (ring_pos_ + chunk > kEncoderRingBytes) {
      ring_pos_ = 0;
    }
    char* src = ring_.get() + ring_pos_;
    std::memcpy(src, message.data(), chunk);

    const size_t at = wire->size();
    const int bound = LZ4_compressBound(static_cast<int>(chunk));
    wire->resize(at + kLz4HeaderBytes + static_cast<size_t>(bound));
    const int n =
        LZ4_compress_fast_continue(stream_.get(), src, wire->data() + at + kLz4HeaderBytes,
                                   static_cast<int>(chunk), bound, acceleration_);
    if (n <= 0 || static_cast<size_t>(n) > kLz4MaxSenderChunk) {
      wire->resize(at);
      broken_ = true;  // lz4.h: after an error the stream state is undefined
      return absl::InternalError("LZ4 compression failed");
    }
    WriteHeader(static_cast<size_t>(n), wire->data() + at);
    wire->resize(at + kLz4HeaderBytes + static_cast<size_t>(n));

    ring_pos_ += chunk;
    message.remove_prefix(chunk);
    ++blocks_;
    input_bytes_ += chunk;
    wire_bytes_ += kLz4HeaderBytes + static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace ndrelay::bridge
