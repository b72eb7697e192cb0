#include "io/comparison_record.hpp"

#include <array>
#include <cstddef>
#include <mutex>
#include <stdexcept>

#include "io/hdf5_support.hpp"

namespace rapture {

namespace {

using hdf5::Check;
using hdf5::Hid;

/// The unit of a metric as stored, so that a reader knows a ratio from a rate without rapture.
const char* unit_name(ComparedMetric::Unit unit) {
  switch (unit) {
    case ComparedMetric::Unit::Ratio: return "ratio";
    case ComparedMetric::Unit::PerSecond: return "per_second";
    case ComparedMetric::Unit::Seconds: return "seconds";
    case ComparedMetric::Unit::Count: return "count";
    case ComparedMetric::Unit::Plain: break;
  }
  return "plain";
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("comparison record: " + what);
}

template <class Nested>
void require_rows(const Nested& rows, size_t count, size_t columns, const std::string& what) {
  require(rows.size() == count,
          what + " has " + std::to_string(rows.size()) + " rows, expected " + std::to_string(count));
  for (const auto& row : rows) {
    require(row.size() == columns,
            what + " has a row of " + std::to_string(row.size()) + ", expected " + std::to_string(columns));
  }
}

/// Every part of the record agrees on the designs (D), replications (R) and metrics (M), so
/// that the datasets written are [D][R][M], [D][M] and [D][R] without a gap.
void check_fits(const ComparisonRecord& r) {
  const size_t designs = r.designs.size(), replications = r.seeds.size(), metrics = r.input.metrics.size();
  require(r.input.designs.size() == designs,
          "input names " + std::to_string(r.input.designs.size()) + " designs, the record " + std::to_string(designs));
  require(r.design_descriptions.size() == designs, "design_descriptions does not have one entry per design");
  require(r.design_dot.size() == designs, "design_dot does not have one entry per design");
  require_rows(r.input.values, designs, replications, "values");
  for (const auto& design : r.input.values) require_rows(design, replications, metrics, "values of a design");
  require_rows(r.runs, designs, replications, "runs");
  require_rows(r.comparison.estimates, designs, metrics, "estimates");
  require_rows(r.comparison.differences, designs, metrics, "differences");
  require_rows(r.comparison.verdict, designs, metrics, "verdict");
}

/// The two axes of a 2-D dataset, with their labels.
struct Axes {
  const Hid& rows;
  const char* row_label;
  const Hid& columns;
  const char* column_label;
};

/// A [rows][columns] dataset of at(row, column), attached to its two axes.
template <class T, class At>
void grid(const Check& check, hid_t group, const char* name, const Axes& axes, size_t rows, size_t columns, At at) {
  std::vector<T> data;
  data.reserve(rows * columns);
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < columns; ++j) data.push_back(static_cast<T>(at(i, j)));
  }
  const std::array<hsize_t, 2> dims{rows, columns};
  const Hid dset = hdf5::fixed_dataset<T>(check, group, name, dims, data.data());
  hdf5::attach(check, dset, {{&axes.rows, axes.row_label}, {&axes.columns, axes.column_label}});
}

/// The 1-D dataset of one value per entry of an axis, attached to it.
template <class T>
void along(const Check& check, hid_t group, const char* name, const std::vector<T>& data, const Hid& axis,
           const char* label) {
  const std::array<hsize_t, 1> dims{data.size()};
  const Hid dset = hdf5::fixed_dataset<T>(check, group, name, dims, data.data());
  hdf5::attach(check, dset, {{&axis, label}});
}

void strings_along(const Check& check, hid_t group, const char* name, const std::vector<std::string>& data,
                   const Hid& axis, const char* label) {
  const Hid dset = hdf5::string_dataset(check, group, name, data);
  hdf5::attach(check, dset, {{&axis, label}});
}

}  // namespace

