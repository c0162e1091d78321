#pragma once
// The durable spool (DESIGN §3.4): 250 after DATA only once message and envelope are on stable
// storage together with their directory entries. Concurrent commits share fsyncs (group commit).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace postern::queue {

/// The queue record's envelope: who sent what to whom, from where, as whom.
struct Record {
  std::string id;  ///< assigned by the spool at commit
  std::chrono::system_clock::time_point received;
  std::string listener;
  std::string client_address;
  std::uint16_t client_port = 0;
  std::string helo;
  std::optional<std::string> tls_version;
  std::optional<std::string> tls_cipher;
  std::optional<std::string> auth_account;     ///< null until SMTP AUTH
  std::optional<std::string> auth_credential;  ///< which credential of that account
  std::optional<std::string> auth_mechanism;
  std::string sender;                   ///< "" for <>
  std::vector<std::string> recipients;
  std::string body;                     ///< "7BIT" / "8BITMIME"
  bool smtputf8 = false;
  std::uint64_t size = 0;               ///< octets of the stored message (with Received:)
  std::string message_id;               ///< Message-ID header value, "" when absent
};

/// A message being received: a private temporary file in the spool. Not thread-safe; owned by
/// one connection. Destroying it without commit removes the file.
class Writer {
 public:
  virtual ~Writer() = default;
  /// Appends message bytes. A failure is remembered and reported again by commit.
  virtual base::Result<void> write(std::string_view bytes) = 0;
  virtual std::uint64_t size() const = 0;
};

/// What Spool::open found and did, for the start-up log line.
struct Recovery {
  bool recovered = false;       ///< false: another process holds the spool, recovery was left to it
  std::size_t committed = 0;    ///< messages in the queue
  std::size_t removed_tmp = 0;  ///< unfinished receptions removed from tmp/
  std::size_t corrupt = 0;      ///< unreadable records moved aside to corrupt/ (kept, never deleted)
};

/// The spool directory.
///
/// Layout and recovery are the spool's business (see spool.cpp). Thread-safe: any I/O thread
/// may begin and commit; `done` callbacks run on the spool's committer thread and must be
/// quick (post to the connection's executor).
class Spool {
 public:
  /// Opens (creating if needed) `dir`, recovers what a crash left: committed messages stay,
  /// unfinished temporary files are removed.
  static base::Result<std::unique_ptr<Spool>> open(const std::filesystem::path& dir);
  /// Opens an existing `dir` for list/find/read_message only (`postern queue …` beside a running
  /// server): creates nothing, takes no lock, runs no recovery, starts no thread; begin and
  /// commit fail.
  static base::Result<std::unique_ptr<Spool>> open_read_only(const std::filesystem::path& dir);
  virtual ~Spool() = default;

  virtual base::Result<std::unique_ptr<Writer>> begin() = 0;

  /// Makes the message durable with its record; `done` gets the queue id only after the data,
  /// the record and the directory entries are fsynced. `record.id`, `size` and `message_id` are
  /// filled in by the spool.
  virtual void commit(std::unique_ptr<Writer> writer, Record record,
                      std::function<void(base::Result<std::string>)> done) = 0;

  /// Committed messages, oldest first.
  virtual base::Result<std::vector<Record>> list() const = 0;
  virtual base::Result<Record> find(std::string_view id) const = 0;
  /// The stored message bytes (Received: included).
  virtual base::Result<std::string> read_message(std::string_view id) const = 0;
  /// What open() recovered.
  virtual Recovery recovery() const { return {}; }
};

/// Record <-> JSON (the `queue list --json` shape: id, sender, recipients, size, message_id,
/// auth (null or {account, credential, mechanism}), received (RFC 3339), client, helo, tls, listener).
std::string to_json(const Record& record);
std::string to_json(const std::vector<Record>& records);

}  // namespace postern::queue
