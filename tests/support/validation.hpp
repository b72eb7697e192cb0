#pragma once
/// The message a policy configuration's validate() throws, for the bad-settings tests.

#include <stdexcept>
#include <string>

namespace rapture::testing {

/// What `config.validate()` complains of; empty when it accepts the configuration.
template <typename Config>
std::string validation_error(const Config& config) {
  try {
    config.validate();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace rapture::testing
