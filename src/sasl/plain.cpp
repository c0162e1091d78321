#include "sasl/plain.hpp"

#include "base/utf8.hpp"
#include "sasl/text.hpp"

namespace postern::sasl {
namespace {

class Plain final : public Mechanism {
 public:
  std::string_view name() const override { return "PLAIN"; }

 protected:
  Step on_start(std::optional<std::string_view> initial_response) override {
    // RFC 4422 §5: a client-first mechanism without an initial response gets an empty challenge.
    if (!initial_response) return Challenge{};
    return parse(*initial_response);
  }

  Step on_response(std::string_view response) override { return parse(response); }

  Step on_answer(const Answer& answer) override {
    const auto& a = std::get<PasswordAnswer>(answer);
    return conclude(a.verdict, Success{std::move(authcid_), std::move(authzid_), std::nullopt});
  }

 private:
  Step parse(std::string_view message) {
    // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
    std::size_t first = message.find('\0');
    if (first == std::string_view::npos) return fail(FailureReason::malformed, "PLAIN: no NUL separator");
    std::size_t second = message.find('\0', first + 1);
    if (second == std::string_view::npos) return fail(FailureReason::malformed, "PLAIN: one NUL separator only");
    std::string_view authzid = message.substr(0, first);
    std::string_view authcid = message.substr(first + 1, second - first - 1);
    std::string_view password = message.substr(second + 1);
    if (password.find('\0') != std::string_view::npos) {
      return fail(FailureReason::malformed, "PLAIN: more than two NUL separators");
    }
    // RFC 4616 §2: authcid and passwd are 1*SAFE; authzid, when present, too.
    if (authcid.empty()) return fail(FailureReason::malformed, "PLAIN: empty authcid");
    if (password.empty()) return fail(FailureReason::malformed, "PLAIN: empty password");
    if (authzid.size() > max_field_octets || authcid.size() > max_field_octets || password.size() > max_field_octets) {
      return fail(FailureReason::malformed, "PLAIN: field longer than 255 octets");
    }
    if (!base::is_valid_utf8(authzid) || !base::is_valid_utf8(authcid) || !base::is_valid_utf8(password)) {
      return fail(FailureReason::malformed, "PLAIN: not UTF-8");
    }
    authcid_ = std::string(authcid);
    authzid_ = std::string(authzid);
    return Request{VerifyPassword{authcid_, authzid_, std::string(password)}};
  }

  std::string authcid_;
  std::string authzid_;
};

}  // namespace

std::unique_ptr<Mechanism> make_plain() { return std::make_unique<Plain>(); }

}  // namespace postern::sasl
