#include "io/search_record.hpp"

#include <hdf5.h>

#include "common/error.hpp"

namespace rapture {

namespace {

/// Closes an HDF5 handle at scope exit.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Handle() {
    if (id >= 0) close(id);
  }
};

void fail_if(bool bad, const std::string& path, const std::string& what) {
  if (bad) throw OutputError("cannot write the search record to '" + path + "': " + what);
}

void string_attr(hid_t loc, const char* name, const std::string& value, const std::string& path) {
  Handle type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type.id, H5T_VARIABLE);
  H5Tset_cset(type.id, H5T_CSET_UTF8);
  Handle space{H5Screate(H5S_SCALAR), H5Sclose};
  Handle attr{H5Acreate2(loc, name, type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  fail_if(attr.id < 0, path, std::string("attribute ") + name);
  const char* text = value.c_str();
  fail_if(H5Awrite(attr.id, type.id, &text) < 0, path, std::string("attribute ") + name);
}

template <typename T>
void scalar_attr(hid_t loc, const char* name, T value, hid_t type, const std::string& path) {
  Handle space{H5Screate(H5S_SCALAR), H5Sclose};
  Handle attr{H5Acreate2(loc, name, type, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  fail_if(attr.id < 0 || H5Awrite(attr.id, type, &value) < 0, path, std::string("attribute ") + name);
}

template <typename T>
void vector_dataset(hid_t loc, const char* name, const std::vector<T>& values, hid_t type, const std::string& path) {
  const hsize_t n = values.size();
  Handle space{H5Screate_simple(1, &n, nullptr), H5Sclose};
  Handle set{H5Dcreate2(loc, name, type, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose};
  fail_if(set.id < 0, path, std::string("dataset ") + name);
  if (n > 0) fail_if(H5Dwrite(set.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0, path, name);
}

}  // namespace

void write_search_record(const std::string& path, const SearchRecord& r) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Handle file{H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose};
  fail_if(file.id < 0, path, "cannot open it");
  Handle group{H5Gcreate2(file.id, "amplify", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
  fail_if(group.id < 0, path, "group /amplify");
  string_attr(group.id, "scenario", r.scenario, path);
  string_attr(group.id, "param", r.param, path);
  string_attr(group.id, "unit", r.unit, path);
  string_attr(group.id, "criterion", r.criterion, path);
  string_attr(group.id, "verdict", r.verdict, path);
  scalar_attr<int>(group.id, "found", r.found ? 1 : 0, H5T_NATIVE_INT, path);
  scalar_attr<double>(group.id, "threshold", r.threshold, H5T_NATIVE_DOUBLE, path);
  scalar_attr<double>(group.id, "uncertainty", r.uncertainty, H5T_NATIVE_DOUBLE, path);
  vector_dataset(group.id, "value", r.values, H5T_NATIVE_DOUBLE, path);
  vector_dataset(group.id, "cascade", r.cascades, H5T_NATIVE_INT, path);
  vector_dataset(group.id, "measure", r.measure, H5T_NATIVE_DOUBLE, path);
}

}  // namespace rapture
