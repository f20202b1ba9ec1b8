#include "delivery/heartbeat.h"

#include <algorithm>
#include <vector>

#include "base/log.h"
#include "delivery/deliver.h"

namespace reg {

Heartbeat::Heartbeat(const Config& config, Storage& storage)
    : storage_(storage),
      interval_(std::max<std::int64_t>(100, config.lease_s * 1000LL / 3)) {}

Heartbeat::~Heartbeat() { Stop(std::chrono::milliseconds(0)); }

void Heartbeat::Start() {
  threads_.Spawn([this] { Loop(); });
}

bool Heartbeat::Stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  return threads_.Join(deadline);
}

void Heartbeat::Hold(const ClaimRef& claim) {
  std::lock_guard<std::mutex> lock(mu_);
  held_[claim]++;
}

void Heartbeat::Release(const ClaimRef& claim) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(claim);
  if (it != held_.end() && --it->second <= 0) held_.erase(it);
}

std::shared_lock<std::shared_mutex> Heartbeat::Claiming() {
  return std::shared_lock<std::shared_mutex>(claiming_);
}

void Heartbeat::Doubt() { doubt_ = true; }

void Heartbeat::ReleaseLost(Outbox* outbox) {
  if (!doubt_ || outbox == nullptr) return;
  std::unique_lock<std::shared_mutex> no_claims(claiming_);
  std::vector<std::int64_t> sending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [claim, holders] : held_) sending.push_back(claim.id);
  }
  doubt_ = false;
  Result<int> released = outbox->ReleaseLostClaims(sending);
  if (!released.ok()) {
    doubt_ = true;  // the next sweep tries again (its own line says why)
  } else if (released.value() > 0) {
    Log("lost claims: %d jobs whose claim's answer never came back are "
        "queued again",
        released.value());
  }
}

std::size_t Heartbeat::held() {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

void Heartbeat::Loop() {
  NameThisThread("reg-heartbeat");
  std::unique_ptr<Outbox> owned = OpenOutbox(storage_, "heartbeat");
  Outbox* outbox = owned.get();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    if (held_.empty() || outbox == nullptr) continue;
    std::vector<ClaimRef> claims;
    for (const auto& [claim, holders] : held_) claims.push_back(claim);
    lock.unlock();
    Result<std::vector<ClaimRef>> lost = outbox->Renew(claims);
    if (!lost.ok()) {
      Log("heartbeat: renewing %zu claims: %s", claims.size(),
          lost.status().ToString().c_str());
    }
    lock.lock();
    // A claim not renewed has finished meanwhile (the usual case: its
    // holder releases it soon) or was taken over after its lease ran out;
    // either way it is not renewed again.
    if (lost.ok()) {
      for (const ClaimRef& claim : lost.value()) {
        if (held_.erase(claim) == 0) continue;  // released meanwhile
        Log("heartbeat: job %lld: claim of attempt %d lost or finished; "
            "no longer renewed",
            static_cast<long long>(claim.id), claim.attempts);
      }
    }
  }
}

}  // namespace reg
