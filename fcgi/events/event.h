// The events the service posts to the site's own application (WEBHOOK_URL,
// contract section 6): their bodies, built once when the event is queued.
#ifndef FCGI_EVENTS_EVENT_H_
#define FCGI_EVENTS_EVENT_H_

#include <cstdint>
#include <string>

#include "base/status.h"

namespace reg {

// A new event id: "evt_" and 32 lowercase hex characters of fresh
// randomness. Stable across an event's attempts (it is stored with it), so
// receivers dedupe by it.
Result<std::string> NewEventId();

// The account.verified body, exactly as the contract writes it:
// {"id":…,"type":"account.verified","created":…,"data":{"account_id":…,
// "email":…}}, "created" in Unix seconds.
std::string AccountVerifiedBody(const std::string& event_id,
                                std::int64_t created_s, std::int64_t account_id,
                                const std::string& email);

}  // namespace reg

#endif  // FCGI_EVENTS_EVENT_H_
