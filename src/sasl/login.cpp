#include "sasl/login.hpp"

#include "sasl/plain.hpp"

namespace postern::sasl {
namespace {

constexpr std::string_view username_prompt = "Username:";
constexpr std::string_view password_prompt = "Password:";

std::optional<Failure> check_field(std::string_view value, std::string_view what) {
  if (value.empty()) return Failure{FailureReason::malformed, "LOGIN: empty " + std::string(what)};
  if (value.size() > max_field_octets) {
    return Failure{FailureReason::malformed, "LOGIN: " + std::string(what) + " longer than 255 octets"};
  }
  if (value.find('\0') != std::string_view::npos) {
    return Failure{FailureReason::malformed, "LOGIN: NUL in " + std::string(what)};
  }
  return std::nullopt;
}

class Login final : public Mechanism {
 public:
  std::string_view name() const override { return "LOGIN"; }

 protected:
  Step on_start(std::optional<std::string_view> initial_response) override {
    if (!initial_response) return Challenge{std::string(username_prompt)};
    return take_username(*initial_response);
  }

  Step on_response(std::string_view response) override {
    if (!have_username_) return take_username(response);
    if (auto bad = check_field(response, "password")) return *bad;
    return Request{VerifyPassword{username_, "", std::string(response)}};
  }

  Step on_answer(const Answer& answer) override {
    const auto& a = std::get<PasswordAnswer>(answer);
    return conclude(a.verdict, Success{std::move(username_), "", std::nullopt});
  }

 private:
  Step take_username(std::string_view value) {
    if (auto bad = check_field(value, "user name")) return *bad;
    username_ = std::string(value);
    have_username_ = true;
    return Challenge{std::string(password_prompt)};
  }

  std::string username_;
  bool have_username_ = false;
};

}  // namespace

std::unique_ptr<Mechanism> make_login() { return std::make_unique<Login>(); }

}  // namespace postern::sasl
