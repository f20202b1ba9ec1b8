// Receipts (CONTRACT section 8): what every engine decides alike about
// them. A receipt names a mail (or says why none was sent); an engine
// reads the facts of one (Store::LookUpReceipt) with its own SQL, and
// ReceiptStatusOf turns them into what GET /register/status shows, here,
// once.
#ifndef FCGI_STORAGE_RECEIPTS_H_
#define FCGI_STORAGE_RECEIPTS_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace reg {

// Why a receipt names no mail. Stored as its name (ReceiptNotSentName).
enum class NotSent { kNo, kMailCap, kSuppressed };
// "" for kNo, "mail_cap", "suppressed".
const char* NotSentName(NotSent reason);
// The reason NotSentName names; kNo for any other name.
NotSent NotSentFromName(std::string_view name);

// The row a Register or Resend writes, in the transaction of its mail.
struct NewReceipt {
  std::string hash;        // ReceiptHash(R)
  bool own = false;        // a POST /register's (its cookie proves it)
  std::int64_t job_id = 0;  // the mail it names; 0: none queued
  NotSent not_sent = NotSent::kNo;
  // The token minted with it ("" for none): a registration's own names
  // the registration (and proves it, in the cookie); a resend's names the
  // resent link, whose registration's own receipt its code goes with
  // (Store::ResendCodeReceipt), and proves nothing.
  std::string token_hash;
  std::string mailbox;     // MailboxKey of the address: wrong codes count there
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
};

// What an engine reads of a live receipt and the mail it names.
struct ReceiptFacts {
  bool own = false;
  std::int64_t created_ms = 0;
  NotSent not_sent = NotSent::kNo;
  std::int64_t job_id = 0;   // 0: no mail
  std::string job_state;     // JobStateName: queued, sending, sent, failed
  int attempts = 0;          // claims so far
  std::int64_t next_attempt_ms = 0;
  // MAIL_CAP_TOTAL delayed the job until then (its cap_ms past its
  // creation); 0: not delayed.
  std::int64_t delayed_until_ms = 0;
  // The job's last change: its newest history line's time, kept on its
  // row (storage/outbox.h); 0 for none.
  std::int64_t changed_ms = 0;
  std::string last_reply;       // the server's reply or a transport error
  std::int64_t sent_ms = 0;
  // An own receipt whose registration is verified (its token used, its
  // account verified): when, kept on the receipt's row; 0 otherwise.
  std::int64_t verified_ms = 0;
  // A delivery status notification recorded for the job (bounces): its
  // status code ("5.1.1") and when; "" for none.
  std::string bounce_status;
  std::int64_t bounced_ms = 0;
  // A notification that the mail is delayed further on: when; 0 for none.
  std::int64_t remote_delayed_ms = 0;
};

// ReceiptFacts' bounce fields from a job's recorded notification (its
// Action, Status and time; "" for none).
void SetNotificationFacts(std::string_view action, std::string_view status,
                          std::int64_t at_ms, ReceiptFacts* facts);

// GET /register/status's answer, times in Unix seconds.
struct ReceiptStatus {
  // queued, sending, delayed, accepted, refused, bounced, not_sent,
  // verified.
  std::string state;
  std::int64_t since_s = 0;
  // refused/bounced: a status code; not_sent, and delayed by our own
  // MAIL_CAP_TOTAL: why ("mail_cap")
  std::string detail;
  std::int64_t retry_at_s = 0;  // 0: none
  std::string reply;          // the server's words, "" for none
  // A registration's own receipt whose mail went (or is going) out, not
  // verified yet: the code in that mail may be typed with it.
  bool takes_code = false;
};

// The status the facts of a receipt show. Pure.
ReceiptStatus ReceiptStatusOf(const ReceiptFacts& facts);

// True for the states that change no more (the page stops asking).
bool IsFinalReceiptState(std::string_view state);

// The status code of an SMTP reply: its enhanced code ("550 5.1.1 ..."
// gives "5.1.1"), else its basic one ("550"); "" when it has none.
std::string ReplyStatusCode(std::string_view reply);

// "reply" as the server's words may be shown: "" unless it starts with a
// three-digit reply code (a transport error is ours, not the server's);
// otherwise only printable ASCII, at most 200 characters.
std::string ServerWords(std::string_view reply);

}  // namespace reg

#endif  // FCGI_STORAGE_RECEIPTS_H_
