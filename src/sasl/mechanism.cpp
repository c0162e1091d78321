#include "sasl/mechanism.hpp"

#include <type_traits>

#include "sasl/text.hpp"

namespace postern::sasl {
namespace {

template <class... Fs>
struct Overload : Fs... {
  using Fs::operator()...;
};
// Clang 16 has no aggregate CTAD yet.
template <class... Fs>
Overload(Fs...) -> Overload<Fs...>;

std::string_view hash_name(ScramHash h) { return h == ScramHash::sha1 ? "SHA-1" : "SHA-256"; }

std::string describe_request(const Request& request) {
  return std::visit(
      Overload{
          [](const VerifyPassword& r) {
            return "verify_password authcid=" + text::printable(r.authcid) + " authzid=" + text::printable(r.authzid);
          },
          [](const NeedCramSecret& r) { return "need_cram_secret authcid=" + text::printable(r.authcid); },
          [](const NeedScramVerifier& r) {
            return "need_scram_verifier hash=" + std::string(hash_name(r.hash)) +
                   " authcid=" + text::printable(r.authcid) + " authzid=" + text::printable(r.authzid);
          },
          [](const VerifyToken& r) {
            return "verify_token authzid=" + text::printable(r.authzid) + " host=" + text::printable(r.host) +
                   " port=" + text::printable(r.port);
          },
          [](const VerifyCertificate& r) {
            std::string out = "verify_certificate authzid=" + text::printable(r.authzid);
            if (!r.certificate) return out + " certificate=none";
            return out + " email=" + text::printable(r.certificate->subject_email) +
                   " cn=" + text::printable(r.certificate->subject_cn) +
                   " sha256=" + text::printable(r.certificate->fingerprint_sha256) +
                   (r.certificate->verified ? " verified" : " unverified");
          },
      },
      request);
}

}  // namespace

std::string_view to_string(FailureReason reason) {
  switch (reason) {
    case FailureReason::malformed:
      return "malformed";
    case FailureReason::bad_credentials:
      return "bad_credentials";
    case FailureReason::authzid_not_permitted:
      return "authzid_not_permitted";
    case FailureReason::temporary_failure:
      return "temporary_failure";
    case FailureReason::channel_binding_mismatch:
      return "channel_binding_mismatch";
    case FailureReason::downgrade:
      return "downgrade";
    case FailureReason::unsupported:
      return "unsupported";
    case FailureReason::cancelled:
      return "cancelled";
    case FailureReason::internal:
      return "internal";
  }
  return "internal";
}

std::string describe(const Step& step) {
  return std::visit(Overload{
                        [](const Challenge& c) { return "challenge (" + std::to_string(c.data.size()) + " bytes)"; },
                        [](const Request& r) { return describe_request(r); },
                        [](const Success& s) {
                          return "success authcid=" + text::printable(s.authcid) +
                                 " authzid=" + text::printable(s.authzid) +
                                 (s.server_final ? " (with server-final data)" : "");
                        },
                        [](const Failure& f) {
                          return "failure " + std::string(to_string(f.reason)) + ": " + text::printable(f.detail);
                        },
                    },
                    step);
}

Step conclude(Verdict verdict, Success success) {
  switch (verdict) {
    case Verdict::ok:
      return success;
    case Verdict::bad_credentials:
      return fail(FailureReason::bad_credentials, "credentials refused");
    case Verdict::authzid_not_permitted:
      return fail(FailureReason::authzid_not_permitted, "authcid " + text::printable(success.authcid) +
                                                            " may not act as " + text::printable(success.authzid));
    case Verdict::temporary_failure:
      return fail(FailureReason::temporary_failure, "credential check unavailable");
  }
  return fail(FailureReason::internal, "unknown verdict");
}

Step Mechanism::start(std::optional<std::string_view> initial_response) {
  if (expect_ != Expect::start) {
    expect_ = Expect::nothing;
    return fail(FailureReason::internal, "start() called twice");
  }
  return track(on_start(initial_response));
}

Step Mechanism::next(std::string_view response) {
  if (expect_ != Expect::response) {
    expect_ = Expect::nothing;
    return fail(FailureReason::internal, "next() without a pending challenge");
  }
  return track(on_response(response));
}

Step Mechanism::resume(const Answer& answer) {
  if (expect_ != Expect::answer) {
    expect_ = Expect::nothing;
    return fail(FailureReason::internal, "resume() without a pending request");
  }
  if (answer.index() != pending_request_) {
    expect_ = Expect::nothing;
    return fail(FailureReason::internal, "answer does not match the pending request");
  }
  return track(on_answer(answer));
}

Step Mechanism::cancel() {
  expect_ = Expect::nothing;
  return fail(FailureReason::cancelled, "client cancelled the exchange");
}

Step Mechanism::on_answer(const Answer&) { return fail(FailureReason::internal, "mechanism asked nothing"); }

Step Mechanism::track(Step step) {
  if (std::holds_alternative<Challenge>(step)) {
    expect_ = Expect::response;
  } else if (const auto* request = std::get_if<Request>(&step)) {
    expect_ = Expect::answer;
    pending_request_ = request->index();
  } else {
    expect_ = Expect::nothing;
  }
  return step;
}

}  // namespace postern::sasl
