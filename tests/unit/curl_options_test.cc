#include "base/curl_options.h"

#include <gtest/gtest.h>

#include <string>

#include "testutil.h"

namespace reg {
namespace {

TEST(CurlOptions, SetsEveryOptionAndIsOk) {
  CurlEasy h(curl_easy_init());
  ASSERT_NE(h, nullptr);
  CurlOptions opts(h.get());
  opts.Set(CURLOPT_URL, "http://127.0.0.1:1/")
      .Set(CURLOPT_NOSIGNAL, 1L)
      .Set(CURLOPT_POSTFIELDS, nullptr);
  EXPECT_EQ(opts.code(), CURLE_OK);
  EXPECT_OK(opts.status());
}

TEST(CurlOptions, KeepsTheFirstFailureNamingItsOptionAndSetsNothingAfter) {
  CurlEasy h(curl_easy_init());
  ASSERT_NE(h, nullptr);
  CurlOptions opts(h.get());
  opts.Set(CURLOPT_NOSIGNAL, 1L)
      .Set(CURLOPT_USE_SSL, 99L)  // no such level
      .Set(CURLOPT_PROTOCOLS_STR, "no-such-protocol");
  EXPECT_EQ(opts.code(), CURLE_BAD_FUNCTION_ARGUMENT);
  const Status s = opts.status();
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_EQ(s.message().rfind("curl_easy_setopt(CURLOPT_USE_SSL): ", 0), 0u)
      << s.message();
}

TEST(AppendToSlist, MakesTheListThenAppendsInOrder) {
  CurlSlist list;
  ASSERT_OK(AppendToSlist(&list, "A: 1"));
  ASSERT_NE(list, nullptr);
  curl_slist* head = list.get();
  ASSERT_OK(AppendToSlist(&list, "B: 2"));
  EXPECT_EQ(list.get(), head);
  EXPECT_EQ(std::string(list->data), "A: 1");
  ASSERT_NE(list->next, nullptr);
  EXPECT_EQ(std::string(list->next->data), "B: 2");
}

}  // namespace
}  // namespace reg
