#pragma once

namespace ndrelay::bridge {

// The answer of a protocol probe looking at the first bytes of a connection (STYLE.md 8).
// A probe decides on a partial prefix where it can: kNoMatch as soon as one byte differs.
enum class Sniff { kMatch, kNeedMore, kNoMatch };

}  // namespace ndrelay::bridge
