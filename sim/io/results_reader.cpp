#include "io/results_reader.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

#include "common/error.hpp"
#include "io/hdf5_support.hpp"
#include "io/results_file.hpp"

namespace rapture {

namespace {

/// Rows of a time series read at a time, so that reading a long run needs bounded memory.
constexpr hsize_t kReadRows = 4096;

using hdf5::Hid;

using hdf5::Check;

Check reading(const std::string& path) { return Check(path, "read"); }

/// Opens an existing file read-only; a missing or unreadable file is told apart from a bad one.
Hid open_source(const Check& c, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) c.fail("the file does not exist", "");
  if (fs::is_directory(status)) c.fail("it is a directory", "");
  if (::access(path.c_str(), R_OK) != 0) c.fail("the file is not readable", std::strerror(errno));
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    c.fail("not an HDF5 file", "");
  }
  return c.id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening the file");
}

Hid open_attribute(const Check& c, hid_t loc, const char* loc_name, const char* name) {
  const htri_t exists = H5Aexists(loc, name);
  if (exists < 0) c.fail_hdf5(std::string("attribute '") + name + "' of " + loc_name);
  if (exists == 0) c.fail(std::string(loc_name) + " has no attribute '" + name + "'", "");
  return c.id(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose, std::string("attribute '") + name + "' of " + loc_name);
}

/// A numeric scalar attribute, converted by HDF5 to `mem_type`.
template <class T>
T attr_number(const Check& c, hid_t loc, const char* loc_name, const char* name, hid_t mem_type) {
  const std::string what = std::string("attribute '") + name + "' of " + loc_name;
  Hid attr = open_attribute(c, loc, loc_name, name);
  Hid type = c.id(H5Aget_type(attr.get()), H5Tclose, what);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) c.fail(what + " is not a number", "");
  Hid space = c.id(H5Aget_space(attr.get()), H5Sclose, what);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) c.fail(what + " is not a scalar", "");
  T value{};
  c.status(H5Aread(attr.get(), mem_type, &value), what);
  return value;
}

