// What Store::LookUpToken and Store::Activate take and give (store.h): a
// token's state and account, and the event prepared before the call.
#ifndef FCGI_STORAGE_ACTIVATION_H_
#define FCGI_STORAGE_ACTIVATION_H_

#include <cstdint>
#include <string>

#include "storage/registration.h"  // PreparedJob

namespace reg {

enum class TokenState { kValid, kUsed };
enum class Activation { kVerified, kAlreadyVerified };

// What a token's link is for, read without a write (Store::LookUpToken).
struct TokenInfo {
  TokenState state = TokenState::kValid;
  std::int64_t account_id = 0;
  std::string email;          // the account's, as typed, trimmed
  std::string password_hash;  // of the registration the link was mailed for
  // That registration: the hash of the token its POST /register minted
  // (what its receipt names), and when it was made.
  std::string registration_hash;
  std::int64_t registered_ms = 0;
  int password_tries = 0;         // wrong passwords typed for this link
  bool account_verified = false;  // by this link or another
};

// Wrong passwords a link takes; from then on it answers 410.
constexpr int kMaxPasswordTries = 5;

// The account.verified event (Channel::kWebhook) of the account a token is
// for (TokenInfo::account_id), prepared by the caller before
// Store::Activate, which queues it only if it verifies that account.
struct PreparedEvent {
  std::int64_t account_id = 0;
  PreparedJob job;  // the event's id and its sealed JSON body
  // A sweep leaves the new event to the post path for this long.
  std::int64_t sweep_grace_ms = 3000;
};

struct ActivateOutcome {
  Activation state = Activation::kVerified;
  std::int64_t event_job_id = 0;  // 0: no event queued
};

}  // namespace reg

#endif  // FCGI_STORAGE_ACTIVATION_H_
