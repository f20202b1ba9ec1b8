#include "mail/smtp.h"

#include <cstring>
#include <vector>

#include "mail/mime.h"

namespace reg {
namespace {

struct Upload {
  const std::string* data;
  size_t pos;
};

size_t ReadUpload(char* buf, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t left = up->data->size() - up->pos;
  size_t k = std::min(left, size * n);
  std::memcpy(buf, up->data->data() + up->pos, k);
  up->pos += k;
  return k;
}

// Keeps the server's reply lines (the last few), for the job's history.
int Debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  if (line.size() > 200) line.resize(200);
  auto* lines = static_cast<std::vector<std::string>*>(user);
  if (lines->size() >= 16) lines->erase(lines->begin());
  lines->push_back(std::move(line));
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

// The EHLO name: the host of BASE_URL.
std::string EhloName(const std::string& base_url) {
  size_t start = base_url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = base_url.find_first_of(":/", start);
  std::string host =
      base_url.substr(start, end == std::string::npos ? end : end - start);
  return host.empty() ? "localhost" : host;
}

}  // namespace

CurlSmtpMailer::CurlSmtpMailer(const Config& config)
    : config_(config),
      url_(config.smtp_url + "/" + EhloName(config.base_url)) {}

SendResult CurlSmtpMailer::Send(const std::string& rcpt,
                                const std::string& message) {
  bool reused = false;
  SendResult r = SendOnce(rcpt, message, &reused);
  // A kept connection the server has since closed: try once on a new one.
  if (r.outcome == SendResult::Outcome::kRetry && reused &&
      (r.reason == "network" || r.reason == "connect")) {
    r = SendOnce(rcpt, message, &reused);
  }
  return r;
}

SendResult CurlSmtpMailer::SendOnce(const std::string& rcpt,
                                    const std::string& message, bool* reused) {
  SendResult result;
  if (!curl_) curl_.reset(curl_easy_init());
  CURL* h = curl_.get();
  if (h == nullptr) {
    result.reply = "curl_easy_init failed";
    result.reason = "network";
    return result;
  }
  std::string from = "<" + QuoteAddress(config_.mail_from) + ">";
  CurlSlist rcpts(
      curl_slist_append(nullptr, ("<" + QuoteAddress(rcpt) + ">").c_str()));
  Upload upload{&message, 0};
  std::vector<std::string> lines;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts.get());
  curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                   static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(config_.smtp_timeout_s) * 1000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, Debug);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &lines);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  long ssl = config_.smtp_tls == SmtpTls::kRequired ? CURLUSESSL_ALL
             : config_.smtp_tls == SmtpTls::kTry    ? CURLUSESSL_TRY
                                                    : CURLUSESSL_NONE;
  curl_easy_setopt(h, CURLOPT_USE_SSL, ssl);
  if (!config_.smtp_user.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, config_.smtp_user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, config_.smtp_password.c_str());
  }
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  long connects = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
  *reused = connects == 0;
  // The handle points at stack data; clear it before returning.
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, nullptr);

  result.reply = ReplyLine(lines, code);
  if (rc == CURLE_OK) {
    result.outcome = SendResult::Outcome::kSent;
    return result;
  }
  // Classify by CURLcode first (a timeout or a dropped connection comes
  // with whatever reply was read last), then by the reply's class.
  curl_.reset();  // never re-use a connection after a failure
  const std::string err = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    result.reason = "timeout";
    result.reply = "timeout after " + result.reply + ": " + err;
  } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
    result.reason = "connect";
    result.reply = err;
  } else if (code / 100 == 5) {
    result.outcome = SendResult::Outcome::kPermanent;
  } else if (code / 100 == 4) {
    result.reason = "4xx";
  } else if (rc == CURLE_SSL_CONNECT_ERROR ||
             rc == CURLE_PEER_FAILED_VERIFICATION ||
             rc == CURLE_USE_SSL_FAILED) {
    result.reason = "tls";
    result.reply = err;
  } else {
    result.reason = "network";
    result.reply = err;
  }
  return result;
}

}  // namespace reg
