#include "delivery/delivery_threads.h"

#include <utility>
#include <variant>

#include "base/log.h"

namespace reg {

DeliveryThreads::DeliveryThreads(const Config& config, const Clock& clock,
                                 Storage& storage, const JobSigner& signer,
                                 const Sealer& sealer, SenderFactory senders)
    : heartbeat_(config, storage),
      pool_(config, clock, storage, signer, sealer, heartbeat_, senders),
      sweeper_(config, clock, storage, sealer, heartbeat_, std::move(senders)) {
}

void DeliveryThreads::Start() {
  heartbeat_.Start();
  pool_.Start();
  sweeper_.Start();
}

void DeliveryThreads::HandOver(Task task) {
  const PostJob* post = std::get_if<PostJob>(&task);
  if (post == nullptr) {
    (void)pool_.Submit(std::move(task));  // else the sweep sends it
  } else if (!pool_.Submit(*post)) {
    Log("job %lld: job queue full, left to the sweep",
        static_cast<long long>(post->id));
  }
}

bool DeliveryThreads::Stop(std::chrono::milliseconds deadline) {
  bool clean = pool_.Stop(deadline);
  clean = sweeper_.Stop(deadline / 2) && clean;
  clean = heartbeat_.Stop(deadline / 2) && clean;
  return clean;
}

}  // namespace reg
