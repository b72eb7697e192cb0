#pragma once
/// Typed errors of rapture. Every error that user input can cause is one of these, thrown
/// where the problem is found and caught once, in main, which prints `what()` and exits non-zero.

#include <stdexcept>
#include <string>

namespace rapture {

/// Where a problem lies in the user's input: a file, and a line or an element (service, edge, key).
struct SourceLocation {
  std::string file;     ///< path as the user gave it; empty when not from a file (e.g. --set)
  int line = 0;         ///< 1-based line; 0 when unknown
  std::string element;  ///< "service 'cart'", "edge frontend -> cart", "key workload[0].rate"

  /// "file:line: element: " prefix (parts that are unknown are left out).
  [[nodiscard]] std::string prefix() const;
};

/// Base of every error rapture reports to the user.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input: a file, a value or a combination of settings that cannot be simulated.
class InputError : public Error {
 public:
  InputError(SourceLocation where, const std::string& message);
  /// The location the message names.
  [[nodiscard]] const SourceLocation& where() const { return where_; }

 private:
  SourceLocation where_;
};

/// A results file or other output that cannot be written.
class OutputError : public Error {
 public:
  using Error::Error;
};

}  // namespace rapture
