// Contract section 8 against the real stack: the receipt of every
// accepted answer, its cookie, GET /register/status as the mail moves, and
// the "check your inbox" page that shows it. One stack for the suite; each
// test mails its own addresses.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "crypto/bounce_tag.h"
#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ReceiptTest : public StackSuite {
 protected:
  // RATE_LIMIT on (high: the posts never meet it), so the status's own
  // limit is on too; MAIL_CAP 2; a "try later" retried 4 s later (and swept
  // within 1 s), so that the test that gets one can see it through before the
  // next test.
  static void SetUpTestSuite() {
    StartStack({{"RATE_LIMIT", "100000"},
                {"MAIL_CAP", "2"},
                {"RETRY_S", "4"},
                {"SWEEP_S", "1"}});
  }

  static HttpResponse RegisterJson(const std::string& email,
                                   const std::vector<std::string>& extra = {}) {
    std::vector<std::string> headers = {kJson};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return stack().Post(
        "/register",
        nlohmann::json{{"email", email}, {"password", kPassword}}.dump(),
        headers);
  }
  // The receipt of a JSON registration of "email" (a failure if none).
  static std::string ReceiptOf(const std::string& email) {
    HttpResponse r = RegisterJson(email);
    EXPECT_EQ(r.status, 202) << r.body;
    return AcceptedReceipt(r.body);
  }
  // GET /register/status?r=R as JSON ({} and a failure unless 200).
  static nlohmann::json Status(const std::string& receipt) {
    HttpResponse r = stack().Get("/register/status?r=" + receipt);
    EXPECT_EQ(r.status, 200) << r.body;
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
  }
  // Waits (on the database, not the rate-limited status) until the newest
  // job to "email" is in "state".
  static bool WaitForJob(const std::string& email, const std::string& state) {
    return WaitFor([&] {
      const long long id = stack().JobIdFor(email);
      return id != 0 && stack().JobState(id) == state;
    });
  }
  // Nothing in flight: a knob set now applies to the next mail only.
  static void WaitForQuietOutbox() {
    ASSERT_TRUE(
        WaitFor([] { return stack().Metric("mail_queue_depth") == 0; }));
  }
};

TEST_F(ReceiptTest, ARegistrationsJsonAnswerCarriesAReceiptAndSetsTheCookie) {
  HttpResponse r = RegisterJson("cookie-json@example.com");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string receipt = AcceptedReceipt(r.body);
  ASSERT_NE(receipt, "") << r.body;
  EXPECT_EQ(r.Header("set-cookie"),
            "registrar_receipt=" + receipt +
                "; Max-Age=86400; Path=/; HttpOnly; SameSite=Lax");
  EXPECT_EQ(r.Header("referrer-policy"), "no-referrer");
  EXPECT_EQ(r.Header("cache-control"), "no-store");
  // Only its hash is kept.
  EXPECT_EQ(stack().QueryOne("SELECT count(*) FROM receipts WHERE hash = '" +
                             receipt + "'"),
            "0");
  EXPECT_EQ(stack().QueryOne("SELECT count(*) FROM receipts r JOIN outbox o "
                             "ON o.id = r.job_id WHERE o.rcpt = "
                             "'cookie-json@example.com'"),
            "1");
}

TEST_F(ReceiptTest, TheFormAnswerGoesToTheSentPageOfItsReceipt) {
  HttpResponse r = stack().Post(
      "/register", "email=cookie-form%40example.com&password=a+good+password",
      {kForm});
  ASSERT_EQ(r.status, 303) << r.body;
  const std::string receipt = SentReceipt(r.Header("location"));
  ASSERT_NE(receipt, "") << r.Header("location");
  EXPECT_EQ(r.Header("set-cookie"),
            "registrar_receipt=" + receipt +
                "; Max-Age=86400; Path=/; HttpOnly; SameSite=Lax");
  EXPECT_EQ(r.Header("referrer-policy"), "no-referrer");
  EXPECT_EQ(r.Header("cache-control"), "no-store");
}

TEST_F(ReceiptTest, TheCookieKeepsTheLastThreeRegistrations) {
  const std::string old = "registrar_receipt=" + std::string(22, 'a') + "." +
                          std::string(22, 'b') + "." + std::string(22, 'c');
  HttpResponse r = RegisterJson("cookie-three@example.com", {"Cookie: " + old});
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string receipt = AcceptedReceipt(r.body);
  EXPECT_EQ(r.Header("set-cookie"),
            "registrar_receipt=" + receipt + "." + std::string(22, 'a') + "." +
                std::string(22, 'b') +
                "; Max-Age=86400; Path=/; HttpOnly; SameSite=Lax");
}

