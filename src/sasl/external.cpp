#include "sasl/external.hpp"

#include "base/utf8.hpp"
#include "sasl/plain.hpp"
#include "sasl/text.hpp"

namespace postern::sasl {
namespace {

class External final : public Mechanism {
 public:
  std::string_view name() const override { return "EXTERNAL"; }

 protected:
  Step on_start(std::optional<std::string_view> initial_response) override {
    // RFC 4422 §5: a client-first mechanism without an initial response gets an empty challenge.
    if (!initial_response) return Challenge{};
    return parse(*initial_response);
  }

  Step on_response(std::string_view response) override { return parse(response); }

  Step on_answer(const Answer& answer) override {
    const auto& a = std::get<CertificateAnswer>(answer);
    if (a.verdict == Verdict::ok && a.identity.empty()) {
      // An answer that names nobody must never authenticate.
      return fail(FailureReason::internal, "EXTERNAL: certificate accepted without an identity");
    }
    return conclude(a.verdict, Success{a.identity, std::move(authzid_), std::nullopt});
  }

 private:
  Step parse(std::string_view message) {
    // RFC 4422 App. A.1: external-message = [authz-id-string]; authz-id-string = 1*UTF8-char-no-nul
    if (message.find('\0') != std::string_view::npos) return fail(FailureReason::malformed, "EXTERNAL: NUL in authzid");
    if (message.size() > max_field_octets) {
      return fail(FailureReason::malformed, "EXTERNAL: authzid longer than 255 octets");
    }
    if (!base::is_valid_utf8(message)) return fail(FailureReason::malformed, "EXTERNAL: authzid is not UTF-8");
    authzid_ = std::string(message);
    return Request{VerifyCertificate{authzid_, std::nullopt}};
  }

  std::string authzid_;
};

}  // namespace

std::unique_ptr<Mechanism> make_external() { return std::make_unique<External>(); }

}  // namespace postern::sasl
