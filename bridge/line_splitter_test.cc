#include "bridge/line_splitter.h"

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndrelay::bridge {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Drains every available line; kTooLong shows up as "<too long>".
std::vector<std::string> Drain(LineSplitter& s) {
  std::vector<std::string> out;
  std::string_view line;
  for (;;) {
    const Feed f = s.Next(&line);
    if (f == Feed::kNeedMore) {
      return out;
    }
    out.push_back(f == Feed::kLine ? std::string(line) : "<too long>");
  }
}

// Feeds `chunks` one after the other, draining after each.
std::vector<std::string> FeedChunks(const std::vector<std::string_view>& chunks,
                                    size_t max_line = kMaxLineBytes) {
  LineSplitter s(max_line);
  std::vector<std::string> out;
  for (std::string_view c : chunks) {
    s.Append(c);
    for (auto& l : Drain(s)) {
      out.push_back(std::move(l));
    }
  }
  return out;
}

TEST(LineSplitterTest, SplitsLinesAndKeepsPartialTail) {
  LineSplitter s;
  s.Append("BEGIN \"a\" 1\nSET \"x\" = 5\nEN");
  EXPECT_THAT(Drain(s), ElementsAre("BEGIN \"a\" 1", "SET \"x\" = 5"));
  EXPECT_EQ(s.buffered(), 2u);
  s.Append("D\n");
  EXPECT_THAT(Drain(s), ElementsAre("END"));
  EXPECT_EQ(s.buffered(), 0u);
}

TEST(LineSplitterTest, CarriageReturnHandling) {
  struct Case {
    std::vector<std::string_view> chunks;
    std::vector<std::string> lines;
  };
  const Case cases[] = {
      {{"a\r\n"}, {"a"}},          // CRLF
      {{"abc\r", "\n"}, {"abc"}},  // CR in one read, LF in the next
      {{"\r"}, {}},                // lone CR: not a line
      {{"\r", "\n"}, {""}},        // ... until its LF arrives
      {{"a\rb\n"}, {"a\rb"}},      // a CR inside a line stays
      {{"a\r\r\n"}, {"a\r"}},      // only one CR is stripped
      {{"\n\n"}, {"", ""}},        // empty lines
      {{"x\n\r\n"}, {"x", ""}},    // CRLF-only line
      {{"no newline"}, {}},        // nothing complete
  };
  for (const Case& c : cases) {
    EXPECT_THAT(FeedChunks(c.chunks), ElementsAreArray(c.lines)) << c.chunks[0];
  }
}

TEST(LineSplitterTest, EverySplitPointYieldsSameLines) {
  const std::string text =
      "CLAIMED_ID 00000000-0000-0000-0000-0000000000c1 NULL\r\n"
      "LABEL \"_os_name\" = 1 \"Debian GNU/Linux\"\n\n"
      "BEGIN \"system.cpu\" 1000083\nSET \"user\" = 1234567\r\nEND\n"
      "tail without newline";
  const std::vector<std::string> expected = FeedChunks({text});
  ASSERT_EQ(expected.size(), 6u);
  for (size_t k = 0; k <= text.size(); ++k) {
    const std::string_view all(text);
    EXPECT_EQ(FeedChunks({all.substr(0, k), all.substr(k)}), expected) << "split at " << k;
  }
  for (size_t a = 0; a <= text.size(); a += 7) {
    for (size_t b = a; b <= text.size(); b += 5) {
      const std::string_view all(text);
      EXPECT_EQ(FeedChunks({all.substr(0, a), all.substr(a, b - a), all.substr(b)}), expected);
    }
  }
}

TEST(LineSplitterTest, OneByteAtATime) {
  const std::string text = "a\r\nbb\n\nccc\rc\n\r\nlast";
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < text.size(); ++i) {
    bytes.push_back(std::string_view(text).substr(i, 1));
  }
  EXPECT_THAT(FeedChunks(bytes), ElementsAre("a", "bb", "", "ccc\rc", ""));
}

TEST(LineSplitterTest, LineOfExactlyMaxIsAccepted) {
  const std::string max(8, 'x');
  EXPECT_THAT(FeedChunks({max + "\n"}, 8), ElementsAre(max));
  EXPECT_THAT(FeedChunks({max + "\r\n"}, 8), ElementsAre(max));
  // Pending max bytes + '\r': may still be a valid line once the '\n' arrives.
  EXPECT_THAT(FeedChunks({max + "\r", "\n"}, 8), ElementsAre(max));
  EXPECT_THAT(FeedChunks({max + "x\n"}, 8), ElementsAre("<too long>"));
  EXPECT_THAT(FeedChunks({max + "x\r\n"}, 8), ElementsAre("<too long>"));
}

