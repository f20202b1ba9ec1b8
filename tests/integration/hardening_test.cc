// Hostile input and hostile callers against the real stack: hash floods,
// header injection, weak passwords, secrets kept out of logs, bad secret
// files, security headers on every HTML answer.
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

class HardeningTest : public StackSuite {
 protected:
  static void SetUpTestSuite() { StartStack(); }
};

std::string Json(const std::string& email, const std::string& password) {
  auto escape = [](const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '\r')
        out += "\\r";
      else if (c == '\n')
        out += "\\n";
      else if (c == '"')
        out += "\\\"";
      else
        out += c;
    }
    return out;
  };
  return "{\"email\":\"" + escape(email) + "\",\"password\":\"" +
         escape(password) + "\"}";
}

TEST_F(HardeningTest, InvisibleOrDirectionChangingCharactersAre422) {
  // A right-to-left override makes "moc.elpmaxe@nimda" read as another
  // address; a zero-width space makes a look-alike of a known one.
  for (const char* email :
       {"admin\xE2\x80\xAE@example.com", "ad\xE2\x80\x8Bmin@example.com",
        "\xEF\xBB\xBF"
        "admin@example.com",
        "ad\xC2\xADmin@example.com"}) {
    HttpResponse r = stack().Post("/register", Json(email, "a good password"),
                                  {"Content-Type: application/json"});
    EXPECT_EQ(r.status, 422) << email;
    EXPECT_NE(r.body.find("invisible or direction-changing"), std::string::npos)
        << r.body;
  }
  EXPECT_EQ(stack().Query("SELECT count(*) FROM users WHERE email LIKE "
                          "'%min@example.com'"),
            std::vector<std::string>{"0"});
}

TEST_F(HardeningTest, HeaderInjectionInTheAddressIs422AndMailsNobody) {
  const int before = sink().MailCount();
  for (const char* email :
       {"victim@example.com\r\nBcc: attacker@evil.test",
        "victim@example.com\nBcc: attacker@evil.test",
        "victim@example.com>\r\nRCPT TO:<attacker@evil.test",
        "\"victim\r\n\"@example.com"}) {
    HttpResponse r = stack().Post("/register", Json(email, "a good password"),
                                  {"Content-Type: application/json"});
    EXPECT_EQ(r.status, 422) << email;
    EXPECT_NE(r.body.find("\"email\""), std::string::npos) << r.body;
  }
  // A good registration afterwards is the first mail since.
  ASSERT_EQ(
      stack().Register("after-injection@example.com", "a good password").status,
      202);
  ASSERT_TRUE(WaitFor([&] { return sink().MailCount() == before + 1; }));
  for (const std::string& m : sink().Mails())
    EXPECT_EQ(m.find("attacker@evil.test"), std::string::npos);
}

TEST_F(HardeningTest, CommonPasswordsAndTheAddressItselfAre422) {
  for (const char* password : {"password", "12345678", "iloveyou"}) {
    HttpResponse r = stack().Register("common-pw@example.com", password);
    EXPECT_EQ(r.status, 422) << password;
    EXPECT_NE(r.body.find("too common"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("\"email\""), std::string::npos) << r.body;
  }
  HttpResponse r =
      stack().Register("Self.Named@example.com", "self.named@example.com");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("email address as your password"), std::string::npos)
      << r.body;
  EXPECT_EQ(stack().Register("Self.Named@example.com", "SELF.NAMED").status,
            422);
  EXPECT_EQ(
      stack().Query("SELECT count(*) FROM users WHERE email_norm IN "
                    "('common-pw@example.com', 'self.named@example.com')"),
      std::vector<std::string>{"0"});
}

