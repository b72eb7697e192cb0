#include "io/suggest_record.hpp"

#include <array>
#include <mutex>

#include "io/hdf5_support.hpp"

namespace rapture {

namespace {

using hdf5::Check;
using hdf5::Hid;

/// A table: one group whose datasets all run along its first dataset, `name` (a dimension scale).
class Table {
 public:
  Table(const Check& check, hid_t parent, const char* group, const std::vector<std::string>& names)
      : check_(check), group_(hdf5::create_group(check, parent, group)) {
    axis_ = hdf5::string_dataset(check, group_.get(), "name", names);
    hdf5::make_scale(check, axis_, "name");
  }
  template <class T, class Rows, class Get>
  void column(const char* name, const Rows& rows, Get get) const {
    std::vector<T> data;
    data.reserve(rows.size());
    for (const auto& row : rows) data.push_back(static_cast<T>(get(row)));
    const std::array<hsize_t, 1> dims{data.size()};
    const Hid dset = hdf5::fixed_dataset<T>(check_, group_.get(), name, dims, data.data());
    hdf5::attach(check_, dset, {{&axis_, "name"}});
  }
  template <class Rows, class Get>
  void text(const char* name, const Rows& rows, Get get) const {
    std::vector<std::string> data;
    data.reserve(rows.size());
    for (const auto& row : rows) data.push_back(get(row));
    const Hid dset = hdf5::string_dataset(check_, group_.get(), name, data);
    hdf5::attach(check_, dset, {{&axis_, "name"}});
  }

 private:
  const Check& check_;
  Hid group_;
  Hid axis_;
};

}  // namespace

void write_suggest_record(const std::string& path, const SuggestRecord& r) {
  const std::lock_guard lock(hdf5::library_mutex());
  const Check check(path);
  auto [file, group] = hdf5::open_record(check, path, "suggest");
  const hid_t g = group.get();
  hdf5::attr_string(check, g, "scenario", r.scenario);
  hdf5::attr_string(check, g, "design", r.design);
  hdf5::attr_string(check, g, "verdict", r.verdict);
  hdf5::attr_string(check, g, "amplified", r.amplified);
  {
    std::vector<std::string> names;
    for (size_t i = 0; i < r.findings.size(); ++i) names.push_back(std::to_string(i));
    const Table t(check, g, "findings", names);
    using F = SuggestRecord::Finding;
    t.text("kind", r.findings, [](const F& f) { return f.kind; });
    t.text("service", r.findings, [](const F& f) { return f.service; });
    t.text("other", r.findings, [](const F& f) { return f.other; });
    t.text("host", r.findings, [](const F& f) { return f.host; });
    t.text("calls", r.findings, [](const F& f) { return f.calls; });
    t.text("assumption", r.findings, [](const F& f) { return f.assumption; });
    t.text("evidence", r.findings, [](const F& f) { return f.evidence; });
    t.column<double>("time", r.findings, [](const F& f) { return f.time; });
  }
  {
    std::vector<std::string> names;
    for (const auto& c : r.candidates) names.push_back(c.name);
    const Table t(check, g, "candidates", names);
    using C = SuggestRecord::Candidate;
    t.text("description", r.candidates, [](const C& c) { return c.description; });
    t.text("rule", r.candidates, [](const C& c) { return c.rule; });
    t.text("yaml", r.candidates, [](const C& c) { return c.yaml; });
    t.column<int32_t>("finding", r.candidates, [](const C& c) { return c.finding; });
    t.column<int32_t>("rank", r.candidates, [](const C& c) { return c.rank; });
    t.column<int8_t>("better", r.candidates, [](const C& c) { return c.better; });
  }
  {
    std::vector<std::string> names;
    for (const auto& a : r.ablations) names.push_back(a.name);
    const Table t(check, g, "ablations", names);
    using A = SuggestRecord::Ablation;
    t.text("kind", r.ablations, [](const A& a) { return a.kind; });
    t.text("place", r.ablations, [](const A& a) { return a.place; });
    t.text("description", r.ablations, [](const A& a) { return a.description; });
    t.text("judgement", r.ablations, [](const A& a) { return a.judgement; });
    t.column<double>("users_failing_difference", r.ablations, [](const A& a) { return a.harm_difference; });
    t.column<double>("users_failing_half_width", r.ablations, [](const A& a) { return a.harm_half_width; });
    t.column<double>("requests_failed_difference", r.ablations, [](const A& a) { return a.requests_difference; });
    t.column<double>("requests_failed_half_width", r.ablations, [](const A& a) { return a.requests_half_width; });
  }
  check.status(group.close(), "closing group 'suggest'");
  check.status(file.close(), "closing it");
}

}  // namespace rapture
