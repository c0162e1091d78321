// The durable spool (DESIGN §3.4).
//
// Layout under the spool directory (all directories 0700, all files 0600):
//
//   lock        flock(2)ed by the process that owns the spool (the server)
//   tmp/        messages being received: <16 random alnum>, created O_CREAT|O_EXCL
//   msg/<id>    committed messages, one file each (format in spool_file.hpp: the message bytes,
//               the JSON record, a trailer locating both)
//   corrupt/    files found in msg/ at start-up that do not read back as a record; kept for the
//               operator, never deleted (they may be accepted mail)
//
// A queue id (queue_id.hpp) is 19 base32hex characters: microseconds since the epoch, then 40
// random bits. Ids sort by time as strings, so list() is "oldest first" by sorting names.
//
// Commit, for one message:
//   1. the connection's thread flushes the writer's buffer and appends record + trailer to the
//      tmp/ file (write(2) only: no blocking on the disk);
//   2. a sync worker fdatasync(2)s the file: data, record and size are on stable storage;
//   3. the same worker renameat2(tmp/<x>, msg/<id>, RENAME_NOREPLACE)s it: the complete file
//      appears in msg/ in one step, under a name no other message has;
//   4. the directory syncer fsync(2)s msg/: the directory entry is on stable storage;
//   5. only now `done(id)`: the session may say 250.
//
// Why a crash at any instant loses no accepted message, and shows no half message:
//   - Before step 4 completes nobody has been told "accepted", so losing the message is allowed
//     (the client gets no 250 and sends again). What may remain is a file in tmp/ (removed by
//     recovery) or, after a crash between 3 and 4, a file in msg/ that is already complete,
//     because its contents were made durable in step 2 before the rename existed. So msg/ holds
//     complete messages only, whether or not its last renames survived.
//   - After step 4 the file's data (step 2) and its name in msg/ (step 4) are both on stable
//     storage; the rename removed the tmp/ name in the same atomic step, so recovery's cleaning
//     of tmp/ can never touch it.
//   - Start-up fsyncs every directory it creates and its parent, so msg/ itself cannot vanish.
//   - A record that still does not parse at start-up (a disk fault, a hand edit) is moved to
//     corrupt/, never deleted.
// If a step fails the message's `done` gets an error (451 for the client) and its file is
// removed. If the msg/ fsync fails, every message renamed in that batch is unlinked again and
// fails: the rename might still reach the disk, and that message would then be delivered in
// spite of the error — a duplicate, never a loss.
//
// Group commit (committer.hpp): commit() only queues the message. Several sync workers do
// steps 2-3, one message each, in parallel; one directory syncer takes every message renamed
// since its last round and does step 4 ONCE for all of them before calling every `done`. While
// it waits for the disk, the next messages are synced and renamed, so the busier the server, the
// more messages share a directory fsync. The file fdatasyncs are not shared by the kernel when
// issued one after another (each costs a disk cache flush), but they are when issued together:
// ext4 folds concurrent fdatasyncs into one journal commit, and the block layer merges
// concurrent cache flushes. Hence workers rather than one thread syncing a batch in turn. The
// figures are in bench/spool_commit.cpp.
//
// Other processes: `postern queue …` opens the same spool with open_read_only while the server
// runs: it only reads msg/ and changes nothing. Should a second process use open() anyway, only
// the process that gets the flock runs recovery (cleaning tmp/ would otherwise destroy messages
// the server is receiving); the others may read and commit, which needs no recovery.
#include "queue/spool.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "base/random.hpp"
#include "queue/committer.hpp"
#include "queue/fd_util.hpp"
#include "queue/queue_id.hpp"
#include "queue/record_codec.hpp"
#include "queue/spool_file.hpp"
#include "queue/spool_options.hpp"

