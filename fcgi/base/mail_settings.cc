#include "base/mail_settings.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <cstring>

#include "base/config.h"
#include "base/encoding.h"

namespace reg {
namespace {

// Labels of 1 to 63 letters, digits and inner hyphens, joined by dots.
bool IsDomainName(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = d.find('.', start);
    const std::string_view label =
        d.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsLdh(c)) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// RFC 5322 atext (ASCII only: the envelope sender must need no SMTPUTF8).
bool IsAsciiAtext(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) !=
             std::string_view::npos;
}

Status CheckAddress(std::string_view a) {
  const std::size_t at = a.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    return Status::InvalidArgument("no address (want name@example.com)");
  }
  const std::string_view local = a.substr(0, at);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return Status::InvalidArgument("the part before the @ is not valid");
  }
  for (char c : local) {
    if (c != '.' && !IsAsciiAtext(c)) {
      return Status::InvalidArgument(
          "the part before the @ holds a character other than ASCII "
          "letters, digits and !#$%&'*+-/=?^_`{|}~");
    }
  }
  if (!IsDomainName(a.substr(at + 1))) {
    return Status::InvalidArgument("the domain is not a host name");
  }
  return Status::Ok();
}

bool IsIpv4(std::string_view s) {
  in_addr a;
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

bool IsIpv6(std::string_view s) {
  in6_addr a;
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

}  // namespace

Result<MailFrom> ParseMailFrom(std::string_view value) {
  value = TrimBlanks(value);
  MailFrom from;
  const std::size_t open = value.find('<');
  if (open == std::string_view::npos) {
    from.address = std::string(value);
  } else {
    if (value.back() != '>' || value.find('<', open + 1) != value.npos ||
        value.find('>') != value.size() - 1) {
      return Status::InvalidArgument(
          "want an address, or a name and <address>");
    }
    from.address = std::string(value.substr(open + 1, value.size() - open - 2));
    std::string_view name = TrimBlanks(value.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
      std::string unquoted;
      for (std::size_t i = 0; i < name.size(); i++) {
        if (name[i] == '\\' && i + 1 < name.size())
          ++i;
        else if (name[i] == '"' || name[i] == '\\')
          return Status::InvalidArgument("the name has an unescaped quote");
        unquoted += name[i];
      }
      from.name = std::move(unquoted);
    } else if (name.find('"') != std::string_view::npos) {
      return Status::InvalidArgument("the name has an unbalanced quote");
    } else {
      from.name = std::string(name);
    }
  }
  if (from.address.find_first_of(" \t") != std::string::npos) {
    return Status::InvalidArgument("want an address, or a name and <address>");
  }
  Status s = CheckAddress(from.address);
  if (!s.ok()) return s;
  for (char c : from.name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("the name holds a control character");
    }
  }
  return from;
}

std::string UrlHost(std::string_view url) {
  std::size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  std::string_view rest = url.substr(start);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos)
    rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return "";
    return AsciiLowerCopy(rest.substr(1, close - 1));
  }
  return AsciiLowerCopy(rest.substr(0, rest.find(':')));
}

bool IsIpAddress(std::string_view host) { return IsIpv4(host) || IsIpv6(host); }

bool IsLoopbackHost(std::string_view host) {
  const std::string h = AsciiLowerCopy(host);
  if (h == "localhost" || h == "::1") return true;
  if (h.size() > 10 && h.compare(h.size() - 10, 10, ".localhost") == 0)
    return true;
  return IsIpv4(h) && h.rfind("127.", 0) == 0;
}

Result<std::string> EhloName(std::string_view name) {
  if (IsIpv4(name)) return "[" + std::string(name) + "]";
  if (IsIpv6(name)) return "[IPv6:" + std::string(name) + "]";
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    std::string_view inner = name.substr(1, name.size() - 2);
    if (IsIpv4(inner)) return std::string(name);
    if (inner.rfind("IPv6:", 0) == 0 && IsIpv6(inner.substr(5)))
      return std::string(name);
    return Status::InvalidArgument("not an address literal");
  }
  if (!IsDomainName(name)) {
    return Status::InvalidArgument("not a host name nor an IP address");
  }
  return std::string(name);
}

std::string DefaultEhloName(std::string_view fqdn, std::string_view base_url) {
  if (fqdn.find('.') != std::string_view::npos && !IsLoopbackHost(fqdn) &&
      EhloName(fqdn).ok()) {
    return std::string(fqdn);
  }
  Result<std::string> host = EhloName(UrlHost(base_url));
  return host.ok() ? host.value() : "localhost";
}

std::string HostFqdn() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  addrinfo hints = {};
  hints.ai_flags = AI_CANONNAME;
  addrinfo* info = nullptr;
  if (getaddrinfo(name, nullptr, &hints, &info) != 0) return "";
  std::string canon = info->ai_canonname != nullptr ? info->ai_canonname : "";
  freeaddrinfo(info);
  return canon;
}

std::vector<std::string> MailWarnings(const Config& config) {
  std::vector<std::string> lines;
  if (IsLoopbackHost(UrlHost(config.smtp_url))) return lines;
  const std::string& from = config.mail_from;
  const std::string domain = AsciiLowerCopy(from.substr(from.rfind('@') + 1));
  if (domain.find('.') == std::string::npos || IsLoopbackHost(domain)) {
    lines.push_back("warning: MAIL_FROM=" + from + ": the domain " + domain +
                    " is not a real domain; receivers that check the "
                    "sender's domain (SPF, DMARC, a DNS lookup) will refuse "
                    "or junk every mail");
  }
  const std::string base_host = UrlHost(config.base_url);
  if (IsIpAddress(base_host) || IsLoopbackHost(base_host)) {
    lines.push_back(
        "warning: BASE_URL=" + config.base_url + ": links on " +
        (IsLoopbackHost(base_host) ? "a loopback host" : "an IP address") +
        " do not work for readers elsewhere, and spam filters score mails "
        "with numeric or local links as spam");
  }
  return lines;
}

}  // namespace reg
