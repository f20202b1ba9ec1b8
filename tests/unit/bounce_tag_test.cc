#include "crypto/bounce_tag.h"

#include <gtest/gtest.h>

#include <cctype>

namespace reg {
namespace {

BounceTagger MakeTagger(std::string_view secret) {
  Result<BounceTagger> t = BounceTagger::Create(secret);
  EXPECT_TRUE(t.ok());
  return std::move(t).value();
}

const std::string kTagSecret(64, 'a');
constexpr std::int64_t kTagCreatedMs = 1796575200123;

TEST(BounceTag, IsLowercaseLettersAndDigitsAfterThePlus) {
  const BounceTagger tagger = MakeTagger(kTagSecret);
  const std::string sender =
      tagger.Sender("bounces@example.com", 42, "Ann@Example.com", kTagCreatedMs);
  ASSERT_EQ(sender.rfind("bounces+j42t1796575200m", 0), 0u) << sender;
  ASSERT_EQ(sender.substr(sender.size() - 12), "@example.com");
  const std::string tag = sender.substr(8, sender.size() - 8 - 12);
  EXPECT_EQ(tag.size(), 1 + 2 + 1 + 10 + 1 + 16u);
  for (char c : tag) {
    EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) ||
                std::isdigit(static_cast<unsigned char>(c)))
        << tag;
  }
}

TEST(BounceTag, ChecksOnlyForItsJobRecipientAndTime) {
  const BounceTagger tagger = MakeTagger(kTagSecret);
  const std::string sender =
      tagger.Sender("bounces@example.com", 42, "ann@example.com", kTagCreatedMs);
  // local(8) folds case: the tag still parses and checks.
  std::string upper = sender;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  Result<BounceTag> tag = ParseBounceTag(upper);
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(tag.value().job_id, 42);
  EXPECT_EQ(tag.value().created_s, kTagCreatedMs / 1000);
  EXPECT_TRUE(tagger.Check(tag.value(), "ANN@example.com"));
  EXPECT_FALSE(tagger.Check(tag.value(), "bob@example.com"));
  BounceTag other_job = tag.value();
  other_job.job_id = 43;
  EXPECT_FALSE(tagger.Check(other_job, "ann@example.com"));
  BounceTag other_time = tag.value();
  other_time.created_s += 1;
  EXPECT_FALSE(tagger.Check(other_time, "ann@example.com"));
  // Another secret's tagger believes none of it.
  EXPECT_FALSE(MakeTagger(std::string(64, 'b')).Check(tag.value(),
                                                        "ann@example.com"));
}

TEST(BounceTag, RefusesWhatIsNoTag) {
  for (const char* rcpt :
       {"bounces@example.com", "bounces+@example.com", "bounces+hello@x.y",
        "bounces+j42t1m@x.y", "bounces+j0t1maaaaaaaaaaaaaaaa@x.y",
        "bounces+j42t17maaaaaaaaaaaaaaa1@x.y",
        "bounces+jxt17maaaaaaaaaaaaaaaa@x.y", "no-at-sign+j1t1maaaa"}) {
    EXPECT_FALSE(ParseBounceTag(rcpt).ok()) << rcpt;
  }
  EXPECT_TRUE(ParseBounceTag("b+j1t17maaaaaaaaaaaaaaaa@x.y").ok());
}

TEST(BounceTag, TheKeyIsNotTheJobSecretItself) {
  // Tags are made under a key derived for them alone: a MAC under the raw
  // secret (the job signatures' key) is not a tag's.
  const BounceTagger tagger = MakeTagger(kTagSecret);
  EXPECT_FALSE(BounceTagger::Create("").ok());
  EXPECT_NE(tagger.Tag(1, "a@b.c", 1000), MakeTagger("x").Tag(1, "a@b.c", 1000));
}

}  // namespace
}  // namespace reg
