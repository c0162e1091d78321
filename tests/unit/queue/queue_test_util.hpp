#pragma once
// Helpers shared by the queue tests: a scratch spool directory and a synchronous commit.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <string_view>
#include <vector>

#include "queue/spool.hpp"
#include "scratch_dir.hpp"

namespace postern::queue::testing {

/// A scratch directory named postern-queue-XXXXXX, with the spool's place in it.
class ScratchDir : public postern::testing::ScratchDir {
 public:
  ScratchDir() : postern::testing::ScratchDir("postern-queue") {}
  std::filesystem::path spool() const { return path() / "queue"; }
};

/// An envelope with every field set, so a round trip shows any field that gets lost.
inline Record sample_record() {
  Record r;
  r.received =
      std::chrono::system_clock::time_point{std::chrono::seconds{1'800'000'000}} + std::chrono::microseconds{123456};
  r.listener = "submission";
  r.client_address = "192.0.2.7";
  r.client_port = 50123;
  r.helo = "laptop.example.org";
  r.tls_version = "TLSv1.3";
  r.tls_cipher = "TLS_AES_256_GCM_SHA384";
  r.auth_account = "alice";
  r.auth_credential = "phone";
  r.auth_mechanism = "SCRAM-SHA-256";
  r.sender = "alice@example.org";
  r.recipients = {"bob@example.net", "carol@example.com"};
  r.body = "8BITMIME";
  r.smtputf8 = true;
  return r;
}

inline std::string sample_message(std::string_view subject = "hello") {
  return "Received: from laptop.example.org\r\n"
         "From: alice@example.org\r\n"
         "Subject: " +
         std::string(subject) +
         "\r\n"
         "Message-ID: <" +
         std::string(subject) +
         "@example.org>\r\n"
         "\r\n"
         "Body line\r\n";
}

/// Writes `message` in pieces of `chunk` bytes and commits it; waits for `done`.
inline base::Result<std::string> commit_and_wait(Spool& spool, std::string_view message, Record record,
                                                 std::size_t chunk = 7) {
  auto writer = spool.begin();
  if (!writer) return std::unexpected(writer.error());
  for (std::size_t i = 0; i < message.size(); i += chunk) {
    auto w = (*writer)->write(message.substr(i, chunk));
    (void)w;  // a failure is reported again by commit, which is what the tests look at
  }
  std::promise<base::Result<std::string>> result;
  auto future = result.get_future();
  spool.commit(std::move(*writer), std::move(record),
               [&result](base::Result<std::string> r) { result.set_value(std::move(r)); });
  return future.get();
}

inline std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

}  // namespace postern::queue::testing