/// A scalar string attribute (variable or fixed length).
std::string attr_text(const Check& c, hid_t loc, const char* loc_name, const char* name) {
  const std::string what = std::string("attribute '") + name + "' of " + loc_name;
  Hid attr = open_attribute(c, loc, loc_name, name);
  Hid type = c.id(H5Aget_type(attr.get()), H5Tclose, what);
  if (H5Tget_class(type.get()) != H5T_STRING) c.fail(what + " is not a string", "");
  Hid space = c.id(H5Aget_space(attr.get()), H5Sclose, what);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) c.fail(what + " is not a scalar", "");
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) c.fail_hdf5(what);
  Hid mem = c.id(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
  // HDF5 does not convert between character sets: read in the attribute's own (UTF-8 as written).
  const H5T_cset_t cset = H5Tget_cset(type.get());
  if (cset < 0) c.fail_hdf5(what);
  c.status(H5Tset_cset(mem.get(), cset), "string type");
  if (variable > 0) {
    c.status(H5Tset_size(mem.get(), H5T_VARIABLE), "string type");
    char* text = nullptr;
    c.status(H5Aread(attr.get(), mem.get(), &text), what);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  const size_t size = H5Tget_size(type.get());
  c.status(H5Tset_size(mem.get(), size + 1), "string type");
  std::string buffer(size + 1, '\0');
  c.status(H5Aread(attr.get(), mem.get(), buffer.data()), what);
  return {buffer.c_str()};
}

/// Refuses a file that is not a results file of the format this code reads and writes.
void require_results_file(const Check& c, hid_t file) {
  const std::string format = attr_text(c, file, "the root", "format");
  if (format != "rapture-results") c.fail("not a rapture results file", "format is '" + format + "'");
  const auto version = attr_number<int64_t>(c, file, "the root", "format_version", H5T_NATIVE_INT64);
  if (version != kResultsFormatVersion) {
    c.fail("format_version " + std::to_string(version) + " is not supported",
           "this rapture reads version " + std::to_string(kResultsFormatVersion));
  }
}

Hid open_run(const Check& c, hid_t file, int index) {
  const std::string name = "runs/" + std::to_string(index);
  // H5Lexists needs every link of the path but the last to exist.
  const htri_t has_runs = H5Lexists(file, "runs", H5P_DEFAULT);
  const htri_t has_run = has_runs > 0 ? H5Lexists(file, name.c_str(), H5P_DEFAULT) : has_runs;
  if (has_run < 0) c.fail_hdf5("run " + std::to_string(index));
  if (has_run == 0) c.fail("the file has no run " + std::to_string(index), "");
  Hid group = c.id(H5Gopen2(file, name.c_str(), H5P_DEFAULT), H5Gclose, "run " + std::to_string(index));
  return group;
}

/// Run `index` of the results file at `path`, opened for reading (the caller holds the HDF5
/// library's lock): the file, the run's group, its name for messages and the Check naming the file.
struct OpenedRun {
  Check c;
  Hid file, run;
  std::string name;
};

OpenedRun open_run_for_reading(const std::string& path, int index) {
  hdf5::silence();
  Check c = reading(path);
  Hid file = open_source(c, path);
  require_results_file(c, file.get());
  Hid run = open_run(c, file.get(), index);
  return {c, std::move(file), std::move(run), "run " + std::to_string(index)};
}

/// Whether the run has the group (or dataset) `name`; a failed look-up is an OutputError.
bool run_has(const OpenedRun& r, const char* name) {
  const htri_t has = H5Lexists(r.run.get(), name, H5P_DEFAULT);
  if (has < 0) r.c.fail_hdf5(r.name + " " + name);
  return has > 0;
}

/// Reads a [T, R] uint64 time series of a run `kReadRows` rows at a time (bounded memory),
/// giving `block(first_row, rows, columns, values)` each block, row-major. Returns T.
template <typename Block>
hsize_t read_rows(const Check& c, hid_t run, const std::string& run_name, const char* name, Block&& block) {
  const std::string what = "dataset '" + std::string(name) + "' of " + run_name;
  const htri_t exists = H5Lexists(run, "requests", H5P_DEFAULT) > 0 ? H5Lexists(run, name, H5P_DEFAULT) : 0;
  if (exists <= 0) c.fail(run_name + " has no dataset '" + name + "'", "");
  Hid dset = c.id(H5Dopen2(run, name, H5P_DEFAULT), H5Dclose, what);
  Hid type = c.id(H5Dget_type(dset.get()), H5Tclose, what);
  if (H5Tget_class(type.get()) != H5T_INTEGER) c.fail(what + " is not an integer array", "");
  Hid space = c.id(H5Dget_space(dset.get()), H5Sclose, what);
  if (H5Sget_simple_extent_ndims(space.get()) != 2) c.fail(what + " is not two-dimensional", "");
  std::array<hsize_t, 2> dims{};
  if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) c.fail_hdf5(what);
  const hsize_t bins = dims[0], columns = dims[1];
  if (columns == 0) return bins;
  std::vector<uint64_t> rows;
  for (hsize_t start = 0; start < bins; start += kReadRows) {
    const hsize_t count_rows = std::min(kReadRows, bins - start);
    const std::array<hsize_t, 2> offset{start, 0}, count{count_rows, columns};
    c.status(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr), what);
    Hid mem = c.id(H5Screate_simple(2, count.data(), nullptr), H5Sclose, what);
    rows.resize(count_rows * columns);
    c.status(H5Dread(dset.get(), H5T_NATIVE_UINT64, mem.get(), space.get(), H5P_DEFAULT, rows.data()), what);
    block(start, count_rows, columns, std::span<const uint64_t>(rows));
  }
  return bins;
}

