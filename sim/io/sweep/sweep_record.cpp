#include "io/sweep/sweep_record.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "analysis/design_comparison.hpp"
#include "io/hdf5_support.hpp"

namespace rapture {

namespace {

using hdf5::Hid;

/// Attaches `scales[d]` to dimension d of `dset`, labelled with its name.
void attach_all(const hdf5::Check& check, const Hid& dset, const std::vector<const Hid*>& scales,
                const std::vector<std::string>& names) {
  for (unsigned d = 0; d < scales.size(); ++d) {
    check.status(H5DSattach_scale(dset.get(), scales[d]->get(), d), "attaching scale '" + names[d] + "'");
    check.status(H5DSset_label(dset.get(), d, names[d].c_str()), "labelling dimension '" + names[d] + "'");
  }
}

/// A factor's values as a 1-D dataset: numbers when every value is one, else the words.
Hid factor_dataset(const hdf5::Check& check, hid_t group, const SweepFactor& f) {
  bool numeric = !f.is_design();
  for (double c : f.coordinates) numeric = numeric && std::isfinite(c);
  const std::vector<hsize_t> dims{f.values.size()};
  Hid dset = numeric ? hdf5::fixed_dataset<double>(check, group, f.name, dims, f.coordinates.data())
                     : hdf5::string_dataset(check, group, f.name, f.values);
  hdf5::attr_string(check, dset.get(), "path", f.is_design() ? std::string("--design") : f.path);
  hdf5::attr_strings(check, dset.get(), "values", f.values);
  return dset;
}

}  // namespace

void write_sweep_record(const std::string& path, const SweepStore& store, const SweepValues& values) {
  const SweepSpec& spec = store.spec();
  const SweepPlan& plan = store.plan();
  const size_t metrics = values.metrics.size();
  const size_t replications = static_cast<size_t>(spec.replications);
  const size_t cells = spec.grid_points();

  std::lock_guard lock(hdf5::library_mutex());
  const hdf5::Check check(path);
  auto [file, group] = hdf5::open_record(check, path, "sweep");
  hdf5::attr_string(check, group.get(), "sweep", spec.name);
  hdf5::attr_string(check, group.get(), "sweep_file", spec.file);
  hdf5::attr_string(check, group.get(), "scenario", spec.scenario);
  hdf5::attr_string(check, group.get(), "reference", spec.reference);
  hdf5::attr_strings(check, group.get(), "metrics", values.metrics);

  // Scales: one per axis (its first factor), then replication; the other factors of a zipped
  // axis are datasets along the same dimension.
  std::vector<Hid> axis_scales;
  std::vector<std::string> names;
  std::vector<hsize_t> dims;
  for (const auto& axis : spec.axes) {
    for (size_t k = 0; k < axis.factors.size(); ++k) {
      Hid dset = factor_dataset(check, group.get(), spec.factors[axis.factors[k]]);
      if (k == 0) {
        hdf5::make_scale(check, dset, axis.name);
        axis_scales.push_back(std::move(dset));
      } else {
        attach_all(check, dset, {&axis_scales.back()}, {axis.name});
      }
    }
    names.push_back(axis.name);
    dims.push_back(axis.size);
  }
  std::vector<int64_t> replication(replications);
  std::vector<uint64_t> seeds(replications, 0);
  for (size_t r = 0; r < replications; ++r) replication[r] = static_cast<int64_t>(r);
  for (const auto& run : plan.runs) seeds[run.replication] = run.seed;
  const std::vector<hsize_t> rdims{replications};
  Hid replication_scale = hdf5::fixed_dataset<int64_t>(check, group.get(), "replication", rdims, replication.data());
  hdf5::make_scale(check, replication_scale, "replication");
  Hid seed_set = hdf5::fixed_dataset<uint64_t>(check, group.get(), "seed", rdims, seeds.data());
  attach_all(check, seed_set, {&replication_scale}, {"replication"});

  std::vector<const Hid*> point_scales;
  for (const auto& s : axis_scales) point_scales.push_back(&s);
  std::vector<const Hid*> run_scales = point_scales;
  run_scales.push_back(&replication_scale);
  std::vector<std::string> run_names = names;
  run_names.push_back("replication");
  std::vector<hsize_t> run_dims = dims;
  run_dims.push_back(replications);

  // Where each run goes in the [cells][replications] arrays.
  std::vector<int64_t> merged(cells * replications, -1);
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    const auto& run = plan.runs[i];
    merged[plan.points[run.point].cell * replications + run.replication] = values.merged[i];
  }
  Hid run_set = hdf5::fixed_dataset<int64_t>(check, group.get(), "run", run_dims, merged.data());
  hdf5::attr_string(check, run_set.get(), "description",
                    "the run's group /runs/<i>; -1: not run (constraint) or missing");
  attach_all(check, run_set, run_scales, run_names);

