#pragma once
/// The `rapture` command line: parses the arguments and hands them to the subcommand (run,
/// validate, topology, amplify, premortem, compare: each in its own file). Kept in the library so
/// that the executable is a one-line main and the commands can be tested.

namespace rapture {

/// Parses the arguments and runs the command; returns the process exit code. Every error is
/// caught here and reported as one line on stderr.
int cli_main(int argc, char** argv);

}  // namespace rapture
