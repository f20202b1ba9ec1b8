#include "delivery/dispatcher.h"

#include "base/log.h"
#include "delivery/deliver.h"
#include "delivery/job_poster.h"
#include "mail/smtp.h"
#include "storage/db.h"
#include "storage/retention.h"

namespace reg {
namespace {

constexpr int kSweepBatch = 16;

}  // namespace

OutboxPolicy OutboxPolicyFor(const Config& config) {
  OutboxPolicy p;
  p.lease_ms = config.lease_s * 1000LL;
  p.retry_ms = config.retry_s * 1000LL;
  p.retry_for_ms = config.retry_for_s * 1000LL;
  return p;
}

Dispatcher::Dispatcher(const Config& config, const Clock& clock,
                       const JobSigner& signer, const Sealer& sealer)
    : config_(config), clock_(clock), signer_(signer), sealer_(sealer) {}

Dispatcher::~Dispatcher() {
  Stop(std::chrono::milliseconds(0));
  // Threads still busy hold references to this object: keep them from
  // running on after it is gone by detaching only at process exit.
  for (std::thread& t : threads_) {
    if (t.joinable()) t.detach();
  }
}

void Dispatcher::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < config_.mail_threads; i++) {
    threads_.emplace_back([this] { PoolLoop(); });
  }
  threads_.emplace_back([this] { SweepLoop(); });
  running_ = static_cast<int>(threads_.size());
}

bool Dispatcher::Submit(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    if (task.kind == Task::Kind::kPostJob) {
      if (posts_queued_ >= config_.mail_queue) return false;
      posts_queued_++;
      tasks_.push_back(std::move(task));
    } else {
      // Sends first: they finish jobs already claimed.
      tasks_.push_front(std::move(task));
    }
  }
  cv_.notify_one();
  return true;
}

bool Dispatcher::Stop(std::chrono::milliseconds deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  sweep_cv_.notify_all();
  bool all =
      done_cv_.wait_for(lock, deadline, [this] { return running_ == 0; });
  lock.unlock();
  if (all) {
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  return all;
}

Dispatcher::ThreadOutbox Dispatcher::OpenOutbox(const char* who) {
  ThreadOutbox t;
  Result<std::unique_ptr<Database>> db =
      Database::Open(DatabasePath(config_), true, config_.sqlite_sync_full);
  if (!db.ok()) {
    Log("%s: %s", who, db.status().ToString().c_str());
    return t;
  }
  t.db = std::move(db).value();
  t.outbox =
      std::make_unique<Outbox>(t.db.get(), &clock_, OutboxPolicyFor(config_));
  return t;
}

void Dispatcher::Exited() {
  std::lock_guard<std::mutex> lock(mu_);
  running_--;
  done_cv_.notify_all();
}

void Dispatcher::PoolLoop() {
  ThreadOutbox thread_outbox = OpenOutbox("mail thread");
  Outbox* outbox = thread_outbox.outbox.get();
  CurlSmtpMailer mailer(config_);
  JobPoster poster(config_.internal_url, &signer_, &clock_);
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Nothing to do for SMTP_IDLE_S: close the kept SMTP connection
      // before the server times it out.
      while (!cv_.wait_for(lock, std::chrono::seconds(config_.smtp_idle_s),
                           [this] { return stopping_ || !tasks_.empty(); })) {
        lock.unlock();
        mailer.CloseIfIdle();
        lock.lock();
      }
      if (stopping_) break;
      task = std::move(tasks_.front());
      tasks_.pop_front();
      if (task.kind == Task::Kind::kPostJob) posts_queued_--;
    }
    if (task.kind == Task::Kind::kPostJob) {
      Status s = poster.Post(task.job_id);
      if (!s.ok()) Log("%s; a sweep will send it", s.ToString().c_str());
    } else if (task.kind == Task::Kind::kSendJob && outbox) {
      (void)Deliver(task.job, outbox, &mailer, sealer_);
    }
  }
  Exited();
}

void Dispatcher::ApplyRetentionOnce(Database* db) {
  RetentionPolicy policy;
  policy.unverified_ms = config_.retain_unverified_s * 1000LL;
  policy.mail_body_ms = config_.retain_mail_s * 1000LL;
  Result<RetentionResult> r = ApplyRetention(db, clock_, policy);
  if (!r.ok()) {
    Log("retention: %s", r.status().ToString().c_str());
  } else if (r.value().accounts > 0 || r.value().mail_bodies > 0) {
    Log("retention: deleted %lld unverified accounts, %lld sent mail bodies",
        static_cast<long long>(r.value().accounts),
        static_cast<long long>(r.value().mail_bodies));
  }
}

void Dispatcher::SweepLoop() {
  ThreadOutbox thread_outbox = OpenOutbox("sweeper");
  Outbox* outbox = thread_outbox.outbox.get();
  for (;;) {
    // One connection for a whole batch, closed (QUIT) after it.
    CurlSmtpMailer mailer(config_);
    // Sweep at start-up, then every sweep_s; keep going while batches
    // come back full so a backlog drains at once.
    bool full = false;
    if (outbox) {
      Result<std::vector<ClaimedJob>> jobs = outbox->ClaimDue(kSweepBatch);
      if (!jobs.ok()) {
        Log("sweep: %s", jobs.status().ToString().c_str());
      } else {
        full = jobs.value().size() == kSweepBatch;
        for (const ClaimedJob& job : jobs.value()) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            if (stopping_) break;  // the rest wait for their leases
          }
          (void)Deliver(job, outbox, &mailer, sealer_);
        }
      }
      if (!full) ApplyRetentionOnce(thread_outbox.db.get());
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) break;
    if (!full) {
      sweep_cv_.wait_for(lock, std::chrono::seconds(config_.sweep_s),
                         [this] { return stopping_; });
      if (stopping_) break;
    }
  }
  Exited();
}

}  // namespace reg
