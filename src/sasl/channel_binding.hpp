#pragma once
// Channel bindings a TLS connection can offer to SCRAM-*-PLUS (RFC 5056). The TLS layer
// (src/net) computes the data; this module only compares it.

#include <optional>
#include <string>
#include <string_view>

namespace postern::sasl {

enum class ChannelBindingType {
  /// RFC 9266: 32 bytes exported with label "EXPORTER-Channel-Binding" and no context.
  /// The type for TLS 1.3 (where tls-unique is undefined, RFC 9266 §3).
  tls_exporter,
  /// RFC 5929 §3: the first Finished message of the latest handshake. TLS 1.2 only, and only
  /// with the extended master secret (RFC 7627), or it can be forwarded by a MitM.
  tls_unique,
  /// RFC 5929 §4: hash of the server certificate (SHA-256 when it was signed with MD5/SHA-1).
  tls_server_end_point,
};

/// One binding this connection has. The driver lists only types that are sound on it.
struct ChannelBinding {
  ChannelBindingType type = ChannelBindingType::tls_exporter;
  std::string data;
};

/// The registered name: "tls-exporter", "tls-unique", "tls-server-end-point".
std::string_view to_string(ChannelBindingType type);

/// The type with this registered name (case-sensitive, as RFC 5056 registers them), or nullopt.
std::optional<ChannelBindingType> channel_binding_type(std::string_view name);

}  // namespace postern::sasl
