// Fuzzes what `regctl bounce` reads from outside: ParseDsn on the whole
// input as a message, and ReadBounce with the input split at its first NUL
// into an envelope recipient and a message. Properties: no crash; every
// group's fields are bounded (Status well formed or empty, Diagnostic-Code
// printable ASCII of at most 200 characters); a verdict to record names a
// failed or delayed group of the report; and no envelope recipient without
// a tag made under the key is ever recorded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/bounce_tag.h"
#include "fuzz_util.h"
#include "mail/bounce.h"
#include "mail/dsn.h"

namespace {

bool WellFormedStatus(std::string_view s) {
  if (s.empty()) return true;
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
      s[1] != '.') {
    return false;
  }
  int dots = 0;
  for (char c : s.substr(2)) {
    if (c == '.') {
      dots++;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 1;
}

const reg::BounceTagger& Tagger() {
  static const reg::BounceTagger* tagger =
      new reg::BounceTagger(reg::BounceTagger::Create(std::string(64, 'f')).value());
  return *tagger;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view in = fuzz::AsView(data, size);
  const reg::Dsn dsn = reg::ParseDsn(in);
  if (dsn.kind != reg::Dsn::Kind::kReport) FUZZ_CHECK(dsn.recipients.empty());
  for (const reg::DsnRecipient& r : dsn.recipients) {
    FUZZ_CHECK(WellFormedStatus(r.status));
    FUZZ_CHECK(r.diagnostic.size() <= 200);
    for (char c : r.diagnostic) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
    FUZZ_CHECK(!r.final_recipient.empty() || !r.original_recipient.empty());
  }

  const std::size_t nul = in.find('\0');
  const std::string_view rcpt = in.substr(0, nul);
  const std::string_view message =
      nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  const reg::BounceVerdict v = reg::ReadBounce(message, rcpt, Tagger());
  if (v.record) {
    FUZZ_CHECK(v.action == "failed" || v.action == "delayed");
    // Only a tag made under the key: it must be the very tag Tag() gives.
    const std::string want =
        Tagger().Tag(v.job_id, v.rcpt, v.created_s * 1000);
    std::string lower(rcpt);
    for (char& c : lower) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    FUZZ_CHECK(lower.find("+" + want + "@") != std::string::npos);
  }
  return 0;
}
