// GET /register/sent?r=R through its handler, on a real SQLite store: the
// page a receipt gets once its mail was accepted or bounced, in each
// language, and the code form a resend's receipt offers, only in
// the browser whose cookie holds the registration's own receipt
// (CONTRACT section 8: a resend's receipt takes no code, proves nothing).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/config.h"
#include "base/hash_gate.h"
#include "crypto/code.h"
#include "crypto/token.h"
#include "fake_clock.h"
#include "handlers/handlers.h"
#include "sqlite_fixture.h"
#include "storage/sqlite/engine.h"
#include "testutil.h"

namespace reg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Receipts as the service mints them: 22 characters of base64url.
constexpr char kOwnReceipt[] = "OwnReceiptOwnReceipt01";
constexpr char kResendReceipt[] = "ResendReceiptResend001";
constexpr char kOtherReceipt[] = "OtherReceiptOtherRec01";

class SentPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<CodeMac> mac = CodeMac::Create("sent page test secret");
    ASSERT_OK(mac);
    codes_ = std::make_unique<CodeMac>(mac.value());
    services_.codes = codes_.get();
    Result<SqliteParts> parts =
        OpenSqliteParts(dir_.File("sent.db"), &clock_, OutboxPolicy());
    ASSERT_OK(parts);
    storage_ = std::move(parts.value().storage);
    store_ = std::move(parts.value().store);
    outbox_ = std::move(parts.value().outbox);
    context_ = std::make_unique<Context>(Context{services_, *store_, *outbox_});
  }

  // Registers (or resends, "resend") "email" with the receipt "receipt",
  // its mail holding "code"; the mail's job id (0: none queued).
  std::int64_t Queue(const std::string& email, const std::string& receipt,
                     const std::string& code, bool resend = false) {
    NewRegistration r;
    r.email = email;
    r.email_norm = NormalizeEmail(email);
    r.mailbox = MailboxKey(email);
    r.password_hash = resend ? "" : "hash";
    r.token_hash = TokenHash("token-" + receipt);
    r.receipt_hash = ReceiptHash(receipt);
    r.code_mac = codes_->Mac(r.mailbox, code);
    const std::string n = std::to_string(++mails_);
    RegistrationMails mails;
    mails.verify = {"<v" + n + "@test>", "verify"};
    mails.exists = {"<e" + n + "@test>", "exists"};
    mails.no_account = {"<n" + n + "@test>", "no account"};
    Result<RegisterOutcome> out =
        resend ? store_->Resend(r, LimitsFrom(config_), mails)
               : store_->Register(r, LimitsFrom(config_), mails);
    EXPECT_OK(out);
    return out.ok() ? out.value().job_id : 0;
  }

  // Our SMTP server took job "id".
  void Accept(std::int64_t id) {
    Result<ClaimOutcome> claim = outbox_->Claim(id);
    ASSERT_OK(claim);
    ASSERT_TRUE(claim.value().job.has_value());
    ASSERT_OK(outbox_->MarkSent(*claim.value().job, "250 2.0.0 Ok: queued"));
  }

  // The page of ?r="receipt", from a browser whose cookie holds "cookie"
  // ("" for none).
  std::string Page(const std::string& receipt, const std::string& cookie,
                   const std::string& language = "en") {
    Request r;
    r.method = "GET";
    r.path = "/register/sent";
    r.query = "r=" + receipt;
    r.accept_language = language;
    if (!cookie.empty()) r.cookie = ReceiptCookieName(config_) + "=" + cookie;
    Result<Reply> reply = HandleSent(r, *context_);
    EXPECT_OK(reply);
    if (!reply.ok()) return "";
    EXPECT_EQ(reply.value().response.status, 200);
    return reply.value().response.body;
  }

  // POST /activate with a receipt and a code, as the page's form posts it.
  int TypeCode(const std::string& receipt, const std::string& code) {
    Request r;
    r.method = "POST";
    r.path = "/activate";
    r.content_type = "application/x-www-form-urlencoded";
    r.accept = "application/json";
    r.body = "receipt=" + receipt + "&code=" + code;
    Result<Reply> reply = HandleActivatePost(r, *context_);
    EXPECT_OK(reply);
    return reply.ok() ? reply.value().response.status : 0;
  }

  TempDir dir_;
  FakeClock clock_{1'800'000'000'000};
  Config config_;
  HashGate gate_{1};
  Services services_{&config_, &clock_, nullptr,           nullptr,
                     &gate_,   nullptr, &TestCatalogues(), ""};
  std::unique_ptr<CodeMac> codes_;
  std::unique_ptr<SqliteStorage> storage_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Context> context_;
  int mails_ = 0;
};

// The hidden receipt field of the page's code form ("" for no form).
std::string CodeFormReceipt(const std::string& page) {
  const auto form = page.find("<form method=\"post\" action=\"/activate\"");
  if (form == std::string::npos) return "";
  const std::string field = "name=\"receipt\" value=\"";
  const auto at = page.find(field, form);
  if (at == std::string::npos) return "?";
  const auto start = at + field.size();
  return page.substr(start, page.find('"', start) - start);
}

