#include "io/hdf5_support.hpp"

#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

namespace rapture::hdf5 {

namespace {
herr_t keep_innermost(unsigned /*n*/, const H5E_error2_t* error, void* out) {
  if (error->desc != nullptr && error->desc[0] != '\0') *static_cast<std::string*>(out) = error->desc;
  return 0;
}
}  // namespace

std::mutex& library_mutex() {
  static std::mutex mutex;
  return mutex;
}

void silence() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string error_detail() {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  // A system call's failure reads "..., errno = 13, error message = 'Permission denied', ...".
  constexpr std::string_view kSystem = "error message = '";
  if (const size_t at = detail.find(kSystem); at != std::string::npos) {
    const size_t start = at + kSystem.size();
    if (const size_t end = detail.find('\'', start); end != std::string::npos) return detail.substr(start, end - start);
  }
  return detail;
}

std::string unwritable_reason(const std::string& final_path) {
  namespace fs = std::filesystem;
  if (final_path.empty()) return "the path is empty";
  const fs::path path(final_path);
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  const fs::file_status dir_status = fs::status(dir, ec);
  if (!fs::exists(dir_status)) return "directory '" + dir.string() + "' does not exist";
  if (!fs::is_directory(dir_status)) return "'" + dir.string() + "' is not a directory";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return "directory '" + dir.string() + "' is not writable: " + std::strerror(errno);
  }
  const fs::file_status status = fs::status(path, ec);
  if (fs::is_directory(status)) return "it is a directory";
  return {};
}

std::string unreplaceable_reason(const std::string& final_path) {
  if (std::string reason = unwritable_reason(final_path); !reason.empty()) return reason;
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(final_path, ec);
  if (!std::filesystem::exists(status)) return {};
  if (!std::filesystem::is_regular_file(status)) return "it exists and is not a regular file";
  if (!is_rapture_results(final_path)) return "it exists and is not a rapture results file (refusing to replace it)";
  return {};
}

bool is_rapture_results(const std::string& path) {
  // The signature first: H5Fopen on an arbitrary file would parse it.
  static constexpr std::array<char, 8> kSignature{'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::array<char, 8> head{};
  {
    std::ifstream in(path, std::ios::binary);
    if (!in.read(head.data(), head.size()) || head != kSignature) return false;
  }
  silence();
  const Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  bool ours = false;
  if (file.valid() && H5Aexists(file.get(), "format") > 0) {
    const Hid attr(H5Aopen(file.get(), "format", H5P_DEFAULT), H5Aclose);
    const Hid type(H5Aget_type(attr.get()), H5Tclose);
    char* value = nullptr;
    if (attr.valid() && type.valid() && H5Tis_variable_str(type.get()) > 0 &&
        H5Aread(attr.get(), type.get(), static_cast<void*>(&value)) >= 0 && value != nullptr) {
      ours = std::string_view(value) == "rapture-results";
      H5free_memory(value);
    }
  }
  H5Eclear2(H5E_DEFAULT);
  return ours;
}

namespace {
/// Largest time-series chunk aimed for.
constexpr size_t kTargetChunkBytes = size_t{1} << 20;
constexpr hsize_t kMaxChunkRows = 256;
constexpr hsize_t kMinChunkRows = 16;
constexpr unsigned kDeflateLevel = 4;
}  // namespace

Hid string_type(const Check& check) {
  Hid type = check.id(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
  check.status(H5Tset_size(type.get(), H5T_VARIABLE), "string type");
  check.status(H5Tset_cset(type.get(), H5T_CSET_UTF8), "string type");
  return type;
}

Hid simple_space(const Check& check, std::span<const hsize_t> dims, std::span<const hsize_t> max) {
  return check.id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max.empty() ? nullptr : max.data()),
                  H5Sclose, "dataspace");
}

std::pair<Hid, Hid> open_record(const Check& check, const std::string& path, const std::string& name) {
  silence();
  Hid file = check.id(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "cannot open it");
  Hid group = create_group(check, file.get(), name);
  return {std::move(file), std::move(group)};
}

