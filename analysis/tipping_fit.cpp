#include "analysis/tipping_fit.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "analysis/design_comparison.hpp"

namespace rapture {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// log(1 + exp(t)) without overflow.
double softplus(double t) { return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t)); }

/// The log-likelihood of logit p = a + b z.
double log_likelihood(std::span<const double> z, std::span<const int> y, double a, double b) {
  double ll = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const double eta = a + b * z[i];
    ll -= y[i] == 1 ? softplus(-eta) : softplus(eta);
  }
  return ll;
}

/// The bracket of separated outcomes: between the highest magnitude whose runs all had the
/// outcome `below` and the lowest whose runs all had the other, skipping a magnitude with both.
TippingFit separated_bracket(std::span<const double> x, std::span<const int> y, int below) {
  std::map<double, std::pair<int, int>> outcomes;  // magnitude -> (runs with `below`, runs without)
  for (size_t i = 0; i < x.size(); ++i) ++(y[i] == below ? outcomes[x[i]].first : outcomes[x[i]].second);
  TippingFit fit;
  fit.method = TippingMethod::Separated;
  fit.low = -kInf;
  fit.high = kInf;
  double mixed = NAN;
  for (const auto& [value, counts] : outcomes) {
    if (counts.second == 0) fit.low = value;  // ascending: the last all-`below` magnitude
    if (counts.first > 0 && counts.second > 0) mixed = value;
    if (counts.first == 0 && fit.high == kInf) fit.high = value;
  }
  // With a magnitude of mixed outcomes (quasi-complete separation) the likelihood grows as the
  // curve steepens through it; otherwise every point of the gap fits equally: its middle.
  fit.point = std::isnan(mixed) ? 0.5 * (fit.low + fit.high) : mixed;
  return fit;
}

}  // namespace

std::string_view tipping_method_name(TippingMethod method) {
  switch (method) {
    case TippingMethod::Fieller: return "fieller";
    case TippingMethod::Separated: return "separated";
    case TippingMethod::None: return "none";
  }
  return "none";
}

