#pragma once
/// The `/sweep` group of a merged sweep (docs/results-format.md): every metric as an array over
/// the factor axes and `replication`, each axis a dimension scale named after its factor, so that
/// `xarray.open_dataset(f, engine="h5netcdf", group="sweep")` reads a labelled Dataset; the mean
/// and 95 % interval over replications; with a reference design, the paired differences.

#include <cstdint>
#include <string>
#include <vector>

#include "io/sweep/sweep_store.hpp"

namespace rapture {

/// What the merge measured: one row of metrics per run of the store's plan.
struct SweepValues {
  std::vector<std::string> metrics;  ///< run-metric names, the columns
  std::vector<double> values;        ///< [run * metrics.size() + m], NaN when not measured
  std::vector<int64_t> merged;       ///< [run]: its group /runs/<i> in the merged file; -1 when left out
};

/// Writes `/sweep` into the results file `path` (already holding the merged runs).
/// Throws OutputError naming the file.
void write_sweep_record(const std::string& path, const SweepStore& store, const SweepValues& values);

}  // namespace rapture
