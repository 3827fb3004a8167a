#include "conf/ini.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ndrelay::conf {
namespace {

struct Row {
  const char* section;
  const char* name;
  const char* value;
  int line;
};

struct Case {
  const char* text;
  std::vector<Row> rows;
};

TEST(IniFileTest, ParsesEntries) {
  const Case cases[] = {
      {"", {}},
      {"\n\n   \n", {}},
      {"[s]\na = b\n", {{"s", "a", "b", 2}}},
      {"[s]\r\na = b\r\n", {{"s", "a", "b", 2}}},
      {"\xEF\xBB\xBF[s]\na=b", {{"s", "a", "b", 2}}},  // BOM, no final newline
      {"  [ my section ]  \n  name with spaces   =   value with spaces  \n",
       {{"my section", "name with spaces", "value with spaces", 2}}},
      {"[s]\n# comment = no\n; also = no\n  # indented\nx=1\n", {{"s", "x", "1", 5}}},
      {"[s]\nx = \"quoted # value\"\n", {{"s", "x", "quoted # value", 2}}},
      {"[s]\nx = \"\"\n", {{"s", "x", "", 2}}},
      {"[s]\nx = \"\n", {{"s", "x", "\"", 2}}},              // a lone quote is kept
      {"[s]\nx = 'single'\n", {{"s", "x", "'single'", 2}}},  // only double quotes are stripped
      {"[s]\nx = a = b\n", {{"s", "x", "a = b", 2}}},        // value after the first '='
      {"[s]\nx =\n", {{"s", "x", "", 2}}},
      {"[s]\nx = v # not a comment\n", {{"s", "x", "v # not a comment", 2}}},
      {"[s] # trailing comment\nx=1\n", {{"s", "x", "1", 2}}},
      {"[s] ; trailing comment\nx=1\n", {{"s", "x", "1", 2}}},
      {"top = 1\n[s]\nx=2\n", {{"", "top", "1", 1}, {"s", "x", "2", 3}}},
      {"[A]\nK=1\n[a]\nk=2\n", {{"A", "K", "1", 2}, {"a", "k", "2", 4}}},
      {"[s]\n\tx\t=\ty\t\n", {{"s", "x", "y", 2}}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<IniFile> ini = IniFile::Parse(c.text, "f.conf");
    ASSERT_TRUE(ini.ok()) << c.text << ": " << ini.status();
    ASSERT_EQ(ini->entries().size(), c.rows.size()) << c.text;
    for (size_t i = 0; i < c.rows.size(); ++i) {
      const IniEntry& e = ini->entries()[i];
      EXPECT_EQ(e.section, c.rows[i].section) << c.text;
      EXPECT_EQ(e.name, c.rows[i].name) << c.text;
      EXPECT_EQ(e.value, c.rows[i].value) << c.text;
      EXPECT_EQ(e.line, c.rows[i].line) << c.text;
      EXPECT_EQ(e.file, "f.conf");
      EXPECT_FALSE(e.used);
    }
  }
}

TEST(IniFileTest, ErrorsCarryFileLineAndText) {
  struct {
    const char* text;
    std::vector<std::string> errors;
  } cases[] = {
      {"[s]\nthis line has no equals\n", {"f.conf:2: no '=' in line 'this line has no equals'"}},
      {"[s]\n = value\n", {"f.conf:2: no setting name before '=' '= value'"}},
      {"[s\n", {"f.conf:1: malformed section header '[s'"}},
      {"[s] x\n", {"f.conf:1: malformed section header '[s] x'"}},
      {"[ ]\n", {"f.conf:1: empty section name '[ ]'"}},
      {"[s]\nbad1\nok = 1\nbad2\n",
       {"f.conf:2: no '=' in line 'bad1'", "f.conf:4: no '=' in line 'bad2'"}},
  };
  for (const auto& c : cases) {
    absl::StatusOr<IniFile> ini = IniFile::Parse(c.text, "f.conf");
    ASSERT_FALSE(ini.ok()) << c.text;
    EXPECT_EQ(ini.status().code(), absl::StatusCode::kInvalidArgument);
    std::string want;
    for (const std::string& e : c.errors) {
      want += (want.empty() ? "" : "\n") + e;
    }
    EXPECT_EQ(std::string(ini.status().message()), want);
  }
}

TEST(IniFileTest, FindIsExactAndLastWins) {
  absl::StatusOr<IniFile> ini =
      IniFile::Parse("[s]\nName = 1\nname = 2\nname = 3\n[t]\nname = 4\n[s]\nname = 5\n", "f");
  ASSERT_TRUE(ini.ok());
  ASSERT_NE(ini->Find("s", "name"), nullptr);
  EXPECT_EQ(ini->Find("s", "name")->value, "5");
  EXPECT_EQ(ini->Find("s", "name")->line, 8);
  EXPECT_EQ(ini->Find("s", "Name")->value, "1");
  EXPECT_EQ(ini->Find("S", "name"), nullptr);
  EXPECT_EQ(ini->Find("s", "nam"), nullptr);
  EXPECT_EQ(ini->Find("t", "name")->value, "4");
  EXPECT_TRUE(ini->HasSection("s"));
  EXPECT_TRUE(ini->HasSection("t"));
  EXPECT_FALSE(ini->HasSection("u"));
  EXPECT_EQ(ini->sections(), (std::vector<std::string>{"s", "t"}));
  ASSERT_EQ(ini->warnings().size(), 2u);
  EXPECT_EQ(ini->warnings()[0],
            "f:4: 'name' in [s] was already set at line 3; the last value wins");
  EXPECT_EQ(ini->warnings()[1],
            "f:8: 'name' in [s] was already set at line 4; the last value wins");
}

TEST(IniFileTest, UseMarksEveryDuplicateAndUnusedAreReported) {
  absl::StatusOr<IniFile> ini =
      IniFile::Parse("[s]\na = 1\na = 2\nb = 3\n[empty]\n[t]\nc = 4\n", "stream.conf");
  ASSERT_TRUE(ini.ok());
  const IniEntry* a = ini->Use("s", "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->value, "2");
  EXPECT_EQ(ini->Use("s", "zzz"), nullptr);
  EXPECT_EQ(ini->UnusedWarnings(), (std::vector<std::string>{
                                       "stream.conf:4: unknown setting 'b' in [s], ignored",
                                       "stream.conf:7: unknown setting 'c' in [t], ignored",
                                   }));
  EXPECT_TRUE(ini->HasSection("empty"));
}

// Every prefix of a realistic file parses or fails cleanly, and the entries of a prefix that
// ends on a line boundary are a prefix of the full file's entries.
TEST(IniFileTest, EveryTruncationPoint) {
  const std::string text =
      "[stream]\n  enabled = yes\n  destination = tcp:203.0.113.0:20000:SSL\n# c\n"
      "[11111111-2222-3333-4444-555555555555]\r\n  type = api\r\n  allow from = !10.1.2.3 10.*\n";
  absl::StatusOr<IniFile> full = IniFile::Parse(text, "x");
  ASSERT_TRUE(full.ok());
  for (size_t k = 0; k <= text.size(); ++k) {
    absl::StatusOr<IniFile> part = IniFile::Parse(text.substr(0, k), "x");
    if (!part.ok()) {
      continue;  // e.g. "[stre" is a malformed header
    }
    ASSERT_LE(part->entries().size(), full->entries().size());
    if (k == 0 || text[k - 1] == '\n') {
      for (size_t i = 0; i < part->entries().size(); ++i) {
        EXPECT_EQ(part->entries()[i].value, full->entries()[i].value) << k;
      }
    }
  }
}

}  // namespace
}  // namespace ndrelay::conf
