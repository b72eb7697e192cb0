#include "model/run_result.hpp"

#include <array>

namespace rapture {

std::string_view to_string(ErrorCause cause) {
  static constexpr std::array<std::string_view, kErrorCauses> kNames{
      "queue_overflow", "downstream", "timeout", "circuit_open", "rejected", "unavailable", "injected"};
  return kNames[static_cast<size_t>(cause)];
}

}  // namespace rapture
