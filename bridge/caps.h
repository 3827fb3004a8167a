#pragma once

// Netdata streaming capabilities and the handshake negotiation (netdata-stream-protocol.md §3, §4).
// Everything here is a pure function of its arguments: no I/O, no state, thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ndrelay::bridge {

// Capability bits, Netdata's names (§4.2). Bits 0..2 are never used: 1..5 were legacy versions.
inline constexpr uint32_t kCapV1 = 1u << 3;
inline constexpr uint32_t kCapV2 = 1u << 4;
inline constexpr uint32_t kCapVN = 1u << 5;
inline constexpr uint32_t kCapVCaps = 1u << 6;
inline constexpr uint32_t kCapHLabels = 1u << 7;
inline constexpr uint32_t kCapClaim = 1u << 8;
inline constexpr uint32_t kCapCLabels = 1u << 9;
inline constexpr uint32_t kCapLz4 = 1u << 10;  // named COMPRESSION in Netdata 1.37
inline constexpr uint32_t kCapCompression = kCapLz4;
inline constexpr uint32_t kCapFunctions = 1u << 11;
inline constexpr uint32_t kCapReplication = 1u << 12;
inline constexpr uint32_t kCapBinary = 1u << 13;
inline constexpr uint32_t kCapInterpolated = 1u << 14;
inline constexpr uint32_t kCapIeee754 = 1u << 15;
inline constexpr uint32_t kCapDataWithMl = 1u << 16;  // obsolete ("ML")
inline constexpr uint32_t kCapDyncfgOld = 1u << 17;   // 1.43 only, unused now
inline constexpr uint32_t kCapSlots = 1u << 18;
inline constexpr uint32_t kCapZstd = 1u << 19;
inline constexpr uint32_t kCapGzip = 1u << 20;
inline constexpr uint32_t kCapBrotli = 1u << 21;
inline constexpr uint32_t kCapProgress = 1u << 22;
inline constexpr uint32_t kCapDyncfg = 1u << 23;
inline constexpr uint32_t kCapNodeId = 1u << 24;
inline constexpr uint32_t kCapPaths = 1u << 25;
inline constexpr uint32_t kCapMlModels = 1u << 26;
inline constexpr uint32_t kCapFloatBaseline = 1u << 27;
inline constexpr uint32_t kCapFuncDel = 1u << 28;
inline constexpr uint32_t kCapInvalid =
    1u << 30;  // Netdata's internal "no ver parsed yet"; never sent

// Every compression algorithm bit (we implement only LZ4).
inline constexpr uint32_t kCapsAllCompression = kCapLz4 | kCapZstd | kCapGzip | kCapBrotli;

// What a Netdata 1.37.1 agent advertises: 16376 with compression, 15352 without (§4.3).
inline constexpr uint32_t kCapsNetdata137 = kCapV1 | kCapV2 | kCapVN | kCapVCaps | kCapHLabels |
                                            kCapClaim | kCapCLabels | kCapLz4 | kCapFunctions |
                                            kCapReplication | kCapBinary;

// Legacy numeric versions (§4.1). A `ver` above kMaxLegacyVersion is a capability bitmask.
inline constexpr uint64_t kMaxLegacyVersion = 5;

// True: this build always links liblz4, so legacy version 5 maps to LZ4 (§4.1).
inline constexpr bool kLz4BuiltIn = true;

// Maps a peer's `ver` (or the number in a reply) to capabilities and intersects them with `ours`
// (§4.4 steps 1-4): legacy 0..5 mapping (5 gives LZ4 only when kLz4BuiltIn), a larger value is
// used as a bitmask (only its low 32 bits, as Netdata stores it in a 32-bit word), normalise
// (VCAPS clears V1/V2/VN; else VN clears V1/V2; else V2 clears V1), AND with `ours`, and drop
// MLMODELS when INTERPOLATED did not survive.
uint32_t ConvertVersionToCaps(uint64_t ver_or_legacy, uint32_t ours);

