// The mail settings as operators write them: MAIL_FROM with a display
// name, the EHLO name, which hosts are loopback, and the start-up warnings
// about settings real receivers dislike. Pure functions, thread-safe.
#ifndef FCGI_BASE_MAIL_SETTINGS_H_
#define FCGI_BASE_MAIL_SETTINGS_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace reg {

struct Config;

struct MailFrom {
  std::string name;     // display name, UTF-8 ("" for none)
  std::string address;  // "no-reply@example.com"
};

// "no-reply@example.com", "<no-reply@example.com>",
// "Example <no-reply@example.com>" or "\"Example, Inc.\" <...>": the
// address must be ASCII, with a dot-atom local part and a domain of
// letters, digits, hyphens and dots (or "localhost"). The name may be any
// UTF-8 without control characters, '<', '>' or unbalanced quotes.
// InvalidArgument with the reason otherwise.
Result<MailFrom> ParseMailFrom(std::string_view value);

// The host of "scheme://host:port/path" without brackets, lowercased:
// "smtp://[::1]:25" gives "::1". "" when there is none.
std::string UrlHost(std::string_view url);

// localhost, *.localhost, 127.0.0.0/8, ::1.
bool IsLoopbackHost(std::string_view host);

// true for a dotted-quad IPv4 or an IPv6 address (no brackets).
bool IsIpAddress(std::string_view host);

// The EHLO argument for "name": an IP address as a literal
// ("[192.0.2.1]", "[IPv6:2001:db8::1]"), a literal or a domain name as
// it is. InvalidArgument when "name" is none of these.
Result<std::string> EhloName(std::string_view name);

// The default EHLO name: "fqdn" (the host's own fully qualified name) when
// it has a dot and is not loopback, else BASE_URL's host.
std::string DefaultEhloName(std::string_view fqdn, std::string_view base_url);

// The host's fully qualified name (gethostname + getaddrinfo's canonical
// name), "" when it has none.
std::string HostFqdn();

// Lines naming a setting that receivers will frown on, for a config that
// mails a server other than a loopback one ("warning: MAIL_FROM=...").
std::vector<std::string> MailWarnings(const Config& config);

}  // namespace reg

#endif  // FCGI_BASE_MAIL_SETTINGS_H_
