#pragma once
/// The tipping point of a replicated search (`rapture amplify --replications`): a logistic
/// regression of "the run cascaded" (0/1) on the magnitude over every run, by maximum
/// likelihood, and the magnitude where the fitted cascade probability is 1/2 with a 95 %
/// Fieller interval, so that the interval carries the runs' sampling noise and not only the
/// width of the search's last bracket. When the outcomes are separated by the magnitude (no
/// run cascades below some magnitude and every run does above it) the maximum likelihood
/// estimate does not exist; then the interval is the bracket itself, said so.
///
/// The runs of one seed at different magnitudes are not independent (common random numbers:
/// a seed that blocks early blocks early at every magnitude), so given each run's seed the
/// covariance is the sandwich clustered by seed, with the G / (G - 1) correction, and the
/// interval uses Student's t with G - 1 degrees of freedom (G seeds): the information is that of
/// G independent replications, not of every run.

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

namespace rapture {

/// How the tipping point's interval was found.
enum class TippingMethod {
  Fieller,    ///< a logistic fit exists: 95 % Fieller interval on -b0 / b1
  Separated,  ///< the outcomes are separated: the bracket between all-recovered and all-cascading magnitudes
  None,       ///< every run had the same outcome: no tipping point to fit
};

/// The name stored in the results file: "fieller", "separated" or "none".
std::string_view tipping_method_name(TippingMethod method);

struct TippingFit {
  TippingMethod method = TippingMethod::None;
  /// logit p(x) = intercept + slope * x, x in the magnitude's unit; NaN unless Fieller
  double intercept = NAN, slope = NAN;
  /// The covariance of (intercept, slope): the inverse Fisher information, or the sandwich
  /// clustered by seed; NaN unless Fieller
  double var_intercept = NAN, covariance = NAN, var_slope = NAN;
  int clusters = 0;       ///< seeds the covariance is clustered by; 0: the model's (runs independent)
  double critical = NAN;  ///< the two-sided 95 % quantile used: normal, or t with clusters - 1 degrees of freedom
  double point = NAN;  ///< the magnitude where p = 1/2 (Separated: the middle of the bracket, or the mixed magnitude)
  /// The 95 % interval of `point`; -inf / +inf where it is unbounded (a slope not distinguishable
  /// from 0, or no all-recovered / all-cascading magnitude on one side of a separated bracket)
  double low = NAN, high = NAN;
  int iterations = 0;  ///< Newton steps the fit took
};

/// The two-sided 95 % quantile of the standard normal distribution.
inline constexpr double kNormal975 = 1.959963984540054;

/// Fits the cascade probability over the runs (`magnitude[i]`, `cascade[i]` 0 or 1, on seed
/// `seed[i]`; without seeds, or with fewer than two, the runs are taken as independent). Throws
/// std::invalid_argument when the spans differ in length, a magnitude is not finite or an
/// outcome is not 0 or 1.
TippingFit fit_tipping_point(std::span<const double> magnitude, std::span<const int> cascade,
                             std::span<const uint64_t> seed = {});

}  // namespace rapture
