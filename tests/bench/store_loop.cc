// store_loop: one engine's storage work and nothing else: no HTTP, no
// hash, no mail rendering or SMTP, through the service's own Storage, on
// the engine the environment names (DATABASE_URL, else SQLite in
// DATA_DIR). THREADS threads loop for a second, then for SECONDS, and it
// prints what they did per second over those SECONDS:
//   store_loop THREADS SECONDS register  ->  "3210.3"
//     each loop is a registration's storage work (Register: the account,
//     token, job and receipt in one durable transaction), then its
//     mail's (Claim, then MarkSent), as the service's threads do them;
//   store_loop THREADS SECONDS status    ->  "15210.7"
//     after 512 registrations, each loop reads one of their receipts
//     (Store::Receipt, what GET /register/status reads).
// The bench prints it beside the rows that use that storage: what the
// storage alone gives on the machine's cores, which bounds those rows.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/config.h"
#include "storage/storage.h"

namespace reg {
namespace {

// A sealed verification mail's size as the service seals it.
constexpr std::size_t kSealedBytes = 4418;
// Receipts the status loop reads.
constexpr int kReceipts = 512;

// 64 hex digits, distinct for each (n, salt).
std::string Hex(unsigned long long n, unsigned long long salt) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%016llx%016llx%016llx%016llx", n, salt,
                n ^ 0x5bd1e995ULL, salt * 31 + n);
  return buf;
}

// Registers one address (registration "n" of this run); its mail job id.
Result<std::int64_t> RegisterOne(Store& store, unsigned long long run,
                                 unsigned long long n,
                                 const RegisterLimits& limits,
                                 const std::string& sealed) {
  const std::string email = "loop" + std::to_string(run % 1000000) + "." +
                            std::to_string(n) + "@example.org";
  NewRegistration r;
  r.email = r.email_norm = r.mailbox = email;
  r.password_hash = "$scrypt$ln=4,r=8,p=1$c2FsdA$" + Hex(n, 1);
  r.token_hash = Hex(n, run);
  r.receipt_hash = Hex(n, run + 1);
  r.code_mac = Hex(n, run + 2);
  RegistrationMails mails;
  mails.verify = {"<" + Hex(n, run + 3) + "@example.org>", sealed};
  mails.exists = mails.verify;  // a registration prepares no third mail
  Result<RegisterOutcome> queued = store.Register(r, limits, mails);
  if (!queued.ok()) return queued.status();
  return queued.value().job_id;
}

// The job's mail as sent: claimed, then marked sent.
Status SendOne(Outbox& outbox, std::int64_t job_id) {
  Result<ClaimOutcome> claimed = outbox.Claim(job_id);
  if (!claimed.ok()) return claimed.status();
  if (!claimed.value().job) return Status::Internal("job not claimable");
  return outbox.MarkSent(*claimed.value().job, "250 2.0.0 Ok");
}

int Loop(int threads, int seconds, bool status) {
  Result<Config> config =
      LoadConfig([](const char* name) { return std::getenv(name); });
  if (!config.ok()) {
    std::fprintf(stderr, "store_loop: %s\n",
                 config.status().ToString().c_str());
    return 1;
  }
  SystemClock clock;
  Result<std::unique_ptr<Storage>> storage = OpenStorage(config.value(), clock);
  if (!storage.ok()) {
    std::fprintf(stderr, "store_loop: %s\n",
                 storage.status().ToString().c_str());
    return 1;
  }
  RegisterLimits limits;
  limits.token_ttl_ms = config.value().token_ttl_s * 1000LL;
  limits.mail_cap = 0;
  // Each run's addresses are its own: a second run on one database
  // registers new ones.
  const unsigned long long run =
      std::chrono::system_clock::now().time_since_epoch().count();
  // Sealed bytes do not compress (a repeated byte would stay in the row
  // where a real message goes to PostgreSQL's TOAST table).
  std::string sealed(kSealedBytes, '\0');
  std::uint64_t x = 0x9e3779b97f4a7c15ULL ^ run;
  for (char& c : sealed) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  if (status) {
    Result<std::unique_ptr<Store>> store = storage.value()->NewStore();
    Status s = store.status();
    for (int i = 0; s.ok() && i < kReceipts; i++) {
      s = RegisterOne(*store.value(), run, i, limits, sealed).status();
    }
    if (!s.ok()) {
      std::fprintf(stderr, "store_loop: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<long long> done{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++) {
    pool.emplace_back([&, t] {
      Result<std::unique_ptr<Store>> store = storage.value()->NewStore();
      Result<std::unique_ptr<Outbox>> outbox = storage.value()->NewOutbox();
      Status s = store.ok() ? outbox.status() : store.status();
      for (unsigned long long i = 0; s.ok() && !stop.load(); i++) {
        if (status) {
          const unsigned long long n = (i * 131 + t * 17) % kReceipts;
          s = store.value()->Receipt(Hex(n, run + 1)).status();
        } else {
          const unsigned long long n = (i << 8) | static_cast<unsigned>(t);
          Result<std::int64_t> job =
              RegisterOne(*store.value(), run, kReceipts + n, limits, sealed);
          s = job.ok() ? SendOne(*outbox.value(), job.value()) : job.status();
        }
        if (s.ok()) done++;
      }
      if (!s.ok()) {
        std::fprintf(stderr, "store_loop: %s\n", s.ToString().c_str());
        failed++;
      }
    });
  }
  // A second first (connections, the first pages), then the count.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long long before = done.load();
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const long long count = done.load() - before;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  stop = true;
  for (std::thread& th : pool) th.join();
  if (failed.load() > 0) return 1;
  std::printf("%.1f\n", count / elapsed);
  return 0;
}

}  // namespace
}  // namespace reg

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 16;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
  const char* mode = argc > 3 ? argv[3] : "register";
  const bool status = std::strcmp(mode, "status") == 0;
  if (threads < 1 || threads > 256 || seconds < 1 || argc > 4 ||
      (!status && std::strcmp(mode, "register") != 0)) {
    std::fprintf(stderr,
                 "usage: store_loop [THREADS] [SECONDS] [register|status]\n");
    return 2;
  }
  return reg::Loop(threads, seconds, status);
}