/// Sums a [T, R] uint64 time series over its second axis: one value per bin.
std::vector<double> sum_over_columns(const Check& c, hid_t run, const std::string& run_name, const char* name) {
  std::vector<double> sums;
  const hsize_t bins = read_rows(c, run, run_name, name,
                                 [&](hsize_t start, hsize_t count_rows, hsize_t columns, std::span<const uint64_t> v) {
                                   sums.resize(start + count_rows, 0.0);
                                   for (hsize_t row = 0; row < count_rows; ++row) {
                                     uint64_t total = 0;
                                     for (hsize_t col = 0; col < columns; ++col) total += v[row * columns + col];
                                     sums[start + row] = static_cast<double>(total);
                                   }
                                 });
  sums.resize(bins, 0.0);
  return sums;
}

/// A one-dimensional dataset of variable-length strings (a dimension scale's names), read whole.
std::vector<std::string> read_strings(const Check& c, hid_t group, const char* name, const std::string& run_name) {
  const std::string what = "dataset '" + std::string(name) + "' of " + run_name;
  if (H5Lexists(group, name, H5P_DEFAULT) <= 0) c.fail(run_name + " has no dataset '" + name + "'", "");
  Hid dset = c.id(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose, what);
  Hid space = c.id(H5Dget_space(dset.get()), H5Sclose, what);
  if (H5Sget_simple_extent_ndims(space.get()) != 1) c.fail(what + " is not one-dimensional", "");
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) c.fail_hdf5(what);
  std::vector<char*> buffer(static_cast<size_t>(n), nullptr);
  if (buffer.empty()) return {};
  Hid text = hdf5::string_type(c);
  c.status(H5Dread(dset.get(), text.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), what);
  std::vector<std::string> out;
  out.reserve(buffer.size());
  for (const char* value : buffer) out.emplace_back(value != nullptr ? value : "");
  c.status(H5Dvlen_reclaim(text.get(), space.get(), H5P_DEFAULT, buffer.data()), what);
  return out;
}

/// Removes the temporary file unless the merged file was renamed to its final name.
struct TempFile {
  std::string path;
  bool keep = false;
  ~TempFile() {
    if (!keep && !path.empty()) std::remove(path.c_str());
  }
};

using hdf5::unwritable_reason;

/// A dimension scale attached to a dataset of a run: paths relative to the run's group.
struct ScaleLink {
  std::string dataset;
  unsigned dim = 0;
  std::string scale;
};

/// What a run's copy needs to know of its source: the datasets, the scales attached to them, and
/// whether any object keeps its attributes in dense storage.
struct RunLayout {
  std::string run_path;  // absolute, as "/runs/3"
  std::vector<std::string> datasets;
  std::vector<ScaleLink> links;
  std::string dense;  // an object with dense attribute storage, if any
  std::string error;  // a failure inside an HDF5 callback (exceptions must not cross C frames)
};

struct ScaleVisit {
  RunLayout* layout;
  const std::string* dataset;
};

herr_t visit_scale(hid_t /*dset*/, unsigned dim, hid_t scale, void* data) {
  auto& visit = *static_cast<ScaleVisit*>(data);
  RunLayout& layout = *visit.layout;
  const ssize_t size = H5Iget_name(scale, nullptr, 0);
  if (size <= 0) {
    layout.error = "the name of a scale of '" + *visit.dataset + "'";
    return -1;
  }
  std::string name(static_cast<size_t>(size) + 1, '\0');
  H5Iget_name(scale, name.data(), name.size());
  name.resize(static_cast<size_t>(size));
  const std::string prefix = layout.run_path + "/";
  if (name.compare(0, prefix.size(), prefix) != 0) {
    layout.error = "'" + *visit.dataset + "' has scale '" + name + "' outside its run";
    return -1;
  }
  layout.links.push_back({*visit.dataset, dim, name.substr(prefix.size())});
  return 0;
}

