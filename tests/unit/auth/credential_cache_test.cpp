// The verified-credential cache: keyed by an HMAC, bounded, dropped on a new store generation.

#include "auth/credential_cache.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <thread>

#include "base/base64.hpp"
#include "sasl/crypto.hpp"

namespace postern::auth {
namespace {

using std::chrono::seconds;
using Time = std::chrono::system_clock::time_point;

const Time t0{seconds(1'800'000'000)};

CachedLogin login_of(std::string account) { return CachedLogin{Identity{std::move(account), "password", {}}, {}, {}}; }

TEST(CredentialCache, HitWithinTheTimeToLiveAndSameGeneration) {
  CredentialCache cache(std::string(32, 'k'), seconds(60), 100);
  auto key = cache.key("bob@example.test", "pw");
  EXPECT_FALSE(cache.find(key, t0, 1));
  cache.insert(key, login_of("bob@example.test"), t0, 1);
  auto hit = cache.find(key, t0 + seconds(59), 1);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->identity.account, "bob@example.test");
  EXPECT_FALSE(cache.find(cache.key("bob@example.test", "pw2"), t0, 1));
  EXPECT_FALSE(cache.find(cache.key("bob@example.test/phone", "pw"), t0, 1));
  EXPECT_FALSE(cache.find(key, t0 + seconds(60), 1));  // expired, and dropped
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CredentialCache, ANewGenerationDropsTheEntry) {
  CredentialCache cache(std::string(32, 'k'), seconds(60), 100);
  auto key = cache.key("bob@example.test", "pw");
  cache.insert(key, login_of("bob@example.test"), t0, 7);
  EXPECT_FALSE(cache.find(key, t0, 8));
  // Gone for good, even if asked with the old generation again.
  EXPECT_FALSE(cache.find(key, t0, 7));
}

TEST(CredentialCache, KeyIsNoPlainHashOfThePassword) {
  CredentialCache cache(std::string(32, 'k'), seconds(60), 100);
  CredentialCache other(std::string(32, 'j'), seconds(60), 100);
  const std::string login = "bob@example.test";
  const std::string password = "correct horse";
  std::string key = cache.key(login, password);
  EXPECT_EQ(key.size(), 32u);
  std::string message = login + std::string(1, '\0') + password;
  for (auto hash : {sasl::ScramHash::sha1, sasl::ScramHash::sha256}) {
    EXPECT_NE(key, sasl::crypto::digest(hash, password));
    EXPECT_NE(key, sasl::crypto::digest(hash, message));
    EXPECT_NE(key, sasl::crypto::digest(hash, login + password));
  }
  unsigned char sha512[64];
  EVP_Digest(password.data(), password.size(), sha512, nullptr, EVP_sha512(), nullptr);
  EXPECT_EQ(key.find(std::string(reinterpret_cast<char*>(sha512), 32)), std::string::npos);
  // The per-process secret changes every key; the same inputs give the same key.
  EXPECT_NE(key, other.key(login, password));
  EXPECT_EQ(key, cache.key(login, password));
  // The separator keeps login and password apart.
  EXPECT_NE(cache.key("a", "bc"), cache.key("ab", "c"));
  // HMAC-SHA256 under the secret, nothing else.
  EXPECT_EQ(key, sasl::crypto::hmac(sasl::ScramHash::sha256, std::string(32, 'k'), message));
}

TEST(CredentialCache, BoundedStaleEntriesGoFirst) {
  CredentialCache cache(std::string(32, 'k'), seconds(60), 3);
  cache.insert(cache.key("old", "pw"), login_of("old"), t0 - seconds(100), 1);  // expired by t0
  cache.insert(cache.key("a", "pw"), login_of("a"), t0, 1);
  cache.insert(cache.key("b", "pw"), login_of("b"), t0, 1);
  cache.insert(cache.key("c", "pw"), login_of("c"), t0, 1);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.find(cache.key("a", "pw"), t0, 1));
  EXPECT_TRUE(cache.find(cache.key("b", "pw"), t0, 1));
  EXPECT_TRUE(cache.find(cache.key("c", "pw"), t0, 1));
  for (int i = 0; i < 50; ++i) cache.insert(cache.key("n" + std::to_string(i), "pw"), login_of("n"), t0, 1);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.find(cache.key("n49", "pw"), t0, 1));
}

TEST(CredentialCache, ConcurrentUse) {
  CredentialCache cache(std::string(32, 'k'), seconds(60), 64);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        std::string login = "u" + std::to_string((i + t) % 100);
        auto key = cache.key(login, "pw");
        cache.insert(key, login_of(login), t0, 1);
        auto hit = cache.find(key, t0, 1);
        if (hit && hit->identity.account != login) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 64u);
}

}  // namespace
}  // namespace postern::auth
