// `postern stats [ACCOUNT]`: messages and recipients sent per account and per credential over
// the last hour, day and 30 days, from the hourly history the server keeps in the state
// database (data_dir/state.db).

#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "account_cli.hpp"
#include "auth/state_store.hpp"

namespace postern::app {

namespace {

namespace json = boost::json;

struct StatsArgs {
  ConfigChoice where;
  std::string account;
  bool json = false;
};

// The windows, as whole hours ending with the current one (which counts, however little of it
// has passed): "1h" is the current clock hour, "24h" it and the 23 before, "30d" 720 hours.
struct Window {
  const char* name;
  std::int64_t hours;
};
constexpr std::array<Window, 3> windows{{{"1h", 1}, {"24h", 24}, {"30d", 720}}};

struct Sums {
  std::array<std::uint64_t, windows.size()> messages{};
  std::array<std::uint64_t, windows.size()> recipients{};
};

struct AccountSums {
  Sums total;
  std::map<std::string, Sums> credentials;
};

using Table = std::map<std::string, AccountSums>;

// "a:<account>" and "c:<account>/<credential>" (credential names have no '/', addresses may).
void add_total(Table& table, const auth::StateStore::UsageTotal& t, std::size_t window) {
  std::string_view subject = t.subject;
  Sums* sums = nullptr;
  if (subject.starts_with("a:")) {
    sums = &table[std::string(subject.substr(2))].total;
  } else if (subject.starts_with("c:")) {
    auto rest = subject.substr(2);
    auto slash = rest.rfind('/');
    if (slash == std::string_view::npos) return;
    sums = &table[std::string(rest.substr(0, slash))].credentials[std::string(rest.substr(slash + 1))];
  } else {
    return;
  }
  sums->messages[window] += t.messages;
  sums->recipients[window] += t.recipients;
}

// With `account`: that account's own subject (an exact match: "a:bob@x" is also a prefix of
// "a:bob@x.org") and its credentials.
Outcome<Table> collect(const auth::StateStore& state, const std::optional<std::string>& account) {
  Table table;
  if (account) table[*account];  // listed even when it sent nothing
  std::int64_t current = auth::hour_of(std::chrono::system_clock::now());
  std::array<std::string, 2> prefixes = account ? std::array<std::string, 2>{"a:" + *account, "c:" + *account + "/"}
                                                : std::array<std::string, 2>{"a:", "c:"};
  for (std::size_t w = 0; w < windows.size(); ++w) {
    for (const auto& prefix : prefixes) {
      auto totals = state.usage_since(prefix, current - windows[w].hours + 1);
      if (!totals) return runtime(totals.error().message);
      for (const auto& t : *totals) {
        if (account && t.subject.starts_with("a:") && t.subject != prefix) continue;
        add_total(table, t, w);
      }
    }
  }
  return table;
}

json::object sums_json(const Sums& s) {
  json::object messages;
  json::object recipients;
  for (std::size_t w = 0; w < windows.size(); ++w) {
    messages[windows[w].name] = s.messages[w];
    recipients[windows[w].name] = s.recipients[w];
  }
  return json::object{{"messages", std::move(messages)}, {"recipients", std::move(recipients)}};
}

void print_json(const Table& table) {
  json::array accounts;
  for (const auto& [account, sums] : table) {
    json::object a = sums_json(sums.total);
    a["account"] = account;
    json::array credentials;
    for (const auto& [name, c] : sums.credentials) {
      json::object o = sums_json(c);
      o["credential"] = name;
      credentials.push_back(std::move(o));
    }
    a["credentials"] = std::move(credentials);
    accounts.push_back(std::move(a));
  }
  std::cout << json::serialize(json::object{{"accounts", std::move(accounts)}}) << "\n";
}

void print_text(const Table& table) {
  if (table.empty()) {
    std::cout << "nothing sent in the last 30 days\n";
    return;
  }
  std::size_t width = 18;
  for (const auto& [account, sums] : table) {
    width = std::max(width, account.size());
    for (const auto& [name, c] : sums.credentials) width = std::max(width, name.size() + 2);
  }
  auto pad = [](std::string text, std::size_t w, bool right = false) {
    if (text.size() < w) text.insert(right ? 0 : text.size(), w - text.size(), ' ');
    return text;
  };
  auto row = [&](const std::string& name, const Sums& s) {
    std::cout << pad(name, width);
    for (auto n : s.messages) std::cout << pad(std::to_string(n), 10, true);
    for (auto n : s.recipients) std::cout << pad(std::to_string(n), 10, true);
    std::cout << "\n";
  };
  std::cout << pad("ACCOUNT/CREDENTIAL", width) << pad("MSGS 1H", 10, true) << pad("MSGS 24H", 10, true)
            << pad("MSGS 30D", 10, true) << pad("RCPTS 1H", 10, true) << pad("RCPTS 24H", 10, true)
            << pad("RCPTS 30D", 10, true) << "\n";
  for (const auto& [account, sums] : table) {
    row(account, sums.total);
    for (const auto& [name, c] : sums.credentials) row("  " + name, c);
  }
}

int stats(const StatsArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    std::optional<std::string> account;
    if (!args.account.empty()) {
      auto found = existing_account(args.account, ctx);
      if (!found) return std::unexpected(found.error());
      account = std::move(*found);
    }
    auto state = open_state(ctx, false);
    if (!state) return std::unexpected(state.error());
    Table table;
    if (*state) {
      auto collected = collect(**state, account);
      if (!collected) return std::unexpected(collected.error());
      table = std::move(*collected);
    } else if (account) {
      table[*account];
    }
    if (args.json) {
      print_json(table);
    } else {
      print_text(table);
    }
    return {};
  });
}

}  // namespace

void add_stats_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<StatsArgs>();
  auto* cmd = app.add_subcommand(
      "stats",
      "Messages and recipients sent per account and credential: this clock hour, the last 24 hours, the last 30 days");
  add_config_options(*cmd, args->where);
  cmd->add_option("ACCOUNT", args->account, "Only this account and its credentials");
  cmd->add_flag("--json", args->json,
                "Print {\"accounts\": [{account, messages, recipients, credentials: [...]}]}, each count by \"1h\", "
                "\"24h\", \"30d\"");
  cmd->callback([&action, args] { action = [args] { return stats(*args); }; });
}

}  // namespace postern::app
