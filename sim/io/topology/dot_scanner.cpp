#include "io/topology/dot_scanner.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "common/limits.hpp"
#include "common/text.hpp"

namespace rapture::topology_io {

namespace {

/// One token, cut as Boost's tokenizer cuts the text.
struct DotToken {
  enum Type { Id, Keyword, Punct, Arrow, DashDash, Eof, Bad };
  Type type = Eof;
  std::string text;  // identifier value (quotes removed), lower-case keyword, or punctuation
  int line = 0;
  bool glued = false;  // a number directly followed by a letter, e.g. 5ms or 1e12
};

/// The tokens of `s`, ending with Eof, or with Bad where Boost's tokenizer would fail.
std::vector<DotToken> dot_tokens(std::string_view s) {
  std::vector<DotToken> out;
  size_t i = 0;
  int line = 1;
  auto advance_to = [&](size_t j) {
    line += static_cast<int>(
        std::count(s.begin() + static_cast<std::ptrdiff_t>(i), s.begin() + static_cast<std::ptrdiff_t>(j), '\n'));
    i = j;
  };
  auto bad = [&](const std::string& what) { out.push_back({DotToken::Bad, what, line}); };
  while (true) {
    // Whitespace and comments.
    while (i < s.size()) {
      const char c = s[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        advance_to(i + 1);
      } else if (s.compare(i, 2, "//") == 0) {
        advance_to(std::min(s.find('\n', i), s.size()));
      } else if (s.compare(i, 2, "/*") == 0) {
        const auto end = s.find("*/", i + 2);
        if (end == std::string_view::npos) {
          bad("unterminated /* comment");
          return out;
        }
        advance_to(end + 2);
      } else if (c == '#' && (i == 0 || s[i - 1] == '\n')) {
        advance_to(std::min(s.find('\n', i), s.size()));
      } else if (c == '\\' && i + 1 < s.size() && s[i + 1] == '\n') {
        advance_to(i + 2);
      } else {
        break;
      }
    }
    if (i >= s.size()) {
      out.push_back({DotToken::Eof, "", line});
      return out;
    }
    const int start_line = line;
    const char c = s[i];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      std::string word(s.substr(i, j - i));
      const bool keyword = is_dot_keyword(word);
      out.push_back({keyword ? DotToken::Keyword : DotToken::Id, keyword ? text::lower(word) : word, start_line});
      advance_to(j);
    } else if (s.compare(i, 2, "->") == 0) {
      out.push_back({DotToken::Arrow, "->", start_line});
      advance_to(i + 2);
    } else if (s.compare(i, 2, "--") == 0) {
      out.push_back({DotToken::DashDash, "--", start_line});
      advance_to(i + 2);
    } else if (std::string_view("[]{};=,:+()@").find(c) != std::string_view::npos) {
      out.push_back({DotToken::Punct, std::string(1, c), start_line});
      advance_to(i + 1);
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-') {
      size_t j = i + (c == '-' ? 1 : 0);
      const size_t digits_from = j;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      if (j == digits_from) {
        bad(std::string("invalid character '") + c + "'");
        return out;
      }
      const bool glued = j < s.size() && (std::isalpha(static_cast<unsigned char>(s[j])) || s[j] == '_');
      out.push_back({DotToken::Id, std::string(s.substr(i, j - i)), start_line, glued});
      advance_to(j);
    } else if (c == '"') {
      // Quoted strings, joined by '+' as Boost does.
      std::string value;
      bool first = true;
      while (true) {
        if (!first) {
          size_t k = i;
          while (k < s.size() && std::isspace(static_cast<unsigned char>(s[k]))) ++k;
          if (k >= s.size() || s[k] != '+') break;
          ++k;
          while (k < s.size() && std::isspace(static_cast<unsigned char>(s[k]))) ++k;
          if (k >= s.size() || s[k] != '"') break;
          advance_to(k);
        }
        first = false;
        size_t j = i + 1;
        while (j < s.size() && s[j] != '"') j += (s[j] == '\\' && j + 1 < s.size()) ? 2 : 1;
        if (j >= s.size()) {
          bad("unterminated quoted string");
          return out;
        }
        // Unescape as Boost does: \" becomes ", backslash-newline disappears, the rest stays.
        for (size_t k = i + 1; k < j; ++k) {
          if (s[k] == '\\' && k + 1 < j && (s[k + 1] == '"' || s[k + 1] == '\n')) {
            if (s[k + 1] == '"') value += '"';
            ++k;
          } else {
            value += s[k];
          }
        }
        advance_to(j + 1);
      }
      out.push_back({DotToken::Id, value, start_line});
    } else if (c == '<') {
      int depth = 0;
      size_t j = i;
      do {
        if (j >= s.size()) {
          bad("unclosed HTML string");
          return out;
        }
        if (s[j] == '<') ++depth;
        if (s[j] == '>') --depth;
        ++j;
      } while (depth > 0);
      out.push_back({DotToken::Id, std::string(s.substr(i, j - i)), start_line});
      advance_to(j);
    } else {
      bad(std::string("invalid character '") + c + "'");
      return out;
    }
  }
}

/// A recursive-descent pass over the tokens in Boost's grammar that records where things are;
/// it stops at the first syntax error.
class DotScanner {
 public:
  explicit DotScanner(std::string_view text) : tokens_(dot_tokens(text)) {}