TEST_F(ReceiptTest, AResendCarriesAReceiptButSetsNoCookie) {
  ReceiptOf("resend-known@example.com");  // a known address, and an unknown
  for (const std::string email :
       {"resend-known@example.com", "resend-stranger@example.com"}) {
    HttpResponse json = stack().Post(
        "/register/resend", nlohmann::json{{"email", email}}.dump(), {kJson});
    EXPECT_EQ(json.status, 202) << json.body;
    EXPECT_NE(AcceptedReceipt(json.body), "") << json.body;
    EXPECT_EQ(json.Header("set-cookie"), "");
    EXPECT_EQ(json.Header("referrer-policy"), "no-referrer");
    HttpResponse form = stack().Post(
        "/register/resend",
        "email=" + email.substr(0, email.find('@')) + "%40example.com",
        {kForm});
    EXPECT_EQ(form.status, 303);
    EXPECT_NE(SentReceipt(form.Header("location")), "");
    EXPECT_EQ(form.Header("set-cookie"), "");
  }
}

TEST_F(ReceiptTest, StatusFollowsTheMailToAcceptedWithTheServersWords) {
  WaitForQuietOutbox();
  const long long before = static_cast<long long>(time(nullptr));
  const std::string receipt = ReceiptOf("status-ok@example.com");
  ASSERT_TRUE(WaitForJob("status-ok@example.com", "sent"));
  HttpResponse r = stack().Get("/register/status?r=" + receipt);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("cache-control"), "no-store");
  EXPECT_EQ(r.Header("referrer-policy"), "no-referrer");
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.body;
  EXPECT_EQ(j["state"], "accepted") << r.body;
  ASSERT_TRUE(j["since"].is_number_integer()) << r.body;
  EXPECT_GE(j["since"].get<long long>(), before);
  EXPECT_LE(j["since"].get<long long>(), before + 30);
  EXPECT_TRUE(j["detail"].is_null()) << r.body;
  EXPECT_FALSE(j.contains("retry_at")) << r.body;
  ASSERT_TRUE(j["reply"].is_string()) << r.body;
  EXPECT_EQ(j["reply"].get<std::string>().substr(0, 3), "250") << r.body;
  EXPECT_LE(j["reply"].get<std::string>().size(), 200u);
  std::set<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"state", "since", "detail", "reply"}));
}

TEST_F(ReceiptTest, AMailCapReceiptSaysNotSentUntilAnHourLater) {
  for (int i = 0; i < 2; i++) ReceiptOf("status-capped@example.com");
  const long long before = static_cast<long long>(time(nullptr));
  const std::string receipt = ReceiptOf("status-capped@example.com");
  nlohmann::json j = Status(receipt);
  EXPECT_EQ(j["state"], "not_sent") << j.dump();
  EXPECT_EQ(j["detail"], "mail_cap") << j.dump();
  EXPECT_GE(j.value("retry_at", 0LL), before + 3600);
  EXPECT_LE(j.value("retry_at", 0LL), before + 3600 + 30);
  HttpResponse page = stack().Get("/register/sent?r=" + receipt);
  EXPECT_THAT(page.body, HasSubstr("We sent no mail"));
  // A final state: the page does not keep asking.
  EXPECT_THAT(page.body, Not(HasSubstr("receipt.js")));
}

TEST_F(ReceiptTest, ARegistrationsOwnReceiptSaysVerifiedOnceItIs) {
  const std::string email = "status-verified@example.com";
  const std::string receipt = ReceiptOf(email);
  ASSERT_TRUE(WaitFor([&] { return MailsTo(sink(), email).size() == 1; }));
  const std::string token = TokenIn(MailsTo(sink(), email)[0]);
  ASSERT_EQ(
      stack()
          .Post(
              "/activate",
              nlohmann::json{{"token", token}, {"password", kPassword}}.dump(),
              {kJson})
          .status,
      200);
  EXPECT_EQ(Status(receipt)["state"], "verified");
}

