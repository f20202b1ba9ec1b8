#include "crypto/job_signer.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <initializer_list>
#include <system_error>

#include "base/encoding.h"
#include "crypto/openssl_error.h"
#include "crypto/token.h"

namespace reg {
namespace {

constexpr size_t kMacBytes = 32;
constexpr size_t kSecretHexChars = 64;
constexpr std::string_view kSignaturePrefix = "v1=";

// "<path>: <what>: <strerror(err)>", thread-safe.
Status PosixError(const std::string& path, const char* what, int err) {
  return Status::Internal(path + ": " + what + ": " +
                          std::system_category().message(err));
}

Result<EvpMac> FetchHmac() {
  EvpMac mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return OpenSslError("EVP_MAC_fetch(HMAC)");
  return mac;
}

// HMAC-SHA256 under "key" of the concatenated "parts"; raw 32 bytes.
Result<std::string> MacParts(EVP_MAC* mac, std::string_view key,
                             std::initializer_list<std::string_view> parts) {
  EvpMacCtx ctx(EVP_MAC_CTX_new(mac));
  if (!ctx) return OpenSslError("EVP_MAC_CTX_new");
  OSSL_PARAM ps[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end(),
  };
  static const unsigned char kEmpty[1] = {0};
  const unsigned char* k =
      key.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(ctx.get(), k, key.size(), ps) != 1) {
    return OpenSslError("EVP_MAC_init");
  }
  for (std::string_view part : parts) {
    if (part.empty()) continue;
    if (EVP_MAC_update(ctx.get(),
                       reinterpret_cast<const unsigned char*>(part.data()),
                       part.size()) != 1) {
      return OpenSslError("EVP_MAC_update");
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), md, &len, sizeof md) != 1) {
    return OpenSslError("EVP_MAC_final");
  }
  if (len != kMacBytes) return Status::Internal("HMAC-SHA256: bad length");
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace

Result<std::string> HmacSha256(std::string_view key, std::string_view message) {
  Result<EvpMac> mac = FetchHmac();
  if (!mac.ok()) return mac.status();
  return MacParts(mac.value().get(), key, {message});
}

Result<JobSigner> JobSigner::Create(std::string key) {
  if (key.empty()) return Status::Internal("job signer: empty key");
  Result<EvpMac> mac = FetchHmac();
  if (!mac.ok()) return mac.status();
  return JobSigner(std::move(key), std::move(mac).value());
}

Result<std::string> JobSigner::Mac(std::string_view timestamp,
                                   std::string_view body) const {
  return MacParts(mac_.get(), key_, {timestamp, ".", body});
}

std::string JobSigner::Sign(std::int64_t timestamp,
                            std::string_view body) const {
  Result<std::string> mac = Mac(std::to_string(timestamp), body);
  if (!mac.ok()) return std::string();
  return std::string(kSignaturePrefix) + HexEncode(mac.value());
}

Status JobSigner::Verify(std::string_view timestamp_header,
                         std::string_view signature_header,
                         std::string_view body, std::int64_t now_s) const {
  if (timestamp_header.empty() || timestamp_header.size() > 12) {
    return Status::Unauthenticated("job timestamp missing or too long");
  }
  std::int64_t ts = 0;
  for (char c : timestamp_header) {
    if (c < '0' || c > '9') {
      return Status::Unauthenticated("job timestamp not a decimal number");
    }
    ts = ts * 10 + (c - '0');
  }
  // |now_s - ts| without signed overflow, whatever now_s is.
  std::uint64_t skew =
      now_s >= ts
          ? static_cast<std::uint64_t>(now_s) - static_cast<std::uint64_t>(ts)
          : static_cast<std::uint64_t>(ts) - static_cast<std::uint64_t>(now_s);
  if (skew > static_cast<std::uint64_t>(kMaxSkewS)) {
    return Status::Unauthenticated("job timestamp more than 300 s from now");
  }

  bool well_formed =
      signature_header.size() == kSignaturePrefix.size() + 2 * kMacBytes &&
      signature_header.substr(0, kSignaturePrefix.size()) == kSignaturePrefix;
  if (well_formed) {
    for (char c : signature_header.substr(kSignaturePrefix.size())) {
      well_formed &= IsLowerHexDigit(c);
    }
  }
  if (!well_formed) {
    return Status::Unauthenticated("job signature not v1=<64 lowercase hex>");
  }
  unsigned char given[kMacBytes];
  std::string_view hex = signature_header.substr(kSignaturePrefix.size());
  for (size_t i = 0; i < kMacBytes; ++i) {
    given[i] = static_cast<unsigned char>(HexDigitValue(hex[2 * i]) << 4 |
                                          HexDigitValue(hex[2 * i + 1]));
  }

  Result<std::string> expected = Mac(timestamp_header, body);
  if (!expected.ok()) return expected.status();
  if (CRYPTO_memcmp(given, expected.value().data(), kMacBytes) != 0) {
    return Status::Unauthenticated("job signature mismatch");
  }
  return Status::Ok();
}

Result<std::string> LoadSecret(const std::string& path) {
  // O_NONBLOCK: a FIFO planted at "path" must not hang us before fstat.
  // O_NOFOLLOW: a symlink planted at "path" is refused, not followed.
  UniqueFd fd(open(path.c_str(),
                   O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ELOOP) return Status::Internal(path + ": is a symlink");
    return PosixError(path, "open", errno);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return PosixError(path, "fstat", errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::Internal(path + ": not a regular file");
  }
  if (st.st_uid != geteuid()) {
    return Status::Internal(path + ": owned by uid " +
                            std::to_string(st.st_uid) +
                            ", not by the user the workers run as (uid " +
                            std::to_string(geteuid()) + ")");
  }
  if ((st.st_mode & 077) != 0) {
    return Status::Internal(path + ": readable by group or others (chmod 600 " +
                            path + ")");
  }

  // One byte more than the longest valid content, to detect longer files.
  char buf[kSecretHexChars + 2];
  size_t len = 0;
  while (len < sizeof buf) {
    ssize_t n = read(fd.get(), buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      OPENSSL_cleanse(buf, sizeof buf);
      return PosixError(path, "read", err);
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  bool valid = len == kSecretHexChars ||
               (len == kSecretHexChars + 1 && buf[kSecretHexChars] == '\n');
  for (size_t i = 0; valid && i < kSecretHexChars; ++i) {
    valid = IsLowerHexDigit(buf[i]);
  }
  std::string secret;
  if (valid) secret.assign(buf, kSecretHexChars);
  OPENSSL_cleanse(buf, sizeof buf);
  if (!valid) {
    return Status::Internal(path +
                            ": expected exactly 64 lowercase hex characters"
                            " (optionally followed by one newline)");
  }
  return secret;
}

Result<std::string> CreateSecretIfMissing(const std::string& path) {
  // Written whole under a name of this process's, then linked to "path":
  // link() never replaces a file, so processes starting together all end
  // up with the one secret that got there first, and none ever reads a
  // half-written one.
  unsigned char suffix[8];
  if (Status r = RandomBytes(suffix, sizeof suffix); !r.ok()) return r;
  const std::string tmp = path + ".new." +
                          HexEncode(std::string_view(
                              reinterpret_cast<char*>(suffix), sizeof suffix));
  UniqueFd fd(open(tmp.c_str(),
                   O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    if (access(path.c_str(), F_OK) == 0) return LoadSecret(path);
    return PosixError(tmp, "create", errno);
  }
  unsigned char raw[kSecretHexChars / 2];
  Status s = RandomBytes(raw, sizeof raw);
  std::string hex;
  if (s.ok()) {
    hex = HexEncode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  }
  OPENSSL_cleanse(raw, sizeof raw);
  size_t done = 0;
  while (s.ok() && done < hex.size()) {
    ssize_t n = write(fd.get(), hex.data() + done, hex.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) s = PosixError(tmp, "write", n < 0 ? errno : EIO);
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (s.ok() && fsync(fd.get()) != 0) s = PosixError(tmp, "fsync", errno);
  if (s.ok() && close(fd.release()) != 0) s = PosixError(tmp, "close", errno);
  OPENSSL_cleanse(hex.data(), hex.size());
  if (s.ok() && link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    s = PosixError(path, "link", errno);
  }
  fd.reset();
  unlink(tmp.c_str());
  if (!s.ok()) return s;
  return LoadSecret(path);  // ours, or the one another process linked first
}

}  // namespace reg