TEST(LineSplitterTest, OverlongLineIsDroppedThenNextLineParses) {
  // Complete overlong line within one append.
  EXPECT_THAT(FeedChunks({"ok1\n0123456789abcdef\nok2\n"}, 8),
              ElementsAre("ok1", "<too long>", "ok2"));
  // Overlong line detected before its end arrives: reported once, rest discarded.
  LineSplitter s(8);
  s.Append("0123456789");
  EXPECT_THAT(Drain(s), ElementsAre("<too long>"));
  EXPECT_TRUE(s.discarding());
  EXPECT_EQ(s.buffered(), 0u);
  s.Append("more garbage without newline");
  EXPECT_THAT(Drain(s), ElementsAre());
  EXPECT_EQ(s.buffered(), 0u);
  s.Append("end of it\nok\npart");
  EXPECT_FALSE(s.discarding());
  EXPECT_THAT(Drain(s), ElementsAre("ok"));
  EXPECT_EQ(s.too_long_lines(), 1u);
  EXPECT_EQ(s.discarded_bytes(), 10u + 28u + 10u);
  EXPECT_EQ(s.buffered(), 4u);
}

TEST(LineSplitterTest, OverlongLineAtEverySplitPoint) {
  const std::string text = "a\n" + std::string(40, 'z') + "\nb\n" + std::string(9, 'q') + "\nc\n";
  const std::vector<std::string> expected = {"a", "<too long>", "b", "<too long>", "c"};
  for (size_t k = 0; k <= text.size(); ++k) {
    const std::string_view all(text);
    EXPECT_EQ(FeedChunks({all.substr(0, k), all.substr(k)}, 8), expected) << k;
  }
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < text.size(); ++i) {
    bytes.push_back(std::string_view(text).substr(i, 1));
  }
  EXPECT_EQ(FeedChunks(bytes, 8), expected);
}

TEST(LineSplitterTest, BufferStaysBounded) {
  LineSplitter s(1024);
  const size_t initial = s.capacity();
  const std::string chunk(1000, 'x');
  std::string_view line;
  for (int i = 0; i < 2000; ++i) {  // 2 MB without a newline
    s.Append(chunk);
    while (s.Next(&line) != Feed::kNeedMore) {
    }
    EXPECT_LE(s.buffered(), 1025u);
  }
  EXPECT_EQ(s.capacity(), initial);
  // Many short lines, appended a few bytes at a time, never grow the buffer either.
  const std::string lines = "SET \"user\" = 1234567\n";
  for (int i = 0; i < 10000; ++i) {
    s.Append(std::string_view(lines).substr(0, 7));
    s.Append(std::string_view(lines).substr(7));
    while (s.Next(&line) != Feed::kNeedMore) {
    }
  }
  EXPECT_EQ(s.capacity(), initial);
}

TEST(LineSplitterTest, BigAppendGrowsOnlyToFitIt) {
  LineSplitter s(16);
  std::string big;
  for (int i = 0; i < 10000; ++i) {
    big += "line\n";
  }
  s.Append(big);
  int n = 0;
  std::string_view line;
  while (s.Next(&line) == Feed::kLine) {
    ASSERT_EQ(line, "line");
    ++n;
  }
  EXPECT_EQ(n, 10000);
}

TEST(LineSplitterTest, RawPiecesKeepNewlinesAndSplitLongLines) {
  LineSplitter s(8);
  s.Append("ab\r\n0123456789ABCDEF");
  std::string_view piece;
  ASSERT_EQ(s.NextRaw(&piece), Feed::kLine);
  EXPECT_EQ(piece, "ab\r\n");
  ASSERT_EQ(s.NextRaw(&piece), Feed::kLine);  // >= max_line buffered without '\n'
  EXPECT_EQ(piece, "0123456789ABCDEF");
  EXPECT_EQ(s.NextRaw(&piece), Feed::kNeedMore);
  s.Append("xyz");
  EXPECT_EQ(s.NextRaw(&piece), Feed::kNeedMore);  // short partial: wait
  s.Append("\nnext\n");
  ASSERT_EQ(s.NextRaw(&piece), Feed::kLine);
  EXPECT_EQ(piece, "xyz\n");
  // Raw and line mode share the cursor.
  std::string_view line;
  ASSERT_EQ(s.Next(&line), Feed::kLine);
  EXPECT_EQ(line, "next");
  EXPECT_EQ(s.too_long_lines(), 0u);
}

