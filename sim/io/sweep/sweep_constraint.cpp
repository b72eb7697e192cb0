// Precedence climbing over a small token stream. The depth of the tree is bounded (kMaxDepth),
// so neither the parser's nor the evaluator's recursion can exhaust the stack.
#include "io/sweep/sweep_constraint.hpp"

#include <cctype>
#include <cstdlib>

#include "common/text.hpp"

namespace rapture {

namespace {

constexpr int kMaxDepth = 64;
constexpr size_t kMaxLength = 4096;

struct Token {
  enum class Kind : uint8_t { End, Number, Word, Name, Op, Open, Close } kind = Kind::End;
  std::string text;
  double number = 0;
  size_t at = 0;  ///< column (0-based) in the expression
};

}  // namespace

class ConstraintParser {
 public:
  ConstraintParser(const std::string& text, const std::vector<std::string>& factors, const SourceLocation& where,
                   SweepConstraint& out)
      : text_(text), factors_(factors), where_(where), out_(out) {}

  void run() {
    if (text_.size() > kMaxLength)
      fail(0, "the constraint is longer than " + std::to_string(kMaxLength) + " characters");
    tokenize();
    out_.root_ = expression(0, 0);
    if (tokens_[pos_].kind != Token::Kind::End) fail(tokens_[pos_].at, "unexpected '" + tokens_[pos_].text + "'");
  }

 private:
  using Op = SweepConstraint::Node::Op;

  [[noreturn]] void fail(size_t at, const std::string& message) const {
    throw InputError(where_, "constraint, at column " + std::to_string(at + 1) + ": " + message);
  }

