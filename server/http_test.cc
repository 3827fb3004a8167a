#include "server/http.h"

#include <string>

#include "gtest/gtest.h"

namespace ndrelay::server {
namespace {

TEST(HttpParseTest, ParsesRequestLineHeadersAndQuery) {
  const std::string req =
      "GET /api/v1/data?chart=system.cpu&after=-10 HTTP/1.1\r\nHost: 127.0.0.1:19999\r\n"
      "Connection: close\r\nUser-Agent: curl/7.88\r\n\r\nrest";
  HttpRequest r;
  size_t head_len = 0, content_length = 7;
  bool keep_alive = true;
  ASSERT_EQ(ParseHttpRequest(req, &r, &head_len, &keep_alive, &content_length), HttpParse::kDone);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/api/v1/data");
  EXPECT_EQ(r.query, "chart=system.cpu&after=-10");
  EXPECT_EQ(r.host, "127.0.0.1:19999");
  EXPECT_FALSE(keep_alive);
  EXPECT_EQ(content_length, 0u);
  EXPECT_EQ(req.substr(head_len), "rest");
}

TEST(HttpParseTest, KeepAliveDefaultsPerVersion) {
  HttpRequest r;
  size_t h, cl;
  bool ka;
  ASSERT_EQ(ParseHttpRequest("GET / HTTP/1.1\r\n\r\n", &r, &h, &ka, &cl), HttpParse::kDone);
  EXPECT_TRUE(ka);
  ASSERT_EQ(ParseHttpRequest("GET / HTTP/1.0\r\n\r\n", &r, &h, &ka, &cl), HttpParse::kDone);
  EXPECT_FALSE(ka);
  ASSERT_EQ(ParseHttpRequest("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", &r, &h, &ka, &cl),
            HttpParse::kDone);
  EXPECT_TRUE(ka);
}

TEST(HttpParseTest, EveryPrefixNeedsMore) {
  const std::string req = "GET /api/v1/info HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t n = 0; n < req.size(); ++n) {
    HttpRequest r;
    size_t h, cl;
    bool ka;
    EXPECT_EQ(ParseHttpRequest(req.substr(0, n), &r, &h, &ka, &cl), HttpParse::kNeedMore) << n;
  }
}

TEST(HttpParseTest, MalformedRequests) {
  const char* bad[] = {
      "GET /x HTTP/2.0\r\n\r\n",        "GET\r\n\r\n",
      "GET x HTTP/1.1\r\n\r\n",         "GET /x HTTP/1.1\r\nNoColon\r\n\r\n",
      "GET /x HTTP/1.1\r\n: v\r\n\r\n", "GET /x HTTP/1.1\r\nContent-Length: 12x\r\n\r\n",
      "GET /x HTTP/1.1\nHost: y\n\n",
  };
  for (const char* b : bad) {
    HttpRequest r;
    size_t h, cl;
    bool ka;
    EXPECT_EQ(ParseHttpRequest(b, &r, &h, &ka, &cl), HttpParse::kBad) << b;
  }
}

TEST(HttpParseTest, BodiesAreSeen) {
  HttpRequest r;
  size_t h, cl = 0;
  bool ka;
  ASSERT_EQ(ParseHttpRequest("POST /x HTTP/1.1\r\nContent-Length: 12\r\n\r\n", &r, &h, &ka, &cl),
            HttpParse::kDone);
  EXPECT_EQ(cl, 12u);
  ASSERT_EQ(
      ParseHttpRequest("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &r, &h, &ka, &cl),
      HttpParse::kDone);
  EXPECT_GT(cl, 0u);
}

TEST(HttpRenderTest, StatusHeadersAndBody) {
  HttpResponse resp;
  resp.status = 404;
  resp.body = "{}";
  resp.headers.emplace_back("Location", "https://x/");
  const std::string out = RenderHttpResponse(resp, false);
  EXPECT_EQ(out.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
  EXPECT_NE(out.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(out.find("Location: https://x/\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 6), "\r\n\r\n{}");
}

TEST(JsonEscapeTest, EscapesControlAndQuotes) {
  EXPECT_EQ(JsonEscape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
}

}  // namespace
}  // namespace ndrelay::server