herr_t visit_object(hid_t run, const char* name, const H5O_info_t* info, void* data) {
  auto& layout = *static_cast<RunLayout*>(data);
  if (info->meta_size.attr.heap_size > 0 && layout.dense.empty()) layout.dense = name;
  if (info->type != H5O_TYPE_DATASET) return 0;
  const std::string dataset = name;
  layout.datasets.push_back(dataset);
  const htri_t has_dims = H5Aexists_by_name(run, name, "DIMENSION_LIST", H5P_DEFAULT);
  if (has_dims < 0) {
    layout.error = "the dimension list of '" + dataset + "'";
    return -1;
  }
  if (has_dims == 0) return 0;
  Hid dset(H5Dopen2(run, name, H5P_DEFAULT), H5Dclose);
  Hid space(dset.get() < 0 ? H5I_INVALID_HID : H5Dget_space(dset.get()), H5Sclose);
  const int rank = space.get() < 0 ? -1 : H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) {
    layout.error = "dataset '" + dataset + "'";
    return -1;
  }
  ScaleVisit visit{&layout, &dataset};
  for (int dim = 0; dim < rank; ++dim) {
    if (H5DSget_num_scales(dset.get(), static_cast<unsigned>(dim)) <= 0) continue;
    int index = 0;
    if (H5DSiterate_scales(dset.get(), static_cast<unsigned>(dim), &index, visit_scale, &visit) < 0) {
      if (layout.error.empty()) layout.error = "the scales of '" + dataset + "'";
      return -1;
    }
  }
  return 0;
}

/// The source run's datasets and scales, before it is copied.
RunLayout run_layout(const Check& c, hid_t run, int index) {
  RunLayout layout;
  layout.run_path = "/runs/" + std::to_string(index);
  if (H5Ovisit2(run, H5_INDEX_NAME, H5_ITER_INC, visit_object, &layout, H5O_INFO_BASIC | H5O_INFO_META_SIZE) < 0) {
    c.fail(layout.error.empty() ? "reading run " + std::to_string(index) : layout.error, hdf5::error_detail());
  }
  if (!layout.dense.empty()) {
    // HDF5 1.10.8's H5Ocopy crashes copying variable-length attributes kept in dense storage,
    // which files written before ResultsFile kept attributes compact can have.
    c.fail("run " + std::to_string(index) + ": object '" + layout.dense +
               "' keeps its attributes in dense storage, which this HDF5 cannot copy",
           "");
  }
  return layout;
}

/// Re-attaches the copied run's dimension scales. H5Ocopy copies the DIMENSION_LIST and
/// REFERENCE_LIST attributes (object references inside variable-length and compound types)
/// byte for byte, even with H5O_COPY_EXPAND_REFERENCE_FLAG, so they would point at addresses of
/// the source file: they are deleted and made again by H5DSattach_scale.
void reattach_scales(const Check& c, hid_t run, const RunLayout& layout, const std::string& run_name) {
  for (const std::string& dataset : layout.datasets) {
    for (const char* attr : {"DIMENSION_LIST", "REFERENCE_LIST"}) {
      const htri_t exists = H5Aexists_by_name(run, dataset.c_str(), attr, H5P_DEFAULT);
      if (exists < 0) c.fail_hdf5(run_name + ": dataset '" + dataset + "'");
      if (exists > 0) {
        c.status(H5Adelete_by_name(run, dataset.c_str(), attr, H5P_DEFAULT),
                 run_name + ": attribute " + attr + " of '" + dataset + "'");
      }
    }
  }
  for (const ScaleLink& link : layout.links) {
    const std::string what = run_name + ": attaching scale '" + link.scale + "' to '" + link.dataset + "'";
    Hid dset = c.id(H5Dopen2(run, link.dataset.c_str(), H5P_DEFAULT), H5Dclose, what);
    Hid scale = c.id(H5Dopen2(run, link.scale.c_str(), H5P_DEFAULT), H5Dclose, what);
    c.status(H5DSattach_scale(dset.get(), scale.get(), link.dim), what);
  }
}

}  // namespace