TEST_F(HardeningTest, NoPasswordTokenOrSecretEverReachesALog) {
  const std::string password = "Unmistakable Passphrase 7741";
  const int before = sink().MailCount();
  ASSERT_EQ(stack().Register("logs-clean@example.com", password).status, 202);
  ASSERT_TRUE(WaitFor([&] { return sink().MailCount() == before + 1; }));
  const std::string token = TokenIn(sink().Mails().back());
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(stack().Get("/activate?token=" + token).status, 200);
  EXPECT_EQ(stack().Post("/activate", "token=" + token + "&password=a+good+password").status, 200);
  const std::string secret = ReadFile(stack().data_dir() + "/job.secret");
  ASSERT_EQ(secret.size(), 64u);
  for (const char* log : {"/registrar.log", "/stack.out", "/nginx/access.log",
                          "/nginx/error.log"}) {
    const std::string text = ReadFile(stack().data_dir() + log);
    EXPECT_EQ(text.find(password), std::string::npos) << log;
    EXPECT_EQ(text.find(token), std::string::npos) << log;
    EXPECT_EQ(text.find(secret), std::string::npos) << log;
  }
  struct stat st;
  ASSERT_EQ(stat((stack().data_dir() + "/job.secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(HardeningTest, EveryHtmlAnswerCarriesTheSecurityHeaders) {
  std::vector<HttpResponse> answers = {
      stack().Get("/"),
      stack().Get("/register/sent"),
      stack().Get("/no-such-page"),                                  // 404
      stack().Get("/register"),                                      // 405
      stack().Post("/register", "email=bad&password=x"),             // 422
      stack().Post("/register", "email=%zz"),                        // 400
      stack().Post("/register", "x", {"Content-Type: text/plain"}),  // 415
  };
  for (const HttpResponse& r : answers) {
    EXPECT_NE(
        r.Header("content-security-policy").find("frame-ancestors 'none'"),
        std::string::npos)
        << r.status;
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff") << r.status;
    EXPECT_FALSE(r.Header("referrer-policy").empty()) << r.status;
    // No third-party resources: every src/href is local.
    EXPECT_EQ(r.body.find("src=\"http"), std::string::npos) << r.status;
    EXPECT_EQ(r.body.find("href=\"http"), std::string::npos) << r.status;
  }
}

TEST(HashFlood, PastTheHashCapRegistrationsGet503WithRetryAfter) {
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  // One worker, one hash at a time, no waiting: a burst must overflow.
  Stack stack({{"WORKERS", "1"},
               {"THREADS", "8"},
               {"HASH_CAP", "1"},
               {"HASH_WAIT_MS", "0"},
               {"SCRYPT_LOG2_N", "15"}},
              &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  std::vector<HttpResponse> answers(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; i++) {
    threads.emplace_back([&, i] {
      answers[i] = stack.Register("flood-" + std::to_string(i) + "@example.com",
                                  "a good password");
    });
  }
  for (auto& t : threads) t.join();
  int accepted = 0, busy = 0;
  for (const HttpResponse& r : answers) {
    if (r.status == 202) accepted++;
    if (r.status == 503) {
      busy++;
      EXPECT_FALSE(r.Header("retry-after").empty());
    }
  }
  EXPECT_GE(accepted, 1);
  EXPECT_GE(busy, 1);
  EXPECT_EQ(accepted + busy, 8);
  // Nothing half-written for the refused ones.
  EXPECT_EQ(stack.Query("SELECT count(*) FROM users"),
            std::vector<std::string>{std::to_string(accepted)});
  EXPECT_TRUE(stack.Stop());
}

// A data dir whose job.secret is "bad" must not come up.
void ExpectRefusedSecret(const std::string& content, mode_t mode,
                         const std::string& why) {
  const std::string data = MakeTempDir();
  const std::string path = data + "/job.secret";
  WriteFileAtomic(path, content);
  chmod(path.c_str(), mode);
  Stack stack({}, nullptr, data);
  EXPECT_FALSE(stack.running()) << why;
  EXPECT_NE(ReadFile(data + "/registrar.log").find("job.secret"),
            std::string::npos)
      << ReadFile(data + "/registrar.log");
  EXPECT_EQ(ReadFile(data + "/registrar.log").find(content.substr(0, 16)),
            std::string::npos)
      << "the log must not show the secret";
}

TEST(SecretFile, ReadableByOthersIsRefused) {
  ExpectRefusedSecret(std::string(64, 'a'), 0644, "mode 0644");
}

TEST(SecretFile, ShorterThan32BytesIsRefused) {
  ExpectRefusedSecret("0123456789abcdef0123456789abcdef", 0600, "16 bytes");
}

}  // namespace
}  // namespace reg::testing