  DotLayout scan() {
    // Nesting first, over the flat token list: both this scanner and Boost's parser recurse once
    // per '{', so a file nested deeper than the limit is refused before either descends.
    int depth = 0;
    for (const auto& token : tokens_) {
      if (token.type != DotToken::Punct) continue;
      if (token.text == "{" && ++depth > limits::kNesting) {
        layout_.nesting_line = token.line;
        return std::move(layout_);
      }
      if (token.text == "}") --depth;
    }
    for (size_t k = 0; k + 1 < tokens_.size(); ++k) {
      if (tokens_[k].glued) {
        layout_.glued_line = tokens_[k].line;
        layout_.glued_text = tokens_[k].text + tokens_[k + 1].text;
        break;
      }
    }
    try {
      graph();
    } catch (const Stop&) {}
    return std::move(layout_);
  }

 private:
  struct Stop {};
  struct Endpoint {
    bool subgraph = false;
    std::string name;
  };

  const DotToken& peek() const { return tokens_[std::min(pos_, tokens_.size() - 1)]; }
  DotToken get() {
    DotToken t = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool is(const char* punct) const { return peek().type == DotToken::Punct && peek().text == punct; }
  bool is_keyword(const char* word) const { return peek().type == DotToken::Keyword && peek().text == word; }
  [[noreturn]] void fail(const std::string& what) {
    layout_.error_line = peek().line;
    layout_.error = peek().type == DotToken::Bad ? peek().text : what;
    throw Stop{};
  }

  void mention(const std::string& name, int line) {
    if (seen_.insert(name).second) layout_.first_mentions.emplace_back(name, line);
  }

  void graph() {
    if (is_keyword("strict")) get();
    if (!is_keyword("graph") && !is_keyword("digraph")) fail("expected 'digraph'");
    layout_.graph_keyword_line = peek().line;
    get();
    if (peek().type == DotToken::Id) layout_.graph_id = get().text;
    if (!is("{")) fail("expected '{' to start the graph");
    get();
    statements();
    if (!is("}")) fail("expected '}' to end the graph");
    get();
    if (peek().type != DotToken::Eof) fail("expected the end of the file after the graph");
  }

  void statements() {
    while (!is("}")) {
      if (peek().type == DotToken::Eof || peek().type == DotToken::Bad) fail("expected '}'");
      statement();
      if (is(";")) get();
    }
  }

  void statement() {
    if (is_keyword("graph") || is_keyword("node") || is_keyword("edge")) {
      get();
      std::map<std::string, int> ignored;
      attributes(ignored);
      return;
    }
    if (!(is_keyword("subgraph") || is("{") || peek().type == DotToken::Id)) fail("expected a statement");
    const DotToken first = get();
    if (first.type == DotToken::Id && is("=")) {
      get();
      if (peek().type != DotToken::Id) fail("expected a value after '='");
      get();
      return;
    }
    const Endpoint ep = endpoint_rest(first);
    if (peek().type == DotToken::Arrow || peek().type == DotToken::DashDash) {
      edge_chain(ep);
      return;
    }
    if (!ep.subgraph) {
      layout_.declaration_lines.emplace(ep.name, first.line);
      if (is("[")) attributes(layout_.attribute_lines[ep.name]);
    }
  }

  Endpoint endpoint_rest(const DotToken& first) {
    if (first.type == DotToken::Keyword || (first.type == DotToken::Punct && first.text == "{")) {
      subgraph(first);
      return {true, ""};
    }
    // Ports (`n:p`, `n:p:c`, `n:(a,b)`, `n@angle`) name the node only.
    while (is(":") || is("@")) {
      get();
      if (is("(")) {
        get();
        while (!is(")")) {
          if (peek().type == DotToken::Eof || peek().type == DotToken::Bad) fail("expected ')' to end the port");
          get();
        }
        get();
      } else if (peek().type == DotToken::Id) {
        get();
      } else {
        fail("expected a port name");
      }
    }
    mention(first.text, first.line);
    return {false, first.text};
  }

  void subgraph(const DotToken& first) {
    if (first.type == DotToken::Keyword) {
      if (first.text != "subgraph") fail("expected a node, 'subgraph' or '{'");
      if (peek().type == DotToken::Id) {
        get();
        if (!is("{")) return;  // a reference to a named subgraph
      }
      if (!is("{")) fail("expected '{' to start the subgraph");
      get();
    } else if (!is("{")) {
      // Boost 1.74 wants a second '{' after the one that starts an anonymous group, so the
      // standard `{ a b }` is an error there (and `{{ a b }` one group).
      fail("this DOT reader cannot read an anonymous { ... } group: write 'subgraph { ... }'");
    } else {
      get();
    }
    statements();
    get();  // '}'
  }

  void edge_chain(Endpoint left) {
    while (peek().type == DotToken::Arrow || peek().type == DotToken::DashDash) {
      const DotToken op = get();
      if (op.type == DotToken::DashDash) {
        layout_.error_line = op.line;
        layout_.error = "'--' in a graph; calls need a direction: use 'digraph' and '->'";
        throw Stop{};
      }
      if (!(is_keyword("subgraph") || is("{") || peek().type == DotToken::Id)) fail("expected a node after '->'");
      const DotToken first = get();
      const Endpoint right = endpoint_rest(first);
      layout_.edge_sites.push_back({left.subgraph ? "" : left.name, right.subgraph ? "" : right.name, op.line, false});
      left = right;
    }
    if (is("[")) {
      std::map<std::string, int> ignored;
      attributes(ignored);
    }
  }

  void attributes(std::map<std::string, int>& lines) {
    while (is("[")) {
      get();
      while (!is("]")) {
        if (peek().type != DotToken::Id) fail("expected an attribute name");
        const DotToken key = get();
        lines[key.text] = key.line;
        if (is("=")) {
          get();
          if (peek().type != DotToken::Id) fail("expected an attribute value after '='");
          get();
        }
        if (is(",") || is(";")) get();
      }
      get();
    }
  }

  std::vector<DotToken> tokens_;
  size_t pos_ = 0;
  std::set<std::string> seen_;
  DotLayout layout_;
};

}  // namespace

DotLayout scan_dot(std::string_view text) { return DotScanner(text).scan(); }

bool is_dot_keyword(std::string_view word) {
  const std::string low = text::lower(word);
  return low == "strict" || low == "graph" || low == "digraph" || low == "node" || low == "edge" || low == "subgraph";
}

}  // namespace rapture::topology_io
