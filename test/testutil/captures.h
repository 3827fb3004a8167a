#pragma once

#include <cstdlib>
#include <filesystem>

namespace ndrelay::testutil {

// Where the real Netdata 1.37.1 wire captures are (shared/netdata-peer/captures beside the
// checkout, as CI lays it out): $NDRELAY_CAPTURES, else $NDRELAY_SHARED_DIR/netdata-peer/captures,
// else <source>/../shared/netdata-peer/captures (source from $NDRELAY_SOURCE_DIR or the build).
inline std::filesystem::path CapturesDir() {
  if (const char* env = std::getenv("NDRELAY_CAPTURES")) {
    return env;
  }
  if (const char* env = std::getenv("NDRELAY_SHARED_DIR")) {
    return std::filesystem::path(env) / "netdata-peer" / "captures";
  }
  const char* source = std::getenv("NDRELAY_SOURCE_DIR");
#ifdef NDRELAY_SOURCE_DIR
  if (source == nullptr) {
    source = NDRELAY_SOURCE_DIR;
  }
#endif
  if (source == nullptr) {
    source = ".";
  }
  return std::filesystem::weakly_canonical(std::filesystem::path(source) / ".." / "shared" /
                                           "netdata-peer" / "captures");
}

}  // namespace ndrelay::testutil
