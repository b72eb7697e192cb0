#pragma once
/// Reading results files back with the HDF5 C API in tests: handles closed at scope end,
/// shapes, attributes and string datasets, each failure reported as a test failure.

#include <gtest/gtest.h>
#include <hdf5.h>

#include <string>
#include <vector>

namespace rapture::testing {

/// An hid_t closed at the end of the scope.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Handle() {
    if (id >= 0) close(id);
  }
};

/// The dimensions of a dataset.
inline std::vector<hsize_t> shape(hid_t dset) {
  const Handle space{H5Dget_space(dset), H5Sclose};
  std::vector<hsize_t> dims(static_cast<size_t>(H5Sget_simple_extent_ndims(space.id)));
  H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  return dims;
}

/// A scalar attribute converted to `mem_type`.
template <class T>
T attribute(hid_t loc, const char* name, hid_t mem_type) {
  const Handle attr{H5Aopen(loc, name, H5P_DEFAULT), H5Aclose};
  EXPECT_GE(attr.id, 0) << name;
  T value{};
  EXPECT_GE(H5Aread(attr.id, mem_type, &value), 0) << name;
  return value;
}

/// A variable-length string attribute.
inline std::string text_attribute(hid_t loc, const char* name) {
  const Handle attr{H5Aopen(loc, name, H5P_DEFAULT), H5Aclose};
  const Handle type{H5Aget_type(attr.id), H5Tclose};
  char* text = nullptr;
  EXPECT_GE(H5Aread(attr.id, type.id, &text), 0) << name;
  std::string value = text != nullptr ? text : "";
  H5free_memory(text);
  return value;
}

/// Every string of a string dataset (scalar or 1-D), in the dataset's own type.
inline std::vector<std::string> texts(hid_t dset) {
  const Handle space{H5Dget_space(dset), H5Sclose};
  const Handle type{H5Dget_type(dset), H5Tclose};
  std::vector<char*> raw(static_cast<size_t>(H5Sget_simple_extent_npoints(space.id)), nullptr);
  if (!raw.empty()) {
    EXPECT_GE(H5Dread(dset, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), 0);
  }
  std::vector<std::string> values;
  for (char* text : raw) {
    values.emplace_back(text != nullptr ? text : "");
    H5free_memory(text);
  }
  return values;
}

}  // namespace rapture::testing