TEST(LineSplitterTest, ResetForgetsBufferedBytesAndDiscarding) {
  LineSplitter s(4);
  s.Append("0123456789");
  std::string_view line;
  EXPECT_EQ(s.Next(&line), Feed::kTooLong);
  EXPECT_TRUE(s.discarding());
  s.Reset();
  EXPECT_FALSE(s.discarding());
  s.Append("ok\n");
  ASSERT_EQ(s.Next(&line), Feed::kLine);
  EXPECT_EQ(line, "ok");
}

// ---- Borrow() / Release() / Peek() / Skip() ----

// Feeds `text` cut at `cuts` (ascending offsets), each piece through Append() or through
// Borrow() ... Release() from a heap copy that is overwritten and freed right after Release(), and
// drains after each piece (alternating Next() and NextRaw() when `raw_every` > 0). Returns a
// transcript of every answer, the counters and the buffered byte count after each piece.
std::string Transcript(std::string_view text, const std::vector<size_t>& cuts, bool borrow,
                       size_t max_line, int raw_every = 0) {
  LineSplitter s(max_line);
  std::string out;
  size_t at = 0;
  int calls = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(text.size());
  for (size_t end : ends) {
    const std::string_view piece = text.substr(at, end - at);
    at = end;
    std::unique_ptr<char[]> copy(new char[piece.size()]);
    std::memcpy(copy.get(), piece.data(), piece.size());
    const std::string_view bytes(copy.get(), piece.size());
    if (borrow) {
      s.Borrow(bytes);
    } else {
      s.Append(bytes);
    }
    for (;;) {
      std::string_view line;
      const bool raw = raw_every > 0 && ++calls % raw_every == 0;
      const Feed f = raw ? s.NextRaw(&line) : s.Next(&line);
      if (f == Feed::kNeedMore) {
        break;
      }
      out += raw ? "R[" : "L[";
      out += f == Feed::kLine ? std::string(line) : "<too long>";
      out += "]";
    }
    if (borrow) {
      EXPECT_EQ(s.borrowed(), 0u);  // kNeedMore moved any partial line into the buffer
      s.Release();
      std::memset(copy.get(), '#', piece.size());
      copy.reset();
    }
    out += " {" + std::to_string(s.buffered()) + "/" + std::to_string(s.too_long_lines()) + "/" +
           std::to_string(s.discarded_bytes()) + (s.discarding() ? "/d" : "") + "}\n";
  }
  return out;
}

TEST(LineSplitterTest, BorrowEqualsAppendAtEveryPairOfSplitPoints) {
  // CRLF, a lone CR, a CR at the end, an empty line, lines of exactly and over max_line (8), an
  // overlong line with and without its '\n' in the same read, and a partial last line.
  const std::string text =
      "ab\r\n\nx\ry\n12345678\n123456789\nLONGLONGLONGLONG\r\nok\r\n0123456789ABCDEF"
      "GHIJ\nend\r";
  for (int raw_every : {0, 3}) {
    for (size_t i = 0; i <= text.size(); ++i) {
      for (size_t j = i; j <= text.size(); ++j) {
        const std::vector<size_t> cuts = {i, j};
        ASSERT_EQ(Transcript(text, cuts, /*borrow=*/true, 8, raw_every),
                  Transcript(text, cuts, /*borrow=*/false, 8, raw_every))
            << "cuts " << i << "," << j << " raw_every " << raw_every;
      }
    }
  }
}

TEST(LineSplitterTest, BorrowOneByteAtATimeEqualsAppend) {
  std::string text;
  for (int i = 0; i < 50; ++i) {
    text += "SET \"d" + std::to_string(i) + "\" = " + std::to_string(i * 7919) + "\r\n";
    text += std::string(static_cast<size_t>(i % 23), 'x') + "\n";
  }
  std::vector<size_t> every;
  for (size_t k = 1; k < text.size(); ++k) {
    every.push_back(k);
  }
  EXPECT_EQ(Transcript(text, every, true, 16), Transcript(text, every, false, 16));
  EXPECT_EQ(Transcript(text, {}, true, 16), Transcript(text, {}, false, 16));
}

