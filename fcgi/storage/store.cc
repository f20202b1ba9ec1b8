// Store's engine-neutral calls (store.h).
#include "storage/store.h"

#include "storage/jobs.h"

namespace reg {

Result<TokenState> Store::CheckToken(const std::string& token_hash,
                                     std::string* password_hash) {
  Result<TokenInfo> info = LookUpToken(token_hash);
  if (!info.ok()) return info.status();
  if (password_hash != nullptr) *password_hash = info.value().password_hash;
  return info.value().state;
}

Result<ActivateOutcome> Store::Activate(
    const std::string& token_hash, const std::optional<PreparedEvent>& event) {
  // The first look-up reads: an unknown, expired or used token (a random
  // one, a double click) costs no write transaction.
  Result<TokenState> state = CheckToken(token_hash);
  if (!state.ok()) return state.status();
  if (state.value() == TokenState::kUsed) {
    return ActivateOutcome{Activation::kAlreadyVerified, 0};
  }
  return Verify(token_hash, event);
}

Result<ReceiptStatus> Store::Receipt(const std::string& receipt_hash) {
  Result<ReceiptFacts> facts = LookUpReceipt(receipt_hash);
  if (!facts.ok()) return facts.status();
  return ReceiptStatusOf(facts.value());
}

Result<ActivateOutcome> Store::Verify(
    const std::string& token_hash, const std::optional<PreparedEvent>& event) {
  ActivateOutcome outcome;
  Status s = Write(Durability::kDurable, "",
                   [&](TxnRows& rows, std::int64_t now) -> Status {
    outcome = ActivateOutcome{Activation::kAlreadyVerified, 0};
    Result<std::optional<UsedToken>> used = rows.UseToken(token_hash, now);
    if (!used.ok()) return used.status();
    if (!used.value()) return Status();  // another click came first
    // The account takes the password of the registration this link was
    // for, unless another link verified it first.
    const std::int64_t account_id = used.value()->account_id;
    Result<bool> verified =
        rows.VerifyAccount(account_id, used.value()->password_hash, now);
    if (!verified.ok()) return verified.status();
    if (!verified.value()) return Status();
    outcome.state = Activation::kVerified;
    if (!event) return Status();
    // The account.verified event, in the verifying transaction.
    Result<NewJob> job = VerifiedEventJob(*event, account_id, now);
    if (!job.ok()) return job.status();
    Result<std::int64_t> id = rows.Enqueue(job.value());
    if (!id.ok()) return id.status();
    outcome.event_job_id = id.value();
    return Status();
  });
  if (!s.ok()) return s;
  return outcome;
}

Result<CodeOutcome> Store::TryCode(const CodeTry& code) {
  // A write that holds the mailbox: two codes of one mailbox, on any host,
  // take turns, so that no two at once both take its last try.
  CodeOutcome outcome;
  Status s = Write(Durability::kDurable, code.mailbox,
                   [&](TxnRows& rows, std::int64_t now) -> Status {
    Result<CodeOutcome> judged = JudgeCode(rows, code, now);
    if (!judged.ok()) return judged.status();
    outcome = std::move(judged).value();
    return Status();
  });
  if (!s.ok()) return s;
  return outcome;
}

}  // namespace reg
