#include "model/load_cost.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/text.hpp"

namespace rapture {

namespace {

void check_coefficient(double c, const char* what) {
  if (!(c >= 0) || !std::isfinite(c)) {
    throw std::invalid_argument(std::string(what) + " must be a finite number >= 0, got " + text::number(c));
  }
}

}  // namespace

double LoadCost::multiplier(double x) const {
  double m = 1;
  switch (shape) {
    case Shape::None: return 1;
    case Shape::Linear: m = 1 + coefficients[0] * x; break;
    case Shape::Polynomial:
      // Horner's rule: with x finite and coefficients >= 0 it only overflows to +inf, never to NaN.
      m = 0;
      for (auto it = coefficients.rbegin(); it != coefficients.rend(); ++it) m = m * x + *it;
      break;
    case Shape::Exponential: m = std::exp(coefficients[0] * x); break;
    case Shape::Table: {
      if (x <= points.front().first) return std::min(points.front().second, cap);
      if (x >= points.back().first) return std::min(points.back().second, cap);
      const auto hi = std::upper_bound(points.begin(), points.end(), x,
                                       [](double v, const std::pair<double, double>& p) { return v < p.first; });
      const auto lo = hi - 1;
      m = lo->second + (hi->second - lo->second) * (x - lo->first) / (hi->first - lo->first);
      break;
    }
  }
  return m <= cap ? m : cap;  // also catches NaN
}

void LoadCost::validate() const {
  if (!(cap >= 1) || !(cap <= kMaxLoadCostCap)) {
    throw std::invalid_argument("the cap of a load cost must be in [1, 1e6], got " + text::number(cap));
  }
  switch (shape) {
    case Shape::None: return;
    case Shape::Linear:
    case Shape::Exponential:
      if (coefficients.size() != 1) throw std::invalid_argument("a linear or exponential load cost takes one number");
      check_coefficient(coefficients[0], shape == Shape::Linear ? "the slope" : "the exponent k");
      return;
    case Shape::Polynomial:
      if (coefficients.empty() || coefficients.size() > kMaxLoadCostTerms) {
        throw std::invalid_argument("a polynomial load cost takes 1 to 9 coefficients (c0, c1, ...), got " +
                                    std::to_string(coefficients.size()));
      }
      for (const double c : coefficients) check_coefficient(c, "a polynomial coefficient");
      if (!(coefficients[0] > 0)) {
        throw std::invalid_argument("the constant term c0 must be > 0: at no load the demand would vanish");
      }
      return;
    case Shape::Table:
      if (points.empty()) throw std::invalid_argument("a load cost table needs at least one [x, multiplier] point");
      if (points.size() > kMaxLoadCostPoints) throw std::invalid_argument("a load cost table has at most 10000 points");
      for (size_t i = 0; i < points.size(); ++i) {
        check_coefficient(points[i].first, "a table's load");
        check_coefficient(points[i].second, "a table's multiplier");
        if (!(points[i].second > 0)) throw std::invalid_argument("a table's multiplier must be > 0");
        if (i > 0 && !(points[i].first > points[i - 1].first)) {
          throw std::invalid_argument("a load cost table must be sorted by load, strictly increasing: " +
                                      text::number(points[i].first) + " follows " + text::number(points[i - 1].first));
        }
      }
      return;
  }
}

}  // namespace rapture
