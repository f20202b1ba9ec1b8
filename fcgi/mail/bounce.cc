#include "mail/bounce.h"

#include "mail/dsn.h"

namespace reg {

BounceVerdict ReadBounce(std::string_view message,
                         std::string_view envelope_recipient,
                         const BounceTagger& tagger) {
  BounceVerdict v;
  Result<BounceTag> tag = ParseBounceTag(envelope_recipient);
  if (!tag.ok()) {
    v.why = tag.status().message();
    return v;
  }
  v.job_id = tag.value().job_id;
  v.created_s = tag.value().created_s;
  const Dsn dsn = ParseDsn(message);
  if (dsn.kind == Dsn::Kind::kAutoReply) {
    v.why = "an automatic reply";
    return v;
  }
  if (dsn.kind != Dsn::Kind::kReport) {
    v.why = "no delivery status notification";
    return v;
  }
  // The group of the recipient the tag was made for: its MAC checks.
  const DsnRecipient* group = nullptr;
  for (const DsnRecipient& r : dsn.recipients) {
    const std::string& named = r.original_recipient.empty()
                                   ? r.final_recipient
                                   : r.original_recipient;
    if (!named.empty() && tagger.Check(tag.value(), named)) {
      group = &r;
      break;
    }
  }
  if (group == nullptr) {
    v.why = "the tag is not ours for any recipient of the report";
    return v;
  }
  v.rcpt = group->original_recipient.empty() ? group->final_recipient
                                             : group->original_recipient;
  v.status = group->status;
  v.diagnostic = group->diagnostic;
  if (group->action != "failed" && group->action != "delayed") {
    v.why = "action " + group->action.substr(0, 32);
    return v;
  }
  v.action = group->action;
  v.record = true;
  v.why = group->action;
  return v;
}

}  // namespace reg
