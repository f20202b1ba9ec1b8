#include "mail/smtp.h"

#include <cstring>
#include <vector>

#include "base/curl_options.h"
#include "base/mail_settings.h"
#include "mail/mime.h"

namespace reg {
namespace {

// The message, handed out as libcurl asks; stopped before its first byte
// when the recipient needs SMTPUTF8 and the server does not offer it.
struct Upload {
  const std::string* data;
  size_t pos;
  bool needs_smtputf8;
  const Smtputf8* smtputf8;
  bool stopped;
};

size_t ReadUpload(char* buf, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  if (up->pos == 0 && up->needs_smtputf8 &&
      *up->smtputf8 != Smtputf8::kOffered) {
    up->stopped = true;  // closing before the final dot sends nothing
    return CURL_READFUNC_ABORT;
  }
  size_t left = up->data->size() - up->pos;
  size_t k = std::min(left, size * n);
  std::memcpy(buf, up->data->data() + up->pos, k);
  up->pos += k;
  return k;
}

// The server's reply lines (the last few), for the job's history, and
// whether its last EHLO reply offered SMTPUTF8.
struct Transcript {
  std::vector<std::string> lines;
  Smtputf8* smtputf8;
  bool at_rcpt = false;  // the last command sent was RCPT TO
  // A 5xx answered RCPT TO (libcurl may send RSET or QUIT after it).
  bool rcpt_refused = false;
};

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); i++) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (c != prefix[i]) return false;
  }
  return true;
}

int Debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto* t = static_cast<Transcript*>(user);
  const std::string_view text(data, size);
  if (type == CURLINFO_HEADER_OUT && StartsWithNoCase(text, "EHLO ")) {
    *t->smtputf8 = Smtputf8::kNotOffered;  // until its reply says otherwise
  }
  if (type == CURLINFO_HEADER_OUT) t->at_rcpt = StartsWithNoCase(text, "RCPT ");
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string line(text);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  if (t->at_rcpt && !line.empty() && line[0] == '5') t->rcpt_refused = true;
  if (line.size() >= 12 &&
      (line.compare(0, 4, "250-") == 0 || line.compare(0, 4, "250 ") == 0)) {
    const std::string_view keyword = std::string_view(line).substr(4);
    if (StartsWithNoCase(keyword, "SMTPUTF8") &&
        (keyword.size() == 8 || keyword[8] == ' ')) {
      *t->smtputf8 = Smtputf8::kOffered;
    }
  }
  if (line.size() > 200) line.resize(200);
  if (t->lines.size() >= 16) t->lines.erase(t->lines.begin());
  t->lines.push_back(std::move(line));
  return 0;
}

// The last reply line with curl's final code: "550 5.1.1 no such user",
// not the "221 Bye" that follows it.
std::string ReplyLine(const std::vector<std::string>& lines, long code) {
  const std::string prefix = std::to_string(code);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->compare(0, prefix.size(), prefix) == 0) return *it;
  }
  return prefix;
}

// libcurl takes the EHLO name from the URL's path, percent-decoded:
// "[192.0.2.1]" goes as "%5B192.0.2.1%5D".
std::string PathEncode(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += kHex[(static_cast<unsigned char>(c) >> 4) & 15];
      out += kHex[static_cast<unsigned char>(c) & 15];
    }
  }
  return out;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

CurlSmtpMailer::CurlSmtpMailer(const Config& config) : config_(config) {
  const std::string helo = config.smtp_helo.empty()
                               ? DefaultEhloName(HostFqdn(), config.base_url)
                               : config.smtp_helo;
  url_ = config.smtp_url + "/" + PathEncode(helo);
}

void CurlSmtpMailer::CloseIfIdle() {
  if (!curl_) return;
  if (std::chrono::steady_clock::now() - last_used_ <
      std::chrono::seconds(config_.smtp_idle_s)) {
    return;
  }
  curl_.reset();  // curl_easy_cleanup says QUIT on the kept connection
  smtputf8_ = Smtputf8::kUnknown;
}

SendResult CurlSmtpMailer::Send(const std::string& rcpt,
                                const std::string& message,
                                const std::string& sender) {
  CloseIfIdle();  // rather than find out the server has timed it out
  bool reused = false;
  SendResult r = SendOnce(rcpt, message, sender, &reused);
  // A kept connection the server has since closed: try once on a new one.
  if (r.outcome == SendResult::Outcome::kRetry && reused &&
      (r.reason == RetryReason::kNetwork ||
       r.reason == RetryReason::kConnect)) {
    r = SendOnce(rcpt, message, sender, &reused);
  }
  last_used_ = std::chrono::steady_clock::now();
  return r;
}

