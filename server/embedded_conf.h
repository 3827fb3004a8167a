#pragma once

// The default configuration shipped in the repository's conf/ (netdata.conf, stream.conf),
// compiled in so that ndrelay starts with no files at all.
namespace ndrelay::server {
extern const char kEmbeddedNetdataConf[];
extern const char kEmbeddedStreamConf[];
}  // namespace ndrelay::server
