#include "observe/events.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "base/utf8.hpp"
#include "observe_test_util.hpp"

namespace postern::observe {
namespace {

using namespace std::chrono;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::ScratchDir;

const std::string fffd = "\xEF\xBF\xBD";
const std::string ellipsis = "\xE2\x80\xA6";

Time at(int y, unsigned m, unsigned d, hours h, minutes min, seconds s, milliseconds ms) {
  return sys_days{year{y} / month{m} / day{d}} + h + min + s + ms;
}

const Time sample_time = at(2026, 11, 21, 14h, 3min, 0s, 123ms);

AuthEvent sample_auth() {
  AuthEvent e;
  e.time = sample_time;
  e.result = "failed";
  e.client_ip = "203.0.113.7";
  e.client_port = 51234;
  e.listener = "submission";
  e.tls_version = "TLSv1.3";
  e.tls_cipher = "TLS_AES_256_GCM_SHA384";
  e.mechanism = "PLAIN";
  e.login = "alice@example.org";
  e.account = "alice@example.org";
  e.credential = "password";
  e.reason = "wrong password";
  e.reply = "535 5.7.8";
  e.duration_ms = 412;
  return e;
}

MessageEvent sample_message() {
  MessageEvent e;
  e.time = sample_time;
  e.result = "accepted";
  e.client_ip = "2001:db8::25";
  e.client_port = 40000;
  e.listener = "submissions";
  e.queue_id = "01JD3X5K7M";
  e.account = "alice@example.org";
  e.credential = "phone";
  e.sender = "alice@example.org";
  e.recipients = 2;
  e.size = 18234;
  e.reply = "250 2.0.0";
  return e;
}

std::vector<std::string> keys_of(const std::string& line) {
  std::vector<std::string> keys;
  auto value = boost::json::parse(line);
  for (const auto& kv : value.as_object()) keys.emplace_back(kv.key());
  return keys;
}

boost::json::object parse_object(const std::string& line) { return boost::json::parse(line).as_object(); }

// ------------------------------------------------------------------------------------ to_json

TEST(EventsJson, AuthEventExactLine) {
  EXPECT_EQ(to_json(sample_auth()),
            R"({"time":"2026-11-21T14:03:00.123Z","event":"auth","result":"failed","client_ip":"203.0.113.7",)"
            R"("client_port":51234,"listener":"submission","tls_version":"TLSv1.3",)"
            R"("tls_cipher":"TLS_AES_256_GCM_SHA384","mechanism":"PLAIN","login":"alice@example.org",)"
            R"("account":"alice@example.org","credential":"password","reason":"wrong password",)"
            R"("reply":"535 5.7.8","duration_ms":412})");
}

TEST(EventsJson, MessageEventExactLine) {
  EXPECT_EQ(to_json(sample_message()),
            R"({"time":"2026-11-21T14:03:00.123Z","event":"message","result":"accepted","client_ip":"2001:db8::25",)"
            R"("client_port":40000,"listener":"submissions","queue_id":"01JD3X5K7M","account":"alice@example.org",)"
            R"("credential":"phone","sender":"alice@example.org","recipients":2,"size":18234,"reply":"250 2.0.0",)"
            R"("reason":""})");
}

TEST(EventsJson, KeyOrderOfEveryKind) {
  EXPECT_THAT(keys_of(to_json(AuthEvent{})),
              ElementsAreArray(std::vector<std::string>{"time", "event", "result", "client_ip", "client_port",
                                                        "listener", "tls_version", "tls_cipher", "mechanism", "login",
                                                        "account", "credential", "reason", "reply", "duration_ms"}));
  EXPECT_THAT(keys_of(to_json(MessageEvent{})),
              ElementsAreArray(std::vector<std::string>{"time", "event", "result", "client_ip", "client_port",
                                                        "listener", "queue_id", "account", "credential", "sender",
                                                        "recipients", "size", "reply", "reason"}));
  EXPECT_THAT(keys_of(to_json(ConnectionRefusedEvent{})),
              ElementsAreArray(std::vector<std::string>{"time", "event", "client_ip", "client_port", "listener",
                                                        "reply", "reason"}));
  EXPECT_THAT(
      keys_of(to_json(LockoutEvent{})),
      ElementsAreArray(std::vector<std::string>{"time", "event", "scope", "key", "failures", "until", "slowed_only"}));
  EXPECT_THAT(keys_of(to_json(AlertEvent{})),
              ElementsAreArray(std::vector<std::string>{"time", "event", "kind", "subject", "detail", "action"}));
}

TEST(EventsJson, EventNames) {
  EXPECT_EQ(parse_object(to_json(AuthEvent{}))["event"], "auth");
  EXPECT_EQ(parse_object(to_json(MessageEvent{}))["event"], "message");
  EXPECT_EQ(parse_object(to_json(ConnectionRefusedEvent{}))["event"], "connection_refused");
  EXPECT_EQ(parse_object(to_json(LockoutEvent{}))["event"], "lockout");
  EXPECT_EQ(parse_object(to_json(AlertEvent{}))["event"], "alert");
}

TEST(EventsJson, LockoutFieldsAndUntil) {
  LockoutEvent e;
  e.time = sample_time;
  e.scope = "network";
  e.key = "198.51.100.0/24";
  e.failures = 20;
  e.until = at(2026, 11, 21, 14h, 18min, 0s, 123ms);
  e.slowed_only = true;
  EXPECT_EQ(to_json(e),
            R"({"time":"2026-11-21T14:03:00.123Z","event":"lockout","scope":"network","key":"198.51.100.0/24",)"
            R"("failures":20,"until":"2026-11-21T14:18:00.123Z","slowed_only":true})");
}

TEST(EventsJson, ConnectionRefusedAndAlertLines) {
  ConnectionRefusedEvent c{sample_time, "192.0.2.1", 1025, "smtp", "421 4.7.0", "address throttled"};
  EXPECT_EQ(to_json(c), R"({"time":"2026-11-21T14:03:00.123Z","event":"connection_refused","client_ip":"192.0.2.1",)"
                        R"("client_port":1025,"listener":"smtp","reply":"421 4.7.0","reason":"address throttled"})");
  AlertEvent a{sample_time, "volume_anomaly", "credential phone of alice@example.org", "120 messages in 1h, usual 4",
               "credential suspended"};
  EXPECT_EQ(to_json(a), R"({"time":"2026-11-21T14:03:00.123Z","event":"alert","kind":"volume_anomaly",)"
                        R"("subject":"credential phone of alice@example.org","detail":"120 messages in 1h, usual 4",)"
                        R"("action":"credential suspended"})");
}

TEST(EventsJson, TimeIsUtcMillisecondsTruncated) {
  AlertEvent a;
  a.time = at(2024, 2, 29, 23h, 59min, 59s, 999ms) + microseconds(999);
  EXPECT_EQ(parse_object(to_json(a))["time"], "2024-02-29T23:59:59.999Z");
  a.time = Time{};
  EXPECT_EQ(parse_object(to_json(a))["time"], "1970-01-01T00:00:00.000Z");
  // Before the epoch the milliseconds still count forward within the second.
  a.time = Time{} - milliseconds(1);
  EXPECT_EQ(parse_object(to_json(a))["time"], "1969-12-31T23:59:59.999Z");
}

TEST(EventsJson, NegativeDurationAndLargeNumbers) {
  AuthEvent e;
  e.duration_ms = -5;
  EXPECT_EQ(parse_object(to_json(e))["duration_ms"].as_int64(), -5);
  MessageEvent m;
  m.size = 18446744073709551615ull;
  EXPECT_THAT(to_json(m), HasSubstr(R"("size":18446744073709551615,)"));
}

// ----------------------------------------------------------------------------------- sanitise

TEST(Sanitise, PlainTextUnchanged) {
  EXPECT_EQ(sanitise("alice@example.org"), "alice@example.org");
  EXPECT_EQ(sanitise(""), "");
  EXPECT_EQ(sanitise("jos\xC3\xA9@b\xC3\xBC"
                     "cher.example"),
            "jos\xC3\xA9@b\xC3\xBC"
            "cher.example");
  EXPECT_EQ(sanitise("\xF0\x9F\x93\xA7"), "\xF0\x9F\x93\xA7");  // U+1F4E7
  EXPECT_EQ(sanitise("no\xC2\xA0"
                     "break"),
            "no\xC2\xA0"
            "break");  // U+00A0 is not a control
}

TEST(Sanitise, ControlsBecomeReplacementCharacter) {
  EXPECT_EQ(sanitise("a\r\nb"), "a" + fffd + fffd + "b");
  EXPECT_EQ(sanitise(std::string_view("a\0b", 3)), "a" + fffd + "b");
  EXPECT_EQ(sanitise("\t\x1B[31m"), fffd + fffd + "[31m");
  EXPECT_EQ(sanitise("\x7F"), fffd);
  EXPECT_EQ(sanitise("\xC2\x80\xC2\x85\xC2\x9F"), fffd + fffd + fffd);  // C1: U+0080, NEL, U+009F
}

TEST(Sanitise, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(sanitise("\x80"), fffd);                                   // lone continuation byte
  EXPECT_EQ(sanitise("\xC0\xAF"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(sanitise("\xE0\x80\xAF"), fffd + fffd + fffd);             // overlong '/' in three bytes
  EXPECT_EQ(sanitise("\xC1\x81"), fffd + fffd);                        // overlong 'A'
  EXPECT_EQ(sanitise("\xED\xA0\x80"), fffd + fffd + fffd);             // UTF-16 surrogate
  EXPECT_EQ(sanitise("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // past U+10FFFF
  EXPECT_EQ(sanitise("\xFF"
                     "a"),
            fffd + "a");
  EXPECT_EQ(sanitise("ab\xE2\x82"), "ab" + fffd + fffd);  // truncated at the end
  EXPECT_EQ(sanitise("\xC3"
                     "A"),
            fffd + "A");  // a bad byte never eats the next character
}

TEST(Sanitise, CutAtCharacterBoundary) {
  EXPECT_EQ(sanitise("abcdef", 6), "abcdef");
  EXPECT_EQ(sanitise("abcdefg", 6), "abcdef" + ellipsis);
  // "é" is two octets: three of them do not fit in 5, two do.
  EXPECT_EQ(sanitise("\xC3\xA9\xC3\xA9\xC3\xA9", 5), "\xC3\xA9\xC3\xA9" + ellipsis);
  EXPECT_EQ(sanitise("\xF0\x9F\x93\xA7", 3), ellipsis);
  EXPECT_EQ(sanitise("x", 0), ellipsis);
  // Replacements count at their output size (three octets each).
  EXPECT_EQ(sanitise("\r\r", 5), fffd + ellipsis);
  std::string long_login(10'000, 'a');
  std::string cut = sanitise(long_login);
  EXPECT_EQ(cut, std::string(256, 'a') + ellipsis);
}

TEST(Sanitise, LongLoginIsCutInTheEvent) {
  AuthEvent e;
  e.login = std::string(5000, 'x');
  auto login = parse_object(to_json(e))["login"].as_string();
  EXPECT_EQ(std::string(login), std::string(256, 'x') + ellipsis);
}

// ------------------------------------------------------------------------- hostile client names

const std::vector<std::string>& hostile_names() {
  static const std::vector<std::string> names = {
      R"(a"b)",
      R"(a\b)",
      R"(\")",
      R"(\u0022)",
      "x\",\"client_ip\":\"6.6.6.6",
      "x\r\n{\"time\":\"2026-01-01T00:00:00.000Z\",\"event\":\"auth\",\"result\":\"failed\",\"client_ip\":\"6.6.6.6\"}",
      std::string("nul\0byte", 8),
      "\xC0\xA2\xC0\xA2",                     // overlong quotes
      "\xE0\x80\xA2",                         // overlong quote in three bytes
      "line\xE2\x80\xA8sep\xE2\x80\xA9para",  // U+2028, U+2029
      "\xC2\x85next line",                    // NEL
      "\xFE\xFF\xFF\xFE",
      "\x1B]0;title\x07",
      "trailing backslash\\",
      "\xE2\x80",  // cut sequence at the very end
  };
  return names;
}

void expect_safe_line(const std::string& line) {
  EXPECT_TRUE(base::is_valid_utf8(line)) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_EQ(line.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(line.find("\xE2\x80\xA9"), std::string::npos);
  for (unsigned char c : line) EXPECT_GE(c, 0x20) << line;
}

TEST(EventsJson, HostileNamesStayInsideTheirField) {
  for (const auto& name : hostile_names()) {
    SCOPED_TRACE(name);
    AuthEvent e = sample_auth();
    e.login = name;
    e.account = name;
    e.reason = name;
    std::string line = to_json(e);
    expect_safe_line(line);
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << ec.message() << ": " << line;
    auto& obj = value.as_object();
    EXPECT_EQ(obj.size(), 15u);
    EXPECT_EQ(obj["login"].as_string(), sanitise(name));
    EXPECT_EQ(obj["client_ip"].as_string(), "203.0.113.7");
    EXPECT_EQ(obj["result"].as_string(), "failed");
  }
}

TEST(EventsJson, LineSeparatorsAreEscaped) {
  AuthEvent e;
  e.login =
      "a\xE2\x80\xA8"
      "b";
  std::string line = to_json(e);
  EXPECT_THAT(line, HasSubstr(R"("login":"a\u2028b")"));
  EXPECT_EQ(parse_object(line)["login"].as_string(),
            "a\xE2\x80\xA8"
            "b");
}

TEST(EventsJson, RandomBytesAlwaysGiveValidJson) {
  std::mt19937 rng(20261121);
  std::uniform_int_distribution<int> len(0, 40), byte(0, 255);
  for (int round = 0; round < 3000; ++round) {
    std::string junk;
    for (int i = len(rng); i > 0; --i) junk += static_cast<char>(byte(rng));
    MessageEvent m = sample_message();
    m.sender = junk;
    m.listener = junk;
    std::string line = to_json(m);
    expect_safe_line(line);
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    EXPECT_EQ(value.as_object()["sender"].as_string(), sanitise(junk));
    if (::testing::Test::HasFailure()) break;
  }
}

// ------------------------------------------------------------------------------------ EventLog

TEST(EventLog, OffWritesNothing) {
  auto log = EventLog::open("off");
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_FALSE((*log)->enabled());
  ::testing::internal::CaptureStderr();
  (*log)->write("{}");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_TRUE((*log)->reopen());
}

TEST(EventLog, StderrGetsOneLinePerWrite) {
  auto log = EventLog::open("stderr");
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_TRUE((*log)->enabled());
  ::testing::internal::CaptureStderr();
  (*log)->write(to_json(sample_auth()));
  (*log)->write("{\"b\":2}");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), to_json(sample_auth()) + "\n{\"b\":2}\n");
  EXPECT_TRUE((*log)->reopen());
}

TEST(EventLog, EmptyDestinationRefused) { EXPECT_FALSE(EventLog::open("")); }

TEST(EventLog, FileCreated0640AndAppended) {
  ScratchDir dir;
  auto path = dir.path() / "events.log";
  mode_t old = ::umask(022);
  auto log = EventLog::open(path.string());
  ::umask(old);
  ASSERT_TRUE(log) << log.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  (*log)->write("{\"n\":1}");
  log->reset();
  // A second open appends after what is there.
  auto again = EventLog::open(path.string());
  ASSERT_TRUE(again);
  (*again)->write("{\"n\":2}");
  EXPECT_EQ(testing::read_file(path), "{\"n\":1}\n{\"n\":2}\n");
}

TEST(EventLog, FileDescriptorIsCloseOnExec) {
  ScratchDir dir;
  auto path = dir.path() / "events.log";
  auto log = EventLog::open(path.string());
  ASSERT_TRUE(log);
  int found = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(fd.path(), ec);
    if (ec || target != path) continue;
    int flags = ::fcntl(std::stoi(fd.path().filename().string()), F_GETFD);
    EXPECT_TRUE(flags & FD_CLOEXEC);
    int status = ::fcntl(std::stoi(fd.path().filename().string()), F_GETFL);
    EXPECT_TRUE(status & O_APPEND);
    ++found;
  }
  EXPECT_EQ(found, 1);
}

TEST(EventLog, OpenFailureNamesThePath) {
  ScratchDir dir;
  auto path = dir.path() / "missing" / "events.log";
  auto log = EventLog::open(path.string());
  ASSERT_FALSE(log);
  EXPECT_THAT(log.error().message, HasSubstr(path.string()));
  EXPECT_THAT(log.error().message, HasSubstr("No such file or directory"));
}

TEST(EventLog, LinesFromManyThreadsNeverInterleave) {
  ScratchDir dir;
  auto path = dir.path() / "events.log";
  auto log = EventLog::open(path.string());
  ASSERT_TRUE(log);
  constexpr int threads = 8, per_thread = 400;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        AuthEvent e = sample_auth();
        e.login = std::string(static_cast<std::size_t>(50 + t * 20), static_cast<char>('a' + t));
        e.duration_ms = i;
        (*log)->write(to_json(e));
      }
    });
  }
  for (auto& th : pool) th.join();
  std::istringstream in(testing::read_file(path));
  std::string line;
  std::vector<int> counts(threads);
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    auto obj = parse_object(line);
    std::string login(obj["login"].as_string());
    ASSERT_FALSE(login.empty());
    int t = login[0] - 'a';
    ASSERT_GE(t, 0);
    ASSERT_LT(t, threads);
    EXPECT_EQ(login, std::string(static_cast<std::size_t>(50 + t * 20), static_cast<char>('a' + t)));
    // Each thread's lines appear in the order it wrote them.
    EXPECT_EQ(obj["duration_ms"].as_int64(), counts[static_cast<std::size_t>(t)]++);
  }
  EXPECT_EQ(lines, threads * per_thread);
}

