#include "storage/codes.h"

namespace reg {

Result<CodeOutcome> JudgeCode(CodeRows& rows, const CodeTry& code,
                              std::int64_t now_ms) {
  CodeOutcome outcome;
  Result<int> wrong =
      rows.WrongCodesSince(code.mailbox, now_ms - code.window_ms);
  if (!wrong.ok()) return wrong.status();
  if (wrong.value() >= kMaxWrongCodes) {
    outcome.verdict = CodeVerdict::kTooMany;
    return outcome;
  }
  Result<std::string> token =
      rows.TokenOfCode(code.receipt_hash, code.code_mac, now_ms);
  if (!token.ok()) return token.status();
  if (!token.value().empty()) {
    outcome.verdict = CodeVerdict::kRight;
    outcome.token_hash = std::move(token).value();
    return outcome;
  }
  Status s = rows.AddWrongCode(code.mailbox, now_ms);
  if (!s.ok()) return s;
  // The contract's "from the 5th wrong code, 410": the one that reaches
  // the limit already answers as too many.
  outcome.verdict = wrong.value() + 1 >= kMaxWrongCodes ? CodeVerdict::kTooMany
                                                        : CodeVerdict::kWrong;
  return outcome;
}

}  // namespace reg