void write_comparison_record(const std::string& path, const ComparisonRecord& r) {
  check_fits(r);
  const size_t designs = r.designs.size(), replications = r.seeds.size(), metrics = r.input.metrics.size();
  const std::lock_guard lock(hdf5::library_mutex());
  const Check check(path);
  auto [file, group] = hdf5::open_record(check, path, "compare");
  const hid_t g = group.get();

  hdf5::attr_string(check, g, "scenario", r.scenario);
  hdf5::attr_string(check, g, "verdict", r.verdict);
  hdf5::attr_scalar<uint64_t>(check, g, "replications", replications);
  hdf5::attr_scalar<double>(check, g, "confidence", 0.95);

  // The three axes, as dimension scales: readers get labelled dimensions (h5py's dset.dims).
  const Hid design_axis = hdf5::string_dataset(check, g, "designs", r.designs);
  hdf5::make_scale(check, design_axis, "design");
  const std::array<hsize_t, 1> seed_dims{replications};
  const Hid replication_axis = hdf5::fixed_dataset<uint64_t>(check, g, "seeds", seed_dims, r.seeds.data());
  hdf5::make_scale(check, replication_axis, "replication");
  std::vector<std::string> names, labels, units;
  std::vector<int32_t> better;
  for (const ComparedMetric& metric : r.input.metrics) {
    names.push_back(metric.name);
    labels.push_back(metric.label);
    units.push_back(unit_name(metric.unit));
    better.push_back(metric.better);
  }
  const Hid metric_axis = hdf5::string_dataset(check, g, "metrics", names);
  hdf5::make_scale(check, metric_axis, "metric");

  strings_along(check, g, "descriptions", r.design_descriptions, design_axis, "design");
  strings_along(check, g, "dot", r.design_dot, design_axis, "design");
  strings_along(check, g, "labels", labels, metric_axis, "metric");
  strings_along(check, g, "units", units, metric_axis, "metric");
  along<int32_t>(check, g, "better", better, metric_axis, "metric");

  std::vector<double> values;
  values.reserve(designs * replications * metrics);
  for (const auto& design : r.input.values) {
    for (const auto& replication : design) values.insert(values.end(), replication.begin(), replication.end());
  }
  const std::array<hsize_t, 3> value_dims{designs, replications, metrics};
  const Hid value_set = hdf5::fixed_dataset<double>(check, g, "values", value_dims, values.data());
  hdf5::attach(check, value_set,
               {{&design_axis, "design"}, {&replication_axis, "replication"}, {&metric_axis, "metric"}});
  grid<int32_t>(check, g, "runs", {design_axis, "design", replication_axis, "replication"}, designs, replications,
                [&](size_t d, size_t i) { return r.runs[d][i]; });

  const Axes by_metric{design_axis, "design", metric_axis, "metric"};
  const auto& own = r.comparison.estimates;
  const auto& paired = r.comparison.differences;
  grid<double>(check, g, "mean", by_metric, designs, metrics, [&](size_t d, size_t m) { return own[d][m].mean; });
  grid<double>(check, g, "half_width", by_metric, designs, metrics,
               [&](size_t d, size_t m) { return own[d][m].half_width; });
  grid<uint64_t>(check, g, "n", by_metric, designs, metrics, [&](size_t d, size_t m) { return own[d][m].n; });
  grid<double>(check, g, "difference", by_metric, designs, metrics,
               [&](size_t d, size_t m) { return paired[d][m].mean; });
  grid<double>(check, g, "difference_half_width", by_metric, designs, metrics,
               [&](size_t d, size_t m) { return paired[d][m].half_width; });
  grid<uint64_t>(check, g, "difference_n", by_metric, designs, metrics,
                 [&](size_t d, size_t m) { return paired[d][m].n; });
  grid<int8_t>(check, g, "verdict", by_metric, designs, metrics,
               [&](size_t d, size_t m) { return r.comparison.verdict[d][m]; });

  // Closing the file is where the data reaches the disk; its failure is the record's.
  check.status(group.close(), "closing group 'compare'");
  check.status(file.close(), "closing it");
}

}  // namespace rapture
