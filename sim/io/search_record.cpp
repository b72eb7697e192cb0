#include "io/search_record.hpp"

#include <array>
#include <mutex>
#include <span>
#include <utility>

#include "io/hdf5_support.hpp"

namespace rapture {

namespace {

using hdf5::Check;
using hdf5::Hid;

/// A 1-D dataset of numbers.
template <typename T>
void values(const Check& check, hid_t group, const char* name, const std::vector<T>& v) {
  const std::array<hsize_t, 1> dims{v.size()};
  hdf5::fixed_dataset<T>(check, group, name, dims, v.data());
}

}  // namespace

void write_premortem_record(const std::string& path, const PremortemRecord& r) {
  const std::lock_guard lock(hdf5::library_mutex());
  const Check check(path);
  const auto [file, group] = hdf5::open_record(check, path, "premortem");
  const hid_t g = group.get();
  hdf5::attr_string(check, g, "scenario", r.scenario);
  hdf5::attr_scalar<double>(check, g, "start", r.start);
  hdf5::attr_scalar<double>(check, g, "duration", r.duration);
  hdf5::string_dataset(check, g, "service", r.services);
  values(check, g, "blast_radius_requests", r.blast_radius_requests);
  values(check, g, "blast_radius_types", r.blast_radius_types);
  values(check, g, "peak_unhealthy_share", r.peak_unhealthy);
  values(check, g, "recovery_time", r.recovery_time);
  values(check, g, "emergent", r.emergent);
  values(check, g, "metastable", r.metastable);
  values(check, g, "rank", r.rank);
}

void write_search_record(const std::string& path, const SearchRecord& r) {
  const std::lock_guard lock(hdf5::library_mutex());
  const Check check(path);
  const auto [file, group] = hdf5::open_record(check, path, "amplify");
  const hid_t g = group.get();
  hdf5::attr_string(check, g, "scenario", r.scenario);
  hdf5::attr_string(check, g, "param", r.param);
  hdf5::attr_string(check, g, "unit", r.unit);
  hdf5::attr_string(check, g, "criterion", r.criterion);
  hdf5::attr_string(check, g, "verdict", r.verdict);
  hdf5::attr_scalar<int32_t>(check, g, "found", r.found ? 1 : 0);
  hdf5::attr_scalar<double>(check, g, "threshold", r.threshold);
  hdf5::attr_scalar<double>(check, g, "uncertainty", r.uncertainty);
  hdf5::attr_scalar<int32_t>(check, g, "first_cascade_run", r.first_cascade);
  hdf5::attr_string(check, g, "mode", r.param2.empty() ? "search" : "map");
  values(check, g, "value", r.values);
  values(check, g, "cascade", r.cascades);
  values(check, g, "measure", r.measure);
  values(check, g, "peak_unhealthy_share", r.peak_unhealthy);
  values(check, g, "emergent", r.emergent);
  values(check, g, "metastable", r.metastable);
  if (!r.param2.empty()) {
    hdf5::attr_string(check, g, "param2", r.param2);
    hdf5::attr_string(check, g, "unit2", r.unit2);
    hdf5::attr_string(check, g, "region_names", "recovered,degraded,metastable");
    values(check, g, "value2", r.values2);
    values(check, g, "region", r.region);
  }
  if (r.replications > 1) {
    hdf5::attr_scalar<int32_t>(check, g, "replications", r.replications);
    values(check, g, "seed", r.seeds);
    // Without a bracket there is no fit: method "none" and NaN, so that readers find every field.
    const TippingFit fit = r.fit.value_or(TippingFit{});
    hdf5::attr_string(check, g, "fit_method", std::string(tipping_method_name(fit.method)));
    hdf5::attr_scalar<double>(check, g, "fit_confidence", 0.95);
    hdf5::attr_scalar<int32_t>(check, g, "fit_clusters", fit.clusters);
    hdf5::attr_scalar<double>(check, g, "fit_critical", fit.critical);
    hdf5::attr_scalar<double>(check, g, "fit_intercept", fit.intercept);
    hdf5::attr_scalar<double>(check, g, "fit_slope", fit.slope);
    const std::array<double, 4> covariance{fit.var_intercept, fit.covariance, fit.covariance, fit.var_slope};
    const std::array<hsize_t, 2> dims{2, 2};
    hdf5::fixed_dataset<double>(check, g, "fit_covariance", dims, covariance.data());
    hdf5::attr_scalar<double>(check, g, "tipping_point", fit.point);
    hdf5::attr_scalar<double>(check, g, "tipping_low", fit.low);
    hdf5::attr_scalar<double>(check, g, "tipping_high", fit.high);
  }
}

}  // namespace rapture
