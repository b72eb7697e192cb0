#include "model/distribution.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "common/error.hpp"
#include "common/input_file.hpp"
#include "common/limits.hpp"
#include "common/text.hpp"
#include "common/units.hpp"

namespace rapture {

namespace {
void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

/// The forms `parse` reads, by the name written before the parenthesis.
enum class Form { Const, Exp, Lognormal, Gamma, Erlang, Uniform, Empirical };

// Later names of a form are aliases, accepted but left out of the error message.
const text::KeywordTable<Form> kForms{
    {"const", Form::Const},   {"exp", Form::Exp},         {"lognormal", Form::Lognormal}, {"gamma", Form::Gamma},
    {"erlang", Form::Erlang}, {"uniform", Form::Uniform}, {"empirical", Form::Empirical}, {"constant", Form::Const},
    {"det", Form::Const},     {"exponential", Form::Exp}};

/// The durations of an empirical(FILE) file, one a line; blank lines and `#` comments skipped.
std::vector<double> read_samples(const std::string& path) {
  std::string content;
  try {
    content = read_input_file(path, "samples file of empirical(...)", limits::kSampleFileBytes);
  } catch (const InputError& e) {
    // As every error of a distribution: the caller adds where the distribution was written.
    throw std::invalid_argument(e.what());
  }
  std::vector<double> values;
  std::istringstream in(content);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const auto t = text::trim(line);
    if (t.empty() || t.front() == '#') continue;
    try {
      values.push_back(units::parse_duration(t));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(path + ":" + std::to_string(line_no) + ": " + e.what());
    }
    require(values.size() <= 10'000'000, path + ": more than 10^7 samples");
  }
  return values;
}

std::string fmt_number(double v) {
  std::ostringstream out;
  out.precision(12);
  out << v;
  return out.str();
}
std::string fmt_seconds(double s) { return fmt_number(s) + "s"; }
}  // namespace

Distribution Distribution::constant(double value) {
  require(value >= 0 && std::isfinite(value), "a constant duration must be finite and >= 0");
  Distribution d;
  d.kind_ = Kind::Constant;
  d.a_ = d.mean_ = value;
  return d;
}

Distribution Distribution::exponential(double mean) {
  require(mean > 0 && std::isfinite(mean), "the mean of exp(...) must be > 0");
  Distribution d;
  d.kind_ = Kind::Exponential;
  d.a_ = d.mean_ = mean;
  d.scv_ = 1;
  return d;
}

Distribution Distribution::lognormal(double mean, double sigma) {
  require(mean > 0 && std::isfinite(mean), "the mean of lognormal(...) must be > 0");
  require(sigma >= 0 && sigma <= 10, "the sigma of lognormal(...) must be in [0, 10]");
  Distribution d;
  d.kind_ = Kind::Lognormal;
  d.b_ = sigma;
  d.a_ = std::log(mean) - 0.5 * sigma * sigma;  // mu such that E[X] = mean
  d.mean_ = mean;
  d.scv_ = std::expm1(sigma * sigma);
  return d;
}

Distribution Distribution::gamma(double mean, double shape) {
  require(mean > 0 && std::isfinite(mean), "the mean of gamma(...) must be > 0");
  require(shape > 0 && shape <= 1e6, "the shape of gamma(...) must be in (0, 1e6]");
  Distribution d;
  d.kind_ = Kind::Gamma;
  d.a_ = shape;
  d.b_ = mean / shape;
  d.mean_ = mean;
  d.scv_ = 1.0 / shape;
  return d;
}

Distribution Distribution::uniform(double low, double high) {
  require(low >= 0 && high >= low && std::isfinite(high), "uniform(low, high) needs 0 <= low <= high");
  Distribution d;
  d.kind_ = Kind::Uniform;
  d.a_ = low;
  d.b_ = high;
  d.mean_ = 0.5 * (low + high);
  d.scv_ = d.mean_ > 0 ? (high - low) * (high - low) / 12.0 / (d.mean_ * d.mean_) : 0;
  return d;
}

