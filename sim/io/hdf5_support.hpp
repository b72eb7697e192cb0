#pragma once
/// What every HDF5 reader and writer of rapture needs: an owning handle, a quiet error
/// stack, the message of the innermost error (the part a user can act on), and the writing
/// helpers shared by the results file and the records kept beside its runs.

#include <hdf5.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace rapture::hdf5 {

/// The one lock of every HDF5 call rapture makes, process-wide: the results file and its run
/// writers (fed from several threads), the reader, and the records written beside the runs.
/// Debian builds HDF5 thread-safe (H5_HAVE_THREADSAFE), which serialises single library calls,
/// but not its high-level library (H5DS, the dimension scales every writer and copy_runs
/// attach), and a library built without thread safety must work too. Each public entry point
/// takes it once, so it is not recursive: code holding it calls no other entry point.
std::mutex& library_mutex();

/// Turns off HDF5's printing of its error stack (per thread: redo at every entry point).
void silence();

/// The most specific message on HDF5's error stack (the system's message when a system call
/// failed, e.g. "Permission denied"), then clears the stack.
std::string error_detail();

/// Why a results file cannot be written at `final_path` (missing or unwritable directory, a
/// directory in the way), found before any work is spent; empty if it can.
std::string unwritable_reason(const std::string& final_path);

/// unwritable_reason(), and anything at `final_path` but an earlier rapture results file (an
/// input, another file, a device, a FIFO): what a command's output may replace. Caller holds
/// library_mutex().
std::string unreplaceable_reason(const std::string& final_path);

/// True when `path` is an HDF5 file with rapture's root attribute `format` = "rapture-results".
/// Caller holds library_mutex().
bool is_rapture_results(const std::string& path);

/// Owns one hid_t and closes it with the matching H5?close.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Hid(Hid&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      close();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() { close(); }

  [[nodiscard]] hid_t get() const { return id_; }
  [[nodiscard]] bool valid() const { return id_ >= 0; }
  /// Closes now and reports whether HDF5 succeeded (the file's close is where data hits disk).
  herr_t close() {
    herr_t status = 0;
    if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }
  void reset() { close(); }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

/// Turns failed HDF5 calls and unexpected content into OutputError naming the file:
/// "cannot <verb> results file '<path>': <what>: <detail>".
class Check {
 public:
  explicit Check(std::string path, const char* verb = "write") : path_(std::move(path)), verb_(verb) {}

  [[noreturn]] void fail(const std::string& what, const std::string& detail) const {
    std::string message = "cannot " + std::string(verb_) + " results file '" + path_ + "': " + what;
    if (!detail.empty()) message += ": " + detail;
    throw OutputError(message);
  }
  [[noreturn]] void fail_hdf5(const std::string& what) const { fail(what, error_detail()); }

  /// The handle, or OutputError when HDF5 returned a failure.
  Hid id(hid_t id, Hid::Closer closer, const std::string& what) const {
    if (id < 0) fail_hdf5(what);
    return Hid(id, closer);
  }
  void status(herr_t status, const std::string& what) const {
    if (status < 0) fail_hdf5(what);
  }

 private:
  std::string path_;
  const char* verb_;
};

// ---- writing: the conventions of docs/results-format.md ---------------------------------------

/// The file and memory types of a number type: little-endian in the file whatever the machine.
template <class T>
struct H5Type;
template <>
struct H5Type<double> {
  static hid_t mem() { return H5T_NATIVE_DOUBLE; }
  static hid_t file() { return H5T_IEEE_F64LE; }
};
template <>
struct H5Type<uint64_t> {
  static hid_t mem() { return H5T_NATIVE_UINT64; }
  static hid_t file() { return H5T_STD_U64LE; }
};
template <>
struct H5Type<int64_t> {
  static hid_t mem() { return H5T_NATIVE_INT64; }
  static hid_t file() { return H5T_STD_I64LE; }
};
template <>
struct H5Type<uint32_t> {
  static hid_t mem() { return H5T_NATIVE_UINT32; }
  static hid_t file() { return H5T_STD_U32LE; }
};
template <>
struct H5Type<int32_t> {
  static hid_t mem() { return H5T_NATIVE_INT32; }
  static hid_t file() { return H5T_STD_I32LE; }
};
template <>
struct H5Type<uint8_t> {
  static hid_t mem() { return H5T_NATIVE_UINT8; }
  static hid_t file() { return H5T_STD_U8LE; }
};
template <>
struct H5Type<int8_t> {
  static hid_t mem() { return H5T_NATIVE_INT8; }
  static hid_t file() { return H5T_STD_I8LE; }
};