TEST_F(ReceiptTest, TheCodeOfTheMailVerifiesFromTheRegisteringBrowsersPage) {
  const std::string email = "code-right@example.com";
  HttpResponse r = stack().Post(
      "/register", "email=code-right%40example.com&password=a+good+password",
      {kForm});
  ASSERT_EQ(r.status, 303) << r.body;
  const std::string receipt = SentReceipt(r.Header("location"));
  ASSERT_TRUE(WaitFor([&] { return MailsTo(sink(), email).size() == 1; }));
  const std::string code = CodeIn(MailsTo(sink(), email)[0]);
  ASSERT_EQ(code.size(), 6u) << MailsTo(sink(), email)[0];
  // The page of the registering browser asks for it, labelled.
  HttpResponse page =
      stack().Get("/register/sent?r=" + receipt, {"Accept-Language: de"});
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body,
              HasSubstr("<form method=\"post\" action=\"/activate\""));
  EXPECT_THAT(page.body,
              HasSubstr("name=\"receipt\" value=\"" + receipt + "\""));
  EXPECT_THAT(page.body, HasSubstr("inputmode=\"numeric\" "
                                   "autocomplete=\"one-time-code\""));
  EXPECT_THAT(page.body, HasSubstr("<label for=\"code\">Code aus der E-Mail"));
  // A wrong code: the same page again, the error beside the code.
  std::string wrong = code;
  wrong[5] = wrong[5] == '9' ? '0' : static_cast<char>(wrong[5] + 1);
  HttpResponse again = stack().Post(
      "/activate", "receipt=" + receipt + "&code=" + wrong,
      {kForm, "Origin: null", "Sec-Fetch-Site: same-origin",
       "Accept-Language: de"});
  EXPECT_EQ(again.status, 401) << again.body;
  EXPECT_THAT(again.body, HasSubstr("Das ist nicht der Code aus der E-Mail"));
  EXPECT_THAT(again.body,
              HasSubstr("name=\"receipt\" value=\"" + receipt + "\""));
  EXPECT_EQ(again.Header("cache-control"), "no-store");
  // Typed as a person may, with a space; the form posts from a page that
  // sends no referrer.
  HttpResponse done =
      stack().Post("/activate",
                   "receipt=" + receipt + "&code=" + code.substr(0, 3) + "+" +
                       code.substr(3),
                   {kForm, "Origin: null", "Sec-Fetch-Site: same-origin"});
  EXPECT_EQ(done.status, 200) << done.body;
  EXPECT_THAT(done.body, HasSubstr("Your email is verified"));
  EXPECT_EQ(Status(receipt)["state"], "verified");
  EXPECT_NE(stack().QueryOne("SELECT verified_ms FROM users WHERE email = '" +
                             email + "'"),
            "");
}

TEST_F(ReceiptTest, FiveWrongCodesOfAMailboxAnswer410ForEveryCodeOfIt) {
  const std::string email = "code-wrong@example.com";
  const std::string receipt = ReceiptOf(email);
  ASSERT_TRUE(WaitFor([&] { return MailsTo(sink(), email).size() == 1; }));
  const std::string mail = MailsTo(sink(), email)[0];
  const std::string code = CodeIn(mail);
  ASSERT_EQ(code.size(), 6u) << mail;
  std::string wrong = code;
  wrong[5] = wrong[5] == '9' ? '0' : static_cast<char>(wrong[5] + 1);
  auto type = [&](const std::string& r, const std::string& c) {
    return stack().Post("/activate",
                        nlohmann::json{{"receipt", r}, {"code", c}}.dump(),
                        {kJson});
  };
  // A receipt nobody holds gets the same answer as a wrong code.
  HttpResponse unknown = type(std::string(22, 'Q'), wrong);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body, R"({"status":"wrong_code"})");
  for (int i = 0; i < 4; i++) {
    HttpResponse r = type(receipt, wrong);
    EXPECT_EQ(r.status, 401) << i << " " << r.body;
    EXPECT_EQ(r.body, R"({"status":"wrong_code"})");
  }
  // From the 5th wrong code, 410 for every code of the mailbox.
  HttpResponse fifth = type(receipt, wrong);
  EXPECT_EQ(fifth.status, 410) << fifth.body;
  EXPECT_EQ(fifth.body, R"({"status":"too_many_codes"})");
  EXPECT_EQ(type(receipt, code).status, 410);
  EXPECT_EQ(Status(receipt)["state"], "accepted");
  // The link still works.
  EXPECT_EQ(stack()
                .Post("/activate",
                      nlohmann::json{{"token", TokenIn(mail)},
                                     {"password", kPassword}}
                          .dump(),
                      {kJson})
                .status,
            200);
}

