// Keys: every key a worker holds, made from its three secret files
// (crypto/secret_file.h), each made on first start: the job secret's
// signer, sealer, code MAC and bounce tagger, the events' signer
// (webhook.secret, made whether or not WEBHOOK_URL is set yet, so the
// site's app can be given it before events flow) and the internal key.
#ifndef FCGI_CRYPTO_KEYS_H_
#define FCGI_CRYPTO_KEYS_H_

#include <string>

#include "base/config.h"
#include "base/status.h"
#include "crypto/bounce_tag.h"
#include "crypto/code.h"
#include "crypto/job_signer.h"
#include "crypto/seal.h"

namespace reg {

// Immutable after LoadKeys: safe to share between threads.
struct Keys {
  JobSigner signer;          // the job posts (job.secret)
  Sealer sealer;             // the outbox's sealed mail (job.secret)
  CodeMac codes;             // the verification mails' codes (job.secret)
  BounceTagger bounce_tags;  // BOUNCE_ADDRESS's tags (job.secret)
  JobSigner event_signer;    // the events' signatures (webhook.secret)
  std::string internal_key;  // REGISTRAR_INTERNAL (internal.secret)
  std::string fingerprint;   // the job secret's (JobSecretFingerprint)
};

// Reads the secret files at SecretPath, WebhookSecretPath and
// InternalSecretPath of "config", making each one that is missing, and
// derives the keys. Internal naming the file when one cannot be made or
// read, or is not a secret file (CreateSecretIfMissing).
Result<Keys> LoadKeys(const Config& config);

}  // namespace reg

#endif  // FCGI_CRYPTO_KEYS_H_
