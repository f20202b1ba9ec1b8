// smtp_loop: the mail pipeline's reference. A plain libcurl loop that sends
// COUNT copies of one mail over one reused easy handle (so one SMTP
// connection), with the options fcgi/smtp.cc uses, and prints mails/s:
//   smtp_loop smtp://127.0.0.1:PORT MAIL.eml COUNT [RCPT]   ->  "1834.2"
// MAIL.eml is a complete RFC 5322 message with CRLF line ends; the bench
// passes one the registrar itself rendered in the same run.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct Upload {
  const std::string* data;
  size_t pos;
};

size_t ReadUpload(char* buf, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t k = std::min(up->data->size() - up->pos, size * n);
  std::memcpy(buf, up->data->data() + up->pos, k);
  up->pos += k;
  return k;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: smtp_loop SMTP_URL MAIL.eml COUNT [RCPT]\n");
    return 2;
  }
  const std::string url = std::string(argv[1]) + "/bench.localhost";
  std::ifstream in(argv[2], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string message = ss.str();
  const long count = std::atol(argv[3]);
  const std::string rcpt =
      std::string("<") + (argc > 4 ? argv[4] : "loop@example.com") + ">";
  if (!in || message.empty() || count < 1) {
    std::fprintf(stderr, "smtp_loop: cannot read %s, or COUNT < 1\n", argv[2]);
    return 2;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
  CURL* h = curl_easy_init();
  if (h == nullptr) return 1;
  curl_slist* rcpts = curl_slist_append(nullptr, rcpt.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, "<no-reply@localhost>");
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                   static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 15000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  const auto start = std::chrono::steady_clock::now();
  long failed = 0;
  for (long i = 0; i < count; i++) {
    Upload upload{&message, 0};
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
      if (++failed == 1)
        std::fprintf(stderr, "smtp_loop: %s\n", curl_easy_strerror(rc));
    }
  }
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  long connects = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
  curl_slist_free_all(rcpts);
  curl_easy_cleanup(h);
  curl_global_cleanup();
  if (failed > 0) {
    std::fprintf(stderr, "smtp_loop: %ld of %ld sends failed\n", failed, count);
    return 1;
  }
  std::printf("%.1f\n", static_cast<double>(count) / s);
  return 0;
}