namespace postern::queue {

namespace {

namespace fs = std::filesystem;
using detail::errno_error;
using detail::UniqueFd;

base::Result<UniqueFd> open_dir(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(errno_error("open " + p.string(), errno));
  return UniqueFd(fd);
}

base::Result<void> fsync_dir(const fs::path& p) {
  auto fd = open_dir(p);
  if (!fd) return std::unexpected(fd.error());
  if (::fsync(fd->get()) != 0) return std::unexpected(errno_error("fsync " + p.string(), errno));
  return {};
}

// Creates `p` (and missing parents) with mode 0700; each new entry is made durable by an fsync
// of its parent, so a crash cannot take the directory (and the mail in it) away later.
base::Result<void> ensure_dir(const fs::path& p, int depth = 0) {
  if (::mkdir(p.c_str(), 0700) == 0) {
    fs::path parent = p.parent_path();
    return fsync_dir(parent.empty() ? fs::path(".") : parent);
  }
  if (errno == EEXIST) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return base::fail("spool: " + p.string() + " is not a directory");
    return {};
  }
  if (errno == ENOENT && depth < 64 && p.has_parent_path() && p.parent_path() != p) {
    if (auto r = ensure_dir(p.parent_path(), depth + 1); !r) return r;
    return ensure_dir(p, depth + 1);
  }
  return std::unexpected(errno_error("mkdir " + p.string(), errno));
}

base::Result<std::vector<std::string>> list_names(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) return base::fail("spool: cannot read " + dir.string() + ": " + ec.message());
  return names;
}

class SpoolImpl final : public Spool {
 public:
  SpoolImpl(fs::path dir, SpoolOptions options);
  ~SpoolImpl() override;

  base::Result<void> start();
  base::Result<void> start_read_only();

  base::Result<std::unique_ptr<Writer>> begin() override;
  void commit(std::unique_ptr<Writer> writer, Record record,
              std::function<void(base::Result<std::string>)> done) override;
  base::Result<std::vector<Record>> list() const override;
  base::Result<Record> find(std::string_view id) const override;
  base::Result<std::string> read_message(std::string_view id) const override;
  Recovery recovery() const override { return recovery_; }

  CommitStats stats() const { return committer_ ? committer_->stats() : CommitStats{}; }

 private:
  base::Result<void> recover();
  base::Result<void> count_committed();
  base::Result<void> move_aside(const std::string& name);
  base::Result<void> prepare(Writer* writer, Record& record, detail::Pending& pending);
  std::string new_id();

  fs::path dir_;
  SpoolOptions options_;
  base::SystemClock system_clock_;
  base::SystemRandom system_random_;
  std::mutex random_mutex_;
  UniqueFd lock_fd_, tmp_fd_, msg_fd_, corrupt_fd_;
  Recovery recovery_;
  // Last, so it is destroyed (and has called every `done`) before the descriptors close.
  std::unique_ptr<detail::Committer> committer_;
};

SpoolImpl::SpoolImpl(fs::path dir, SpoolOptions options) : dir_(std::move(dir)), options_(std::move(options)) {
  if (!options_.clock) options_.clock = &system_clock_;
  if (!options_.random) options_.random = &system_random_;
  if (!options_.sync_file) options_.sync_file = [](int fd) { return ::fdatasync(fd); };
  if (!options_.sync_dir) options_.sync_dir = [](int fd) { return ::fsync(fd); };
}

SpoolImpl::~SpoolImpl() = default;

