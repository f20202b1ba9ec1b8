#include "base/env_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "base/config.h"
#include "testutil.h"

namespace reg {
namespace {

Result<EnvMap> Parse(const std::string& text) {
  TempDir dir;
  const std::string path = dir.File("registrar.env");
  std::ofstream(path) << text;
  return ReadEnvFile(path);
}

TEST(EnvFile, ReadsKeyValueLinesAsWritten) {
  Result<EnvMap> env = Parse(
      "# comment\n"
      "; also a comment\n"
      "\n"
      "DATA_DIR=/var/lib/registrar\n"
      "MAIL_FROM=Example <no-reply@example.com>\n"
      "  THREADS = 16  \n"
      "BASE_URL=\"https://register.example.com\"\n"
      "SMTP_PASSWORD='p$ss \"word\"'\n"
      "EMPTY=\n");
  ASSERT_TRUE(env.ok()) << env.status().message();
  EXPECT_EQ(env.value().at("DATA_DIR"), "/var/lib/registrar");
  EXPECT_EQ(env.value().at("MAIL_FROM"), "Example <no-reply@example.com>");
  EXPECT_EQ(env.value().at("THREADS"), "16");
  EXPECT_EQ(env.value().at("BASE_URL"), "https://register.example.com");
  EXPECT_EQ(env.value().at("SMTP_PASSWORD"), "p$ss \"word\"");
  EXPECT_EQ(env.value().at("EMPTY"), "");
  EXPECT_EQ(env.value().size(), 6u);
}

TEST(EnvFile, NamesTheFileAndLineOfABadLine) {
  Result<EnvMap> env = Parse("DATA_DIR=/x\nexport THREADS=4\n");
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("registrar.env:2: not KEY=VALUE"),
            std::string::npos)
      << env.status().message();
  EXPECT_FALSE(Parse("=value\n").ok());
}

TEST(EnvFile, AMissingFileIsAnError) {
  Result<EnvMap> env = ReadEnvFile("/nonexistent/registrar.env");
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("/nonexistent/registrar.env"),
            std::string::npos);
}

TEST(EnvFile, TheEnvironmentOverridesTheFile) {
  EnvMap file = {{"RETRY_S", "40"}, {"SWEEP_S", "7"}};
  setenv("RETRY_S", "50", 1);
  unsetenv("SWEEP_S");
  Result<Config> config = LoadConfig(EnvThenFile(file));
  unsetenv("RETRY_S");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config.value().retry_s, 50);
  EXPECT_EQ(config.value().sweep_s, 7);
}

}  // namespace
}  // namespace reg
