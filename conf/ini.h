#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ndrelay::conf {

// One `name = value` line of an ini file.
struct IniEntry {
  std::string section;  // "" for lines before the first [section]
  std::string name;     // trimmed, case kept
  std::string value;    // trimmed; one pair of surrounding double quotes removed
  std::string file;     // the filename given to Parse()
  int line = 0;         // 1-based
  bool used = false;    // set by IniFile::Use(); unused entries are reported as unknown
};

// A parsed file in Netdata's ini dialect:
//   [section]            (a trailing `# comment` or `; comment` is allowed after the `]`)
//   name = value         names may contain spaces; name and value are trimmed
//   # comment / ; comment
// Blank lines are skipped; CRLF line ends and a leading UTF-8 BOM are accepted. Lookups are
// exact (case-sensitive) on the trimmed section and name. Nothing else is interpreted: no
// inline comments after values, no escapes, no line continuations. When a name appears twice in
// a section, the last one wins (as in Netdata) and a warning is recorded.
//
// A value type; not thread-safe (Use() mutates).
class IniFile {
 public:
  IniFile() = default;

  // Fails with InvalidArgumentError listing every bad line (newline separated), each as
  // `<filename>:<line>: <what> '<offending text>'`: a line without '=', an empty name, a
  // malformed or empty section header.
  static absl::StatusOr<IniFile> Parse(std::string_view text, std::string_view filename);
  // Like Parse(), but keeps every good line and appends one message per bad line to *errors, so
  // that a caller can go on validating the rest of the file.
  static IniFile ParseKeepGoing(std::string_view text, std::string_view filename,
                                std::vector<std::string>* errors);

  const std::string& filename() const { return filename_; }
  const std::vector<IniEntry>& entries() const { return entries_; }
  // Section names in order of first appearance (a header or a setting), without duplicates.
  const std::vector<std::string>& sections() const { return sections_; }
  bool HasSection(std::string_view section) const;
  // Duplicate-setting notes from Parse(), `<file>:<line>: ...`.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The effective (last) entry for `name` in `section`, or nullptr. Does not mark it used.
  const IniEntry* Find(std::string_view section, std::string_view name) const;
  // Like Find(), and marks every entry with that section and name as used.
  const IniEntry* Use(std::string_view section, std::string_view name);

  // `<file>:<line>: unknown setting '<name>' in [<section>], ignored` for every entry never
  // passed to Use(), in file order.
  std::vector<std::string> UnusedWarnings() const;

 private:
  std::string filename_;
  std::vector<IniEntry> entries_;
  std::vector<std::string> sections_;
  std::vector<std::string> warnings_;
  // (section, name) -> indexes into entries_, in file order.
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> index_;
};

}  // namespace ndrelay::conf