namespace {

/// A small float64 dataset read whole.
std::vector<double> read_column(const Check& c, hid_t group, const std::string& name, const std::string& what) {
  Hid dset = c.id(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose, what + " " + name);
  Hid space = c.id(H5Dget_space(dset.get()), H5Sclose, what + " " + name);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) c.fail_hdf5(what + " " + name);
  std::vector<double> values(static_cast<size_t>(n));
  if (n > 0) c.status(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), what);
  return values;
}

/// The verdict after the trigger; files written before it have none (the digest keeps its defaults).
void read_verdict(const Check& c, hid_t analysis, const std::string& analysis_name, RunDigest& digest) {
  const htri_t exists = H5Aexists(analysis, "verdict");
  if (exists < 0) c.fail_hdf5("attribute 'verdict' of " + analysis_name);
  if (exists == 0) return;
  const char* name = analysis_name.c_str();
  const std::string kind = attr_text(c, analysis, name, "verdict");
  const std::string effect = attr_text(c, analysis, name, "sustained_by");
  const auto k = recovery_kind_named(kind);
  const auto e = sustaining_effect_named(effect);
  if (!k) c.fail(analysis_name + " has verdict '" + kind + "'", "not a verdict this rapture knows");
  if (!e) c.fail(analysis_name + " has sustained_by '" + effect + "'", "not an effect this rapture knows");
  digest.verdict = *k;
  digest.sustained_by = *e;
  digest.drain_eta = attr_number<double>(c, analysis, name, "drain_eta", H5T_NATIVE_DOUBLE);
}

/// The first legacy path of analysis/decay, when the run has a decay layer.
void read_decay(const Check& c, hid_t analysis, const std::string& analysis_name, RunDigest& digest) {
  const htri_t has = H5Lexists(analysis, "decay", H5P_DEFAULT);
  if (has < 0) c.fail_hdf5(analysis_name + " decay");
  if (has == 0) return;
  const std::string what = analysis_name + " decay";
  Hid decay = c.id(H5Gopen2(analysis, "decay", H5P_DEFAULT), H5Gclose, what);
  const ssize_t length = H5Lget_name_by_idx(decay.get(), ".", H5_INDEX_NAME, H5_ITER_INC, 0, nullptr, 0, H5P_DEFAULT);
  if (length <= 0) return;
  std::string name(static_cast<size_t>(length), '\0');
  H5Lget_name_by_idx(decay.get(), ".", H5_INDEX_NAME, H5_ITER_INC, 0, name.data(), name.size() + 1, H5P_DEFAULT);
  Hid path = c.id(H5Gopen2(decay.get(), name.c_str(), H5P_DEFAULT), H5Gclose, what + " " + name);
  const auto errors = read_column(c, path.get(), "legacy_error_rate", what);
  const auto latency = read_column(c, path.get(), "legacy_latency_mean", what);
  const auto busy = read_column(c, path.get(), "legacy_busy", what);
  if (!errors.empty()) digest.legacy_error_last = errors.back();
  if (!latency.empty()) digest.legacy_latency_last = latency.back();
  double sum = 0;
  size_t n = 0;
  for (double b : busy) {
    if (std::isnan(b)) continue;
    sum += b;
    ++n;
  }
  if (n > 0) digest.legacy_busy = sum / static_cast<double>(n);
}

}  // namespace

