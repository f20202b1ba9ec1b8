// Store's engine-neutral calls (store.h).
#include "storage/store.h"

#include "storage/jobs.h"
#include "storage/mail_cap.h"

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

Result<RegisterOutcome> Store::QueueMail(const NewRegistration& reg,
                                         const RegisterLimits& limits,
                                         const RegistrationMails& mails,
                                         bool create) {
  RegisterOutcome outcome;
  // MAIL_CAP's count holds the mailbox: mails to one mailbox, on any host,
  // take turns, so that two at once cannot both take its last place.
  const std::string mailbox = MailCapCountsMailbox(limits) ? reg.mailbox : "";
  Status s = Write(Durability::kDurable, mailbox,
                   [&](TxnRows& rows, std::int64_t now) -> Status {
    outcome = RegisterOutcome();
    Result<AccountRef> account = rows.FindOrCreateAccount(reg, now, create);
    if (!account.ok()) return account.status();
    const AccountRef user = account.value();
    // A resend to nobody: the "no account uses this address" mail, a job
    // of no account, through the same cap, outbox and receipt.
    outcome.kind = user.id == 0   ? MailKind::kNoAccount
                   : user.verified ? MailKind::kExists
                                   : MailKind::kVerify;

    // A registration's token is stored even when a cap holds its mail
    // back: a resend then mints its link for this registration's
    // password, never an older one's.
    std::string token_hash;
    if (outcome.kind == MailKind::kVerify) {
      // A registration's token is its own registration; a resend's is for
      // the registration ResendTarget chose while it is the account's,
      // else the one whose own receipt the cookie holds, else the newest
      // (or, for rows from before, the account's password).
      TokenRow token{reg.token_hash,
                     user.id,
                     reg.password_hash,
                     now,
                     now + limits.token_ttl_ms,
                     reg.token_hash,
                     reg.code_mac,
                     reg.receipt_hash};
      if (!create) {
        Result<ChosenToken> chosen = rows.ChosenRegistration(
            user.id, reg.registration_hash, reg.cookie_receipt_hashes);
        if (!chosen.ok()) return chosen.status();
        if (!chosen.value().registration.empty()) {
          token.registration = chosen.value().registration;
        }
        token.password_hash = chosen.value().password_hash;
      }
      if (Status st = rows.InsertToken(token); !st.ok()) return st;
      token_hash = reg.token_hash;
    }

    // Past a cap the request is answered as usual and sends nothing (or,
    // past its domain's hour, later); so is one to a suppressed address.
    Result<bool> suppressed = rows.IsSuppressed(reg.email, now);
    if (!suppressed.ok()) return suppressed.status();
    Result<MailCounts> counts = rows.CountMails(reg.mailbox, limits, now);
    if (!counts.ok()) return counts.status();
    const HeldBack held = HeldBackBy(
        suppressed.value(),
        MailCapOf(counts.value(), limits, outcome.kind, !create, now));
    if (held.counter != nullptr) {
      if (Status st = rows.AddCounter(held.counter, 1); !st.ok()) return st;
    }
    std::int64_t job_id = 0;
    if (held.reason != NotSent::kNo) {
      // No job records a mail not sent: a counter and its receipt do. A
      // mail not sent has no code.
      if (Status st = rows.ForgetCode(token_hash); !st.ok()) return st;
    } else {
      NewJob job = RegistrationJob(reg, user.id, outcome.kind, !create, mails,
                                   limits, now, held.delay_until_ms);
      if (job.message_id.empty()) {
        return Status::Internal(std::string("no ") + job.kind +
                                " mail was prepared");
      }
      Result<std::int64_t> id = rows.Enqueue(job);
      if (!id.ok()) return id.status();
      job_id = id.value();
      outcome.delayed_until_ms = held.delay_until_ms;
    }
    outcome.job_id = job_id;
    return rows.InsertReceipt(ReceiptFor(reg, !create, job_id, held.reason,
                                         token_hash, limits, now));
  });
  if (!s.ok()) return s;
  return outcome;
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
