#pragma once
// LOGIN (draft-murchison-sasl-login-00): user name and password in two client responses.

#include <memory>

#include "sasl/mechanism.hpp"

namespace postern::sasl {

/// A LOGIN exchange.
///
/// Calls: start(). Without an initial response the Step is Challenge "Username:"; next(user
/// name) gives Challenge "Password:". An initial response is taken as the user name and goes
/// straight to "Password:". next(password) gives a VerifyPassword Request (no authzid);
/// resume(PasswordAnswer) gives Success or Failure.
/// The draft's §2 only says the challenges SHOULD be "User Name" and "Password"; the texts
/// here are the ones clients expect in practice, as written down in Microsoft's [MS-XLOGIN]
/// §2.2.2 (`334 VXNlcm5hbWU6`, `334 UGFzc3dvcmQ6`, user name allowed as initial response).
/// Empty values, NUL bytes and values over max_field_octets fail as malformed.
std::unique_ptr<Mechanism> make_login();

}  // namespace postern::sasl