  // Paired differences pair a cell with the cell of the reference design at the same other values.
  const auto design = spec.design_factor();
  size_t design_axis = 0, design_stride = 1, reference_index = 0;
  if (!spec.reference.empty() && design) {
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      if (spec.axes[a].factors[0] == *design) design_axis = a;
    }
    for (size_t a = design_axis + 1; a < spec.axes.size(); ++a) design_stride *= spec.axes[a].size;
    const auto& designs = spec.factors[*design].values;
    reference_index = static_cast<size_t>(std::find(designs.begin(), designs.end(), spec.reference) - designs.begin());
  }

  std::vector<double> column(cells * replications), mean(cells), half(cells), diff_mean(cells), diff_half(cells);
  for (size_t m = 0; m < metrics; ++m) {
    std::fill(column.begin(), column.end(), NAN);
    for (size_t i = 0; i < plan.runs.size(); ++i) {
      const auto& run = plan.runs[i];
      column[plan.points[run.point].cell * replications + run.replication] = values.values[i * metrics + m];
    }
    const std::string& name = values.metrics[m];
    Hid all = hdf5::fixed_dataset<double>(check, group.get(), name, run_dims, column.data());
    attach_all(check, all, run_scales, run_names);
    std::vector<double> sample(replications), pair(replications);
    for (size_t c = 0; c < cells; ++c) {
      sample.assign(column.begin() + static_cast<ptrdiff_t>(c * replications),
                    column.begin() + static_cast<ptrdiff_t>((c + 1) * replications));
      const Estimate e = estimate(sample);
      mean[c] = e.mean;
      half[c] = e.half_width;
      if (!spec.reference.empty() && design) {
        const size_t own = (c / design_stride) % spec.axes[design_axis].size;
        const size_t ref = c - own * design_stride + reference_index * design_stride;
        for (size_t r = 0; r < replications; ++r)
          pair[r] = column[c * replications + r] - column[ref * replications + r];
        const Estimate d = estimate(pair);
        diff_mean[c] = d.mean;
        diff_half[c] = d.half_width;
      }
    }
    Hid mean_set = hdf5::fixed_dataset<double>(check, group.get(), name + "_mean", dims, mean.data());
    attach_all(check, mean_set, point_scales, names);
    Hid half_set = hdf5::fixed_dataset<double>(check, group.get(), name + "_ci95", dims, half.data());
    hdf5::attr_string(check, half_set.get(), "description", "half-width of the 95 % Student-t interval of the mean");
    attach_all(check, half_set, point_scales, names);
    if (!spec.reference.empty() && design) {
      Hid d = hdf5::fixed_dataset<double>(check, group.get(), name + "_diff_mean", dims, diff_mean.data());
      hdf5::attr_string(check, d.get(), "description", "mean paired difference from the reference design");
      attach_all(check, d, point_scales, names);
      Hid h = hdf5::fixed_dataset<double>(check, group.get(), name + "_diff_ci95", dims, diff_half.data());
      attach_all(check, h, point_scales, names);
    }
  }
  group.reset();
  check.status(file.close(), "closing it");
}

}  // namespace rapture