TEST_F(ReceiptTest, AnUnknownExpiredOrMalformedReceiptIs404) {
  for (const std::string& r :
       {std::string(22, 'Q'), std::string("short"), std::string(30, '%')}) {
    HttpResponse s = stack().Get("/register/status?r=" + r);
    EXPECT_EQ(s.status, 404) << r;
  }
  EXPECT_EQ(stack().Get("/register/status").status, 404);
}

TEST_F(ReceiptTest, TheSentPageShowsTheStateWithOneStatusRegionAndARecheck) {
  WaitForQuietOutbox();
  sink().Control(R"({"hold_data": true})");
  const std::string receipt = ReceiptOf("page-sending@example.com");
  ASSERT_TRUE(WaitFor([] { return sink().HeldCount() >= 1; }));
  HttpResponse page =
      stack().Get("/register/sent?r=" + receipt, {"Accept-Language: fr"});
  sink().Control("{}");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("referrer-policy"), "no-referrer");
  EXPECT_EQ(page.Header("cache-control"), "no-store");
  EXPECT_THAT(page.body, HasSubstr("<html lang=\"fr\""));
  EXPECT_THAT(page.body, HasSubstr("en train d’être remis"));
  size_t regions = 0;
  for (size_t at = page.body.find("role=\"status\""); at != std::string::npos;
       at = page.body.find("role=\"status\"", at + 1)) {
    regions++;
  }
  EXPECT_EQ(regions, 1u);
  // "Check again" without JavaScript: a GET of the same page.
  EXPECT_THAT(page.body, HasSubstr("<form method=\"get\" "
                                   "action=\"/register/sent\""));
  EXPECT_THAT(page.body, HasSubstr("name=\"r\" value=\"" + receipt + "\""));
  EXPECT_THAT(page.body, HasSubstr("/static/receipt.js"));
  EXPECT_THAT(page.body, HasSubstr("content=\"no-referrer\""));
  // The script is served.
  EXPECT_EQ(stack().Get("/static/receipt.js").status, 200);
  ASSERT_TRUE(WaitForJob("page-sending@example.com", "sent"));
  page = stack().Get("/register/sent?r=" + receipt);
  EXPECT_THAT(page.body, HasSubstr("The mail server accepted your mail"));
  // The server's words, shown (not hidden) apart from the status region.
  EXPECT_THAT(page.body, HasSubstr("<p id=\"receipt-reply\" class=\"small\">"));
  EXPECT_THAT(page.body, HasSubstr("<q id=\"receipt-reply-text\">250"));
}

TEST_F(ReceiptTest, TheSentPageOfAnUnknownReceiptSaysItCanNoLongerTell) {
  HttpResponse page = stack().Get("/register/sent?r=" + std::string(22, 'Z'));
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("can no longer say"));
}

// The tests that set the sink's knobs wait for a quiet outbox first, and
// leave one: a knob applies to every mail in flight.
TEST_F(ReceiptTest, ARecipientRefusedWith511GetsNoMoreMailOneWith571Does) {
  // A 5.1.1 to RCPT TO suppresses that address; a 5.7.1 (policy: maybe
  // our own fault) suppresses nothing.
  WaitForQuietOutbox();
  const double suppressed = stack().Metric("addresses_suppressed");
  const double not_sent = stack().Metric("mail_suppressed_total");
  sink().Control(R"({"rcpt_replies": ["550 5.1.1 no such user"]})");
  ReceiptOf("gone-511@example.com");
  ASSERT_TRUE(WaitForJob("gone-511@example.com", "failed"));
  sink().Control(R"({"rcpt_replies": ["554 5.7.1 relay access denied"]})");
  ReceiptOf("policy-571@example.com");
  ASSERT_TRUE(WaitForJob("policy-571@example.com", "failed"));
  sink().Control("{}");

  const long long refused_job = stack().JobIdFor("gone-511@example.com");
  nlohmann::json j = Status(ReceiptOf("gone-511@example.com"));
  EXPECT_EQ(j["state"], "not_sent") << j.dump();
  EXPECT_EQ(j["detail"], "suppressed") << j.dump();
  EXPECT_EQ(stack().JobIdFor("gone-511@example.com"), refused_job);
  ReceiptOf("policy-571@example.com");
  EXPECT_TRUE(WaitForJob("policy-571@example.com", "sent"));
  EXPECT_EQ(stack().Metric("mail_suppressed_total"), not_sent + 1);
  EXPECT_EQ(stack().Metric("addresses_suppressed"), suppressed + 1);
}

