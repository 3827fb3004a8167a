#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "server/listener.h"

namespace ndrelay::server {

// What this relay is, fixed at start-up; served by Admin.GetInfo and /api/v1/info.
struct RelayInfo {
  std::string version;
  std::string machine_guid;
  std::string hostname;
  std::string config_directory;
  std::vector<ListenerConfig> listeners;
  std::vector<std::string> stream_compression;  // algorithms built in: "lz4"
  bool tls_built_in = true;
  std::string tls_library;
  std::string grpc_version;
  std::vector<std::string> memory_modes;
  uint32_t stream_capabilities = 0;
  std::chrono::system_clock::time_point started;
};

// Version string of this build ("v0.1.0").
const char* NdrelayVersion();

}  // namespace ndrelay::server