// The capabilities ndrelay's receiver implements today (the decoder handles every command they
// gate): V1 V2 VN VCAPS HLABELS CLAIM CLABELS LZ4 FUNCTIONS REPLICATION BINARY INTERPOLATED
// IEEE754 SLOTS PROGRESS FUNCDEL. Never ZSTD/GZIP/BROTLI (not built), NODEID/PATHS/DYNCFG/
// MLMODELS/FLOATBASELINE (not implemented).
uint32_t OurReceiverCaps();

enum class Compression { kNone, kLz4 };

struct Negotiation {
  uint32_t caps = 0;  // the bitmask to reply with and to run the session on
  Compression compression = Compression::kNone;

  bool operator==(const Negotiation&) const = default;
};

// Parent-side step 5 of §4.4/§4.5. `child_caps_converted` is ConvertVersionToCaps(ver, ours).
// With compression disabled every compression bit is dropped. Otherwise exactly one algorithm
// stays: we implement only LZ4, so ZSTD/GZIP/BROTLI are always dropped and LZ4 is kept when the
// child offered it. Compression is kLz4 iff kCapLz4 is in the result.
Negotiation Negotiate(uint32_t child_caps_converted, bool compression_enabled);

// Success reply prefixes and fixed replies (§3.2), exact bytes, no terminator.
inline constexpr std::string_view kReplyVersionPrefix =
    "Hit me baby, push them over with the version=";
inline constexpr std::string_view kReplyV2 =
    "Hit me baby, push them over and bring the host labels...";
inline constexpr std::string_view kReplyV1 = "Hit me baby, push them over...";

// Rejection replies (§3.3), exact bytes, no terminator. The parent closes the socket after them.
inline constexpr std::string_view kReplyNotPermitted =
    "You are not permitted to access this. Check the logs for more info.";
inline constexpr std::string_view kReplyTooBusy =
    "The server is too busy now to accept this request. Try later.";
inline constexpr std::string_view kReplyAlreadyStreaming =
    "This GUID is already streaming to this server";
inline constexpr std::string_view kReplyLocalhost =
    "Don't hit me baby, you are trying to stream my localhost back";
inline constexpr std::string_view kReplyLocalVnode =
    "Don't hit me baby, you are trying to stream my vnode back";  // NEW only
inline constexpr std::string_view kReplyInternalError =
    "The server encountered an internal error. Try later.";  // NEW only
inline constexpr std::string_view kReplyInitializing =
    "The server is initializing. Try later.";  // NEW only
// Web-layer refusals (`allow streaming from`, listener ACL); not in the child's table.
inline constexpr std::string_view kReplyNotAllowedOld =
    "You are not allowed to access this resource.";
inline constexpr std::string_view kReplyNotAuthorizedNew =
    "You need to be authorized to access this resource";

// The child reads the number after kReplyVersionPrefix only if the reply is longer than the
// prefix and shorter than prefix + this many bytes (§3.4).
inline constexpr size_t kMaxReplyVersionDigits = 29;

// The success reply for negotiated `caps` (§3.2): VCAPS -> prefix + decimal bitmask; else VN ->
// prefix + 5 (LZ4) / 4 (CLABELS) / 3; else V2 -> kReplyV2; else kReplyV1.
std::string HandshakeReply(uint32_t caps);

// Child side of §3.4: the version/bitmask a success reply carries (1 for kReplyV1, 2 for
// kReplyV2, the decimal number after kReplyVersionPrefix, digits read up to the first
// non-digit, saturating), or nullopt for a rejection, anything not understood, or a number of 0
// (Netdata requires >= 1). Feed the result to ConvertVersionToCaps(v, our_sender_caps).
std::optional<uint64_t> ParseHandshakeReply(std::string_view reply);

// Netdata's names of the set bits, low to high, space-separated, as a 1.37 child logs them:
// "VCAPS HLABELS CLAIM CLABELS COMPRESSION FUNCTIONS REPLICATION BINARY". Bit 10 prints as
// COMPRESSION (its 1.37 name; newer Netdata logs it as LZ4). Bits without a current name print
// as "BIT<n>" (0-2, 17, 29, 31); bit 30 as INVALID. 0 gives "".
std::string CapsToString(uint32_t caps);

}  // namespace ndrelay::bridge
