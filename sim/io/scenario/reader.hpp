#pragma once
/// The machinery every section of the scenario is read with: a node of the YAML tree with its
/// path (`Item`), maps checked for duplicate and unknown keys (`MapView`), and scalars read with
/// their units, each error located at the line of the value or at `--set` (`Reader`).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/error.hpp"
#include "common/text.hpp"
#include "model/distribution.hpp"

namespace rapture::scenario_reader {

/// The file name given to values that come from `--set` (they have no line).
inline constexpr const char* kSetFile = "--set";

/// `parent.key`, the key quoted when it would not read back as one segment of a dotted path.
std::string join_path(const std::string& parent, std::string_view key);
/// `parent[index]`.
std::string index_path(const std::string& parent, size_t index);
/// What a node is, for "expected X, got Y": "nothing", "a map", "a list" or the quoted scalar.
std::string type_name(const YAML::Node& node);
/// `%g` seconds: "2.5s".
std::string seconds(double value);

/// A node of the tree with what is needed to report a problem with it.
struct Item {
  YAML::Node node;
  YAML::Node key;      ///< its key when it is a value in a map (a null node otherwise)
  std::string path;    ///< dotted path from the root, "workload[0].arrivals.rate"
  std::string joined;  ///< when not empty, the text of the value, rejoined (see `rejoin` in reader.cpp)
};

class Reader;

/// A YAML map checked for duplicate and non-text keys; a null node reads as an empty map.
class MapView {
 public:
  /// One key of the map and its value.
  struct Entry {
    std::string name;
    Item item;
  };

  MapView(const Reader& reader, const Item& item);

  /// The value of `key`; nullopt when the map does not have it.
  [[nodiscard]] std::optional<Item> get(std::string_view key) const;
  /// The value of a required key.
  [[nodiscard]] Item need(std::string_view key, std::string_view what) const;
  /// Rejects keys outside `allowed`, so that typos do not pass silently.
  void allow(const std::vector<std::string_view>& allowed) const;
  /// Every key, in the order of the file.
  [[nodiscard]] const std::vector<Entry>& entries() const { return entries_; }

 private:
  const Reader& reader_;
  Item item_;
  std::vector<Entry> entries_;
};

/// Reads the values of one scenario tree. Each scalar reader names what it expected when the
/// value does not fit, at the value's line.
class Reader {
 public:
  /// Where each value set by an override was written, by the path it set, in the order applied.
  using Origins = std::vector<std::pair<std::string, SourceLocation>>;

  Reader(std::string file, std::string base_dir, YAML::Node root, Origins origins = {})
      : file_(std::move(file)), base_dir_(std::move(base_dir)), root_(std::move(root)), origins_(std::move(origins)) {}

  /// The scenario file's name as given (messages, the default scenario name).
  [[nodiscard]] const std::string& file() const { return file_; }
  /// The directory relative paths of the file are resolved against.
  [[nodiscard]] const std::string& base_dir() const { return base_dir_; }
  /// The root of the tree (a map).
  [[nodiscard]] const YAML::Node& root() const { return root_; }

  /// Where `item` lies: its line in the file, or "--set" when the value came from an override.
  [[nodiscard]] SourceLocation where(const Item& item) const;
  /// The same with the element named explicitly (for the `where` fields of the scenario).
  [[nodiscard]] SourceLocation where_key(const Item& item, std::string element) const;
  [[noreturn]] void fail(const Item& item, const std::string& message) const { throw InputError(where(item), message); }
  /// Whether the value came from `--set` (its paths are then relative to the working directory).
  [[nodiscard]] bool from_override(const Item& item) const {
    return item.node.Mark().is_null() && !item.node.is(root_);
  }

  [[nodiscard]] std::string text(const Item& item, std::string_view what) const;
  [[nodiscard]] double duration(const Item& item) const;
  [[nodiscard]] double rate(const Item& item) const;
  [[nodiscard]] int64_t integer(const Item& item, int64_t low, int64_t high) const;
  [[nodiscard]] double number(const Item& item) const;
  [[nodiscard]] bool boolean(const Item& item) const;
  /// A percentage written `50%` or `50`, as the number 50.
  [[nodiscard]] double percent(const Item& item) const;
  /// A share in [0, 1], written `5%` or `0.05`.
  [[nodiscard]] double share(const Item& item) const;
  [[nodiscard]] Distribution distribution(const Item& item) const;
  /// "from -> to" in `text`, the error at `item`.
  [[nodiscard]] std::pair<std::string, std::string> edge(const Item& item, std::string_view text) const;
  /// The entries of a list (a null node is an empty list).
  [[nodiscard]] std::vector<Item> list(const Item& item, std::string_view what) const;
  /// One name or a list of names.
  [[nodiscard]] std::vector<std::string> names(const Item& item, std::string_view what) const;

  /// A number with a unit, read by `parse` (units::parse_*), its complaint reported at `item`.
  template <typename Parse>
  [[nodiscard]] double with_units(const Item& item, std::string_view what, Parse parse) const {
    const std::string t = text(item, what);
    try {
      return parse(t);
    } catch (const std::invalid_argument& e) {
      fail(item, e.what());
    }
  }
  /// One of the words of `table` (a `what` such as "fault kind"); the error lists them all
  /// but aliases, from the table, so that a new word cannot be missing from the message.
  template <typename T>
  [[nodiscard]] T keyword(const Item& item, std::string_view what, const text::KeywordTable<T>& table) const {
    const std::string expected = text::one_of(text::primary_names(table));
    const std::string t = text(item, expected);
    if (const auto value = table.find(t)) return *value;
    fail(item, "unknown " + std::string(what) + " '" + t + "' (expected " + expected + ")");
  }
  /// Runs a policy's validate(), turning its complaint into an error at `item`.
  template <typename Config>
  void validated(const Item& item, const Config& config) const {
    try {
      config.validate();
    } catch (const std::invalid_argument& e) {
      fail(item, e.what());
    }
  }

 private:
  [[nodiscard]] SourceLocation locate(const YAML::Node& node, std::string element, const std::string& path) const;

  std::string file_, base_dir_;
  YAML::Node root_;
  Origins origins_;
};

}  // namespace rapture::scenario_reader
