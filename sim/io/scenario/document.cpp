#include "io/scenario/document.hpp"

#include <sstream>

#include <yaml-cpp/eventhandler.h>

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
  doc.root = YAML::Load(text);
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

}  // namespace rapture::scenario_reader
