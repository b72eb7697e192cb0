#pragma once
/// A sweep's `constraint:`: an expression over the factors' names that keeps a combination when
/// true, as OMNeT++'s `constraint=` does for its iteration variables. Numbers, 'quoted words',
/// factor names (a value with a unit reads as its number: 100/s is 100), + - * /, comparisons
/// (< <= > >= == !=), and, or, not, parentheses.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace rapture {

/// A factor's value as the constraint sees it: a number, or a word when it is not one.
struct ConstraintValue {
  double number = NAN;  ///< NaN for a word
  std::string word;     ///< the value as written
};

/// A parsed constraint, evaluated once per combination of the grid.
class SweepConstraint {
 public:
  /// Parses `text`, whose names must be among `factors`. Throws InputError at `where`.
  static SweepConstraint parse(const std::string& text, const std::vector<std::string>& factors,
                               const SourceLocation& where);

  /// Whether the combination whose factor values are `values` (in the order of `factors`) is kept.
  [[nodiscard]] bool keeps(const std::vector<ConstraintValue>& values) const;

 private:
  /// One node of the expression tree; children by index into nodes_, evaluated in postorder.
  struct Node {
    enum class Op : uint8_t { Number, Word, Factor, Neg, Not, Add, Sub, Mul, Div, Lt, Le, Gt, Ge, Eq, Ne, And, Or };
    Op op = Op::Number;
    double number = 0;
    std::string word;
    int factor = -1;
    int left = -1, right = -1;
  };
  friend class ConstraintParser;

  [[nodiscard]] ConstraintValue eval(int node, const std::vector<ConstraintValue>& values) const;

  std::vector<Node> nodes_;
  int root_ = -1;
};

}  // namespace rapture
