#include "conf/ini.h"

#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "conf/strings.h"

namespace ndrelay::conf {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsBlank(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsComment(std::string_view trimmed) {
  return !trimmed.empty() && (trimmed.front() == '#' || trimmed.front() == ';');
}

}  // namespace

absl::StatusOr<IniFile> IniFile::Parse(std::string_view text, std::string_view filename) {
  std::vector<std::string> errors;
  IniFile ini = ParseKeepGoing(text, filename, &errors);
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  return ini;
}

IniFile IniFile::ParseKeepGoing(std::string_view text, std::string_view filename,
                                std::vector<std::string>* errors) {
  IniFile ini;
  ini.filename_ = std::string(filename);
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    text.remove_prefix(kUtf8Bom.size());
  }
  auto error = [&](int line, std::string_view what, std::string_view offending) {
    errors->push_back(Cat(filename, ":", line, ": ", what, " '", offending, "'"));
  };
  std::set<std::string> seen_sections;
  auto note_section = [&ini, &seen_sections](const std::string& section) {
    if (seen_sections.insert(section).second) {
      ini.sections_.push_back(section);
    }
  };

  std::string section;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) {
      eol = text.size();
    }
    std::string_view raw = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    const std::string_view line = Trim(raw);
    if (line.empty() || IsComment(line)) {
      continue;
    }
    if (line.front() == '[') {
      const size_t close = line.find(']');
      const std::string_view after =
          close == std::string_view::npos ? std::string_view() : Trim(line.substr(close + 1));
      if (close == std::string_view::npos || !(after.empty() || IsComment(after))) {
        error(line_no, "malformed section header", line);
        continue;
      }
      const std::string_view name = Trim(line.substr(1, close - 1));
      if (name.empty()) {
        error(line_no, "empty section name", line);
        continue;
      }
      section = std::string(name);
      note_section(section);
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      error(line_no, "no '=' in line", line);
      continue;
    }
    const std::string_view name = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    if (name.empty()) {
      error(line_no, "no setting name before '='", line);
      continue;
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (const IniEntry* prev = ini.Find(section, name); prev != nullptr) {
      ini.warnings_.push_back(Cat(filename, ":", line_no, ": '", name, "' in [", section,
                                  "] was already set at line ", prev->line,
                                  "; the last value wins"));
    }
    note_section(section);
    ini.index_[{section, std::string(name)}].push_back(ini.entries_.size());
    ini.entries_.push_back(
        IniEntry{section, std::string(name), std::string(value), ini.filename_, line_no, false});
  }
  return ini;
}

bool IniFile::HasSection(std::string_view section) const {
  return std::find(sections_.begin(), sections_.end(), section) != sections_.end();
}

const IniEntry* IniFile::Find(std::string_view section, std::string_view name) const {
  const auto it = index_.find({std::string(section), std::string(name)});
  if (it == index_.end()) {
    return nullptr;
  }
  return &entries_[it->second.back()];
}

const IniEntry* IniFile::Use(std::string_view section, std::string_view name) {
  const auto it = index_.find({std::string(section), std::string(name)});
  if (it == index_.end()) {
    return nullptr;
  }
  for (size_t i : it->second) {
    entries_[i].used = true;
  }
  return &entries_[it->second.back()];
}

std::vector<std::string> IniFile::UnusedWarnings() const {
  std::vector<std::string> out;
  for (const IniEntry& e : entries_) {
    if (!e.used) {
      out.push_back(Cat(e.file, ":", e.line, ": unknown setting '", e.name, "' in [", e.section,
                        "], ignored"));
    }
  }
  return out;
}

}  // namespace ndrelay::conf
