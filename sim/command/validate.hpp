#pragma once
/// `rapture validate`: loads a scenario and its topology as `run` would, and every design of it,
/// without simulating; reports what it resolved to.

#include "command/design_loader.hpp"

namespace rapture {

/// Checks the design (and, for the baseline, every other design); returns the process exit
/// code. Errors are thrown as InputError.
int validate_command(const DesignArgs& args);

}  // namespace rapture
