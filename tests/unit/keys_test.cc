// LoadKeys and BounceSender: a worker's keys from its secret files, and
// the envelope sender they give with BOUNCE_ADDRESS.
#include "crypto/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "delivery/senders.h"
#include "testutil.h"

namespace reg {
namespace {

// The config of a worker whose DATA_DIR is "dir".
Config KeysConfig(const std::string& dir) {
  Config config;
  config.data_dir = dir;
  return config;
}

mode_t ModeOf(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(LoadKeys, MakesTheThreeSecretFilesOnceAndReadsThemAfter) {
  TempDir dir;
  const Config config = KeysConfig(dir.path());
  Result<Keys> first = LoadKeys(config);
  ASSERT_OK(first);
  for (const std::string& path : {SecretPath(config), WebhookSecretPath(config),
                                  InternalSecretPath(config)}) {
    EXPECT_EQ(ModeOf(path), 0600u) << path;
  }
  EXPECT_TRUE(Is64LowerHex(first.value().internal_key));
  EXPECT_FALSE(first.value().fingerprint.empty());
  // The next start reads the same files: the same keys.
  Result<Keys> again = LoadKeys(config);
  ASSERT_OK(again);
  EXPECT_EQ(again.value().fingerprint, first.value().fingerprint);
  EXPECT_EQ(again.value().internal_key, first.value().internal_key);
  // The job secret may live elsewhere (JOB_SECRET_FILE): another secret.
  Config elsewhere = config;
  elsewhere.job_secret_file = dir.File("other.secret");
  Result<Keys> other = LoadKeys(elsewhere);
  ASSERT_OK(other);
  EXPECT_NE(other.value().fingerprint, first.value().fingerprint);
  EXPECT_EQ(ModeOf(elsewhere.job_secret_file), 0600u);
}

TEST(LoadKeys, ASecretFileThatIsNoSecretStopsTheStartNamingIt) {
  TempDir dir;
  const Config config = KeysConfig(dir.path());
  std::ofstream(WebhookSecretPath(config)) << "not a secret";
  chmod(WebhookSecretPath(config).c_str(), 0600);
  Result<Keys> keys = LoadKeys(config);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), Code::kInternal);
  EXPECT_NE(keys.status().message().find(WebhookSecretPath(config)),
            std::string::npos)
      << keys.status().message();
}

TEST(BounceSender, TagsEachJobOnlyWithABounceAddress) {
  TempDir dir;
  Config config = KeysConfig(dir.path());
  Result<Keys> keys = LoadKeys(config);
  ASSERT_OK(keys);
  EXPECT_FALSE(BounceSender(config, keys.value().bounce_tags));
  config.bounce_address = "bounces@example.com";
  const EnvelopeSender sender = BounceSender(config, keys.value().bounce_tags);
  ASSERT_TRUE(sender);
  ClaimedJob job;
  job.id = 42;
  job.rcpt = "ann@example.com";
  job.created_ms = 1'700'000'000'000;
  EXPECT_EQ(sender(job), keys.value().bounce_tags.Sender("bounces@example.com",
                                                         42, "ann@example.com",
                                                         1'700'000'000'000));
  EXPECT_EQ(sender(job).rfind("bounces+", 0), 0u) << sender(job);
}

}  // namespace
}  // namespace reg
