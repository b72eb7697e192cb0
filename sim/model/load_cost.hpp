#pragma once
/// Load-dependent service time: a service's CPU demand multiplied by a function of its own load
/// at the moment a visit starts. It stands for work that gets more expensive as load rises —
/// garbage-collection pauses, memory pressure and swapping, lock contention, connection churn —
/// the sustaining effects of metastable failures that are not retries (Bronson et al.,
/// "Metastable Failures in Distributed Systems", HotOS'21; Huang et al., "Metastable Failures in
/// the Wild", OSDI'22). A replica's load is its own: GC, memory and locks belong to one process.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace rapture {

/// The multiplier's upper bound when the scenario gives none: a runaway exponential stops at
/// 100 times the demand instead of producing infinite or NaN service times.
inline constexpr double kDefaultLoadCostCap = 100;
/// The largest cap a scenario may ask for.
inline constexpr double kMaxLoadCostCap = 1e6;
/// The most coefficients a polynomial may have (degree 8): enough for any fitted curve.
inline constexpr size_t kMaxLoadCostTerms = 9;
/// The most points of a table.
inline constexpr size_t kMaxLoadCostPoints = 10'000;

struct LoadCost {
  /// What the function reads, on the visit's replica when it takes its worker.
  enum class Variable : uint8_t {
    Utilisation,  ///< busy workers / workers, the starting visit included (in (0, 1]; above 1 after a worker_shrink)
    InFlight,     ///< visits in service or waiting, the starting visit included
    Queue         ///< visits still waiting (the starting visit has left the queue)
  };
  enum class Shape : uint8_t {
    None,         ///< no load cost: the demand as sampled
    Linear,       ///< 1 + slope·x
    Polynomial,   ///< c0 + c1·x + c2·x² + ...
    Exponential,  ///< e^(k·x)
    Table         ///< piecewise linear through (x, multiplier) points, flat beyond the first and last
  };
  Variable of = Variable::Utilisation;
  Shape shape = Shape::None;
  std::vector<double> coefficients;               ///< Linear: {slope}; Polynomial: c0, c1, ...; Exponential: {k}
  std::vector<std::pair<double, double>> points;  ///< Table: (x, multiplier), x strictly increasing
  double cap = kDefaultLoadCostCap;               ///< the multiplier never exceeds this

  /// True when a shape is set (the flow's one branch per visit when it is not).
  [[nodiscard]] bool active() const { return shape != Shape::None; }
  /// The multiplier at load `x` (>= 0), in (0, cap]; a value that overflows or is NaN gives cap.
  [[nodiscard]] double multiplier(double x) const;
  /// Throws std::invalid_argument naming what is wrong: a negative, NaN or infinite coefficient,
  /// a polynomial worth 0 at no load, an empty, unsorted or non-positive table, a cap below 1.
  void validate() const;
};

}  // namespace rapture