TEST_F(SentPageTest, ABouncedMailsPageSaysItCameBackAndWhatToDo) {
  const std::int64_t id = Queue("ann@example.com", kOwnReceipt, "123456");
  Accept(id);
  std::vector<JobEvent> events;
  Result<JobRow> job = outbox_->GetJob(id, &events);
  ASSERT_OK(job);
  clock_.AdvanceMs(5000);
  Notification n;
  n.job_id = id;
  n.created_s = job.value().created_ms / 1000;
  n.rcpt = "ann@example.com";
  n.action = "failed";
  n.status = "5.1.1";
  n.diagnostic = "smtp; 550 5.1.1 no such user";
  ASSERT_OK(store_->RecordNotification(n, 30 * 86400 * 1000LL));

  for (const std::string tag : {"en", "de", "fr"}) {
    SCOPED_TRACE(tag);
    const Messages& m = TestCatalogues().Get(tag);
    const std::string page = Page(kOwnReceipt, kOwnReceipt, tag);
    const std::string title = m.Html("sent.title_bounced");
    EXPECT_THAT(page, HasSubstr("<title>" + title + "</title>"));
    EXPECT_THAT(page, HasSubstr("<h1>" + title + "</h1>"));
    EXPECT_THAT(
        page, HasSubstr("role=\"status\">" +
                        m.Html("receipt.bounced_address", {{"code", "5.1.1"}}) +
                        "</p>"));
    EXPECT_THAT(page, Not(HasSubstr(m.Html("sent.title") + "<")));
    EXPECT_THAT(page, Not(HasSubstr(m.Html("sent.lead"))));
    EXPECT_THAT(page, Not(HasSubstr(m.Html("sent.tip_wait"))));
    // No code to type, no script: the state changes no more.
    EXPECT_EQ(CodeFormReceipt(page), "");
    EXPECT_THAT(page, Not(HasSubstr("receipt.js")));
    EXPECT_THAT(page, HasSubstr("action=\"/register/resend\""));
  }
}

// "accepted" tells of a bounce to come only where one can come: with
// BOUNCE_ADDRESS, notifications reach regctl bounce and this page shows
// them; without it, nothing does, and the words promise nothing.
TEST_F(SentPageTest, AcceptedSaysABounceWouldShowHereOnlyWithABounceAddress) {
  Accept(Queue("ann@example.com", kOwnReceipt, "123456"));
  struct Case {
    const char* bounce_address;
    const char* watched;
    const char* key;
  };
  for (const Case c :
       {Case{"", "0", "receipt.accepted"},
        Case{"bounces@example.com", "1", "receipt.accepted_watched"}}) {
    config_.bounce_address = c.bounce_address;
    for (const std::string tag : {"en", "de", "fr"}) {
      SCOPED_TRACE(tag + " " + c.key);
      const Messages& m = TestCatalogues().Get(tag);
      const std::string page = Page(kOwnReceipt, kOwnReceipt, tag);
      EXPECT_THAT(page,
                  HasSubstr("data-watched=\"" + std::string(c.watched) + "\""));
      EXPECT_THAT(
          page,
          HasSubstr("role=\"status\">" +
                    m.Html(c.key, {{"when", m.DateTimeUtc(1'800'000'000)}}) +
                    "</p>"));
    }
  }
  // The two differ in every language.
  for (const std::string tag : {"en", "de", "fr"}) {
    const Messages& m = TestCatalogues().Get(tag);
    EXPECT_NE(m.Text("receipt.accepted_watched", {{"when", "X"}}),
              m.Text("receipt.accepted", {{"when", "X"}}))
        << tag;
  }
}

TEST_F(SentPageTest, AResendsPageOffersTheCodeOnlyWhereTheRegistrationWasMade) {
  Accept(Queue("ann@example.com", kOwnReceipt, "111111"));
  Accept(Queue("ann@example.com", kResendReceipt, "222222", /*resend=*/true));
  Accept(Queue("bob@example.com", kOtherReceipt, "333333"));
  // The registering browser: the form posts the registration's own
  // receipt, never the resend's, which takes no code.
  EXPECT_EQ(CodeFormReceipt(Page(kResendReceipt, kOwnReceipt)), kOwnReceipt);
  EXPECT_EQ(CodeFormReceipt(Page(kResendReceipt, std::string(kOtherReceipt) +
                                                     "." + kOwnReceipt)),
            kOwnReceipt);
  // Another browser, or one that registered another address: no form.
  EXPECT_EQ(CodeFormReceipt(Page(kResendReceipt, "")), "");
  EXPECT_EQ(CodeFormReceipt(Page(kResendReceipt, kOtherReceipt)), "");
  // The resend's receipt in the cookie proves nothing either.
  EXPECT_EQ(CodeFormReceipt(Page(kResendReceipt, kResendReceipt)), "");
  // The own receipt's page keeps its own form.
  EXPECT_EQ(CodeFormReceipt(Page(kOwnReceipt, "")), kOwnReceipt);

  // What the form posts verifies with the resent mail's code; the same
  // code with the resend's receipt is wrong.
  EXPECT_EQ(TypeCode(kResendReceipt, "222222"), 401);
  EXPECT_EQ(TypeCode(kOwnReceipt, "222222"), 200);
  // Verified: nothing left to type.
  EXPECT_EQ(CodeFormReceipt(Page(kResendReceipt, kOwnReceipt)), "");
}

TEST_F(SentPageTest, AResendHeldBackOffersNoCode) {
  config_.mail_cap = 1;
  Accept(Queue("ann@example.com", kOwnReceipt, "111111"));
  EXPECT_EQ(Queue("ann@example.com", kResendReceipt, "222222", true), 0);
  const std::string page = Page(kResendReceipt, kOwnReceipt);
  EXPECT_EQ(CodeFormReceipt(page), "");
  EXPECT_THAT(page, HasSubstr("<h1>We sent no mail</h1>"));
}

}  // namespace
}  // namespace reg
