#include "command/outputs.hpp"

namespace rapture {

std::string default_output(const std::string& scenario_name, const std::string& suffix) {
  std::string name;
  for (const char c : scenario_name) {
    const bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    if (name.empty() && c == '.') continue;
    name += plain ? c : '_';
  }
  if (name.empty()) name = "rapture";
  return name + suffix;
}

std::string report_hint(const std::string& results) { return "see it as plots: rapture report " + results + "\n"; }

}  // namespace rapture