TEST_F(ReceiptTest, A5xxIsRefusedWithItsCodeAndATryLaterDelayedWithItsTime) {
  WaitForQuietOutbox();
  sink().Control(R"({"rcpt_replies": ["550 5.1.1 no such user"]})");
  const std::string refused = ReceiptOf("status-refused@example.com");
  ASSERT_TRUE(WaitForJob("status-refused@example.com", "failed"));
  nlohmann::json j = Status(refused);
  EXPECT_EQ(j["state"], "refused") << j.dump();
  EXPECT_EQ(j["detail"], "5.1.1") << j.dump();
  EXPECT_EQ(j["reply"], "550 5.1.1 no such user") << j.dump();

  // The page says to check the address, in the reader's language.
  HttpResponse page =
      stack().Get("/register/sent?r=" + refused, {"Accept-Language: de"});
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("Diese Adresse scheint es nicht zu geben"));
  EXPECT_THAT(page.body, HasSubstr("5.1.1"));

  sink().Control(R"({"rcpt_replies": ["451 4.2.1 try later"]})");
  const std::string later = ReceiptOf("status-later@example.com");
  ASSERT_TRUE(WaitFor([&] {
    return stack().QueryOne(
               "SELECT attempts FROM outbox WHERE rcpt = "
               "'status-later@example.com'") == "1" &&
           stack().JobState(stack().JobIdFor("status-later@example.com")) ==
               "queued";
  }));
  j = Status(later);
  EXPECT_EQ(j["state"], "delayed") << j.dump();
  EXPECT_TRUE(j["retry_at"].is_number_integer()) << j.dump();
  EXPECT_GT(j.value("retry_at", 0LL), static_cast<long long>(time(nullptr)));
  EXPECT_EQ(j["reply"], "451 4.2.1 try later") << j.dump();
  sink().Control("{}");
  // Its retry, 4 s on, goes through: the outbox is quiet again.
  EXPECT_TRUE(WaitForJob("status-later@example.com", "sent"));
}

