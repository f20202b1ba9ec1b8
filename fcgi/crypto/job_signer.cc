#include "crypto/job_signer.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <initializer_list>

#include "base/encoding.h"
#include "crypto/openssl_error.h"

namespace reg {
namespace {

constexpr size_t kMacBytes = 32;
constexpr std::string_view kSignaturePrefix = "v1=";

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

Result<std::string> JobSecretFingerprint(std::string_view secret) {
  Result<std::string> mac =
      HmacSha256(secret, "registrar job secret fingerprint v1");
  if (!mac.ok()) return mac.status();
  return HexEncode(mac.value());
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

}  // namespace reg