TEST(EventLog, ReopenAfterRotation) {
  ScratchDir dir;
  auto path = dir.path() / "events.log";
  auto rotated = dir.path() / "events.log.1";
  auto log = EventLog::open(path.string());
  ASSERT_TRUE(log);
  (*log)->write("{\"n\":1}");
  std::filesystem::rename(path, rotated);
  (*log)->write("{\"n\":2}");  // still the old file until reopened
  auto reopened = (*log)->reopen();
  ASSERT_TRUE(reopened) << reopened.error().message;
  (*log)->write("{\"n\":3}");
  EXPECT_EQ(testing::read_file(rotated), "{\"n\":1}\n{\"n\":2}\n");
  EXPECT_EQ(testing::read_file(path), "{\"n\":3}\n");
}

TEST(EventLog, FailedReopenKeepsTheOldFile) {
  ScratchDir dir;
  auto sub = dir.path() / "logs";
  std::filesystem::create_directory(sub);
  auto path = sub / "events.log";
  auto log = EventLog::open(path.string());
  ASSERT_TRUE(log);
  auto moved = dir.path() / "old-logs";
  std::filesystem::rename(sub, moved);
  auto reopened = (*log)->reopen();
  ASSERT_FALSE(reopened);
  EXPECT_THAT(reopened.error().message, HasSubstr(path.string()));
  (*log)->write("{\"still\":true}");
  EXPECT_EQ(testing::read_file(moved / "events.log"), "{\"still\":true}\n");
}

}  // namespace
}  // namespace postern::observe
