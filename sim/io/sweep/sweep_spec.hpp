#pragma once
/// A parameter sweep as its file declares it (docs/sweep-format.md): a base scenario, the factors
/// varied over it (scenario paths, a fault's field, the design), how they combine (a grid whose
/// zipped factors step together, a constraint that drops combinations) and the replications of
/// every point. Replication r of every point runs with the same seed, so points and designs are
/// paired (common random numbers), as in `rapture compare`.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace rapture {

/// One factor: a scenario path set to each of its values in turn, or the design run.
struct SweepFactor {
  std::string name;                 ///< the axis label, an identifier unique in the sweep
  std::string path;                 ///< the `--set` path; empty for the design factor
  std::vector<std::string> values;  ///< as given to `--set` (design names for the design factor)
  std::vector<double> coordinates;  ///< each value as a number, its unit dropped; NaN when not a number
  SourceLocation where;             ///< the factor's entry in the sweep file

  /// Whether the factor chooses the design (`--design`) rather than setting a path.
  [[nodiscard]] bool is_design() const { return path.empty(); }
};

/// One dimension of the sweep: a factor, or zipped factors stepping together.
struct SweepAxis {
  std::string name;             ///< its first factor's name
  std::vector<size_t> factors;  ///< indices into SweepSpec::factors, in the file's order
  size_t size = 0;              ///< values along it (every factor of the axis has this many)
};

/// The sweep file, read and checked on its own (the scenario is checked when the plan is made).
struct SweepSpec {
  std::string file;               ///< the sweep file as given
  std::string text;               ///< its text as read (what a store keeps as sweep.yaml)
  std::string name;               ///< `name:`, else the file's stem
  std::string scenario;           ///< the base scenario, resolved against the sweep file's directory
  std::vector<std::string> sets;  ///< `set:` overrides applied to every run
  std::vector<SweepFactor> factors;
  std::vector<SweepAxis> axes;       ///< the grid's dimensions, in the order of the first factor of each
  std::string constraint;            ///< kept combinations; empty keeps all
  SourceLocation constraint_where;   ///< the `constraint:` line
  int64_t replications = 1;          ///< runs of every point, seeds seed .. seed + R - 1
  std::optional<uint64_t> seed;      ///< the first seed; default the scenario's
  std::string reference;             ///< the design paired differences are taken from; empty: none
  SourceLocation reference_where;    ///< the `reference:` line
  std::vector<std::string> metrics;  ///< run-metric names to tabulate; empty: all
  SourceLocation metrics_where;      ///< the `metrics:` line

  /// Index of the design factor, if the sweep has one.
  [[nodiscard]] std::optional<size_t> design_factor() const;
  /// Points of the full grid (before the constraint).
  [[nodiscard]] size_t grid_points() const;
};

/// The sweep file that declares `spec` (its factors by path, values listed): what `compare` and
/// `premortem` write for the sweep they run, so that their store reads like any other.
std::string sweep_file_text(const SweepSpec& spec);

/// Reads a sweep file. Throws InputError naming the file and line of whatever is wrong.
SweepSpec read_sweep_file(const std::string& path);

/// Reads a sweep from `text`; paths resolve against `base_dir`.
SweepSpec parse_sweep(const std::string& text, const std::string& file_name, const std::string& base_dir);

}  // namespace rapture