/// Variable-length UTF-8 strings, the type of every string written.
Hid string_type(const Check& check);

Hid simple_space(const Check& check, std::span<const hsize_t> dims, std::span<const hsize_t> max = {});

/// Links and attributes a group keeps in its own header before moving them to a heap + B-tree.
inline constexpr unsigned kMaxCompact = 32, kMinDense = 24;

/// A group that keeps up to kMaxCompact links and attributes in its header: HDF5's default moves
/// past 8 to dense storage, about 2 KB per group; a run's groups hold up to ~16, so they stay
/// compact (and /runs goes dense past kMaxCompact runs, as it should).
Hid create_group(const Check& check, hid_t parent, const std::string& name);
/// Opens the results file `path` for writing and creates the record group `name` in it (a
/// command's record beside its runs: /amplify, /premortem, /compare); returns (file, group).
std::pair<Hid, Hid> open_record(const Check& check, const std::string& path, const std::string& name);

void attr_string(const Check& check, hid_t loc, const char* name, const std::string& value);
void attr_strings(const Check& check, hid_t loc, const char* name, const std::vector<std::string>& values);

template <class T>
void attr_scalar(const Check& check, hid_t loc, const char* name, T value) {
  Hid space = check.id(H5Screate(H5S_SCALAR), H5Sclose, "dataspace");
  Hid attr = check.id(H5Acreate2(loc, name, H5Type<T>::file(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                      std::string("attribute '") + name + "'");
  check.status(H5Awrite(attr.get(), H5Type<T>::mem(), &value), std::string("attribute '") + name + "'");
}

template <class T>
void attr_values(const Check& check, hid_t loc, const char* name, std::span<const T> values) {
  const std::array<hsize_t, 1> dims{values.size()};
  Hid space = simple_space(check, dims);
  Hid attr = check.id(H5Acreate2(loc, name, H5Type<T>::file(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                      std::string("attribute '") + name + "'");
  if (values.empty()) return;
  check.status(H5Awrite(attr.get(), H5Type<T>::mem(), values.data()), std::string("attribute '") + name + "'");
}

/// A fixed-size dataset written at once; contiguous, as it is small and read whole.
template <class T>
Hid fixed_dataset(const Check& check, hid_t group, const std::string& name, std::span<const hsize_t> dims,
                  const T* data) {
  Hid space = simple_space(check, dims);
  Hid dset =
      check.id(H5Dcreate2(group, name.c_str(), H5Type<T>::file(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Dclose, "dataset '" + name + "'");
  if (H5Sget_simple_extent_npoints(space.get()) > 0) {
    check.status(H5Dwrite(dset.get(), H5Type<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "dataset '" + name + "'");
  }
  return dset;
}

/// A 1-D string dataset (an axis's labels, a list of names).
Hid string_dataset(const Check& check, hid_t group, const std::string& name, const std::vector<std::string>& values);

/// Makes `dset` a dimension scale called `name`.
void make_scale(const Check& check, const Hid& dset, const std::string& name);

/// Labels and attaches one scale per dimension, so readers get named, labelled axes.
void attach(const Check& check, const Hid& dset, std::initializer_list<std::pair<const Hid*, const char*>> scales);

/// Bins per chunk of a time series whose widest row takes `widest_row_bytes`: a chunk is the unit
/// of compression and of buffering, so this bounds a writer's memory whatever the number of columns.
hsize_t series_chunk_rows(size_t widest_row_bytes);

/// A time series [time, dims_after_time...] as every time series is stored: `rows` bins to
/// start with, an unlimited time axis, chunks of `chunk_rows` bins x all columns, shuffle + deflate.
Hid series_dataset(const Check& check, hid_t group, const std::string& name, hid_t file_type,
                   std::span<const hsize_t> dims_after_time, hsize_t chunk_rows, hsize_t rows = 0);

}  // namespace rapture::hdf5
