#include "crypto/keys.h"

#include <utility>

#include "crypto/secret_file.h"

namespace reg {

Result<Keys> LoadKeys(const Config& config) {
  Result<std::string> secret = CreateSecretIfMissing(SecretPath(config));
  if (!secret.ok()) return secret.status();
  Result<JobSigner> signer = JobSigner::Create(secret.value());
  if (!signer.ok()) return signer.status();
  Result<Sealer> sealer = Sealer::Create(secret.value());
  if (!sealer.ok()) return sealer.status();
  Result<CodeMac> codes = CodeMac::Create(secret.value());
  if (!codes.ok()) return codes.status();
  Result<BounceTagger> bounce_tags = BounceTagger::Create(secret.value());
  if (!bounce_tags.ok()) return bounce_tags.status();
  Result<std::string> event_secret =
      CreateSecretIfMissing(WebhookSecretPath(config));
  if (!event_secret.ok()) return event_secret.status();
  Result<JobSigner> event_signer = JobSigner::Create(event_secret.value());
  if (!event_signer.ok()) return event_signer.status();
  Result<std::string> internal_key =
      CreateSecretIfMissing(InternalSecretPath(config));
  if (!internal_key.ok()) return internal_key.status();
  Result<std::string> fingerprint = JobSecretFingerprint(secret.value());
  if (!fingerprint.ok()) return fingerprint.status();
  return Keys{std::move(signer).value(),       std::move(sealer).value(),
              std::move(codes).value(),        std::move(bounce_tags).value(),
              std::move(event_signer).value(), std::move(internal_key).value(),
              std::move(fingerprint).value()};
}

}  // namespace reg