base::Result<void> SpoolImpl::start() {
  for (const char* sub : {"", "tmp", "msg", "corrupt"})
    if (auto r = ensure_dir(*sub ? dir_ / sub : dir_); !r) return r;
  auto tmp = open_dir(dir_ / "tmp");
  auto msg = open_dir(dir_ / "msg");
  auto corrupt = open_dir(dir_ / "corrupt");
  if (!tmp) return std::unexpected(tmp.error());
  if (!msg) return std::unexpected(msg.error());
  if (!corrupt) return std::unexpected(corrupt.error());
  tmp_fd_ = std::move(*tmp);
  msg_fd_ = std::move(*msg);
  corrupt_fd_ = std::move(*corrupt);

  lock_fd_.reset(::open((dir_ / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_fd_) return std::unexpected(errno_error("open lock", errno));
  if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) == 0) {
    if (auto r = recover(); !r) return r;
  } else if (errno == EWOULDBLOCK) {
    lock_fd_.reset();
    if (auto r = count_committed(); !r) return r;
  } else {
    return std::unexpected(errno_error("flock", errno));
  }

  committer_ = std::make_unique<detail::Committer>(tmp_fd_.get(), msg_fd_.get(), options_.sync_workers,
                                                   options_.sync_file, options_.sync_dir);
  return {};
}

base::Result<void> SpoolImpl::start_read_only() {
  auto msg = open_dir(dir_ / "msg");
  if (!msg) return std::unexpected(msg.error());
  msg_fd_ = std::move(*msg);
  return count_committed();
}

base::Result<void> SpoolImpl::count_committed() {
  auto names = list_names(dir_ / "msg");
  if (!names) return std::unexpected(names.error());
  recovery_.committed = static_cast<std::size_t>(std::ranges::count_if(*names, is_valid_queue_id));
  return {};
}

base::Result<void> SpoolImpl::recover() {
  recovery_.recovered = true;
  auto tmp_names = list_names(dir_ / "tmp");
  if (!tmp_names) return std::unexpected(tmp_names.error());
  for (const auto& name : *tmp_names) {
    if (::unlinkat(tmp_fd_.get(), name.c_str(), 0) != 0) {
      int err = errno;
      std::error_code ec;
      // Nothing the spool makes is a directory, but whatever is in tmp/ is not a message.
      if (err == EISDIR) fs::remove_all(dir_ / "tmp" / name, ec);
      if (err != EISDIR || ec)
        return base::fail("spool: cannot remove tmp/" + name + ": " +
                          (ec ? ec.message() : std::string(std::strerror(err))));
    }
    ++recovery_.removed_tmp;
  }

  auto msg_names = list_names(dir_ / "msg");
  if (!msg_names) return std::unexpected(msg_names.error());
  std::size_t moved = 0;
  for (const auto& name : *msg_names) {
    bool valid = is_valid_queue_id(name);
    std::expected<Record, detail::LoadError> record;
    if (valid) record = detail::load_record(msg_fd_.get(), name);
    if (valid && record) {
      ++recovery_.committed;
    } else if (!valid || !record.error().missing) {
      if (auto r = move_aside(name); !r) return r;
      ++moved;
    }
  }
  recovery_.corrupt = moved;
  if (moved > 0) {
    if (::fsync(corrupt_fd_.get()) != 0) return std::unexpected(errno_error("fsync corrupt/", errno));
    if (::fsync(msg_fd_.get()) != 0) return std::unexpected(errno_error("fsync msg/", errno));
  }
  return {};
}

base::Result<void> SpoolImpl::move_aside(const std::string& name) {
  // Keeps the name, so the operator can match it to logs; a second file of that name gets a suffix.
  for (int n = 0; n < 1000; ++n) {
    std::string target = n == 0 ? name : name + "." + std::to_string(n);
    if (detail::rename_noreplace(msg_fd_.get(), name, corrupt_fd_.get(), target) == 0) return {};
    if (errno != EEXIST) break;
  }
  return std::unexpected(errno_error("move msg/" + name + " to corrupt/", errno));
}

std::string SpoolImpl::new_id() {
  auto now = options_.clock->now();
  std::lock_guard lock(random_mutex_);
  return make_queue_id(now, *options_.random);
}

base::Result<std::unique_ptr<Writer>> SpoolImpl::begin() {
  if (!committer_) return base::fail("spool: opened read-only");
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string name;
    {
      std::lock_guard lock(random_mutex_);
      name = base::random_alnum(*options_.random, 16);
    }
    int fd = ::openat(tmp_fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) return std::make_unique<detail::FileWriter>(this, tmp_fd_.get(), std::move(name), UniqueFd(fd));
    if (errno != EEXIST) return std::unexpected(errno_error("create tmp file", errno));
  }
  return base::fail("spool: no free name in tmp/");
}

