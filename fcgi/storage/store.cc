// Store's engine-neutral calls (store.h).
#include "storage/store.h"

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

}  // namespace reg
