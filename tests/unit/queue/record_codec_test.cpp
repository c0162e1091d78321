#include "queue/record_codec.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "base/time_format.hpp"
#include "queue/spool.hpp"
#include "queue_test_util.hpp"

namespace postern::queue {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;
using std::chrono::system_clock;
using testing::sample_record;

Record filled_record() {
  Record r = sample_record();
  r.id = "1k2p3q4r5s6t7u8v9a0";
  r.size = 4242;
  r.message_id = "<m@example.org>";
  return r;
}

TEST(Rfc3339, FormatsUtc) {
  auto t = system_clock::time_point{seconds{1'800'000'000}} + microseconds{42};
  EXPECT_EQ(base::format_rfc3339(t), "2027-01-15T08:00:00Z");
  EXPECT_EQ(base::format_rfc3339(t, 6), "2027-01-15T08:00:00.000042Z");
  EXPECT_EQ(base::format_rfc3339(system_clock::time_point{seconds{951'782'400}}), "2000-02-29T00:00:00Z");
  EXPECT_EQ(base::format_rfc3339(system_clock::time_point{}), "1970-01-01T00:00:00Z");
}

TEST(Rfc3339, ParsesWhatItFormats) {
  for (long long us : {0LL, 951'782'400'000'000LL, 1'800'000'000'123'456LL, 4'102'444'799'999'999LL}) {
    auto t = system_clock::time_point{microseconds{us}};
    EXPECT_EQ(parse_rfc3339(base::format_rfc3339(t, 6)), t) << us;
    EXPECT_EQ(parse_rfc3339(base::format_rfc3339(t)), std::chrono::floor<seconds>(t)) << us;
  }
  EXPECT_EQ(parse_rfc3339("2027-01-15T08:00:00.5Z"),
            system_clock::time_point{seconds{1'800'000'000}} + std::chrono::milliseconds{500});
}

TEST(Rfc3339, RefusesMalformed) {
  for (const char* bad :
       {"", "2027-01-15", "2027-01-15T08:00:00", "2027-01-15T08:00:00+01:00", "2027-02-30T08:00:00Z",
        "2027-01-15T24:00:00Z", "2027-01-15T08:60:00Z", "2027-01-15T08:00:60Z", "2027-01-15T08:00:00.Z",
        "2027-01-15T08:00:00.1xZ", "2027-01-15 08:00:00Z", "20x7-01-15T08:00:00Z", "2027-01-15T08:00:0Z"})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

TEST(RecordJson, HasExactlyTheDocumentedShape) {
  EXPECT_EQ(to_json(filled_record()),
            R"({"id":"1k2p3q4r5s6t7u8v9a0","received":"2027-01-15T08:00:00Z","listener":"submission",)"
            R"("client":{"address":"192.0.2.7","port":50123},"helo":"laptop.example.org",)"
            R"("tls":{"version":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384"},)"
            R"("auth":{"account":"alice","credential":"phone","mechanism":"SCRAM-SHA-256"},)"
            R"("sender":"alice@example.org","recipients":["bob@example.net","carol@example.com"],)"
            R"("body":"8BITMIME","smtputf8":true,"size":4242,"message_id":"<m@example.org>"})");
}

TEST(RecordJson, NoTlsNoAuthAreNull) {
  Record r = filled_record();
  r.tls_version.reset();
  r.tls_cipher.reset();
  r.auth_account.reset();
  r.auth_credential.reset();
  r.auth_mechanism.reset();
  r.sender = "";
  auto v = boost::json::parse(to_json(r)).as_object();
  EXPECT_TRUE(v.at("tls").is_null());
  EXPECT_TRUE(v.at("auth").is_null());
  EXPECT_EQ(v.at("sender").as_string(), "");
}

TEST(RecordJson, ArrayOfRecords) {
  Record a = filled_record(), b = filled_record();
  b.id = "1k2p3q4r5s6t7u8v9a1";
  auto v = boost::json::parse(to_json(std::vector<Record>{a, b}));
  ASSERT_TRUE(v.is_array());
  ASSERT_EQ(v.as_array().size(), 2u);
  EXPECT_EQ(v.as_array()[1].as_object().at("id").as_string(), "1k2p3q4r5s6t7u8v9a1");
  EXPECT_EQ(to_json(std::vector<Record>{}), "[]");
}

TEST(RecordJson, DisplayFormIsAlwaysValidUtf8) {
  Record r = filled_record();
  r.helo =
      "bad\xff"
      "helo";
  std::string json = to_json(r);
  boost::json::error_code ec;
  auto v = boost::json::parse(json, ec);  // strict parse: refuses invalid UTF-8
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(v.as_object().at("helo").as_string(), "bad\xef\xbf\xbdhelo");
}

void expect_same(const Record& a, const Record& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.received, b.received);
  EXPECT_EQ(a.listener, b.listener);
  EXPECT_EQ(a.client_address, b.client_address);
  EXPECT_EQ(a.client_port, b.client_port);
  EXPECT_EQ(a.helo, b.helo);
  EXPECT_EQ(a.tls_version, b.tls_version);
  EXPECT_EQ(a.tls_cipher, b.tls_cipher);
  EXPECT_EQ(a.auth_account, b.auth_account);
  EXPECT_EQ(a.auth_credential, b.auth_credential);
  EXPECT_EQ(a.auth_mechanism, b.auth_mechanism);
  EXPECT_EQ(a.sender, b.sender);
  EXPECT_EQ(a.recipients, b.recipients);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.smtputf8, b.smtputf8);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.message_id, b.message_id);
}

TEST(StoredRecord, RoundTripsEveryField) {
  Record r = filled_record();
  std::string stored = encode_stored_record(r);
  EXPECT_TRUE(stored.starts_with(R"({"v":1,)")) << stored;
  auto back = decode_stored_record(stored);
  ASSERT_TRUE(back) << back.error().message;
  expect_same(*back, r);
}

TEST(StoredRecord, RoundTripsNullsAndArbitraryBytes) {
  Record r = filled_record();
  r.tls_version.reset();
  r.tls_cipher.reset();
  r.auth_account.reset();
  r.auth_credential.reset();
  r.auth_mechanism.reset();
  r.helo = std::string("odd\xff\x01\"\\helo", 11);
  r.recipients = {};
  auto back = decode_stored_record(encode_stored_record(r));
  ASSERT_TRUE(back) << back.error().message;
  expect_same(*back, r);
}

TEST(StoredRecord, RefusesDamage) {
  std::string good = encode_stored_record(filled_record());
  EXPECT_FALSE(decode_stored_record(""));
  EXPECT_FALSE(decode_stored_record(good.substr(0, good.size() - 1)));
  EXPECT_FALSE(decode_stored_record("[]"));
  EXPECT_FALSE(decode_stored_record(R"({"v":2)" + good.substr(6)));
  auto without = [&](std::string_view key) {
    auto v = boost::json::parse(good).as_object();
    v.erase(key);
    return boost::json::serialize(v);
  };
  for (const char* key : {"v", "id", "received", "listener", "client", "helo", "tls", "auth", "sender", "recipients",
                          "body", "smtputf8", "size", "message_id"})
    EXPECT_FALSE(decode_stored_record(without(key))) << "without " << key;
  auto with = [&](std::string_view key, boost::json::value value) {
    auto v = boost::json::parse(good).as_object();
    v[key] = std::move(value);
    return boost::json::serialize(v);
  };
  EXPECT_FALSE(decode_stored_record(with("size", -1)));
  EXPECT_FALSE(decode_stored_record(with("size", "12")));
  EXPECT_FALSE(decode_stored_record(with("recipients", boost::json::array{1, 2})));
  EXPECT_FALSE(decode_stored_record(with("received", "yesterday")));
  EXPECT_FALSE(decode_stored_record(with("client", boost::json::object{{"address", "x"}, {"port", 70000}})));
  EXPECT_FALSE(decode_stored_record(with("auth", boost::json::object{{"credential", "x"}})));
  EXPECT_FALSE(decode_stored_record(with("smtputf8", 1)));
}

}  // namespace
}  // namespace postern::queue