RunDigest read_run_digest(const std::string& path, int index) {
  const std::lock_guard lock(hdf5::library_mutex());
  const OpenedRun opened = open_run_for_reading(path, index);
  const Check& c = opened.c;
  const Hid& run = opened.run;
  const std::string& run_name = opened.name;

  RunDigest digest;
  digest.bin_width = attr_number<double>(c, run.get(), run_name.c_str(), "bin_width", H5T_NATIVE_DOUBLE);
  digest.duration = attr_number<double>(c, run.get(), run_name.c_str(), "duration", H5T_NATIVE_DOUBLE);
  if (!(digest.bin_width > 0)) c.fail(run_name + " has bin_width " + std::to_string(digest.bin_width), "");
  const htri_t finished = H5Lexists(run.get(), "summary", H5P_DEFAULT);
  if (finished < 0) c.fail_hdf5(run_name + " summary");
  if (finished == 0) c.fail(run_name + " is unfinished", "it has no summary");

  digest.goodput = sum_over_columns(c, run.get(), run_name, "requests/successes");
  digest.offered = sum_over_columns(c, run.get(), run_name, "requests/arrivals");
  if (digest.goodput.size() != digest.offered.size()) {
    c.fail(run_name + ": requests/successes and requests/arrivals differ in length", "");
  }
  digest.failures = sum_over_columns(c, run.get(), run_name, "requests/failures");
  digest.calls = sum_over_columns(c, run.get(), run_name, "edges/calls");
  digest.attempts = sum_over_columns(c, run.get(), run_name, "edges/attempts");
  // Files written before the column existed: no call counted as refused.
  const bool has_refused =
      H5Lexists(run.get(), "edges", H5P_DEFAULT) > 0 && H5Lexists(run.get(), "edges/calls_refused", H5P_DEFAULT) > 0;
  digest.calls_refused = has_refused ? sum_over_columns(c, run.get(), run_name, "edges/calls_refused")
                                     : std::vector<double>(digest.calls.size(), 0.0);
  for (double& value : digest.goodput) value /= digest.bin_width;
  for (double& value : digest.offered) value /= digest.bin_width;
  for (double& value : digest.failures) value /= digest.bin_width;

  Hid summary = c.id(H5Gopen2(run.get(), "summary", H5P_DEFAULT), H5Gclose, run_name + " summary");
  const std::string summary_name = run_name + " summary";
  digest.error_rate = attr_number<double>(c, summary.get(), summary_name.c_str(), "error_rate", H5T_NATIVE_DOUBLE);
  digest.goodput_mean = attr_number<double>(c, summary.get(), summary_name.c_str(), "goodput", H5T_NATIVE_DOUBLE);
  digest.requests = attr_number<uint64_t>(c, summary.get(), summary_name.c_str(), "requests", H5T_NATIVE_UINT64);
  digest.p99 = attr_number<double>(c, summary.get(), summary_name.c_str(), "p99", H5T_NATIVE_DOUBLE);
  digest.users = attr_number<uint64_t>(c, summary.get(), summary_name.c_str(), "users", H5T_NATIVE_UINT64);
  digest.users_failing =
      attr_number<uint64_t>(c, summary.get(), summary_name.c_str(), "users_failing", H5T_NATIVE_UINT64);

  const htri_t analysed = H5Lexists(run.get(), "analysis", H5P_DEFAULT);
  if (analysed < 0) c.fail_hdf5(run_name + " analysis");
  if (analysed == 0) return digest;
  Hid analysis = c.id(H5Gopen2(run.get(), "analysis", H5P_DEFAULT), H5Gclose, run_name + " analysis");
  const std::string analysis_name = run_name + " analysis";
  const auto real = [&](const char* name) {
    return attr_number<double>(c, analysis.get(), analysis_name.c_str(), name, H5T_NATIVE_DOUBLE);
  };
  const auto integer = [&](const char* name) {
    return attr_number<int64_t>(c, analysis.get(), analysis_name.c_str(), name, H5T_NATIVE_INT64);
  };
  digest.has_analysis = true;
  digest.trigger_start = real("trigger_start");
  digest.trigger_end = real("trigger_end");
  digest.peak_unhealthy_share = real("peak_unhealthy_share");
  digest.blast_radius_requests = real("blast_radius_requests");
  digest.blast_radius_types = real("blast_radius_types");
  digest.recovery_time = real("recovery_time");
  digest.recovered = static_cast<int>(integer("recovered"));
  digest.metastable = static_cast<int>(integer("metastable"));
  digest.emergent = integer("emergent");
  read_verdict(c, analysis.get(), analysis_name, digest);
  read_decay(c, analysis.get(), analysis_name, digest);
  return digest;
}