SendResult CurlSmtpMailer::SendOnce(const std::string& rcpt,
                                    const std::string& message,
                                    const std::string& sender, bool* reused) {
  SendResult result;
  if (!curl_) {
    curl_.reset(curl_easy_init());
    smtputf8_ = Smtputf8::kUnknown;
  }
  CURL* h = curl_.get();
  if (h == nullptr) {
    result.reply = "curl_easy_init failed";
    result.reason = RetryReason::kNetwork;
    return result;
  }
  const std::string from =
      "<" + QuoteAddress(sender.empty() ? config_.mail_from : sender) + ">";
  const std::string to = "<" + QuoteAddress(rcpt) + ">";
  CurlSlist rcpts;
  if (Status s = AppendToSlist(&rcpts, to.c_str()); !s.ok()) {
    result.reply = s.message();
    result.reason = RetryReason::kNetwork;
    return result;
  }
  const bool needs_smtputf8 = !IsAscii(rcpt);
  Upload upload{&message, 0, needs_smtputf8, &smtputf8_, false};
  Transcript transcript{{}, &smtputf8_};
  char errbuf[CURL_ERROR_SIZE] = {0};
  CurlOptions opts(h);
  opts.Set(CURLOPT_URL, url_.c_str())
      // Only SMTP, never through a proxy named in the environment.
      .Set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
      .Set(CURLOPT_REDIR_PROTOCOLS_STR, "smtp,smtps")
      .Set(CURLOPT_PROXY, "")
      .Set(CURLOPT_MAIL_FROM, from.c_str())
      .Set(CURLOPT_MAIL_RCPT, rcpts.get())
      .Set(CURLOPT_READFUNCTION, ReadUpload)
      .Set(CURLOPT_READDATA, &upload)
      .Set(CURLOPT_UPLOAD, 1L)
      .Set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  // Connecting, TLS, greeting and EHLO: short. Each reply after that (the
  // one to the final dot above all): SMTP_TIMEOUT_S. The whole send: both.
  const long connect_s = config_.smtp_connect_s;
  const long reply_s = config_.smtp_timeout_s;
  opts.Set(CURLOPT_CONNECTTIMEOUT_MS, connect_s * 1000L)
      .Set(CURLOPT_SERVER_RESPONSE_TIMEOUT, reply_s)
      .Set(CURLOPT_TIMEOUT_MS, (connect_s + 2 * reply_s) * 1000L)
      // libcurl itself stops reusing a connection idle this long.
      .Set(CURLOPT_MAXAGE_CONN, static_cast<long>(config_.smtp_idle_s))
      .Set(CURLOPT_NOSIGNAL, 1L)
      .Set(CURLOPT_ERRORBUFFER, errbuf)
      .Set(CURLOPT_DEBUGFUNCTION, Debug)
      .Set(CURLOPT_DEBUGDATA, &transcript)
      .Set(CURLOPT_VERBOSE, 1L);
  long ssl = config_.smtp_tls == SmtpTls::kRequired ? CURLUSESSL_ALL
             : config_.smtp_tls == SmtpTls::kTry    ? CURLUSESSL_TRY
                                                    : CURLUSESSL_NONE;
  opts.Set(CURLOPT_USE_SSL, ssl);
  if (!config_.smtp_ca_file.empty()) {
    // The file's CAs and no others: Debian's libcurl also trusts every CA
    // in its built-in CA path (/etc/ssl/certs) unless the path is cleared.
    opts.Set(CURLOPT_CAINFO, config_.smtp_ca_file.c_str())
        .Set(CURLOPT_CAPATH, nullptr);
  }
  if (!config_.smtp_user.empty()) {
    opts.Set(CURLOPT_USERNAME, config_.smtp_user.c_str())
        .Set(CURLOPT_PASSWORD, config_.smtp_password.c_str());
  }
  if (Status s = opts.status(); !s.ok()) {
    // Half set up, and maybe pointing at this frame: never used again.
    curl_.reset();
    smtputf8_ = Smtputf8::kUnknown;
    result.reply = s.message();
    result.reason = RetryReason::kNetwork;
    return result;
  }
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) {
    code = 0;
  }
  long connects = -1;
  if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) != CURLE_OK) {
    connects = -1;
  }
  *reused = connects == 0;
  // The handle points at stack data; clear it before returning, or drop it.
  CurlOptions clear(h);
  clear.Set(CURLOPT_MAIL_RCPT, nullptr)
      .Set(CURLOPT_ERRORBUFFER, nullptr)
      .Set(CURLOPT_DEBUGDATA, nullptr)
      .Set(CURLOPT_READDATA, nullptr);
  if (clear.code() != CURLE_OK) {
    curl_.reset();
    smtputf8_ = Smtputf8::kUnknown;
  }

  result.reply = ReplyLine(transcript.lines, code);
  if (rc == CURLE_OK) {
    result.outcome = SendResult::Outcome::kSent;
    return result;
  }
  // Classify by CURLcode first (a timeout or a dropped connection comes
  // with whatever reply was read last), then by the reply's class.
  curl_.reset();  // never re-use a connection after a failure
  const Smtputf8 offered = smtputf8_;
  smtputf8_ = Smtputf8::kUnknown;
  const std::string err = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  if (needs_smtputf8 && (upload.stopped || offered == Smtputf8::kNotOffered)) {
    // RFC 6531: without SMTPUTF8 the address cannot be given to this
    // server at all; sending it anyway arrives mangled.
    result.outcome = SendResult::Outcome::kPermanent;
    result.reply =
        "not sent: the server does not offer SMTPUTF8, which the "
        "recipient's non-ASCII address needs (RFC 6531)";
    if (!upload.stopped)
      result.reply += "; it said: " + ReplyLine(transcript.lines, code);
    return result;
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    result.reason = RetryReason::kTimeout;
    result.reply = "timeout after " + result.reply + ": " + err;
  } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
    result.reason = RetryReason::kConnect;
    result.reply = err;
  } else if (code / 100 == 5) {
    result.outcome = SendResult::Outcome::kPermanent;
    result.rcpt_refused = transcript.rcpt_refused;
  } else if (code / 100 == 4) {
    result.reason = RetryReason::k4xx;
  } else if (rc == CURLE_SSL_CONNECT_ERROR ||
             rc == CURLE_PEER_FAILED_VERIFICATION ||
             rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CACERT_BADFILE) {
    result.reason = RetryReason::kTls;
    result.reply = err;
  } else {
    result.reason = RetryReason::kNetwork;
    result.reply = err;
  }
  return result;
}

}  // namespace reg
