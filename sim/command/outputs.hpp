#pragma once
/// The outputs of a command: the default file name derived from the scenario's name, kept in the
/// working directory whatever the name holds.

#include <string>

namespace rapture {

/// `<name><suffix>` in the working directory: characters other than ASCII letters, digits, '.',
/// '-' and '_' (a '/', a non-UTF-8 byte) become '_' and leading dots are dropped, so that a
/// name like "../x" or "/etc/x" cannot place the file elsewhere; "rapture" when nothing is left.
[[nodiscard]] std::string default_output(const std::string& scenario_name, const std::string& suffix);

/// The line a command ends with: how to see `results` as one HTML page of plots.
[[nodiscard]] std::string report_hint(const std::string& results);

}  // namespace rapture
