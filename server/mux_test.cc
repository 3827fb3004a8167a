#include "server/mux.h"

#include <string>

#include "gtest/gtest.h"

namespace ndrelay::server {
namespace {

using bridge::Sniff;

struct Case {
  std::string head;
  Sniff sniff;
  Route route;
};

TEST(MuxTest, ProbeTable) {
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const Case cases[] = {
      {std::string("\x16\x03\x01\x02\x00\x01", 6), Sniff::kMatch, Route::kTls},
      {std::string("\x16", 1), Sniff::kNeedMore, Route::kHttp},
      {preface, Sniff::kMatch, Route::kGrpc},
      {preface.substr(0, 23), Sniff::kNeedMore, Route::kHttp},
      {"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", Sniff::kNoMatch, Route::kHttp},
      {"STREAM key=x", Sniff::kMatch, Route::kStream},
      {"STREAM ", Sniff::kMatch, Route::kStream},
      {"STREA", Sniff::kNeedMore, Route::kHttp},
      {"GET /api/v1/info HTTP/1.1\r\n\r\n", Sniff::kMatch, Route::kHttp},
      {"GET ", Sniff::kMatch, Route::kHttp},
      {"HEAD / HTTP/1.0\r\n\r\n", Sniff::kMatch, Route::kHttp},
      {"POST /x HTTP/1.1\r\n", Sniff::kMatch, Route::kHttp},
      {"P", Sniff::kNeedMore, Route::kHttp},  // PRI, POST, PUT, PATCH
      {"G", Sniff::kNeedMore, Route::kHttp},
      {"", Sniff::kNeedMore, Route::kHttp},
      {"garbage", Sniff::kNoMatch, Route::kHttp},
      {std::string("\x00\x01\x02", 3), Sniff::kNoMatch, Route::kHttp},
      {"get / HTTP/1.1", Sniff::kNoMatch, Route::kHttp},  // methods are case-sensitive
      {"STREAMX", Sniff::kNoMatch, Route::kHttp},
  };
  for (const Case& c : cases) {
    Classification got = Classify(c.head);
    EXPECT_EQ(got.sniff, c.sniff) << "'" << c.head << "'";
    if (c.sniff == Sniff::kMatch) {
      EXPECT_EQ(got.route, c.route) << "'" << c.head << "'";
    }
  }
}

TEST(MuxTest, DecryptedBytesNeverRouteToTlsAgain) {
  EXPECT_EQ(Classify(std::string("\x16\x03\x01", 3), /*allow_tls=*/false).sniff, Sniff::kNoMatch);
  EXPECT_EQ(Classify("STREAM key", false).route, Route::kStream);
}

TEST(MuxTest, EveryPrefixOfAValidHeadIsNeedMoreOrTheSameMatch) {
  for (std::string full :
       {std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), std::string("STREAM key=1 HTTP/1.1\r\n"),
        std::string("OPTIONS * HTTP/1.1\r\n")}) {
    const Classification final_answer = Classify(full);
    ASSERT_EQ(final_answer.sniff, Sniff::kMatch);
    for (size_t n = 0; n < full.size(); ++n) {
      Classification c = Classify(full.substr(0, n));
      if (c.sniff == Sniff::kMatch) {
        EXPECT_EQ(c.route, final_answer.route) << full.substr(0, n);
      } else {
        EXPECT_EQ(c.sniff, Sniff::kNeedMore) << full.substr(0, n);
      }
    }
  }
}

TEST(MuxTest, UndecidedPastTheByteBoundIsRefused) {
  // Only the h2 preface needs 24 bytes; nothing undecided survives kMaxSniffBytes.
  std::string head(kMaxSniffBytes, 'P');
  EXPECT_EQ(Classify(head).sniff, Sniff::kNoMatch);
}

}  // namespace
}  // namespace ndrelay::server
