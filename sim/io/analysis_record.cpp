#include "io/analysis_record.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "io/hdf5_support.hpp"

namespace rapture {

namespace {

using hdf5::attach;
using hdf5::attr_scalar;
using hdf5::attr_string;
using hdf5::attr_values;
using hdf5::Check;
using hdf5::create_group;
using hdf5::H5Type;
using hdf5::Hid;
using hdf5::string_dataset;
using hdf5::string_type;

constexpr int8_t kHealthStates = 3;

/// Copies of the strings a table's rows point to (to_string gives views, not C strings), kept
/// until the rows are written; a deque, so that growing it moves none of them.
class TextPool {
 public:
  const char* keep(std::string_view text) { return texts_.emplace_back(text).c_str(); }

 private:
  std::deque<std::string> texts_;
};

/// A column of a compound table: its name, where it sits in the row struct, and what it holds.
struct Field {
  enum class Kind { Text, Real, Int };  // const char*, double, int32_t in the row struct
  const char* name;
  size_t offset;
  Kind kind;
};

struct PropagationRow {
  const char* service;
  double onset;
  const char* worst;
  const char* symptom;
  const char* cause;
  const char* mechanism;
  const char* parent;
  const char* via;
  const char* path;
};
constexpr std::array<Field, 9> kPropagationFields{{
    {"service", offsetof(PropagationRow, service), Field::Kind::Text},
    {"onset", offsetof(PropagationRow, onset), Field::Kind::Real},
    {"worst", offsetof(PropagationRow, worst), Field::Kind::Text},
    {"symptom", offsetof(PropagationRow, symptom), Field::Kind::Text},
    {"cause", offsetof(PropagationRow, cause), Field::Kind::Text},
    {"mechanism", offsetof(PropagationRow, mechanism), Field::Kind::Text},
    {"parent", offsetof(PropagationRow, parent), Field::Kind::Text},
    {"via", offsetof(PropagationRow, via), Field::Kind::Text},
    {"path", offsetof(PropagationRow, path), Field::Kind::Text},
}};

struct JournalRow {
  double time;
  const char* category;
  const char* signal;
  const char* place;
  double magnitude;
  double baseline;
  const char* note;
};
constexpr std::array<Field, 7> kJournalFields{{
    {"time", offsetof(JournalRow, time), Field::Kind::Real},
    {"category", offsetof(JournalRow, category), Field::Kind::Text},
    {"signal", offsetof(JournalRow, signal), Field::Kind::Text},
    {"place", offsetof(JournalRow, place), Field::Kind::Text},
    {"magnitude", offsetof(JournalRow, magnitude), Field::Kind::Real},
    {"baseline", offsetof(JournalRow, baseline), Field::Kind::Real},
    {"note", offsetof(JournalRow, note), Field::Kind::Text},
}};

struct ProbeRow {
  const char* name;
  const char* tolerance;
  double value;
  int32_t met;
  const char* note;
};
constexpr std::array<Field, 5> kProbeFields{{
    {"name", offsetof(ProbeRow, name), Field::Kind::Text},
    {"tolerance", offsetof(ProbeRow, tolerance), Field::Kind::Text},
    {"value", offsetof(ProbeRow, value), Field::Kind::Real},
    {"met", offsetof(ProbeRow, met), Field::Kind::Int},
    {"note", offsetof(ProbeRow, note), Field::Kind::Text},
}};

/// A one-dimensional compound table, one element per row, written at once (possibly with no
/// rows, so that readers can rely on it). Its file type is packed, with little-endian numbers.
template <class Row>
void write_table(const Check& c, hid_t group, const char* name, std::span<const Field> fields,
                 const std::vector<Row>& rows) {
  const std::string what = std::string("table '") + name + "'";
  Hid text = string_type(c);
  auto type_of = [&](Field::Kind kind, bool in_file) -> hid_t {
    switch (kind) {
      case Field::Kind::Text: return text.get();
      case Field::Kind::Real: return in_file ? H5Type<double>::file() : H5Type<double>::mem();
      case Field::Kind::Int: return in_file ? H5Type<int32_t>::file() : H5Type<int32_t>::mem();
    }
    return H5I_INVALID_HID;
  };
  size_t file_size = 0;
  for (const Field& field : fields) file_size += H5Tget_size(type_of(field.kind, true));
  Hid mem = c.id(H5Tcreate(H5T_COMPOUND, sizeof(Row)), H5Tclose, what);
  Hid file = c.id(H5Tcreate(H5T_COMPOUND, file_size), H5Tclose, what);
  size_t file_offset = 0;
  for (const Field& field : fields) {
    c.status(H5Tinsert(mem.get(), field.name, field.offset, type_of(field.kind, false)), what);
    c.status(H5Tinsert(file.get(), field.name, file_offset, type_of(field.kind, true)), what);
    file_offset += H5Tget_size(type_of(field.kind, true));
  }
  const std::array<hsize_t, 1> dims{rows.size()};
  Hid space = hdf5::simple_space(c, dims);
  Hid dset =
      c.id(H5Dcreate2(group, name, file.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, what);
  if (!rows.empty()) c.status(H5Dwrite(dset.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), what);
}

/// A scalar string dataset: text too long for an attribute's comfort (a DOT graph).
void text_dataset(const Check& c, hid_t group, const char* name, const std::string& value) {
  const std::string what = std::string("dataset '") + name + "'";
  Hid type = string_type(c);
  Hid space = c.id(H5Screate(H5S_SCALAR), H5Sclose, what);
  Hid dset =
      c.id(H5Dcreate2(group, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, what);
  const char* text = value.c_str();
  c.status(H5Dwrite(dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text), what);
}

/// A 1-D dataset of the run (one of its dimension scales) and its length.
struct Axis {
  Hid dset;
  hsize_t length = 0;
};

Axis open_axis(const Check& c, hid_t run, const char* name) {
  const std::string what = std::string("the run's '") + name + "' axis";
  if (H5Lexists(run, name, H5P_DEFAULT) <= 0) c.fail(what, "it is missing");
  Axis axis{c.id(H5Dopen2(run, name, H5P_DEFAULT), H5Dclose, what)};
  Hid space = c.id(H5Dget_space(axis.dset.get()), H5Sclose, what);
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if (points < 0) c.fail_hdf5(what);
  axis.length = static_cast<hsize_t>(points);
  return axis;
}

[[noreturn]] void misfit(const std::string& what) { throw std::invalid_argument("write_analysis: " + what); }

/// Refuses a report that does not describe the run it is written beside.
void require_fit(const CascadeReport& report, hsize_t bins, size_t services, size_t request_types) {
  if (report.bins < 0 || static_cast<hsize_t>(report.bins) != bins) {
    misfit("the report has " + std::to_string(report.bins) + " bins, the run " + std::to_string(bins));
  }
  const auto expect_size = [&](const std::vector<int8_t>& health, size_t columns, const char* name) {
    if (health.size() != bins * columns) {
      misfit(std::string(name) + " has " + std::to_string(health.size()) + " entries, expected " +
             std::to_string(bins * columns));
    }
    for (const int8_t value : health) {
      if (value < 0 || value >= kHealthStates) misfit(std::string(name) + " holds " + std::to_string(value));
    }
  };
  expect_size(report.service_health, services, "service_health");
  expect_size(report.request_health, request_types, "request_health");
  const auto expect_service = [&](uint32_t service, const char* what) {
    if (service >= services) {
      misfit(std::string(what) + " names service " + std::to_string(service) + ", the run has " +
             std::to_string(services));
    }
  };
  for (const PropagationNode& node : report.propagation) {
    expect_service(node.service, "a propagation node");
    if (node.parent != kNone) expect_service(node.parent, "a propagation node's parent");
  }
  for (const uint32_t service : report.touched) expect_service(service, "touched");
  for (const uint32_t service : report.verdict.saturated) expect_service(service, "the verdict's saturated");
}

/// The verdict after the trigger and the evidence it rests on, as attributes, and the services
/// whose backlog it judged.
void write_verdict(const Check& c, hid_t g, const RecoveryVerdict& verdict, const std::vector<std::string>& names) {
  attr_string(c, g, "verdict", std::string(to_string(verdict.kind)));
  attr_string(c, g, "sustained_by", std::string(to_string(verdict.sustained_by)));
  attr_scalar<double>(c, g, "drain_eta", verdict.drain_eta);
  attr_scalar<double>(c, g, "verdict_time", verdict.judged_at);
  attr_scalar<double>(c, g, "backlog", verdict.backlog);
  attr_scalar<double>(c, g, "backlog_slope", verdict.backlog_slope);
  attr_scalar<double>(c, g, "offered_load", verdict.offered_load);
  attr_scalar<double>(c, g, "evidence", verdict.evidence);
  attr_scalar<double>(c, g, "evidence_baseline", verdict.evidence_baseline);
  attr_string(c, g, "evidence_place", verdict.evidence_place);
  attr_string(c, g, "verdict_note", verdict.note);
  std::vector<std::string> saturated;
  saturated.reserve(verdict.saturated.size());
  for (const uint32_t service : verdict.saturated) saturated.push_back(names[service]);
  string_dataset(c, g, "saturated", saturated);
}

/// A health time series [time, columns], stored like every time series, with its axes attached
/// and CF-style state names.
void write_health(const Check& c, hid_t group, const char* name, const std::vector<int8_t>& health, hsize_t bins,
                  hsize_t columns, const Hid& time, const Hid& axis, const char* axis_label) {
  const std::array<hsize_t, 1> row{columns};
  const hsize_t chunk_rows = hdf5::series_chunk_rows(columns * sizeof(int8_t));
  Hid dset = hdf5::series_dataset(c, group, name, H5Type<int8_t>::file(), row, chunk_rows, bins);
  if (!health.empty()) {
    c.status(H5Dwrite(dset.get(), H5Type<int8_t>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, health.data()),
             std::string("dataset '") + name + "'");
  }
  const std::array<int8_t, kHealthStates> states{0, 1, 2};
  attr_values<int8_t>(c, dset.get(), "flag_values", states);
  std::string meanings;
  for (const int8_t state : states) {
    if (!meanings.empty()) meanings += ' ';
    meanings += to_string(static_cast<Health>(state));
  }
  attr_string(c, dset.get(), "flag_meanings", meanings);
  attach(c, dset, {{&time, "time"}, {&axis, axis_label}});
}

void write_hypothesis(const Check& c, hid_t analysis, const HypothesisResult& hypothesis) {
  Hid group = create_group(c, analysis, "hypothesis");
  attr_string(c, group.get(), "title", hypothesis.title);
  attr_scalar<int32_t>(c, group.get(), "met", hypothesis.met() ? 1 : 0);
  TextPool texts;
  std::vector<ProbeRow> rows;
  rows.reserve(hypothesis.probes.size());
  for (const ProbeResult& probe : hypothesis.probes) {
    rows.push_back(
        {texts.keep(probe.name), texts.keep(probe.tolerance), probe.value, probe.met ? 1 : 0, texts.keep(probe.note)});
  }
  write_table<ProbeRow>(c, group.get(), "probes", kProbeFields, rows);
}

/// Each legacy path's windows as columns: what its users saw, against the modern path, over time.
void write_decay(const Check& c, hid_t analysis, const DecayReport& decay) {
  Hid group = create_group(c, analysis, "decay");
  for (const DecayPath& path : decay.paths) {
    Hid pg = create_group(c, group.get(), path.legacy_request);
    attr_string(c, pg.get(), "request", path.request);
    attr_string(c, pg.get(), "legacy_request", path.legacy_request);
    attr_string(c, pg.get(), "legacy_service", path.legacy_service);
    const std::array<hsize_t, 1> dims{path.windows.size()};
    auto column = [&](const char* name, auto field) {
      std::vector<std::decay_t<decltype(path.windows.front().*field)>> values;
      for (const DecayWindow& w : path.windows) values.push_back(w.*field);
      fixed_dataset(c, pg.get(), name, dims, values.data());
    };
    column("start", &DecayWindow::start);
    column("end", &DecayWindow::end);
    column("legacy_error_rate", &DecayWindow::legacy_error_rate);
    column("legacy_latency_mean", &DecayWindow::legacy_latency_mean);
    column("modern_error_rate", &DecayWindow::modern_error_rate);
    column("modern_latency_mean", &DecayWindow::modern_latency_mean);
    column("legacy_busy", &DecayWindow::legacy_busy);
    column("legacy_requests", &DecayWindow::legacy_requests);
    column("modern_requests", &DecayWindow::modern_requests);
  }
}

void write_report(const Check& c, hid_t run, const CascadeReport& report, const HypothesisResult* hypothesis,
                  const DecayReport* decay, const Axis& time, const Axis& services, const Axis& request_types,
                  const std::vector<std::string>& names) {
  Hid analysis = create_group(c, run, "analysis");
  const hid_t g = analysis.get();
  attr_scalar<double>(c, g, "trigger_start", report.trigger_start);
  attr_scalar<double>(c, g, "trigger_end", report.trigger_end);
  attr_scalar<double>(c, g, "baseline_from", report.baseline_from);
  attr_scalar<double>(c, g, "baseline_to", report.baseline_to);
  attr_scalar<int32_t>(c, g, "has_baseline", report.has_baseline ? 1 : 0);
  attr_scalar<double>(c, g, "time_to_detect", report.time_to_detect);
  attr_scalar<double>(c, g, "recovery_time", report.recovery_time);
  attr_scalar<int32_t>(c, g, "recovered", report.recovered ? 1 : 0);
  attr_scalar<int32_t>(c, g, "metastable", report.metastable);
  attr_scalar<double>(c, g, "blast_radius_requests", report.blast_radius_requests);
  attr_scalar<double>(c, g, "blast_radius_types", report.blast_radius_types);
  attr_scalar<double>(c, g, "peak_unhealthy_share", report.peak_unhealthy_share);
  attr_scalar<int64_t>(c, g, "emergent", report.emergent);
  attr_scalar<double>(c, g, "bin_width", report.bin_width);
  write_verdict(c, g, report.verdict, names);

  write_health(c, g, "service_health", report.service_health, time.length, services.length, time.dset, services.dset,
               "service");
  write_health(c, g, "request_health", report.request_health, time.length, request_types.length, time.dset,
               request_types.dset, "request_type");

  TextPool texts;
  std::vector<PropagationRow> propagation;
  propagation.reserve(report.propagation.size());
  for (const PropagationNode& node : report.propagation) {
    propagation.push_back(
        {names[node.service].c_str(), node.onset, texts.keep(to_string(node.worst)),
         texts.keep(to_string(node.symptom)), texts.keep(to_string(node.cause)), texts.keep(to_string(node.mechanism)),
         node.parent == kNone ? "" : names[node.parent].c_str(), node.via.c_str(), node.path.c_str()});
  }
  write_table<PropagationRow>(c, g, "propagation", kPropagationFields, propagation);

  std::vector<JournalRow> journal;
  journal.reserve(report.journal.size());
  for (const JournalEntry& entry : report.journal) {
    journal.push_back({entry.time, texts.keep(to_string(entry.category)), texts.keep(to_string(entry.signal)),
                       entry.place.c_str(), entry.magnitude, entry.baseline, entry.note.c_str()});
  }
  write_table<JournalRow>(c, g, "journal", kJournalFields, journal);

  std::vector<std::string> touched;
  touched.reserve(report.touched.size());
  for (const uint32_t service : report.touched) touched.push_back(names[service]);
  string_dataset(c, g, "touched", touched);
  text_dataset(c, g, "propagation_dot", report.dot);

  if (hypothesis != nullptr) write_hypothesis(c, g, *hypothesis);
  if (decay != nullptr && !decay->paths.empty()) write_decay(c, g, *decay);
}

/// The run's service names, by index: the propagation table stores names, not indices.
std::vector<std::string> service_names(const Check& c, const Axis& services) {
  const std::string what = "the run's 'service' axis";
  std::vector<char*> texts(services.length, nullptr);
  Hid type = string_type(c);
  if (!texts.empty()) {
    c.status(H5Dread(services.dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()), what);
  }
  std::vector<std::string> names;
  names.reserve(texts.size());
  for (char* text : texts) {
    names.emplace_back(text != nullptr ? text : "");
    H5free_memory(text);
  }
  return names;
}

/// Removes a half-written analysis group, which would fail the file's check (best effort: the
/// error being unwound matters more). The scales are detached first, so that the run's axes keep
/// no reference to datasets that no longer exist.
void drop_analysis(hid_t run, const Axis& time, const Axis& services, const Axis& request_types) {
  for (const auto& [name, axis] :
       {std::pair{"analysis/service_health", &services}, std::pair{"analysis/request_health", &request_types}}) {
    if (H5Lexists(run, "analysis", H5P_DEFAULT) <= 0 || H5Lexists(run, name, H5P_DEFAULT) <= 0) continue;
    const Hid dset(H5Dopen2(run, name, H5P_DEFAULT), H5Dclose);
    if (H5DSis_attached(dset.get(), time.dset.get(), 0) > 0) H5DSdetach_scale(dset.get(), time.dset.get(), 0);
    if (H5DSis_attached(dset.get(), axis->dset.get(), 1) > 0) H5DSdetach_scale(dset.get(), axis->dset.get(), 1);
  }
  H5Ldelete(run, "analysis", H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
}

}  // namespace

void write_analysis(ResultsFile& file, int run_index, const CascadeReport& report, const HypothesisResult* hypothesis,
                    const DecayReport* decay) {
  const Check c(file.path());
  file.with_finished_run(run_index, [&](int64_t run) {
    const std::string run_name = "run " + std::to_string(run_index);
    const htri_t exists = H5Lexists(run, "analysis", H5P_DEFAULT);
    if (exists < 0) c.fail_hdf5(run_name);
    if (exists > 0) c.fail(run_name, "it already has an analysis");
    const Axis time = open_axis(c, run, "time");
    const Axis services = open_axis(c, run, "service");
    const Axis request_types = open_axis(c, run, "request_type");
    require_fit(report, time.length, services.length, request_types.length);
    const std::vector<std::string> names = service_names(c, services);
    try {
      write_report(c, run, report, hypothesis, decay, time, services, request_types, names);
    } catch (...) {
      drop_analysis(run, time, services, request_types);
      throw;
    }
  });
}

}  // namespace rapture