std::vector<PropagationRecord> read_propagation(const std::string& path, int index) {
  const std::lock_guard lock(hdf5::library_mutex());
  const OpenedRun opened = open_run_for_reading(path, index);
  const Check& c = opened.c;
  const Hid& run = opened.run;
  const std::string& run_name = opened.name;
  if (!run_has(opened, "analysis")) return {};
  const std::string what = run_name + ": table 'analysis/propagation'";
  const htri_t exists = H5Lexists(run.get(), "analysis/propagation", H5P_DEFAULT);
  if (exists < 0) c.fail_hdf5(what);
  if (exists == 0) c.fail(run_name + " has an analysis without a propagation table", "");
  Hid dset = c.id(H5Dopen2(run.get(), "analysis/propagation", H5P_DEFAULT), H5Dclose, what);
  Hid space = c.id(H5Dget_space(dset.get()), H5Sclose, what);
  if (H5Sget_simple_extent_ndims(space.get()) != 1) c.fail(what + " is not one-dimensional", "");
  const hssize_t rows = H5Sget_simple_extent_npoints(space.get());
  if (rows < 0) c.fail_hdf5(what);

  // Read through a memory type of the documented columns: HDF5 matches compound members by name.
  struct Row {
    char *service, *worst, *symptom, *cause, *mechanism, *parent, *via, *path;
    double onset;
  };
  Hid text = hdf5::string_type(c);
  Hid mem = c.id(H5Tcreate(H5T_COMPOUND, sizeof(Row)), H5Tclose, what);
  const std::array<std::pair<const char*, size_t>, 8> texts{{
      {"service", offsetof(Row, service)},
      {"worst", offsetof(Row, worst)},
      {"symptom", offsetof(Row, symptom)},
      {"cause", offsetof(Row, cause)},
      {"mechanism", offsetof(Row, mechanism)},
      {"parent", offsetof(Row, parent)},
      {"via", offsetof(Row, via)},
      {"path", offsetof(Row, path)},
  }};
  for (const auto& [name, offset] : texts) c.status(H5Tinsert(mem.get(), name, offset, text.get()), what);
  c.status(H5Tinsert(mem.get(), "onset", offsetof(Row, onset), H5T_NATIVE_DOUBLE), what);

  std::vector<Row> buffer(static_cast<size_t>(rows));
  if (buffer.empty()) return {};
  c.status(H5Dread(dset.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), what);
  std::vector<PropagationRecord> records;
  records.reserve(buffer.size());
  const auto str = [](const char* value) { return std::string(value != nullptr ? value : ""); };
  for (const Row& row : buffer) {
    records.push_back({str(row.service), row.onset, str(row.worst), str(row.symptom), str(row.cause),
                       str(row.mechanism), str(row.parent), str(row.via), str(row.path)});
  }
  c.status(H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, buffer.data()), what);
  return records;
}

double CacheSeries::hit_ratio(size_t bin) const {
  return lookups[bin] > 0 ? static_cast<double>(hits[bin]) / static_cast<double>(lookups[bin]) : NAN;
}

