// `postern queue list` and `postern queue show`: read the spool without touching it, so they are
// safe while a server is receiving into the same directory.

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "queue/spool.hpp"

namespace postern::app {

namespace {

struct QueueArgs {
  ConfigChoice where;
  bool json = false;
  std::string id;
};

// Opens data_dir/queue read-only: no recovery, no directory creation, no lock taken.
std::unique_ptr<queue::Spool> open_spool(const ConfigChoice& where, int& status) {
  auto config = load_config(config_path(where));
  if (!config) {
    status = exit_usage;
    return nullptr;
  }
  auto spool = queue::Spool::open_read_only(config->data_dir / "queue");
  if (!spool) {
    print_error(spool.error().message);
    status = exit_failure;
    return nullptr;
  }
  return std::move(*spool);
}

void print_table(const std::vector<queue::Record>& records) {
  std::cout << fmt::format("{:<19}  {:<20}  {:<30}  {:>5}  {:>9}  {}\n", "ID", "RECEIVED", "SENDER", "RCPTS", "SIZE",
                           "AUTH");
  for (const auto& r : records) {
    std::string sender = r.sender.empty() ? "<>" : r.sender;
    std::cout << fmt::format("{:<19}  {:<20}  {:<30}  {:>5}  {:>9}  {}\n", r.id, base::format_rfc3339(r.received), sender,
                             r.recipients.size(), r.size, r.auth_account.value_or("-"));
  }
}

int queue_list(const QueueArgs& args) {
  int status = exit_ok;
  auto spool = open_spool(args.where, status);
  if (!spool) return status;
  auto records = spool->list();
  if (!records) {
    print_error(records.error().message);
    return exit_failure;
  }
  if (args.json) {
    std::cout << queue::to_json(*records) << "\n";
  } else {
    print_table(*records);
  }
  return exit_ok;
}

int queue_show(const QueueArgs& args) {
  int status = exit_ok;
  auto spool = open_spool(args.where, status);
  if (!spool) return status;
  auto record = spool->find(args.id);
  if (!record) {
    print_error(record.error().message);
    return exit_failure;
  }
  auto message = spool->read_message(args.id);
  if (!message) {
    print_error(message.error().message);
    return exit_failure;
  }
  std::cout << queue::to_json(*record) << "\n" << *message << std::flush;
  return exit_ok;
}

}  // namespace

void add_queue_commands(CLI::App& app, Action& action) {
  // list and show share `args`: only one of them runs per invocation.
  auto args = std::make_shared<QueueArgs>();
  auto* group = app.add_subcommand("queue", "Inspect the mail queue");
  group->require_subcommand(1);
  add_config_options(*group, args->where);

  auto* list = group->add_subcommand("list", "List queued messages, oldest first");
  add_config_options(*list, args->where);
  list->add_flag("--json", args->json, "One JSON array instead of a table");
  list->callback([&action, args] { action = [args] { return queue_list(*args); }; });

  auto* show = group->add_subcommand("show", "Print a message's queue record (JSON) and then the message");
  add_config_options(*show, args->where);
  show->add_option("ID", args->id, "Queue id")->required();
  show->callback([&action, args] { action = [args] { return queue_show(*args); }; });
}

}  // namespace postern::app