Hid create_group(const Check& check, hid_t parent, const std::string& name) {
  Hid gcpl = check.id(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "group properties");
  check.status(H5Pset_link_phase_change(gcpl.get(), kMaxCompact, kMinDense), "group properties");
  check.status(H5Pset_attr_phase_change(gcpl.get(), kMaxCompact, kMinDense), "group properties");
  return check.id(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose,
                  "group '" + name + "'");
}

void attr_string(const Check& check, hid_t loc, const char* name, const std::string& value) {
  Hid type = string_type(check);
  Hid space = check.id(H5Screate(H5S_SCALAR), H5Sclose, "dataspace");
  Hid attr = check.id(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                      std::string("attribute '") + name + "'");
  const char* text = value.c_str();
  check.status(H5Awrite(attr.get(), type.get(), &text), std::string("attribute '") + name + "'");
}

void attr_strings(const Check& check, hid_t loc, const char* name, const std::vector<std::string>& values) {
  Hid type = string_type(check);
  const std::array<hsize_t, 1> dims{values.size()};
  Hid space = simple_space(check, dims);
  Hid attr = check.id(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                      std::string("attribute '") + name + "'");
  if (values.empty()) return;
  std::vector<const char*> texts;
  texts.reserve(values.size());
  for (const auto& value : values) texts.push_back(value.c_str());
  check.status(H5Awrite(attr.get(), type.get(), texts.data()), std::string("attribute '") + name + "'");
}

Hid string_dataset(const Check& check, hid_t group, const std::string& name, const std::vector<std::string>& values) {
  Hid type = string_type(check);
  const std::array<hsize_t, 1> dims{values.size()};
  Hid space = simple_space(check, dims);
  Hid dset = check.id(H5Dcreate2(group, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                      H5Dclose, "dataset '" + name + "'");
  if (!values.empty()) {
    std::vector<const char*> texts;
    texts.reserve(values.size());
    for (const auto& value : values) texts.push_back(value.c_str());
    check.status(H5Dwrite(dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()),
                 "dataset '" + name + "'");
  }
  return dset;
}

void make_scale(const Check& check, const Hid& dset, const std::string& name) {
  check.status(H5DSset_scale(dset.get(), name.c_str()), "dimension scale '" + name + "'");
}

void attach(const Check& check, const Hid& dset, std::initializer_list<std::pair<const Hid*, const char*>> scales) {
  unsigned dim = 0;
  for (const auto& [scale, label] : scales) {
    check.status(H5DSattach_scale(dset.get(), scale->get(), dim), std::string("attaching scale '") + label + "'");
    check.status(H5DSset_label(dset.get(), dim, label), std::string("labelling dimension '") + label + "'");
    ++dim;
  }
}

hsize_t series_chunk_rows(size_t widest_row_bytes) {
  return std::clamp<hsize_t>(kTargetChunkBytes / std::max<size_t>(widest_row_bytes, 1), kMinChunkRows, kMaxChunkRows);
}

Hid series_dataset(const Check& check, hid_t group, const std::string& name, hid_t file_type,
                   std::span<const hsize_t> dims_after_time, hsize_t chunk_rows, hsize_t rows) {
  std::vector<hsize_t> dims{rows}, max{H5S_UNLIMITED}, chunk{chunk_rows};
  for (hsize_t d : dims_after_time) {
    dims.push_back(d);
    // A zero-length axis cannot hold a chunk of 1; leaving it unlimited keeps the dataset valid.
    max.push_back(d == 0 ? H5S_UNLIMITED : d);
    chunk.push_back(std::max<hsize_t>(d, 1));
  }
  Hid space = simple_space(check, dims, max);
  Hid dcpl = check.id(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "dataset properties");
  check.status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), "chunking '" + name + "'");
  check.status(H5Pset_shuffle(dcpl.get()), "shuffle filter");
  check.status(H5Pset_deflate(dcpl.get(), kDeflateLevel), "deflate filter");
  // Whole chunks are written once and never read back, so a chunk cache would only cost memory.
  Hid dapl = check.id(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose, "dataset access properties");
  check.status(H5Pset_chunk_cache(dapl.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT),
               "chunk cache");
  return check.id(H5Dcreate2(group, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), dapl.get()),
                  H5Dclose, "dataset '" + name + "'");
}

}  // namespace rapture::hdf5
