#include "sasl/channel_binding.hpp"

namespace postern::sasl {

std::string_view to_string(ChannelBindingType type) {
  switch (type) {
    case ChannelBindingType::tls_exporter:
      return "tls-exporter";
    case ChannelBindingType::tls_unique:
      return "tls-unique";
    case ChannelBindingType::tls_server_end_point:
      return "tls-server-end-point";
  }
  return "";
}

std::optional<ChannelBindingType> channel_binding_type(std::string_view name) {
  for (auto t :
       {ChannelBindingType::tls_exporter, ChannelBindingType::tls_unique, ChannelBindingType::tls_server_end_point}) {
    if (name == to_string(t)) return t;
  }
  return std::nullopt;
}

}  // namespace postern::sasl
