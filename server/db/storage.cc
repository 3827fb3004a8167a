#include "server/db/storage.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/db/ram_store.h"

namespace ndrelay::db {

absl::StatusOr<std::unique_ptr<StorageEngine>> CreateStorageEngine(const EngineConfig& config) {
  switch (config.mode) {
    case StorageMode::kNone:
      return std::make_unique<NoneEngine>();
    case StorageMode::kRam:
      if (config.history_s < 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("ram history must be at least 1 second, got ", config.history_s));
      }
      return std::make_unique<RamEngine>(config.history_s);
    case StorageMode::kDbengine:
      return absl::UnimplementedError("the dbengine storage engine is not implemented yet");
  }
  return absl::InvalidArgumentError("unknown storage mode");
}

std::string_view StorageModeName(StorageMode mode) {
  switch (mode) {
    case StorageMode::kNone:
      return "none";
    case StorageMode::kRam:
      return "ram";
    case StorageMode::kDbengine:
      return "dbengine";
  }
  return "unknown";
}

}  // namespace ndrelay::db
