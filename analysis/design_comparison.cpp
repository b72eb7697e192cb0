#include "analysis/design_comparison.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <stdexcept>
#include <string_view>

namespace rapture {

double student_t_975(size_t df) {
  if (df == 0) throw std::invalid_argument("Student t quantile needs at least 1 degree of freedom");
  return boost::math::quantile(boost::math::students_t_distribution<double>(static_cast<double>(df)), 0.975);
}

Estimate estimate(const std::vector<double>& values) {
  Estimate e;
  double sum = 0, low = INFINITY, high = -INFINITY;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    ++e.n;
    sum += v;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  if (e.n == 0) return e;
  // Equal values get exactly that mean and no spread: summing and dividing would leave a rounding
  // residue, a "spread" that could make a constant difference look uncertain.
  if (low == high) {
    e.mean = low;
    if (e.n >= 2) e.half_width = 0;
    return e;
  }
  e.mean = sum / static_cast<double>(e.n);
  if (e.n < 2) return e;
  double squares = 0;
  for (double v : values) {
    if (std::isfinite(v)) squares += (v - e.mean) * (v - e.mean);
  }
  const double sd = std::sqrt(squares / static_cast<double>(e.n - 1));
  e.half_width = student_t_975(e.n - 1) * sd / std::sqrt(static_cast<double>(e.n));
  return e;
}

namespace {

/// +1 when the interval lies above 0, -1 below, 0 when it contains 0 or there is no interval.
int sign_of(const Estimate& difference) {
  if (difference.n < 2 || !std::isfinite(difference.half_width)) return 0;
  if (difference.mean - difference.half_width > 0) return 1;
  if (difference.mean + difference.half_width < 0) return -1;
  return 0;
}

void check_shape(const ComparisonInput& input) {
  const size_t designs = input.designs.size(), metrics = input.metrics.size();
  if (input.values.size() != designs) {
    throw std::invalid_argument(
        fmt::format("comparison has {} designs but values for {}", designs, input.values.size()));
  }
  for (size_t d = 0; d < designs; ++d) {
    if (input.values[d].size() != input.values[0].size()) {
      throw std::invalid_argument(fmt::format("design '{}' has {} replications, the reference '{}' {}",
                                              input.designs[d], input.values[d].size(), input.designs[0],
                                              input.values[0].size()));
    }
    for (const auto& replication : input.values[d]) {
      if (replication.size() != metrics) {
        throw std::invalid_argument(fmt::format("design '{}' has a replication with {} values for {} metrics",
                                                input.designs[d], replication.size(), metrics));
      }
    }
  }
}

}  // namespace

DesignComparison compare_designs(const ComparisonInput& input) {
  check_shape(input);
  const size_t designs = input.designs.size(), metrics = input.metrics.size();
  const size_t replications = designs == 0 ? 0 : input.values[0].size();
  DesignComparison out;
  out.estimates.assign(designs, std::vector<Estimate>(metrics));
  out.differences.assign(designs, std::vector<Estimate>(metrics));
  out.verdict.assign(designs, std::vector<int>(metrics, 0));
  std::vector<double> own(replications), paired(replications);
  for (size_t d = 0; d < designs; ++d) {
    for (size_t m = 0; m < metrics; ++m) {
      for (size_t r = 0; r < replications; ++r) {
        own[r] = input.values[d][r][m];
        // A pair needs both runs measured; NaN in either drops the pair, not just one side.
        const double reference = input.values[0][r][m];
        paired[r] = std::isfinite(own[r]) && std::isfinite(reference) ? own[r] - reference : NAN;
      }
      out.estimates[d][m] = estimate(own);
      out.differences[d][m] = estimate(paired);
      const int direction = sign_of(out.differences[d][m]);
      out.verdict[d][m] = input.metrics[m].better < 0 ? -direction : direction;
    }
  }
  return out;
}

// ---- the table ----------------------------------------------------------------------------------

namespace {

using Unit = ComparedMetric::Unit;

/// How a unit's values print: multiplied by `factor`, followed by `suffix`.
struct Scale {
  double factor;
  const char* suffix;
};

/// `magnitude` (the largest of |mean| and the half width, in the unit's own terms) picks ms or s;
/// a difference of ratios is in percentage points, not a relative change.
Scale scale_of(Unit unit, double magnitude, bool difference) {
  switch (unit) {
    case Unit::Ratio: return {100, difference ? " pp" : " %"};
    case Unit::PerSecond: return {1, "/s"};
    case Unit::Seconds: return magnitude < 1 ? Scale{1000, " ms"} : Scale{1, " s"};
    case Unit::Count:
    case Unit::Plain: break;
  }
  return {1, ""};
}

/// Decimals that show the half width to one significant digit (two when it starts with 1 or 2,
/// where rounding to one would change it by up to a quarter), and the mean to the same place;
/// without a usable half width, three significant digits of the mean. A half width far below
/// the mean (rounding residue) shows no more than two digits past those three.
int decimals_for(double mean, double half_width) {
  const auto place = [](double x) { return static_cast<int>(std::floor(std::log10(std::fabs(x)))); };
  const int of_mean = mean != 0 && std::isfinite(mean) ? std::clamp(2 - place(mean), 0, 6) : 0;
  if (!(half_width > 0) || !std::isfinite(half_width)) return of_mean;
  const int e = place(half_width);
  const double leading = half_width / std::pow(10.0, e);
  const int of_width = -e + (leading < 2.5 ? 1 : 0);
  return std::clamp(of_width, 0, of_mean + 2);
}

/// A number with `decimals` places; "-0.0" reads as "0.0", and `plus` signs positive values.
std::string number(double value, int decimals, bool plus = false) {
  std::string text = fmt::format("{:.{}f}", value, decimals);
  const bool zero = text.find_first_not_of("-0.") == std::string::npos;
  if (zero && text.front() == '-') text.erase(0, 1);
  if (plus && !zero && text.front() != '-') text.insert(0, "+");
  return text;
}

/// "12.3 ± 0.4 %", "6 ± 0", "830 ms" (one value: no interval), "n/a" (none), with "(n=3)" when fewer than
/// `replications` values were measured.
std::string describe(const Estimate& e, Unit unit, size_t replications, bool difference) {
  if (e.n == 0) return "n/a";
  const bool interval = e.n >= 2 && std::isfinite(e.half_width);
  const Scale scale = scale_of(unit, std::max(std::fabs(e.mean), interval ? e.half_width : 0.0), difference);
  const double mean = e.mean * scale.factor, half_width = interval ? e.half_width * scale.factor : NAN;
  const int decimals = decimals_for(mean, half_width);
  std::string text = number(mean, decimals, difference);
  // Without a spread there is no precision to show: 6, not 6.00; 12 %, not 12.0 %.
  if (!(half_width > 0) && text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
  }
  if (interval) {
    const std::string width = number(half_width, decimals);
    text += " ± " + (width.find_first_not_of("0.") == std::string::npos ? std::string("0") : width);
  }
  text += scale.suffix;
  if (e.n < replications) text += fmt::format(" (n={})", e.n);
  return text;
}

/// What a cell of another design says about its difference from the reference.
std::string marker(const ComparedMetric& metric, const Estimate& difference, int verdict) {
  if (difference.n < 2) return "?";
  if (verdict == 0) return "≈";
  if (metric.better == 0) return verdict > 0 ? "higher" : "lower";
  return verdict > 0 ? "▲ better" : "▼ worse";
}

/// Columns on a terminal: UTF-8 continuation bytes take none (every character used here is one wide).
size_t display_width(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

void pad_to(std::string& line, std::string_view cell, size_t width) {
  line += cell;
  line.append(width - std::min(width, display_width(cell)), ' ');
}

}  // namespace

std::string format_comparison(const ComparisonInput& input, const DesignComparison& comparison) {
  const size_t designs = input.designs.size(), metrics = input.metrics.size();
  if (designs == 0) return "no designs to compare\n";
  const size_t replications = input.values[0].size();

  // Each metric takes two lines: the designs' own estimates, then each other design's paired
  // difference from the reference, which is what the marker judges.
  std::vector<std::vector<std::string>> lines(2 * metrics + 1, std::vector<std::string>(designs + 1));
  lines[0][0] = "";
  for (size_t d = 0; d < designs; ++d) lines[0][d + 1] = input.designs[d];
  bool partial = false, unmeasured = false, too_few_pairs = false, ratio = false;
  for (size_t m = 0; m < metrics; ++m) {
    const ComparedMetric& metric = input.metrics[m];
    ratio = ratio || metric.unit == Unit::Ratio;
    auto& own = lines[1 + 2 * m];
    auto& versus = lines[2 + 2 * m];
    own[0] = metric.label.empty() ? metric.name : metric.label;
    for (size_t d = 0; d < designs; ++d) {
      const Estimate& e = comparison.estimates[d][m];
      partial = partial || (e.n > 0 && e.n < replications);
      unmeasured = unmeasured || e.n == 0;
      own[d + 1] = describe(e, metric.unit, replications, false);
      if (d == 0) continue;
      const Estimate& difference = comparison.differences[d][m];
      too_few_pairs = too_few_pairs || difference.n < 2;
      own[d + 1] += "  " + marker(metric, difference, comparison.verdict[d][m]);
      versus[d + 1] = "Δ " + describe(difference, metric.unit, replications, true);
    }
  }

  std::vector<size_t> widths(designs + 1, 0);
  for (const auto& row : lines) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (designs == 1 && i > 0 && i % 2 == 0) continue;  // no other design, no differences
    std::string line = "  ";
    for (size_t c = 0; c < lines[i].size(); ++c) {
      pad_to(line, lines[i][c], widths[c]);
      line += "   ";
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }

  const std::string& reference = input.designs[0];
  if (replications < 2) {
    out += fmt::format(
        "  only {} replication per design: no confidence interval, so no design can be told apart "
        "from {}\n",
        replications, reference);
  } else {
    out += fmt::format(
        "  ± 95 % Student-t interval over {} replications; replication r of every design ran with "
        "the same seed\n",
        replications);
  }
  if (designs > 1) {
    out += fmt::format("  Δ paired difference from {}, seed by seed, where both runs measured it{}\n", reference,
                       ratio ? " (pp: percentage points)" : "");
    out += "  ▲ better / ▼ worse (higher / lower where neither is better): the interval of Δ excludes 0\n";
    out += fmt::format("  ≈ not distinguishable from {} at 95 %\n", reference);
    if (too_few_pairs) out += "  ? fewer than 2 paired replications: cannot tell\n";
  }
  if (partial) out += fmt::format("  (n=k) measured in only k of the {} replications\n", replications);
  if (unmeasured) out += "  n/a not measurable in any replication\n";
  return out;
}

}  // namespace rapture
