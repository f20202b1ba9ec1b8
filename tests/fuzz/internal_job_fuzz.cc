// Fuzzes the body of POST /internal/mail through the real handler,
// HandleInternalMail: the fuzzed body is signed correctly so every input
// reaches the JSON parse and the job_id checks, over an empty outbox. Then any
// answer but "no such job" must mean the body has no positive integer job_id,
// and every body without one must be refused before the outbox is asked.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crypto/job_signer.h"
#include "fake_clock.h"
#include "fuzz_util.h"
#include "handlers/context.h"
#include "handlers/handlers.h"
#include "storage/sqlite/engine.h"

namespace {

constexpr std::string_view kKey =
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

// The process-wide handler context: built once, never freed (a fuzz target
// runs until the process exits).
struct World {
  reg::FakeClock clock;
  std::unique_ptr<reg::SqliteStorage> storage;
  std::unique_ptr<reg::JobSigner> signer;
  std::unique_ptr<reg::Store> store;
  std::unique_ptr<reg::Outbox> outbox;
  reg::Services services{};
  std::unique_ptr<reg::Context> context;
};

World& TheWorld() {
  static World* w = [] {
    auto* world = new World;
    // A fresh file (its folder is left behind; the target runs until the
    // process exits): the outbox has no job.
    char dir[] = "/tmp/internal_job_fuzz.XXXXXX";
    FUZZ_CHECK(mkdtemp(dir) != nullptr);
    reg::Result<std::unique_ptr<reg::SqliteStorage>> storage =
        reg::SqliteStorage::Open(std::string(dir) + "/fuzz.db", true, false,
                                 &world->clock, {});
    FUZZ_CHECK(storage.ok());
    world->storage = std::move(storage).value();
    reg::Result<reg::JobSigner> signer =
        reg::JobSigner::Create(std::string(kKey));
    FUZZ_CHECK(signer.ok());
    world->signer = std::make_unique<reg::JobSigner>(std::move(signer).value());
    reg::Result<std::unique_ptr<reg::Store>> store = world->storage->NewStore();
    reg::Result<std::unique_ptr<reg::Outbox>> outbox =
        world->storage->NewOutbox();
    FUZZ_CHECK(store.ok() && outbox.ok());
    world->store = std::move(store).value();
    world->outbox = std::move(outbox).value();
    world->services.clock = &world->clock;
    world->services.signer = world->signer.get();
    world->context = std::make_unique<reg::Context>(
        reg::Context{world->services, *world->store, *world->outbox});
    return world;
  }();
  return *w;
}

// What the handler promises to accept: a JSON object whose "job_id" is an
// integer in [1, 2^63).
bool HasPositiveJobId(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  const auto it = j.find("job_id");
  if (it == j.end()) return false;
  if (it->is_number_unsigned()) {
    return it->get<std::uint64_t>() - 1 < static_cast<std::uint64_t>(INT64_MAX);
  }
  return it->is_number_integer() && it->get<std::int64_t>() > 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  World& w = TheWorld();
  reg::Request request;
  request.method = "POST";
  request.path = "/internal/mail";
  request.content_type = "application/json";
  request.remote_addr = "127.0.0.1";
  request.internal_key = "fuzz";
  request.body = std::string(fuzz::AsView(data, size));
  const std::int64_t now = w.clock.NowS();
  request.job_timestamp = std::to_string(now);
  request.job_signature = w.signer->Sign(now, request.body);

  const reg::Result<reg::Reply> reply =
      reg::HandleInternalMail(request, *w.context);
  FUZZ_CHECK(!reply.ok());  // the outbox is empty
  const reg::Code code = reply.status().code();
  if (HasPositiveJobId(request.body)) {
    FUZZ_CHECK(code == reg::Code::kNotFound);
  } else {
    FUZZ_CHECK(code == reg::Code::kMalformed);
  }

  // Unsigned, the same body never reaches the parser.
  request.job_signature = "v1=" + std::string(64, '0');
  const reg::Result<reg::Reply> unsigned_reply =
      reg::HandleInternalMail(request, *w.context);
  FUZZ_CHECK(!unsigned_reply.ok() &&
             unsigned_reply.status().code() == reg::Code::kUnauthenticated);
  return 0;
}
