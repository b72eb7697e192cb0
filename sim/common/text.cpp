#include "common/text.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace rapture::text {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string edge_name(std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(from.size() + to.size() + 4);
  out.append(from).append(" -> ").append(to);
  return out;
}

std::optional<std::pair<std::string, std::string>> split_edge(std::string_view s) {
  const auto arrow = s.find("->");
  if (arrow == std::string_view::npos || s.find("->", arrow + 2) != std::string_view::npos) return std::nullopt;
  const auto from = trim(s.substr(0, arrow));
  const auto to = trim(s.substr(arrow + 2));
  if (from.empty() || to.empty()) return std::nullopt;
  return std::pair{std::string(from), std::string(to)};
}

std::string dot_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

std::string millis(double seconds) {
  if (std::isnan(seconds)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f ms", 1e3 * seconds);
  return buf;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string one_of(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += names[i];
  }
  return out;
}

std::optional<std::string_view> near_miss(std::string_view name, const std::vector<std::string_view>& candidates) {
  for (const auto c : candidates)
    if (c.size() > 2 && edit_distance(name, c) <= 2) return c;
  return std::nullopt;
}

std::string percent(double share) {
  if (std::isnan(share)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * share);
  return buf;
}

std::string excerpt(std::string_view s, size_t max_chars) {
  if (s.size() <= max_chars) return std::string(s);
  size_t cut = max_chars;
  // Back up over UTF-8 continuation bytes so that a multi-byte character is not split.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "\u2026";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace rapture::text