  void tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
        char* end = nullptr;
        const double v = std::strtod(text_.c_str() + i, &end);
        const size_t n = static_cast<size_t>(end - (text_.c_str() + i));
        if (n == 0) fail(i, "expected a number");
        tokens_.push_back({Token::Kind::Number, text_.substr(i, n), v, i});
        i += n;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '_')) ++j;
        tokens_.push_back({Token::Kind::Name, text_.substr(i, j - i), 0, i});
        i = j;
      } else if (c == '\'' || c == '"') {
        const size_t close = text_.find(c, i + 1);
        if (close == std::string::npos) fail(i, "the quoted word is not closed");
        tokens_.push_back({Token::Kind::Word, text_.substr(i + 1, close - i - 1), 0, i});
        i = close + 1;
      } else if (c == '(' || c == ')') {
        tokens_.push_back({c == '(' ? Token::Kind::Open : Token::Kind::Close, std::string(1, c), 0, i});
        ++i;
      } else {
        static const char* const kOps[] = {"<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/"};
        bool found = false;
        for (const char* op : kOps) {
          if (text_.compare(i, std::char_traits<char>::length(op), op) == 0) {
            tokens_.push_back({Token::Kind::Op, op, 0, i});
            i += std::char_traits<char>::length(op);
            found = true;
            break;
          }
        }
        if (!found) fail(i, "unexpected character '" + std::string(1, c) + "'");
      }
    }
    tokens_.push_back({Token::Kind::End, "end", 0, text_.size()});
  }

  /// The binary operator at the current token and its precedence (0: none).
  std::pair<Op, int> binary() const {
    const Token& t = tokens_[pos_];
    if (t.kind == Token::Kind::Name) {
      if (t.text == "or") return {Op::Or, 1};
      if (t.text == "and") return {Op::And, 2};
      return {Op::Number, 0};
    }
    if (t.kind != Token::Kind::Op) return {Op::Number, 0};
    static const text::KeywordTable<std::pair<Op, int>> kBinary{
        {"<", {Op::Lt, 3}},  {"<=", {Op::Le, 3}}, {">", {Op::Gt, 3}},  {">=", {Op::Ge, 3}}, {"==", {Op::Eq, 3}},
        {"!=", {Op::Ne, 3}}, {"+", {Op::Add, 4}}, {"-", {Op::Sub, 4}}, {"*", {Op::Mul, 5}}, {"/", {Op::Div, 5}}};
    return kBinary.find(t.text).value_or(std::pair{Op::Number, 0});
  }

  int add(SweepConstraint::Node node) {
    out_.nodes_.push_back(std::move(node));
    return static_cast<int>(out_.nodes_.size()) - 1;
  }

  int expression(int min_precedence, int depth) {
    int left = unary(depth + 1);
    for (;;) {
      const auto [op, precedence] = binary();
      if (precedence == 0 || precedence < min_precedence) break;
      ++pos_;
      // Comparisons do not chain: `a < b < c` is an error rather than a surprise.
      const int right = expression(precedence + 1, depth + 1);
      if (precedence == 3 && binary().second == 3) fail(tokens_[pos_].at, "comparisons do not chain; use 'and'");
      SweepConstraint::Node n;
      n.op = op;
      n.left = left;
      n.right = right;
      left = add(std::move(n));
    }
    return left;
  }

  int unary(int depth) {
    if (depth > kMaxDepth) fail(tokens_[pos_].at, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    const Token& t = tokens_[pos_];
    SweepConstraint::Node n;
    switch (t.kind) {
      case Token::Kind::Number:
        ++pos_;
        n.op = Op::Number;
        n.number = t.number;
        return add(std::move(n));
      case Token::Kind::Word:
        ++pos_;
        n.op = Op::Word;
        n.word = t.text;
        return add(std::move(n));
      case Token::Kind::Open: {
        ++pos_;
        const int inner = expression(0, depth + 1);
        if (tokens_[pos_].kind != Token::Kind::Close) fail(tokens_[pos_].at, "expected ')'");
        ++pos_;
        return inner;
      }
      case Token::Kind::Op:
        if (t.text == "-") {
          ++pos_;
          n.op = Op::Neg;
          n.left = unary(depth + 1);
          return add(std::move(n));
        }
        break;
      case Token::Kind::Name: {
        if (t.text == "not") {
          ++pos_;
          n.op = Op::Not;
          n.left = expression(3, depth + 1);
          return add(std::move(n));
        }
        for (size_t i = 0; i < factors_.size(); ++i) {
          if (factors_[i] == t.text) {
            ++pos_;
            n.op = Op::Factor;
            n.factor = static_cast<int>(i);
            return add(std::move(n));
          }
        }
        std::vector<std::string_view> names(factors_.begin(), factors_.end());
        std::string message = "no factor is named '" + t.text + "'";
        if (auto near = text::near_miss(t.text, names)) message += "; did you mean '" + std::string(*near) + "'?";
        fail(t.at, message + " (factors: " + text::one_of(names) + "; quote a word: 'cells')");
      }
      default: break;
    }
    fail(t.at, t.kind == Token::Kind::End ? "the expression ends too early" : "unexpected '" + t.text + "'");
  }

  const std::string& text_;
  const std::vector<std::string>& factors_;
  const SourceLocation& where_;
  SweepConstraint& out_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

SweepConstraint SweepConstraint::parse(const std::string& text, const std::vector<std::string>& factors,
                                       const SourceLocation& where) {
  SweepConstraint c;
  ConstraintParser(text, factors, where, c).run();
  return c;
}

bool SweepConstraint::keeps(const std::vector<ConstraintValue>& values) const {
  if (root_ < 0) return true;
  const ConstraintValue v = eval(root_, values);
  return !std::isnan(v.number) && v.number != 0;
}

ConstraintValue SweepConstraint::eval(int index, const std::vector<ConstraintValue>& values) const {
  const Node& n = nodes_[static_cast<size_t>(index)];
  const auto num = [](double x) { return ConstraintValue{x, {}}; };
  switch (n.op) {
    case Node::Op::Number: return num(n.number);
    case Node::Op::Word: return {NAN, n.word};
    case Node::Op::Factor: return values[static_cast<size_t>(n.factor)];
    case Node::Op::Neg: return num(-eval(n.left, values).number);
    case Node::Op::Not: {
      const double x = eval(n.left, values).number;
      return num(std::isnan(x) ? NAN : (x == 0 ? 1 : 0));
    }
    default: break;
  }
  const ConstraintValue a = eval(n.left, values);
  const ConstraintValue b = eval(n.right, values);
  const bool words = std::isnan(a.number) || std::isnan(b.number);
  // Words compare as text (equality only makes sense there); arithmetic on a word is NaN, false.
  const auto compare = [&](auto less_or_equal) -> ConstraintValue {
    if (words) return num(less_or_equal(a.word.compare(b.word), 0) ? 1 : 0);
    return num(less_or_equal(a.number < b.number ? -1 : (a.number > b.number ? 1 : 0), 0) ? 1 : 0);
  };
  switch (n.op) {
    case Node::Op::Add: return num(a.number + b.number);
    case Node::Op::Sub: return num(a.number - b.number);
    case Node::Op::Mul: return num(a.number * b.number);
    case Node::Op::Div: return num(a.number / b.number);
    case Node::Op::Lt: return compare([](int c, int) { return c < 0; });
    case Node::Op::Le: return compare([](int c, int) { return c <= 0; });
    case Node::Op::Gt: return compare([](int c, int) { return c > 0; });
    case Node::Op::Ge: return compare([](int c, int) { return c >= 0; });
    case Node::Op::Eq: return compare([](int c, int) { return c == 0; });
    case Node::Op::Ne: return compare([](int c, int) { return c != 0; });
    case Node::Op::And:
      return num((a.number != 0 && !std::isnan(a.number)) && (b.number != 0 && !std::isnan(b.number)) ? 1 : 0);
    case Node::Op::Or:
      return num((a.number != 0 && !std::isnan(a.number)) || (b.number != 0 && !std::isnan(b.number)) ? 1 : 0);
    default: return num(NAN);
  }
}

}  // namespace rapture
