// Context: what a handler works with. Services are shared by all threads;
// the Store and Outbox belong to the request thread.
#ifndef FCGI_HANDLERS_CONTEXT_H_
#define FCGI_HANDLERS_CONTEXT_H_

#include "base/clock.h"
#include "base/config.h"
#include "base/hash_gate.h"
#include "crypto/code.h"
#include "crypto/job_signer.h"
#include "crypto/seal.h"
#include "http/password_policy.h"
#include "i18n/messages.h"
#include "storage/outbox.h"
#include "storage/store.h"

namespace reg {

// Thread-safe, shared by every thread of a process.
struct Services {
  const Config* config;
  const Clock* clock;
  const JobSigner* signer;
  const Sealer* sealer;
  HashGate* hash_gate;
  const PasswordPolicy* passwords = nullptr;  // nullptr: no extra rules
  // The language catalogues; REQUIRED by Router::Dispatch.
  const Catalogues* catalogues = nullptr;
  // The key REGISTRAR_INTERNAL must carry for /internal/ (CheckInternal);
  // empty: no request is internal.
  std::string internal_key;
  // The MAC of the verification mails' codes; REQUIRED by POST /register,
  // /register/resend and POST /activate with a code.
  const CodeMac* codes = nullptr;
};

struct Context {
  const Services& services;
  Store& store;
  Outbox& outbox;
};

}  // namespace reg

#endif  // FCGI_HANDLERS_CONTEXT_H_
