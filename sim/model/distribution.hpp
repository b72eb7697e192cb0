#pragma once
/// A probability distribution of a non-negative duration (service time, think time, latency).
/// Written by users as `const(5ms)`, `exp(5ms)`, `lognormal(20ms, 0.6)`, `gamma(10ms, 2)`,
/// `erlang(3, 9ms)`, `uniform(1ms, 3ms)` or `empirical(file.csv)`; see `parse`.

#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/random_stream.hpp"

namespace rapture {

class Distribution {
 public:
  enum class Kind { Constant, Exponential, Lognormal, Gamma, Uniform, Empirical };

  /// A point mass at `value` seconds.
  static Distribution constant(double value);
  /// Exponential with the given mean.
  static Distribution exponential(double mean);
  /// Log-normal with the given mean and sigma (standard deviation of the underlying normal).
  static Distribution lognormal(double mean, double sigma);
  /// Gamma with the given mean and shape k (Erlang-k when k is whole).
  static Distribution gamma(double mean, double shape);
  /// Uniform on [low, high].
  static Distribution uniform(double low, double high);
  /// Resamples the given values (seconds) with equal weight.
  static Distribution empirical(std::vector<double> samples);

  /// Parses the textual form; `base_dir` resolves the file of `empirical(...)`.
  /// Throws std::invalid_argument with a message saying what was expected.
  static Distribution parse(std::string_view text, const std::string& base_dir = ".");

  /// One draw, in seconds.
  double sample(RandomStream& rng) const {
    switch (kind_) {
      case Kind::Constant: return a_;
      case Kind::Exponential: return -a_ * std::log1p(-rng.uniform());
      case Kind::Lognormal: return std::exp(a_ + b_ * rng.normal());
      case Kind::Gamma: return rng.gamma(a_) * b_;
      case Kind::Uniform: return a_ + (b_ - a_) * rng.uniform();
      case Kind::Empirical: return (*samples_)[rng.below(static_cast<uint32_t>(samples_->size()))];
    }
    return 0;
  }

  /// The mean, in seconds.
  [[nodiscard]] double mean() const { return mean_; }
  /// The squared coefficient of variation (variance / mean^2).
  [[nodiscard]] double scv() const { return scv_; }
  [[nodiscard]] Kind kind() const { return kind_; }
  /// The canonical textual form, as `parse` accepts it (empirical ones print their sample count).
  [[nodiscard]] std::string to_string() const;
  /// The same distribution with every value multiplied by `factor`.
  [[nodiscard]] Distribution scaled(double factor) const;

 private:
  Kind kind_ = Kind::Constant;
  double a_ = 0, b_ = 0;  // parameters in the form `sample` uses
  double mean_ = 0, scv_ = 0;
  std::shared_ptr<const std::vector<double>> samples_;
};

}  // namespace rapture
