#include "delivery/job_pool.h"

#include "base/log.h"
#include "base/thread_priority.h"
#include "delivery/deliver.h"
#include "delivery/job_poster.h"

namespace reg {

JobPool::JobPool(const Config& config, const Clock& clock, Storage& storage,
                 const JobSigner& signer, const Sealer& sealer,
                 Heartbeat& heartbeat, SenderFactory senders)
    : config_(config),
      clock_(clock),
      storage_(storage),
      signer_(signer),
      sealer_(sealer),
      heartbeat_(heartbeat),
      senders_(std::move(senders)) {}

JobPool::~JobPool() { Stop(std::chrono::milliseconds(0)); }

void JobPool::Start() {
  for (int i = 0; i < config_.mail_threads; i++) {
    threads_.Spawn([this] { Loop(); });
  }
}

bool JobPool::Submit(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || static_cast<int>(tasks_.size()) >= config_.mail_queue) {
      return false;
    }
    // Sends first: they finish what an earlier post started.
    if (std::holds_alternative<SendJob>(task)) {
      tasks_.push_front(std::move(task));
    } else {
      tasks_.push_back(std::move(task));
    }
  }
  cv_.notify_one();
  return true;
}

bool JobPool::Stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  return threads_.Join(deadline);
}

void JobPool::Loop() {
  NameThisThread("reg-job");
  // Below the request threads: the answers first.
  if (Status s = LowerThisThread(kAfterAnswerNice); !s.ok()) {
    Log("job thread: %s", s.ToString().c_str());
  }
  std::unique_ptr<Outbox> owned = OpenOutbox(storage_, "job thread");
  Outbox* outbox = owned.get();
  const std::unique_ptr<Mailer> mailer = senders_.new_mailer();
  const std::unique_ptr<WebhookSender> webhook = senders_.new_webhook();
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
        mailer->CloseIfIdle();
        lock.lock();
      }
      if (stopping_) break;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    if (const PostJob* post = std::get_if<PostJob>(&task)) {
      Status s = poster.Post(post->id);
      if (!s.ok()) Log("%s; a sweep will send it", s.ToString().c_str());
    } else if (const SendJob* send = std::get_if<SendJob>(&task)) {
      if (outbox == nullptr) continue;  // the sweep of another thread sends it
      // The claim is the check: taken here, just before the send.
      Result<ClaimOutcome> claim = Status::Internal("not claimed");
      {
        const auto claiming = heartbeat_.Claiming();
        claim = outbox->Claim(send->id);
        if (claim.ok() && claim.value().job) {
          heartbeat_.Hold(claim.value().job->ref());
        } else if (claim.status().code() == Code::kUnavailable) {
          heartbeat_.Doubt();
        }
      }
      if (!claim.ok()) {
        Log("job %lld: claim: %s", static_cast<long long>(send->id),
            claim.status().ToString().c_str());
        continue;
      }
      if (!claim.value().job) continue;  // sent, or being sent elsewhere
      const ClaimedJob& job = *claim.value().job;
      (void)Deliver(job, outbox,
                    {mailer.get(), webhook.get(), &senders_.envelope_sender},
                    sealer_, std::chrono::seconds(config_.lease_s));
      heartbeat_.Release(job.ref());
    }
  }
}

}  // namespace reg
