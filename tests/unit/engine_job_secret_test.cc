// Storage::CheckJobSecret on both engines: PostgreSQL keeps the first
// host's fingerprint and refuses another; SQLite (one host, its secret
// file beside its database) has nothing to check.
#include "engine_fixture.h"

namespace reg {
namespace {

class EngineJobSecretTest : public EngineTest {};
INSTANTIATE_ENGINES(EngineJobSecretTest);

const std::string kFingerprint(64, 'a');
const std::string kOtherFingerprint(64, 'b');

TEST_P(EngineJobSecretTest, TheFirstFingerprintIsKeptAndAnotherRefused) {
  ASSERT_OK(storage_->CheckJobSecret(kFingerprint));
  // The same secret again, and from another host.
  EXPECT_OK(storage_->CheckJobSecret(kFingerprint));
  Storage* other = OtherProcess(policy_);
  ASSERT_NE(other, nullptr);
  EXPECT_OK(other->CheckJobSecret(kFingerprint));
  const Status refused = other->CheckJobSecret(kOtherFingerprint);
  if (GetParam() == "sqlite") {
    EXPECT_OK(refused);
    return;
  }
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), Code::kInvalidArgument);
  EXPECT_NE(refused.message().find("copy JOB_SECRET_FILE from another host"),
            std::string::npos)
      << refused.message();
  // The refusal changed nothing: the first one still holds.
  EXPECT_OK(storage_->CheckJobSecret(kFingerprint));
}

}  // namespace
}  // namespace reg
