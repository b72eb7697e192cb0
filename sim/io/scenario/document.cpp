#include "io/scenario/document.hpp"

#include <sstream>
#include <utility>
#include <vector>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include "common/error.hpp"
#include "common/limits.hpp"
#include "io/scenario/reader.hpp"

namespace rapture::scenario_reader {

namespace {

/// Records the first node of a document, to tell a real document from a stuck parser.
class FirstNode : public YAML::EventHandler {
 public:
  int nodes = 0;
  bool only_null = false;
  YAML::Mark mark = YAML::Mark::null_mark();

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m, true); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m, false); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override {
    note(m, false);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m, false);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m, false);
  }
  void OnMapEnd() override {}

 private:
  void note(const YAML::Mark& m, bool is_null) {
    if (nodes++ == 0) {
      mark = m;
      only_null = is_null;
    } else {
      only_null = false;
    }
  }
};

}  // namespace

// YAML::LoadAll is not used: in yaml-cpp 0.7 a stray ',' at block level makes every further call
// of the parser return an empty document without consuming anything, so LoadAll loops forever
// while allocating (yaml-cpp issue #1040), and YAML::Load returns silently what came before it.
Document load_document(const std::string& text) {
  Document doc;
  try {
    doc.root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    doc.problem_line = e.mark.line + 1;
    doc.problem =
        "lists or maps nested more than " + std::to_string(kYamlNesting) + " levels deep (unbalanced '[' or '{'?)";
    return doc;
  }
  std::istringstream in(text);
  YAML::Parser parser(in);
  FirstNode previous;
  // Three documents at most: enough to see a second one, and to see the parser stuck on the same spot.
  for (int i = 0; i < 3; ++i) {
    FirstNode current;
    if (!parser.HandleNextDocument(current)) break;
    if (i > 0 && current.only_null && previous.only_null && current.mark.pos == previous.mark.pos) {
      doc.problem_line = current.mark.line + 1;
      doc.problem = "invalid YAML: unexpected character (a ',' outside [...] or {...}?)";
      return doc;
    }
    if (i == 1) {
      doc.problem_line = current.mark.line + 1;
      doc.problem = "expected a single YAML document, found another one here";
    }
    previous = current;
  }
  return doc;
}

Expansion expand_bounded(const YAML::Node& root, size_t limit, const std::string& path) {
  // Each node to visit, its depth, and the entry (at most four steps down) it belongs to.
  struct Entry {
    std::string path;
    YAML::Mark mark;
  };
  struct Visit {
    YAML::Node node;
    int depth;
    size_t entry;
  };
  std::vector<Entry> entries{{path, root.Mark()}};
  std::vector<Visit> stack{{root, 0, 0}};
  size_t count = 0;
  while (!stack.empty()) {
    const Visit v = std::move(stack.back());
    stack.pop_back();
    if (++count > limit) return {true, entries[v.entry].path, entries[v.entry].mark};
    // Entries are map values down to four steps, and the items of the top-level lists
    // (`designs[0]`): an alias's expansion is then named by its key, not by an index within it.
    auto child = [&](const YAML::Node& node, const std::string& child_path) {
      size_t entry = v.entry;
      if (v.depth < 4 && (!v.node.IsSequence() || v.depth <= 1)) {
        entry = entries.size();
        entries.push_back({child_path, node.Mark()});
      }
      stack.push_back({node, v.depth + 1, entry});
    };
    const std::string here = entries[v.entry].path;  // a copy: child() grows `entries`
    if (v.node.IsSequence()) {
      for (size_t i = 0; i < v.node.size(); ++i) {
        child(v.node[i], v.depth < 4 ? index_path(here, i) : std::string());
      }
    } else if (v.node.IsMap()) {
      for (auto it = v.node.begin(); it != v.node.end(); ++it) {
        const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
        child(it->first, here);
        child(it->second, v.depth < 4 ? join_path(here, key) : std::string());
      }
    }
  }
  return {};
}

YAML::Node load_root(const std::string& text, const std::string& file_name, const std::string& expected_keys) {
  YAML::Node root;
  try {
    const Document doc = load_document(text);
    if (doc.problem_line > 0) throw InputError({file_name, doc.problem_line, ""}, doc.problem);
    root = doc.root;
  } catch (const YAML::Exception& e) {
    throw InputError({file_name, e.mark.is_null() ? 0 : e.mark.line + 1, ""}, "invalid YAML: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    throw InputError({file_name, root.Mark().line + 1, ""},
                     "expected a map of keys (" + expected_keys + "), got " + type_name(root));
  }
  // Before anything walks the tree: a design's `set` is emitted as text, expanding its aliases.
  const size_t limit = text.size() + limits::kAliasExpansion;
  if (const auto e = expand_bounded(root, limit); e.over) {
    throw InputError({file_name, e.mark.is_null() ? 0 : e.mark.line + 1, "key " + e.path},
                     "its aliases (*name) expand to more than " + std::to_string(limit) +
                         " YAML nodes; write the values out or use fewer aliases");
  }
  return root;
}

}  // namespace rapture::scenario_reader
