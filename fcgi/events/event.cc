#include "events/event.h"

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "crypto/token.h"

namespace reg {

Result<std::string> NewEventId() {
  unsigned char raw[16];
  Status s = RandomBytes(raw, sizeof raw);
  if (!s.ok()) return s;
  return "evt_" +
         HexEncode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
}

std::string AccountVerifiedBody(const std::string& event_id,
                                std::int64_t created_s, std::int64_t account_id,
                                const std::string& email) {
  // ordered_json: the keys in the contract's order.
  nlohmann::ordered_json body = {
      {"id", event_id},
      {"type", "account.verified"},
      {"created", created_s},
      {"data", {{"account_id", account_id}, {"email", email}}}};
  return body.dump();
}

}  // namespace reg
