#pragma once
/// Small text helpers every layer shares: trimming, the "from -> to" form of a call, quoting
/// for DOT, number formats of messages, near-miss suggestions and keyword tables whose error
/// message lists the choices. One definition each, so that every reader trims, quotes and
/// names a call the same way.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rapture::text {

/// `s` without leading and trailing whitespace (std::isspace: space, tab, newline, CR, FF, VT).
[[nodiscard]] std::string_view trim(std::string_view s);

/// "from -> to": how every message and every input names a call.
[[nodiscard]] std::string edge_name(std::string_view from, std::string_view to);

/// Splits "from -> to" (one arrow, both sides non-empty after trimming); nullopt otherwise.
[[nodiscard]] std::optional<std::pair<std::string, std::string>> split_edge(std::string_view s);

/// `s` as a DOT quoted string. Only `"` is escaped, as the DOT grammar says: a backslash
/// stays, so that Graphviz's label escapes (`\n`, `\l`) keep their meaning.
[[nodiscard]] std::string dot_quote(std::string_view s);

/// `%g` of `value`: the shortest plain form ("0.25", "1e+06").
[[nodiscard]] std::string number(double value);

/// Seconds as milliseconds with one decimal ("12.5 ms"); "-" when `seconds` is NaN.
[[nodiscard]] std::string millis(double seconds);

/// Levenshtein distance between `a` and `b`.
[[nodiscard]] size_t edit_distance(std::string_view a, std::string_view b);

/// "a, b or c" (one name alone, "a or b" for two).
[[nodiscard]] std::string one_of(const std::vector<std::string_view>& names);

/// The first candidate `name` is a likely typo of (longer than two characters, at most two
/// edits away); nullopt when there is none.
[[nodiscard]] std::optional<std::string_view> near_miss(std::string_view name,
                                                        const std::vector<std::string_view>& candidates);

/// The names of an enumeration as users write them, in one table: parsing and the
/// "expected one of" of the error message come from the same entries.
template <typename T>
class KeywordTable {
 public:
  KeywordTable(std::initializer_list<std::pair<std::string_view, T>> entries) : entries_(entries) {}

  /// The value named `name`; nullopt when no entry has that name.
  [[nodiscard]] std::optional<T> find(std::string_view name) const {
    for (const auto& [n, v] : entries_)
      if (n == name) return v;
    return std::nullopt;
  }
  /// The name of `value` (the first entry with it); empty when none.
  [[nodiscard]] std::string_view name(T value) const {
    for (const auto& [n, v] : entries_)
      if (v == value) return n;
    return {};
  }
  /// Every name, in table order.
  [[nodiscard]] std::vector<std::string_view> names() const {
    std::vector<std::string_view> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) out.push_back(e.first);
    return out;
  }
  /// "a, b or c": the names, for an error message.
  [[nodiscard]] std::string expected() const { return one_of(names()); }

 private:
  std::vector<std::pair<std::string_view, T>> entries_;
};

/// The names of `table` a message offers: the first name of each value, later names of the
/// same value being accepted aliases ("count" for "count_based").
template <typename T>
[[nodiscard]] std::vector<std::string_view> primary_names(const KeywordTable<T>& table) {
  std::vector<std::string_view> out;
  for (const auto n : table.names())
    if (table.name(*table.find(n)) == n) out.push_back(n);
  return out;
}

/// A share as a percentage with one decimal ("12.5%"); "-" when `share` is NaN.
[[nodiscard]] std::string percent(double share);

/// `s` cut to its first `max_chars` bytes followed by "…" when longer (never inside a UTF-8
/// sequence), so that a message never echoes a huge value whole.
[[nodiscard]] std::string excerpt(std::string_view s, size_t max_chars = 40);

/// `s` with ASCII letters in lower case (DOT keywords, flag spellings, file extensions).
[[nodiscard]] std::string lower(std::string_view s);

}  // namespace rapture::text
