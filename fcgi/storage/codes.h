// Codes (CONTRACT section 8): what every engine decides alike about the
// code typed at POST /activate with a receipt. An engine reads and writes
// the rows (CodeRows) with its own SQL, inside its transaction; JudgeCode
// decides, here, once.
#ifndef FCGI_STORAGE_CODES_H_
#define FCGI_STORAGE_CODES_H_

#include <cstdint>
#include <string>

#include "base/status.h"

namespace reg {

// Wrong codes a mailbox takes within the token lifetime (TOKEN_TTL_S);
// from then on every code of it answers 410 (its links still work).
constexpr int kMaxWrongCodes = 5;

// What a receipt says for a code, read without a write
// (Store::CodeReceipt).
struct CodeReceipt {
  // Where wrong codes typed with it count: the mailbox of its mail (or of
  // the mail it would have named), for any receipt, own or not.
  std::string mailbox;
};

// A code typed with a receipt: the receipt's hash, its mailbox
// (CodeReceipt), the code's MAC (CodeMac::Mac for that mailbox).
struct CodeTry {
  std::string receipt_hash;
  std::string mailbox;
  std::string code_mac;
  std::int64_t window_ms = 86400 * 1000LL;  // TOKEN_TTL_S: wrong codes count
};

enum class CodeVerdict { kRight, kWrong, kTooMany };

struct CodeOutcome {
  CodeVerdict verdict = CodeVerdict::kWrong;
  // kRight: the token of the mail the code was in; POST /activate goes on
  // as with its link from the registering browser.
  std::string token_hash;
};

// The rows JudgeCode reads and writes, inside one engine transaction that
// holds the mailbox (SQLite's one writer; PostgreSQL's advisory lock on
// it): two codes of one mailbox, on any host, take turns.
class CodeRows {
 public:
  virtual ~CodeRows() = default;
  // Wrong codes of "mailbox" since "since_ms" (exclusive).
  virtual Result<int> WrongCodesSince(const std::string& mailbox,
                                      std::int64_t since_ms) = 0;
  // The token, not expired at "now_ms" (used or not), of the registration
  // whose own receipt (a POST /register's) is "receipt_hash", still valid,
  // whose mail held the code of "code_mac": "" for none.
  virtual Result<std::string> TokenOfCode(const std::string& receipt_hash,
                                          const std::string& code_mac,
                                          std::int64_t now_ms) = 0;
  // Records a wrong code of "mailbox" at "now_ms".
  virtual Status AddWrongCode(const std::string& mailbox,
                              std::int64_t now_ms) = 0;
};

// The verdict on "code": kTooMany once the mailbox has kMaxWrongCodes
// wrong codes within the window (and then nothing is recorded); kRight
// with the token of the code; else a wrong code, recorded: kWrong, or
// kTooMany if it is the kMaxWrongCodes-th. The same reads for a receipt
// whose mail had a code and one whose had none.
Result<CodeOutcome> JudgeCode(CodeRows& rows, const CodeTry& code,
                              std::int64_t now_ms);

}  // namespace reg

#endif  // FCGI_STORAGE_CODES_H_
