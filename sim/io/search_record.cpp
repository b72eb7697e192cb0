#include "io/search_record.hpp"

#include <utility>

#include "common/error.hpp"
#include "io/hdf5_support.hpp"

namespace rapture {

namespace {

void fail_if(bool bad, const std::string& path, const std::string& what) {
  if (bad) throw OutputError("cannot write the search record to '" + path + "': " + what);
}

void string_attr(hid_t loc, const char* name, const std::string& value, const std::string& path) {
  hdf5::Hid type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  hdf5::Hid space{H5Screate(H5S_SCALAR), H5Sclose};
  hdf5::Hid attr{H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  fail_if(attr.get() < 0, path, std::string("attribute ") + name);
  const char* text = value.c_str();
  fail_if(H5Awrite(attr.get(), type.get(), &text) < 0, path, std::string("attribute ") + name);
}

template <typename T>
void scalar_attr(hid_t loc, const char* name, T value, hid_t type, const std::string& path) {
  hdf5::Hid space{H5Screate(H5S_SCALAR), H5Sclose};
  hdf5::Hid attr{H5Acreate2(loc, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  fail_if(attr.get() < 0 || H5Awrite(attr.get(), type, &value) < 0, path, std::string("attribute ") + name);
}

template <typename T>
void vector_dataset(hid_t loc, const char* name, const std::vector<T>& values, hid_t type, const std::string& path) {
  const hsize_t n = values.size();
  hdf5::Hid space{H5Screate_simple(1, &n, nullptr), H5Sclose};
  hdf5::Hid set{H5Dcreate2(loc, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose};
  fail_if(set.get() < 0, path, std::string("dataset ") + name);
  if (n > 0) fail_if(H5Dwrite(set.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0, path, name);
}

/// Opens `path` and creates the record's group in it.
std::pair<hdf5::Hid, hdf5::Hid> open_record(const std::string& path, const char* name) {
  hdf5::silence();
  hdf5::Hid file{H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose};
  fail_if(file.get() < 0, path, "cannot open it");
  hdf5::Hid group{H5Gcreate2(file.get(), name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
  fail_if(group.get() < 0, path, std::string("group /") + name);
  return {std::move(file), std::move(group)};
}

}  // namespace

void write_premortem_record(const std::string& path, const PremortemRecord& r) {
  const auto [file, group] = open_record(path, "premortem");
  string_attr(group.get(), "scenario", r.scenario, path);
  scalar_attr<double>(group.get(), "start", r.start, H5T_NATIVE_DOUBLE, path);
  scalar_attr<double>(group.get(), "duration", r.duration, H5T_NATIVE_DOUBLE, path);
  hdf5::Hid type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  std::vector<const char*> names;
  for (const auto& s : r.services) names.push_back(s.c_str());
  vector_dataset(group.get(), "service", names, type.get(), path);
  vector_dataset(group.get(), "blast_radius_requests", r.blast_radius_requests, H5T_NATIVE_DOUBLE, path);
  vector_dataset(group.get(), "blast_radius_types", r.blast_radius_types, H5T_NATIVE_DOUBLE, path);
  vector_dataset(group.get(), "peak_unhealthy_share", r.peak_unhealthy, H5T_NATIVE_DOUBLE, path);
  vector_dataset(group.get(), "recovery_time", r.recovery_time, H5T_NATIVE_DOUBLE, path);
  vector_dataset(group.get(), "emergent", r.emergent, H5T_NATIVE_INT64, path);
  vector_dataset(group.get(), "metastable", r.metastable, H5T_NATIVE_INT, path);
  vector_dataset(group.get(), "rank", r.rank, H5T_NATIVE_INT, path);
}

void write_search_record(const std::string& path, const SearchRecord& r) {
  const auto [file, group] = open_record(path, "amplify");
  string_attr(group.get(), "scenario", r.scenario, path);
  string_attr(group.get(), "param", r.param, path);
  string_attr(group.get(), "unit", r.unit, path);
  string_attr(group.get(), "criterion", r.criterion, path);
  string_attr(group.get(), "verdict", r.verdict, path);
  scalar_attr<int>(group.get(), "found", r.found ? 1 : 0, H5T_NATIVE_INT, path);
  scalar_attr<double>(group.get(), "threshold", r.threshold, H5T_NATIVE_DOUBLE, path);
  scalar_attr<double>(group.get(), "uncertainty", r.uncertainty, H5T_NATIVE_DOUBLE, path);
  vector_dataset(group.get(), "value", r.values, H5T_NATIVE_DOUBLE, path);
  vector_dataset(group.get(), "cascade", r.cascades, H5T_NATIVE_INT, path);
  vector_dataset(group.get(), "measure", r.measure, H5T_NATIVE_DOUBLE, path);
  vector_dataset(group.get(), "peak_unhealthy_share", r.peak_unhealthy, H5T_NATIVE_DOUBLE, path);
  vector_dataset(group.get(), "emergent", r.emergent, H5T_NATIVE_INT64, path);
  vector_dataset(group.get(), "metastable", r.metastable, H5T_NATIVE_INT, path);
  scalar_attr<int>(group.get(), "first_cascade_run", r.first_cascade, H5T_NATIVE_INT, path);
  string_attr(group.get(), "mode", r.param2.empty() ? "search" : "map", path);
  if (!r.param2.empty()) {
    string_attr(group.get(), "param2", r.param2, path);
    string_attr(group.get(), "unit2", r.unit2, path);
    string_attr(group.get(), "region_names", "recovered,degraded,metastable", path);
    vector_dataset(group.get(), "value2", r.values2, H5T_NATIVE_DOUBLE, path);
    vector_dataset(group.get(), "region", r.region, H5T_NATIVE_INT, path);
  }
}

}  // namespace rapture