std::vector<CacheSeries> read_caches(const std::string& path, int index) {
  const std::lock_guard lock(hdf5::library_mutex());
  const OpenedRun opened = open_run_for_reading(path, index);
  const Check& c = opened.c;
  const Hid& run = opened.run;
  const std::string& run_name = opened.name;
  if (!run_has(opened, "caches")) return {};
  const std::vector<std::string> names = read_strings(c, run.get(), "cache", run_name);
  std::vector<CacheSeries> out(names.size());
  for (size_t k = 0; k < names.size(); ++k) out[k].cache = names[k];
  const std::array<std::pair<const char*, std::vector<uint64_t> CacheSeries::*>, 3> counts{{
      {"caches/lookups", &CacheSeries::lookups},
      {"caches/hits", &CacheSeries::hits},
      {"caches/fills", &CacheSeries::fills},
  }};
  for (const auto& count : counts) {
    // Named copies, not a structured binding: clang 14 (the fuzz preset) cannot capture one in a lambda.
    const char* const name = count.first;
    const auto member = count.second;
    const hsize_t bins =
        read_rows(c, run.get(), run_name, name, [&](hsize_t start, hsize_t rows, hsize_t columns, auto values) {
          if (columns != out.size()) {
            c.fail(run_name + ": dataset '" + name + "' has " + std::to_string(columns) + " columns for " +
                       std::to_string(out.size()) + " caches",
                   "");
          }
          for (size_t k = 0; k < out.size(); ++k) {
            auto& series = out[k].*member;
            series.resize(start + rows);
            for (hsize_t row = 0; row < rows; ++row) series[start + row] = values[row * columns + k];
          }
        });
    for (auto& cache : out) (cache.*member).resize(bins, 0);
  }
  return out;
}

void copy_runs(const std::vector<std::pair<std::string, int>>& sources, const std::string& final_path,
               const std::string& rapture_version) {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  const Check c(final_path, "write");
  if (std::string reason = unwritable_reason(final_path); !reason.empty()) c.fail(reason, "");

  TempFile temp{final_path + ".tmp-" + std::to_string(::getpid())};
  // The file is declared after `temp`, so it is closed before the temporary file is removed.
  Hid fapl = c.id(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "file access properties");
  // The same file format as ResultsFile writes (readable by any HDF5 >= 1.10).
  c.status(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110), "file format version");
  Hid file = c.id(H5Fcreate(temp.path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose,
                  "creating '" + temp.path + "'");

  const hid_t root = file.get();
  hdf5::attr_string(c, root, "format", "rapture-results");
  hdf5::attr_scalar<int32_t>(c, root, "format_version", kResultsFormatVersion);
  hdf5::attr_string(c, root, "rapture_version", rapture_version);
  // /runs as ResultsFile makes it.
  Hid runs = hdf5::create_group(c, root, "runs");

  // No reference is expanded: the only references of a run are its scales', re-made after the copy.
  Hid ocpypl = c.id(H5Pcreate(H5P_OBJECT_COPY), H5Pclose, "object copy properties");
  c.status(H5Pset_copy_object(ocpypl.get(), 0), "object copy properties");

  for (size_t k = 0; k < sources.size(); ++k) {
    const auto& [source_path, from_index] = sources[k];
    const Check s = reading(source_path);
    Hid source = open_source(s, source_path);
    require_results_file(s, source.get());
    const RunLayout layout = run_layout(s, open_run(s, source.get(), from_index).get(), from_index);
    const std::string from = "runs/" + std::to_string(from_index), to = std::to_string(k);
    if (H5Ocopy(source.get(), from.c_str(), runs.get(), to.c_str(), ocpypl.get(), H5P_DEFAULT) < 0) {
      c.fail_hdf5("copying run " + std::to_string(from_index) + " of '" + source_path + "' to run " + to);
    }
    Hid copy = c.id(H5Gopen2(runs.get(), to.c_str(), H5P_DEFAULT), H5Gclose, "run " + to);
    reattach_scales(c, copy.get(), layout, "run " + to);
    s.status(source.close(), "closing the file");
  }

  runs.close();
  // The file's close is where buffered metadata reaches the disk: it must be checked.
  if (file.close() < 0) c.fail_hdf5("closing '" + temp.path + "'");
  if (std::rename(temp.path.c_str(), final_path.c_str()) != 0) {
    c.fail("renaming '" + temp.path + "'", std::strerror(errno));
  }
  temp.keep = true;
}

}  // namespace rapture