base::Result<void> SpoolImpl::prepare(Writer* writer, Record& record, detail::Pending& pending) {
  auto* file = dynamic_cast<detail::FileWriter*>(writer);
  if (!file || file->owner() != this) return base::fail("spool: commit of a writer this spool did not make");
  if (auto r = file->finish(); !r) return r;
  record.size = file->size();
  record.message_id = file->message_id();
  record.id = new_id();
  std::string json = encode_stored_record(record);
  if (auto r = file->append_raw(json + detail::make_trailer(record.size, json.size())); !r) return r;
  pending.id = record.id;
  pending.tmp_name = file->name();
  pending.fd = file->release();
  return {};
}

void SpoolImpl::commit(std::unique_ptr<Writer> writer, Record record,
                       std::function<void(base::Result<std::string>)> done) {
  if (!committer_) {
    // No spool thread exists to run `done` on; the caller opened the spool for reading only.
    done(base::fail("spool: opened read-only"));
    return;
  }
  detail::Pending pending;
  pending.done = std::move(done);
  if (auto r = prepare(writer.get(), record, pending); !r) pending.error = r.error();
  writer.reset();  // after a failure this unlinks the tmp file
  // Even an early failure goes through the committer: `done` always runs on a spool thread.
  committer_->submit(std::move(pending));
}

base::Result<std::vector<Record>> SpoolImpl::list() const {
  auto names = list_names(dir_ / "msg");
  if (!names) return std::unexpected(names.error());
  std::erase_if(*names, [](const std::string& n) { return !is_valid_queue_id(n); });
  std::ranges::sort(*names);
  std::vector<Record> records;
  records.reserve(names->size());
  for (const auto& name : *names) {
    // A message delivered meanwhile is gone; an unreadable one waits for recovery to move it.
    if (auto record = detail::load_record(msg_fd_.get(), name)) records.push_back(std::move(*record));
  }
  return records;
}

base::Result<Record> SpoolImpl::find(std::string_view id) const {
  if (!is_valid_queue_id(id)) return base::fail("spool: not a queue id: " + std::string(id));
  auto record = detail::load_record(msg_fd_.get(), std::string(id));
  if (!record) {
    if (record.error().missing) return base::fail("spool: no message " + std::string(id));
    return base::fail(record.error().message);
  }
  return std::move(*record);
}

base::Result<std::string> SpoolImpl::read_message(std::string_view id) const {
  if (!is_valid_queue_id(id)) return base::fail("spool: not a queue id: " + std::string(id));
  auto message = detail::load_message(msg_fd_.get(), std::string(id));
  if (!message) {
    if (message.error().missing) return base::fail("spool: no message " + std::string(id));
    return base::fail(message.error().message);
  }
  return std::move(*message);
}

}  // namespace

base::Result<std::unique_ptr<Spool>> open_spool(const fs::path& dir, SpoolOptions options) {
  auto spool = std::make_unique<SpoolImpl>(dir, std::move(options));
  if (auto r = spool->start(); !r) return std::unexpected(r.error());
  return spool;
}

base::Result<std::unique_ptr<Spool>> Spool::open(const fs::path& dir) { return open_spool(dir, SpoolOptions{}); }

base::Result<std::unique_ptr<Spool>> Spool::open_read_only(const fs::path& dir) {
  auto spool = std::make_unique<SpoolImpl>(dir, SpoolOptions{});
  if (auto r = spool->start_read_only(); !r) return std::unexpected(r.error());
  return spool;
}

CommitStats commit_stats(const Spool& spool) {
  auto* impl = dynamic_cast<const SpoolImpl*>(&spool);
  return impl ? impl->stats() : CommitStats{};
}

}  // namespace postern::queue