Distribution Distribution::empirical(std::vector<double> samples) {
  require(!samples.empty(), "an empirical distribution needs at least one value");
  double sum = 0, sum2 = 0;
  for (double v : samples) {
    require(v >= 0 && std::isfinite(v), "empirical values must be finite and >= 0");
    sum += v;
    sum2 += v * v;
  }
  Distribution d;
  d.kind_ = Kind::Empirical;
  const auto n = static_cast<double>(samples.size());
  d.mean_ = sum / n;
  d.scv_ = d.mean_ > 0 ? std::max(0.0, (sum2 / n - d.mean_ * d.mean_) / (d.mean_ * d.mean_)) : 0;
  d.samples_ = std::make_shared<const std::vector<double>>(std::move(samples));
  return d;
}

Distribution Distribution::parse(std::string_view written, const std::string& base_dir) {
  const std::string_view whole = text::trim(written);
  const auto open = whole.find('(');
  if (open == std::string_view::npos) {
    // A bare duration is a constant.
    return constant(units::parse_duration(whole));
  }
  require(whole.back() == ')', "expected a distribution such as exp(5ms), got '" + std::string(whole) + "'");
  const std::string_view name = text::trim(whole.substr(0, open));
  const std::string_view inside = whole.substr(open + 1, whole.size() - open - 2);
  std::vector<std::string_view> args;
  size_t start = 0;
  for (size_t i = 0; i <= inside.size(); ++i) {
    if (i == inside.size() || inside[i] == ',') {
      args.push_back(text::trim(inside.substr(start, i - start)));
      start = i + 1;
    }
  }
  auto need = [&](size_t n, const char* form) {
    require(args.size() == n, "expected " + std::string(form) + ", got '" + std::string(whole) + "'");
  };
  const auto form = kForms.find(name);
  if (!form) {
    throw std::invalid_argument("unknown distribution '" + std::string(name) + "' (expected " +
                                text::one_of(text::primary_names(kForms)) + ")");
  }
  switch (*form) {
    case Form::Const: need(1, "const(DURATION)"); return constant(units::parse_duration(args[0]));
    case Form::Exp: need(1, "exp(MEAN)"); return exponential(units::parse_duration(args[0]));
    case Form::Lognormal:
      need(2, "lognormal(MEAN, SIGMA)");
      return lognormal(units::parse_duration(args[0]), units::parse_number(args[1]));
    case Form::Gamma:
      need(2, "gamma(MEAN, SHAPE)");
      return gamma(units::parse_duration(args[0]), units::parse_number(args[1]));
    case Form::Erlang: {
      need(2, "erlang(K, MEAN)");
      const auto k = units::parse_count(args[0]);
      require(k >= 1, "erlang(K, MEAN) needs K >= 1");
      return gamma(units::parse_duration(args[1]), static_cast<double>(k));
    }
    case Form::Uniform:
      need(2, "uniform(LOW, HIGH)");
      return uniform(units::parse_duration(args[0]), units::parse_duration(args[1]));
    case Form::Empirical: break;
  }
  need(1, "empirical(FILE)");
  std::string path(args[0]);
  if (!path.empty() && path.front() != '/') path = base_dir + "/" + path;
  return empirical(read_samples(path));
}

std::string Distribution::to_string() const {
  switch (kind_) {
    case Kind::Constant: return "const(" + fmt_seconds(a_) + ")";
    case Kind::Exponential: return "exp(" + fmt_seconds(a_) + ")";
    case Kind::Lognormal: return "lognormal(" + fmt_seconds(mean_) + ", " + fmt_number(b_) + ")";
    case Kind::Gamma: return "gamma(" + fmt_seconds(mean_) + ", " + fmt_number(a_) + ")";
    case Kind::Uniform: return "uniform(" + fmt_seconds(a_) + ", " + fmt_seconds(b_) + ")";
    case Kind::Empirical: return "empirical(" + std::to_string(samples_->size()) + " values)";
  }
  return "?";
}

Distribution Distribution::scaled(double factor) const {
  require(factor > 0 && std::isfinite(factor), "a scale factor must be finite and > 0");
  Distribution d = *this;
  d.mean_ *= factor;
  switch (kind_) {
    case Kind::Constant:
    case Kind::Exponential: d.a_ *= factor; break;
    case Kind::Lognormal: d.a_ += std::log(factor); break;
    case Kind::Gamma: d.b_ *= factor; break;
    case Kind::Uniform:
      d.a_ *= factor;
      d.b_ *= factor;
      break;
    case Kind::Empirical: {
      auto v = *samples_;
      for (auto& x : v) x *= factor;
      d.samples_ = std::make_shared<const std::vector<double>>(std::move(v));
      break;
    }
  }
  return d;
}

}  // namespace rapture
