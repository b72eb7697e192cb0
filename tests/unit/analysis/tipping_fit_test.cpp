#include "analysis/tipping_fit.hpp"

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace rapture {
namespace {

// The textbook example of Wikipedia's "Logistic regression" article: hours of study of 20
// students and whether each passed an exam. The article gives intercept -4.1 (SE 1.8) and slope
// 1.5 (SE 0.6), and p = 1/2 at 2.7 hours; the digits below come from an independent Newton fit
// (numpy) of the same data, and the Fieller bounds from the quadratic solved there by hand.
const std::vector<double> kHours{0.50, 0.75, 1.00, 1.25, 1.50, 1.75, 1.75, 2.00, 2.25, 2.50,
                                 2.75, 3.00, 3.25, 3.50, 4.00, 4.25, 4.50, 4.75, 5.00, 5.50};
const std::vector<int> kPassed{0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1};

TEST(TippingFit, MatchesTheTextbookFitOfHoursStudied) {
  const TippingFit fit = fit_tipping_point(kHours, kPassed);
  EXPECT_EQ(fit.method, TippingMethod::Fieller);
  EXPECT_EQ(fit.clusters, 0);  // no seeds: the runs are independent, the normal quantile
  EXPECT_EQ(fit.critical, kNormal975);
  EXPECT_NEAR(fit.intercept, -4.07771343, 1e-7);
  EXPECT_NEAR(fit.slope, 1.50464543, 1e-7);
  EXPECT_NEAR(std::sqrt(fit.var_intercept), 1.76099431, 1e-7);
  EXPECT_NEAR(std::sqrt(fit.var_slope), 0.62872085, 1e-7);
  EXPECT_NEAR(fit.covariance, -1.03450346, 1e-7);
  EXPECT_NEAR(fit.point, 2.71008262, 1e-7);
  // The article's rounded figures, as printed there.
  EXPECT_NEAR(fit.intercept, -4.1, 0.05);
  EXPECT_NEAR(fit.slope, 1.5, 0.05);
  EXPECT_NEAR(fit.point, 2.7, 0.05);
}

TEST(TippingFit, GivesTheFiellerIntervalOfTheHalfwayMagnitude) {
  const TippingFit fit = fit_tipping_point(kHours, kPassed);
  EXPECT_NEAR(fit.low, 1.45647455, 1e-7);
  EXPECT_NEAR(fit.high, 4.34259525, 1e-7);
  // Fieller's interval is not symmetric about the estimate: the delta method's would be.
  EXPECT_GT(fit.high - fit.point, fit.point - fit.low);
}

TEST(TippingFit, ClustersTheCovarianceBySeed) {
  // The students in pairs, each pair one "seed": the sandwich covariance and Fieller bounds with
  // t(0.975, 9), from the same independent numpy computation.
  std::vector<uint64_t> seed;
  for (size_t i = 0; i < kHours.size(); ++i) seed.push_back(i / 2);
  const TippingFit fit = fit_tipping_point(kHours, kPassed, seed);
  EXPECT_EQ(fit.clusters, 10);
  EXPECT_NEAR(fit.critical, 2.26215716, 1e-7);
  EXPECT_NEAR(fit.point, 2.71008262, 1e-7);  // the estimate is the same; its spread is not
  EXPECT_NEAR(fit.var_intercept, 1.42380689, 1e-7);
  EXPECT_NEAR(fit.covariance, -0.46171241, 1e-7);
  EXPECT_NEAR(fit.var_slope, 0.16501759, 1e-7);
  EXPECT_NEAR(fit.low, 1.96280416, 1e-7);
  EXPECT_NEAR(fit.high, 3.35280733, 1e-7);
}

TEST(TippingFit, RunsOfOneSeedCountAsOneReplication) {
  // Every student twice: taken as independent runs the interval shrinks, as if there were twice
  // the evidence; clustered by student it is the interval of the students once, each their own seed.
  std::vector<double> x;
  std::vector<int> y;
  std::vector<uint64_t> twice, once;
  for (size_t i = 0; i < kHours.size(); ++i) {
    once.push_back(i);
    for (int copy = 0; copy < 2; ++copy) {
      x.push_back(kHours[i]);
      y.push_back(kPassed[i]);
      twice.push_back(i);
    }
  }
  const TippingFit alone = fit_tipping_point(kHours, kPassed, once);
  const TippingFit doubled = fit_tipping_point(x, y, twice);
  EXPECT_NEAR(doubled.low, alone.low, 1e-9);
  EXPECT_NEAR(doubled.high, alone.high, 1e-9);
  const TippingFit naive = fit_tipping_point(x, y);
  EXPECT_EQ(naive.clusters, 0);
  EXPECT_LT(naive.high - naive.low, fit_tipping_point(kHours, kPassed).high - fit_tipping_point(kHours, kPassed).low);
}

TEST(TippingFit, DoesNotDependOnTheMagnitudeUnit) {
  std::vector<double> minutes;
  for (const double h : kHours) minutes.push_back(60 * h + 1000);  // a unit and an offset
  const TippingFit hours = fit_tipping_point(kHours, kPassed);
  const TippingFit fit = fit_tipping_point(minutes, kPassed);
  EXPECT_NEAR(fit.point, 60 * hours.point + 1000, 1e-6);
  EXPECT_NEAR(fit.low, 60 * hours.low + 1000, 1e-6);
  EXPECT_NEAR(fit.high, 60 * hours.high + 1000, 1e-6);
  EXPECT_NEAR(fit.slope, hours.slope / 60, 1e-9);
}

TEST(TippingFit, AnUnclearSlopeGivesAnUnboundedInterval) {
  // Outcomes alternate: the fitted slope (0.91, SE 1.09) is not distinguishable from 0.
  const TippingFit fit = fit_tipping_point(std::vector<double>{1, 2, 3, 4}, std::vector<int>{0, 1, 0, 1});
  EXPECT_EQ(fit.method, TippingMethod::Fieller);
  EXPECT_NEAR(fit.point, 2.5, 1e-9);
  EXPECT_EQ(fit.low, -INFINITY);
  EXPECT_EQ(fit.high, INFINITY);
}

TEST(TippingFit, CompleteSeparationGivesTheBracketBetweenRecoveredAndCascadingMagnitudes) {
  const TippingFit fit = fit_tipping_point(std::vector<double>{1, 1, 2, 2, 3, 3}, std::vector<int>{0, 0, 0, 0, 1, 1});
  EXPECT_EQ(fit.method, TippingMethod::Separated);
  EXPECT_EQ(tipping_method_name(fit.method), "separated");
  EXPECT_TRUE(std::isnan(fit.slope));
  EXPECT_EQ(fit.low, 2);
  EXPECT_EQ(fit.high, 3);
  EXPECT_EQ(fit.point, 2.5);
}

TEST(TippingFit, QuasiCompleteSeparationCentresOnTheMixedMagnitude) {
  // 2 has both outcomes, nothing below it cascades, everything above does.
  const TippingFit fit = fit_tipping_point(std::vector<double>{3, 1, 2, 2, 2, 3}, std::vector<int>{1, 0, 0, 1, 1, 1});
  EXPECT_EQ(fit.method, TippingMethod::Separated);
  EXPECT_EQ(fit.point, 2);
  EXPECT_EQ(fit.low, 1);
  EXPECT_EQ(fit.high, 3);
  // Without an all-recovered magnitude below, the interval is open on that side.
  const TippingFit open = fit_tipping_point(std::vector<double>{2, 2, 3}, std::vector<int>{0, 1, 1});
  EXPECT_EQ(open.low, -INFINITY);
  EXPECT_EQ(open.high, 3);
}

TEST(TippingFit, OneOutcomeOnlyHasNoTippingPoint) {
  const TippingFit fit = fit_tipping_point(std::vector<double>{1, 2, 3}, std::vector<int>{0, 0, 0});
  EXPECT_EQ(fit.method, TippingMethod::None);
  EXPECT_TRUE(std::isnan(fit.point));
}

TEST(TippingFit, RejectsMismatchedOrInvalidRuns) {
  EXPECT_THROW(fit_tipping_point(std::vector<double>{1, 2}, std::vector<int>{0}), std::invalid_argument);
  EXPECT_THROW(fit_tipping_point(std::vector<double>{1, NAN}, std::vector<int>{0, 1}), std::invalid_argument);
  EXPECT_THROW(fit_tipping_point(std::vector<double>{1, 2}, std::vector<int>{0, 2}), std::invalid_argument);
  EXPECT_THROW(fit_tipping_point(std::vector<double>{1, 2}, std::vector<int>{0, 1}, std::vector<uint64_t>{7}),
               std::invalid_argument);
}

}  // namespace
}  // namespace rapture
