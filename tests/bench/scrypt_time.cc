// scrypt_time: the time of one scrypt hash at the registrar's default cost
// (N = 2^17, r = 8, p = 1, as fcgi/crypto/password.cc), measured in the run
// that uses it. Prints the median of RUNS (default 3) on one core, in seconds:
//   scrypt_time [LOG2_N] [RUNS]    ->  "0.412"
// Links nothing from fcgi/: OpenSSL's EVP_PBE_scrypt only.
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  const int log2_n = argc > 1 ? std::atoi(argv[1]) : 17;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  if (log2_n < 1 || log2_n > 22 || runs < 1) {
    std::fprintf(stderr, "usage: scrypt_time [LOG2_N] [RUNS]\n");
    return 2;
  }
  const std::uint64_t n = std::uint64_t{1} << log2_n;
  const std::uint64_t maxmem = 128 * 8 * n + (std::uint64_t{64} << 20);
  const char password[] = "correct horse battery";
  const unsigned char salt[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                  9, 10, 11, 12, 13, 14, 15, 16};
  unsigned char key[32];
  std::vector<double> seconds;
  for (int i = 0; i < runs; i++) {
    const auto start = std::chrono::steady_clock::now();
    if (EVP_PBE_scrypt(password, sizeof password - 1, salt, sizeof salt, n, 8,
                       1, maxmem, key, sizeof key) != 1) {
      std::fprintf(stderr, "scrypt_time: EVP_PBE_scrypt failed\n");
      return 1;
    }
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("%.4f\n", seconds[seconds.size() / 2]);
  return 0;
}
