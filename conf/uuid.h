#pragma once

#include <string_view>

namespace ndrelay::conf {

// True when `text` has the shape uuid_parse(3) accepts: 36 characters, hex digits (either case)
// in groups of 8-4-4-4-12 separated by '-'. API keys and machine GUIDs must look like this.
bool IsUuid(std::string_view text);

}  // namespace ndrelay::conf
