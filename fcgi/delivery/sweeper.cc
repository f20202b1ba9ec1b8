#include "delivery/sweeper.h"

#include <algorithm>
#include <vector>

#include "base/log.h"
#include "base/thread_priority.h"
#include "delivery/deliver.h"

namespace reg {
namespace {

constexpr int kMaxSweepBatch = 16;
// Sweep loops per process: with two, one's database work and the server's
// handling of its job overlap the other's send (a backlog drains
// faster than one connection's round trips allow), and the claims keep
// them from ever taking the same job.
constexpr int kSweepLoops = 2;

}  // namespace

int SweepBatch(std::int64_t lease_ms, std::int64_t send_ms) {
  const std::int64_t fits = lease_ms / 2 / std::max<std::int64_t>(1, send_ms);
  return static_cast<int>(std::clamp<std::int64_t>(fits, 1, kMaxSweepBatch));
}

Sweeper::Sweeper(const Config& config, const Clock& clock, Storage& storage,
                 const Sealer& sealer, Heartbeat& heartbeat,
                 SenderFactory senders)
    : config_(config),
      clock_(clock),
      storage_(storage),
      sealer_(sealer),
      heartbeat_(heartbeat),
      senders_(std::move(senders)) {}

Sweeper::~Sweeper() { Stop(std::chrono::milliseconds(0)); }

void Sweeper::Start() {
  for (int i = 0; i < kSweepLoops; i++) {
    threads_.Spawn([this, i] { Loop(/*retention=*/i == 0); });
  }
}

bool Sweeper::Stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  return threads_.Join(deadline);
}

bool Sweeper::stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

void Sweeper::ApplyRetentionOnce(Store* store) {
  RetentionPolicy policy;
  policy.unverified_ms = config_.retain_unverified_s * 1000LL;
  policy.mail_body_ms = config_.retain_mail_s * 1000LL;
  policy.wrong_code_ms = config_.token_ttl_s * 1000LL;
  Result<RetentionResult> r = store->ApplyRetention(policy);
  if (!r.ok()) {
    Log("retention: %s", r.status().ToString().c_str());
  } else if (r.value().accounts > 0 || r.value().mail_bodies > 0 ||
             r.value().no_account_mails > 0) {
    Log("retention: deleted %lld unverified accounts, %lld sent mail bodies, "
        "%lld \"no account\" mails",
        static_cast<long long>(r.value().accounts),
        static_cast<long long>(r.value().mail_bodies),
        static_cast<long long>(r.value().no_account_mails));
  }
}

void Sweeper::Loop(bool retention) {
  NameThisThread(retention ? "reg-retention" : "reg-sweep");
  // Below the request threads: the answers first.
  if (Status s = LowerThisThread(kAfterAnswerNice); !s.ok()) {
    Log("sweeper: %s", s.ToString().c_str());
  }
  std::unique_ptr<Outbox> owned = OpenOutbox(storage_, "sweeper");
  Outbox* outbox = owned.get();
  // Retention writes through the write lane only: this Store never opens
  // a read connection.
  std::unique_ptr<Store> store;
  if (retention) {
    Result<std::unique_ptr<Store>> opened = storage_.NewStore();
    if (opened.ok()) {
      store = std::move(opened).value();
    } else {
      Log("retention: %s", opened.status().ToString().c_str());
    }
  }
  const std::unique_ptr<WebhookSender> webhook = senders_.new_webhook();
  const std::int64_t lease_ms = config_.lease_s * 1000LL;
  // A job's send time, smoothed; the first batch assumes a slow server.
  std::int64_t send_ms = lease_ms / 4;
  for (;;) {
    // Sweep at start-up, then every sweep_s; keep going while batches
    // come back full so a backlog drains at once.
    bool full = false;
    // One SMTP connection for a whole batch, closed (QUIT) after it.
    const std::unique_ptr<Mailer> mailer = senders_.new_mailer();
    if (outbox) {
      heartbeat_.ReleaseLost(outbox);
      const int limit = SweepBatch(lease_ms, send_ms);
      // Claimed and held under Claiming(), as every claim: the other sweep
      // loop's ReleaseLost must not put these back before they are held.
      Result<std::vector<ClaimedJob>> jobs = std::vector<ClaimedJob>();
      {
        const auto claiming = heartbeat_.Claiming();
        jobs = outbox->ClaimDue(limit);
        if (jobs.ok()) {
          for (const ClaimedJob& job : jobs.value()) heartbeat_.Hold(job.ref());
        } else if (jobs.status().code() == Code::kUnavailable) {
          heartbeat_.Doubt();
        }
      }
      // Until half a lease after the claim nobody else can take these jobs
      // (a claim needs the lease run out), whatever this process's
      // heartbeat did; after that, each claim is checked before its send.
      const std::int64_t sure_until = clock_.NowMs() + lease_ms / 2;
      if (!jobs.ok()) {
        Log("sweep: %s", jobs.status().ToString().c_str());
      } else {
        full = static_cast<int>(jobs.value().size()) == limit;
        for (const ClaimedJob& job : jobs.value()) {
          // The rest of a stopped batch waits for its leases to run out.
          if (!stopping()) {
            // Just before the send: is the claim still ours? The renewal checks
            // and extends it in one statement.
            Result<std::vector<ClaimRef>> lost = std::vector<ClaimRef>();
            if (clock_.NowMs() >= sure_until) lost = outbox->Renew({job.ref()});
            if (lost.ok() && lost.value().empty()) {
              const std::int64_t start = clock_.NowMs();
              (void)Deliver(
                  job, outbox,
                  {mailer.get(), webhook.get(), &senders_.envelope_sender},
                  sealer_, std::chrono::seconds(config_.lease_s));
              send_ms = (3 * send_ms + (clock_.NowMs() - start)) / 4;
            } else {
              Log("job %lld: %s; not sent by this sweep",
                  static_cast<long long>(job.id),
                  lost.ok() ? "claim lost" : lost.status().ToString().c_str());
            }
          }
          heartbeat_.Release(job.ref());
        }
      }
    }
    // The first loop applies retention once the backlog is drained.
    if (store && !full && !stopping()) ApplyRetentionOnce(store.get());
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) break;
    if (!full) {
      cv_.wait_for(lock, std::chrono::seconds(config_.sweep_s),
                   [this] { return stopping_; });
      if (stopping_) break;
    }
  }
}

}  // namespace reg