TippingFit fit_tipping_point(std::span<const double> x, std::span<const int> y, std::span<const uint64_t> seed) {
  if (x.size() != y.size() || (!seed.empty() && seed.size() != x.size())) {
    throw std::invalid_argument("fit_tipping_point: as many outcomes and seeds as magnitudes");
  }
  double max0 = -kInf, min0 = kInf, max1 = -kInf, min1 = kInf, sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) throw std::invalid_argument("fit_tipping_point: a magnitude is not finite");
    if (y[i] != 0 && y[i] != 1) throw std::invalid_argument("fit_tipping_point: an outcome is not 0 or 1");
    auto [lo, hi] = y[i] == 1 ? std::tie(min1, max1) : std::tie(min0, max0);  // references
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
    sum += x[i];
  }
  if (min0 == kInf || min1 == kInf) return {};  // one outcome only: nothing turns
  // (Quasi-)complete separation: the likelihood has no maximum (the slope runs off to infinity).
  if (max0 <= min1) return separated_bracket(x, y, 0);
  if (max1 <= min0) return separated_bracket(x, y, 1);

  // Newton on the centred and scaled magnitude (conditioning), with step halving; the
  // log-likelihood is strictly concave here (both outcomes overlap), so the maximum is unique.
  const double n = static_cast<double>(x.size());
  const double centre = sum / n;
  double spread = 0;
  for (const double v : x) spread = std::max(spread, std::abs(v - centre));
  std::vector<double> z(x.size());
  for (size_t i = 0; i < x.size(); ++i) z[i] = (x[i] - centre) / spread;
  double a = 0, b = 0, ll = log_likelihood(z, y, a, b);
  double h00 = 0, h01 = 0, h11 = 0;  // Fisher information at (a, b)
  TippingFit fit;
  fit.method = TippingMethod::Fieller;
  for (int iter = 0; iter < 200; ++iter) {
    double g0 = 0, g1 = 0;
    h00 = h01 = h11 = 0;
    for (size_t i = 0; i < z.size(); ++i) {
      const double p = 1 / (1 + std::exp(-(a + b * z[i])));
      const double w = p * (1 - p);
      g0 += y[i] - p;
      g1 += (y[i] - p) * z[i];
      h00 += w;
      h01 += w * z[i];
      h11 += w * z[i] * z[i];
    }
    const double det = h00 * h11 - h01 * h01;
    double da = (h11 * g0 - h01 * g1) / det, db = (h00 * g1 - h01 * g0) / det;
    if (!std::isfinite(da) || !std::isfinite(db)) break;
    double next = log_likelihood(z, y, a + da, b + db);
    for (int half = 0; half < 60 && next < ll; ++half) {
      da *= 0.5;
      db *= 0.5;
      next = log_likelihood(z, y, a + da, b + db);
    }
    a += da;
    b += db;
    ll = std::max(ll, next);
    fit.iterations = iter + 1;
    if (std::abs(da) < 1e-12 * (1 + std::abs(a)) && std::abs(db) < 1e-12 * (1 + std::abs(b))) break;
  }
  // The covariance of (a, b): the inverse of the information I, or clustered by seed,
  // I^-1 (sum over seeds of u u') I^-1 * G / (G - 1), u a seed's score; mapped back to the
  // magnitude: b1 = b / s, b0 = a - b c / s.
  const double det = h00 * h11 - h01 * h01;
  double vaa = h11 / det, vab = -h01 / det, vbb = h00 / det;
  fit.critical = kNormal975;
  std::map<uint64_t, std::pair<double, double>> scores;  // seed -> its runs' score
  for (size_t i = 0; i < seed.size(); ++i) {
    const double r = y[i] - 1 / (1 + std::exp(-(a + b * z[i])));
    scores[seed[i]].first += r;
    scores[seed[i]].second += r * z[i];
  }
  if (scores.size() >= 2) {
    double m00 = 0, m01 = 0, m11 = 0;
    for (const auto& [s, u] : scores) {
      m00 += u.first * u.first;
      m01 += u.first * u.second;
      m11 += u.second * u.second;
    }
    const double g = static_cast<double>(scores.size());
    const double f = g / (g - 1);
    // V = A M A with A = I^-1 (symmetric): entries written out.
    const double a00 = vaa, a01 = vab, a11 = vbb;
    const double t00 = a00 * m00 + a01 * m01, t01 = a00 * m01 + a01 * m11;
    const double t10 = a01 * m00 + a11 * m01, t11 = a01 * m01 + a11 * m11;
    vaa = f * (t00 * a00 + t01 * a01);
    vab = f * (t00 * a01 + t01 * a11);
    vbb = f * (t10 * a01 + t11 * a11);
    fit.clusters = static_cast<int>(scores.size());
    fit.critical = student_t_975(scores.size() - 1);
  }
  const double k = centre / spread;
  fit.slope = b / spread;
  fit.intercept = a - b * k;
  fit.var_slope = vbb / (spread * spread);
  fit.covariance = (vab - k * vbb) / spread;
  fit.var_intercept = vaa - 2 * k * vab + k * k * vbb;
  fit.point = -fit.intercept / fit.slope;

  // Fieller: the magnitudes x at which b0 + b1 x = 0 is not rejected at 95 %,
  // (b0 + b1 x)^2 <= q^2 var(b0 + b1 x), a quadratic A x^2 + 2 B x + C <= 0.
  const double z2 = fit.critical * fit.critical;
  const double qa = fit.slope * fit.slope - z2 * fit.var_slope;
  const double qb = fit.intercept * fit.slope - z2 * fit.covariance;
  const double qc = fit.intercept * fit.intercept - z2 * fit.var_intercept;
  if (qa <= 0) {
    // The slope is not distinguishable from 0: the set is unbounded.
    fit.low = -kInf;
    fit.high = kInf;
  } else {
    const double root = std::sqrt(std::max(0.0, qb * qb - qa * qc));
    fit.low = (-qb - root) / qa;
    fit.high = (-qb + root) / qa;
  }
  return fit;
}

}  // namespace rapture
