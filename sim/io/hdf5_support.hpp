#pragma once
/// What every HDF5 reader and writer of rapture needs: an owning handle, a quiet error
/// stack, and the message of the innermost error (the part a user can act on).

#include <hdf5.h>

#include <string>
#include <utility>

#include "common/error.hpp"

namespace rapture::hdf5 {

/// Turns off HDF5's printing of its error stack (per thread: redo at every entry point).
void silence();

/// The most specific message on HDF5's error stack (the system's message when a system call
/// failed, e.g. "Permission denied"), then clears the stack.
std::string error_detail();

/// Why a results file cannot be written at `final_path` (missing or unwritable directory, a
/// directory in the way), found before any work is spent; empty if it can.
std::string unwritable_reason(const std::string& final_path);

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

}  // namespace rapture::hdf5
