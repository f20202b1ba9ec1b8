// Context: what a handler works with. Services are shared by all threads;
// the Store and Outbox belong to the request thread.
#ifndef FCGI_CONTEXT_H_
#define FCGI_CONTEXT_H_

#include "clock.h"
#include "config.h"
#include "hash_gate.h"
#include "job_signer.h"
#include "outbox.h"
#include "password_policy.h"
#include "seal.h"
#include "store.h"

namespace reg {

// Thread-safe, shared by every thread of a process.
struct Services {
  const Config* config;
  const Clock* clock;
  const JobSigner* signer;
  const Sealer* sealer;
  HashGate* hash_gate;
  const PasswordPolicy* passwords = nullptr;  // nullptr: no extra rules
};

struct Context {
  const Services& services;
  Store& store;
  Outbox& outbox;
};

}  // namespace reg

#endif  // FCGI_CONTEXT_H_
