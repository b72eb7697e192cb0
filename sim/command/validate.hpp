#pragma once
/// `rapture validate`: loads a scenario and its topology as `run` would, and every design of it,
/// without simulating; reports what it resolved to.

#include <cstdint>

#include "command/design_loader.hpp"

namespace rapture {

/// Checks the design (and, for the baseline, every other design), refusing as `run` would one
/// that needs more memory than `memory_limit` bytes; returns the process exit code. Errors are
/// thrown as InputError.
int validate_command(const DesignArgs& args, uint64_t memory_limit);

}  // namespace rapture