// Runs the build's `regctl bounce` on the stack's data with "message" on
// stdin and the envelope recipient in ORIGINAL_RECIPIENT, as Postfix's
// local(8) does, as the data's owner (never root, as under local(8)), or
// with "as_tests_user" as the tests run (root, by hand); its exit status.
// "output" gets what it printed.
int RunBounce(const Stack& stack, const std::string& envelope,
              const std::string& message, std::string* output,
              bool as_tests_user = false) {
  const std::string dir = MakeTempDir();
  const std::string file = dir + "/message";
  WriteFileAtomic(file, message);
  const char* build = std::getenv("REGISTRAR_BUILD");
  std::string cmd = RepoRoot() + "/" + (build != nullptr ? build : "build") +
                    "/regctl -d " + stack.data_dir() + " bounce < " + file +
                    " >" + dir + "/out 2>&1";
  struct stat st;
  if (!as_tests_user && stat(stack.data_dir().c_str(), &st) == 0 &&
      st.st_uid != geteuid()) {
    cmd = "setpriv --reuid=" + std::to_string(st.st_uid) +
          " --regid=" + std::to_string(st.st_gid) + " --clear-groups " + cmd;
  }
  cmd = "ORIGINAL_RECIPIENT='" + envelope + "' " + cmd;
  if (!stack.database_url().empty()) {
    cmd = "DATABASE_URL='" + stack.database_url() + "' " + cmd;
  }
  const int status = std::system(cmd.c_str());
  *output = ReadFile(dir + "/out");
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Postfix's notification that "rcpt" does not exist (5.1.1).
std::string NoSuchUserReport(const std::string& rcpt) {
  return "From MAILER-DAEMON  Sun Dec  6 16:40:01 2026\n"
         "Content-Type: multipart/report; report-type=delivery-status;\n"
         "\tboundary=\"R1\"\n\n--R1\nContent-Type: text/plain\n\nsorry\n"
         "--R1\nContent-Type: message/delivery-status\n\n"
         "Reporting-MTA: dns; mail.example.com\n\n"
         "Final-Recipient: rfc822; " +
         rcpt + "\nOriginal-Recipient: rfc822;" + rcpt +
         "\nAction: failed\nStatus: 5.1.1\n"
         "Diagnostic-Code: smtp; 550 5.1.1 no such user\n\n--R1--\n";
}

TEST_F(ReceiptTest, RegctlBounceRecordsItsJobsNotificationAndIgnoresForgeries) {
  const std::string to = "dsn-ghost@example.com";
  const std::string receipt = ReceiptOf(to);
  ASSERT_TRUE(WaitForJob(to, "sent"));
  const long long id = stack().JobIdFor(to);
  const long long created = std::stoll(stack().QueryOne(
      "SELECT created_ms FROM outbox WHERE id = " + std::to_string(id)));
  Result<BounceTagger> made =
      BounceTagger::Create(ReadFile(stack().job_secret_file()));
  ASSERT_TRUE(made.ok());
  const BounceTagger tagger = made.value();
  const std::string report = NoSuchUserReport(to);

  // No tag, a stranger's tag (this job, another recipient), a tag under
  // another secret: ignored, exit 0, nothing changes.
  const BounceTagger stranger =
      BounceTagger::Create(std::string(64, '0')).value();
  for (const std::string& forged :
       {std::string("bounces@example.com"),
        tagger.Sender("bounces@example.com", id, "mallory@example.com",
                      created),
        stranger.Sender("bounces@example.com", id, to, created)}) {
    std::string out;
    EXPECT_EQ(RunBounce(stack(), forged, report, &out), 0) << out;
    EXPECT_THAT(out, HasSubstr("ignored")) << out;
  }
  EXPECT_EQ(Status(receipt)["state"], "accepted");
  EXPECT_THAT(Regctl(stack(), "show " + std::to_string(id)),
              Not(HasSubstr("bounced")));

  // Its own tag: recorded on the job and its history; the receipt says so.
  std::string out;
  EXPECT_EQ(
      RunBounce(stack(), tagger.Sender("bounces@example.com", id, to, created),
                report, &out),
      0)
      << out;
  const nlohmann::json j = Status(receipt);
  EXPECT_EQ(j["state"], "bounced") << j.dump();
  EXPECT_EQ(j["detail"], "5.1.1") << j.dump();
  EXPECT_THAT(Regctl(stack(), "show " + std::to_string(id)),
              HasSubstr("bounced   5.1.1 550 5.1.1 no such user"));
  EXPECT_THAT(Regctl(stack(), "suppressions"), HasSubstr(to));

  // The same by hand as root (the tests' user when they run as root; the
  // data is then nobody's): recorded with the workers' secret, as regctl's
  // other commands act on their data as root.
  if (geteuid() == 0) {
    EXPECT_EQ(RunBounce(stack(),
                        tagger.Sender("bounces@example.com", id, to, created),
                        report, &out, /*as_tests_user=*/true),
              0)
        << out;
    EXPECT_THAT(out, HasSubstr("job " + std::to_string(id) + ": failed 5.1.1"))
        << out;
  }
}

TEST_F(ReceiptTest, ReceiptsAreCountedInTheMetrics) {
  const double before = stack().Metric("receipts_total");
  ASSERT_GE(before, 0);
  ReceiptOf("metric-receipt@example.com");
  EXPECT_EQ(stack().Metric("receipts_total"), before + 1);
}

TEST_F(ReceiptTest, TheStatusHasItsOwnLimitAndNoLogHoldsAReceipt) {
  const std::string receipt = ReceiptOf("status-logs@example.com");
  // From a loopback address of its own: the limit it spends is that
  // client's, not the one every other test of the suite asks from.
  const std::string client = "127.0.0.9";
  std::set<long> statuses;
  for (int i = 0; i < 40; i++) {
    statuses.insert(Http("GET", stack().Url("/register/status?r=" + receipt),
                         "", {}, client)
                        .status);
  }
  EXPECT_TRUE(statuses.count(429)) << "the status limit never refused";
  EXPECT_TRUE(statuses.count(200));
  // Its refusals leave POST /register alone.
  EXPECT_EQ(RegisterJson("status-logs-2@example.com").status, 202);
  stack().Get("/register/sent?r=" + receipt);
  for (const char* log :
       {"/nginx/access.log", "/nginx/error.log", "/registrar.log"}) {
    const std::string text = ReadFile(stack().data_dir() + log);
    EXPECT_THAT(text, Not(HasSubstr(receipt))) << log;
  }
  EXPECT_THAT(ReadFile(stack().data_dir() + "/nginx/access.log"),
              HasSubstr("/register/status"));
}

}  // namespace
}  // namespace reg::testing