TEST(LineSplitterTest, ReleaseKeepsWhatWasNotReturned) {
  LineSplitter s;
  std::string bytes = "a\nb\nc";
  s.Borrow(bytes);
  EXPECT_EQ(s.buffered(), 5u);
  EXPECT_EQ(s.borrowed(), 5u);
  std::string_view line;
  ASSERT_EQ(s.Next(&line), Feed::kLine);
  EXPECT_EQ(line, "a");
  s.Release();  // the caller stops early: "b\nc" must survive the caller's buffer
  EXPECT_EQ(s.borrowed(), 0u);
  EXPECT_EQ(s.buffered(), 3u);
  bytes.assign(bytes.size(), '#');
  ASSERT_EQ(s.Next(&line), Feed::kLine);
  EXPECT_EQ(line, "b");
  EXPECT_EQ(s.Next(&line), Feed::kNeedMore);
  std::string more = "d\ne";
  s.Borrow(more);  // completes "cd" in the buffer, borrows "e"
  EXPECT_EQ(s.borrowed(), 1u);
  ASSERT_EQ(s.Next(&line), Feed::kLine);
  EXPECT_EQ(line, "cd");
  EXPECT_EQ(s.Next(&line), Feed::kNeedMore);
  s.Release();
  more.assign(more.size(), '#');
  s.Append("f\n");
  ASSERT_EQ(s.Next(&line), Feed::kLine);
  EXPECT_EQ(line, "ef");
}

TEST(LineSplitterTest, AppendAfterBorrowKeepsTheOrder) {
  LineSplitter s;
  s.Borrow("one\ntw");
  s.Append("o\nthree\n");  // releases the borrowed bytes first
  EXPECT_THAT(Drain(s), ElementsAre("one", "two", "three"));
}

TEST(LineSplitterTest, PeekAndSkipServeBufferedThenBorrowedBytes) {
  LineSplitter s;
  s.Append("SET \"a\" = 1\nSE");  // a partial line stays buffered
  std::string_view line;
  ASSERT_EQ(s.Next(&line), Feed::kLine);
  EXPECT_EQ(s.Next(&line), Feed::kNeedMore);
  s.Borrow("T \"b\" = 2\nEND\nBEGIN");
  EXPECT_EQ(s.Peek(), "SET \"b\" = 2\n");  // the completed line, in the buffer
  s.Skip(s.Peek().size());
  EXPECT_EQ(s.Peek(), "END\nBEGIN");  // then the borrowed bytes
  EXPECT_EQ(s.buffered(), 9u);
  s.Skip(4);
  EXPECT_EQ(s.Peek(), "BEGIN");
  EXPECT_EQ(s.Next(&line), Feed::kNeedMore);  // moved to the buffer
  EXPECT_EQ(s.borrowed(), 0u);
  EXPECT_EQ(s.Peek(), "BEGIN");
  s.Release();
  s.Append(" x\n");
  ASSERT_EQ(s.Next(&line), Feed::kLine);
  EXPECT_EQ(line, "BEGIN x");
}

TEST(LineSplitterTest, BorrowWhileDiscardingDropsTheRestOfTheLongLine) {
  LineSplitter s(4);
  s.Borrow("0123456789");
  std::string_view line;
  EXPECT_EQ(s.Next(&line), Feed::kTooLong);  // no '\n' yet: counted, then discarded
  EXPECT_TRUE(s.discarding());
  EXPECT_EQ(s.buffered(), 0u);
  s.Release();
  s.Borrow("still long\nok\n");
  EXPECT_FALSE(s.discarding());
  ASSERT_EQ(s.Next(&line), Feed::kLine);
  EXPECT_EQ(line, "ok");
  EXPECT_EQ(s.too_long_lines(), 1u);
  EXPECT_EQ(s.discarded_bytes(), 21u);
}

TEST(LineSplitterTest, BorrowedPartialLineOverTheLimitNeverReachesTheBuffer) {
  LineSplitter s(1024);
  const size_t initial = s.capacity();
  const std::string chunk(5000, 'x');
  std::string_view line;
  for (int i = 0; i < 100; ++i) {
    s.Borrow(chunk);
    while (s.Next(&line) != Feed::kNeedMore) {
    }
    s.Release();
    EXPECT_LE(s.buffered(), 1025u);
  }
  EXPECT_EQ(s.capacity(), initial);
  EXPECT_EQ(s.too_long_lines(), 1u);
}

}  // namespace
}  // namespace ndrelay::bridge
