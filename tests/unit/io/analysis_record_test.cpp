#include "io/analysis_record.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "common/error.hpp"
#include "io/results_file.hpp"
#include "io/results_reader.hpp"
#include "support/checker.hpp"
#include "support/hdf5_reading.hpp"
#include "support/temp_dir.hpp"

namespace rapture {
namespace {

namespace fs = std::filesystem;
using testing::attribute;
using testing::Handle;
using testing::run_checker;
using testing::shape;
using testing::TempDir;
using testing::text_attribute;
using testing::texts;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kBins = 6;

// ---- a quiet run: nothing arrives, so every count is 0 and every latency NaN ------------------

RunInfo make_info(int index) {
  RunInfo info;
  info.index = index;
  info.seed = 3;
  info.rapture_version = "0.1.0-test";
  info.scenario_name = "analysis";
  info.scenario_file = "scenarios/analysis.yaml";
  info.scenario_text = "name: analysis\n";
  info.topology_name = "pair";
  info.topology_file = "topologies/pair.dot";
  info.bin_width = 0.5;
  info.duration = static_cast<double>(kBins) * info.bin_width;
  info.services = {"frontend", "db"};
  info.request_types = {"browse", "checkout", "search"};
  info.histogram_edges = {0, 0.1, 1};
  return info;
}

/// Writes every bin of a quiet run and finishes it.
void write_quiet_run(RunWriter& writer, const RunInfo& info) {
  std::vector<ServiceBinRow> services(info.services.size());
  for (auto& row : services) row.latency_mean = row.latency_p50 = row.latency_p95 = row.latency_p99 = kNaN;
  std::vector<RequestBinRow> requests(info.request_types.size());
  for (auto& row : requests) row.latency_mean = row.latency_p50 = row.latency_p99 = kNaN;
  for (int64_t bin = 0; bin < kBins; ++bin) writer.write_bin(bin, services, requests);
  RunTotals totals;
  totals.services.resize(info.services.size());
  for (auto& row : totals.services) row.latency_mean = kNaN;
  totals.requests.resize(info.request_types.size());
  for (auto& row : totals.requests) {
    row.latency_mean = row.p50 = row.p95 = row.p99 = row.p999 = kNaN;
    row.histogram.assign(info.histogram_edges.size() - 1, 0);
    row.visits_per_request.assign(info.services.size(), kNaN);
  }
  RunSummary& summary = totals.summary;
  summary.measured_seconds = info.duration;
  summary.latency_mean = summary.p50 = summary.p95 = summary.p99 = summary.p999 = kNaN;
  writer.finish(totals);
}

/// A cascade in two services: the fault hits db, frontend follows; checkout turns unhealthy.
CascadeReport make_report() {
  CascadeReport r;
  r.baseline_from = 0;
  r.baseline_to = 1;
  r.has_baseline = true;
  r.trigger_start = 1;
  r.trigger_end = 2;
  r.bins = kBins;
  r.bin_width = 0.5;
  //                  frontend db
  r.service_health = {0, 0,  //
                      0, 0,  //
                      0, 2,  //
                      1, 2,  //
                      1, 1,  //
                      0, 0};
  //                  browse checkout search
  r.request_health = {0, 0, 0,  //
                      0, 0, 0,  //
                      0, 1, 0,  //
                      0, 2, 0,  //
                      0, 1, 0,  //
                      0, 0, 0};
  PropagationNode db;
  db.service = 1;
  db.onset = 1;
  db.worst = Health::Failed;
  db.symptom = Symptom::Errors;
  db.cause = Cause::Fault;
  db.via = "db-down";
  db.path = "fault 'db-down' -> db";
  PropagationNode frontend;
  frontend.service = 0;
  frontend.onset = 1.5;
  frontend.worst = Health::Degraded;
  frontend.symptom = Symptom::Latency;
  frontend.cause = Cause::Emergent;
  frontend.mechanism = Mechanism::SharedHost;
  frontend.parent = 1;
  frontend.via = "host app-1";
  frontend.path = "fault 'db-down' -> db -> [host app-1] -> frontend";
  r.propagation = {db, frontend};
  r.journal = {
      {1, Category::FaultEffect, Signal::ServiceUnhealthy, "db", 0.9, 0.01, "db failed: errors"},
      {1, Category::UserImpact, Signal::RequestUnhealthy, "checkout", 0.5, kNaN, "checkout degraded"},
      {1.5, Category::HiddenDependencyExposed, Signal::ServiceUnhealthy, "frontend", 0.3, 0.02, "frontend: é"},
  };
  r.touched = {1};
  r.blast_radius_requests = 0.25;
  r.blast_radius_types = 1.0 / 3;
  r.time_to_detect = 0;
  r.recovery_time = 0.5;
  r.recovered = true;
  r.metastable = 0;
  r.verdict.kind = RecoveryKind::Recovered;
  r.verdict.judged_at = 2.5;
  r.verdict.note = "recovered 0.5 s after the trigger ended";
  r.peak_unhealthy_share = 1;
  r.emergent = 1;
  r.dot = "digraph propagation {\n  db -> frontend;\n}\n";
  return r;
}

HypothesisResult make_hypothesis() {
  HypothesisResult h;
  h.title = "checkout survives db";
  h.probes = {{"error_rate of checkout during the fault", "< 5%", 0.5, false, ""},
              {"recovery_time", "< 10s", kNaN, false, "never recovered"}};
  return h;
}

/// One results file with run `index` finished, analysed by `analyse` before commit().
template <class F>
void write_file(const fs::path& path, int index, F&& analyse) {
  ResultsFile file(path.string());
  const RunInfo info = make_info(index);
  auto writer = file.begin_run(info);
  write_quiet_run(*writer, info);
  analyse(file);
  file.commit();
}

// ---- reading back with the HDF5 C API ----------------------------------------------------------

struct JournalRow {
  double time, magnitude, baseline;
  char *category, *signal, *place, *note;
};

std::vector<JournalRow> read_journal(hid_t dset, hid_t* mem_out) {
  const hid_t text = H5Tcopy(H5T_C_S1);
  H5Tset_size(text, H5T_VARIABLE);
  H5Tset_cset(text, H5T_CSET_UTF8);
  const hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(JournalRow));
  H5Tinsert(mem, "time", offsetof(JournalRow, time), H5T_NATIVE_DOUBLE);
  H5Tinsert(mem, "magnitude", offsetof(JournalRow, magnitude), H5T_NATIVE_DOUBLE);
  H5Tinsert(mem, "baseline", offsetof(JournalRow, baseline), H5T_NATIVE_DOUBLE);
  H5Tinsert(mem, "category", offsetof(JournalRow, category), text);
  H5Tinsert(mem, "signal", offsetof(JournalRow, signal), text);
  H5Tinsert(mem, "place", offsetof(JournalRow, place), text);
  H5Tinsert(mem, "note", offsetof(JournalRow, note), text);
  H5Tclose(text);
  std::vector<JournalRow> rows(shape(dset).at(0));
  if (!rows.empty()) {
    EXPECT_GE(H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), 0);
  }
  *mem_out = mem;
  return rows;
}

/// The OutputError `f` throws, or a failure when it throws none.
template <class F>
std::string output_error(F&& f) {
  try {
    f();
  } catch (const OutputError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no OutputError thrown";
  return {};
}

// ---- tests ---------------------------------------------------------------------------------

TEST(AnalysisRecord, RoundTripsAndPassesTheChecker) {
  TempDir dir;
  const fs::path path = dir.path() / "analysed.h5";
  const CascadeReport report = make_report();
  const HypothesisResult hypothesis = make_hypothesis();
  write_file(path, 2, [&](ResultsFile& file) { write_analysis(file, 2, report, &hypothesis); });

  const Handle file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  ASSERT_GE(file.id, 0);
  const Handle analysis{H5Gopen2(file.id, "runs/2/analysis", H5P_DEFAULT), H5Gclose};
  ASSERT_GE(analysis.id, 0);
  const hid_t g = analysis.id;
  EXPECT_EQ(attribute<double>(g, "trigger_start", H5T_NATIVE_DOUBLE), 1.0);
  EXPECT_EQ(attribute<double>(g, "trigger_end", H5T_NATIVE_DOUBLE), 2.0);
  EXPECT_EQ(attribute<double>(g, "baseline_to", H5T_NATIVE_DOUBLE), 1.0);
  EXPECT_EQ(attribute<int32_t>(g, "has_baseline", H5T_NATIVE_INT32), 1);
  EXPECT_EQ(attribute<double>(g, "time_to_detect", H5T_NATIVE_DOUBLE), 0.0);
  EXPECT_EQ(attribute<double>(g, "recovery_time", H5T_NATIVE_DOUBLE), 0.5);
  EXPECT_EQ(attribute<int32_t>(g, "recovered", H5T_NATIVE_INT32), 1);
  EXPECT_EQ(attribute<int32_t>(g, "metastable", H5T_NATIVE_INT32), 0);
  EXPECT_EQ(attribute<double>(g, "blast_radius_requests", H5T_NATIVE_DOUBLE), 0.25);
  EXPECT_EQ(attribute<double>(g, "blast_radius_types", H5T_NATIVE_DOUBLE), 1.0 / 3);
  EXPECT_EQ(attribute<double>(g, "peak_unhealthy_share", H5T_NATIVE_DOUBLE), 1.0);
  EXPECT_EQ(attribute<int64_t>(g, "emergent", H5T_NATIVE_INT64), 1);
  EXPECT_EQ(attribute<double>(g, "bin_width", H5T_NATIVE_DOUBLE), 0.5);

  // Health: int8 [time, service] / [time, request_type] on the run's own axes.
  const Handle time{H5Dopen2(file.id, "runs/2/time", H5P_DEFAULT), H5Dclose};
  for (const auto& [name, axis, values] :
       {std::tuple{"service_health", "runs/2/service", &report.service_health},
        std::tuple{"request_health", "runs/2/request_type", &report.request_health}}) {
    const Handle dset{H5Dopen2(g, name, H5P_DEFAULT), H5Dclose};
    const Handle scale{H5Dopen2(file.id, axis, H5P_DEFAULT), H5Dclose};
    ASSERT_GE(dset.id, 0) << name;
    const Handle type{H5Dget_type(dset.id), H5Tclose};
    EXPECT_TRUE(H5Tequal(type.id, H5T_STD_I8LE) > 0) << name;
    EXPECT_EQ(shape(dset.id), (std::vector<hsize_t>{kBins, values->size() / kBins})) << name;
    std::vector<int8_t> read(values->size());
    ASSERT_GE(H5Dread(dset.id, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, read.data()), 0);
    EXPECT_EQ(read, *values) << name;
    EXPECT_GT(H5DSis_attached(dset.id, time.id, 0), 0) << name;
    EXPECT_GT(H5DSis_attached(dset.id, scale.id, 1), 0) << name;
    const Handle dcpl{H5Dget_create_plist(dset.id), H5Pclose};
    EXPECT_EQ(H5Pget_layout(dcpl.id), H5D_CHUNKED) << name;
    EXPECT_EQ(text_attribute(dset.id, "flag_meanings"), "healthy degraded failed");
  }

  // Propagation, through the reader: names, not indices.
  const std::vector<PropagationRecord> propagation = read_propagation(path.string(), 2);
  ASSERT_EQ(propagation.size(), 2U);
  EXPECT_EQ(propagation[0],
            (PropagationRecord{"db", 1, "failed", "errors", "fault", "none", "", "db-down", "fault 'db-down' -> db"}));
  EXPECT_EQ(propagation[1], (PropagationRecord{"frontend", 1.5, "degraded", "latency", "emergent", "shared_host", "db",
                                               "host app-1", "fault 'db-down' -> db -> [host app-1] -> frontend"}));

  {
    const Handle dset{H5Dopen2(g, "journal", H5P_DEFAULT), H5Dclose};
    hid_t mem = H5I_INVALID_HID;
    std::vector<JournalRow> rows = read_journal(dset.id, &mem);
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[0].time, 1.0);
    EXPECT_STREQ(rows[0].category, "fault_effect");
    EXPECT_STREQ(rows[0].signal, "service_unhealthy");
    EXPECT_STREQ(rows[0].place, "db");
    EXPECT_EQ(rows[0].magnitude, 0.9);
    EXPECT_EQ(rows[0].baseline, 0.01);
    EXPECT_STREQ(rows[1].category, "user_impact");
    EXPECT_STREQ(rows[1].signal, "request_unhealthy");
    EXPECT_TRUE(std::isnan(rows[1].baseline));
    EXPECT_EQ(rows[2].time, 1.5);
    EXPECT_STREQ(rows[2].category, "hidden_dependency_exposed");
    EXPECT_STREQ(rows[2].note, "frontend: é");
    const Handle space{H5Dget_space(dset.id), H5Sclose};
    H5Dvlen_reclaim(mem, space.id, H5P_DEFAULT, rows.data());
    H5Tclose(mem);
  }
  {
    const Handle touched{H5Dopen2(g, "touched", H5P_DEFAULT), H5Dclose};
    EXPECT_EQ(texts(touched.id), (std::vector<std::string>{"db"}));
    const Handle dot{H5Dopen2(g, "propagation_dot", H5P_DEFAULT), H5Dclose};
    EXPECT_EQ(shape(dot.id), std::vector<hsize_t>{});
    EXPECT_EQ(texts(dot.id), (std::vector<std::string>{report.dot}));
  }
  {
    const Handle group{H5Gopen2(g, "hypothesis", H5P_DEFAULT), H5Gclose};
    ASSERT_GE(group.id, 0);
    EXPECT_EQ(text_attribute(group.id, "title"), "checkout survives db");
    EXPECT_EQ(attribute<int32_t>(group.id, "met", H5T_NATIVE_INT32), 0);
    const Handle probes{H5Dopen2(group.id, "probes", H5P_DEFAULT), H5Dclose};
    EXPECT_EQ(shape(probes.id), std::vector<hsize_t>{2});
    const Handle type{H5Dget_type(probes.id), H5Tclose};
    EXPECT_EQ(H5Tget_nmembers(type.id), 5);
  }

  // The digest a search reads.
  const RunDigest digest = read_run_digest(path.string(), 2);
  EXPECT_TRUE(digest.has_analysis);
  EXPECT_EQ(digest.peak_unhealthy_share, 1.0);
  EXPECT_EQ(digest.metastable, 0);
  EXPECT_EQ(digest.recovered, 1);
  EXPECT_EQ(digest.recovery_time, 0.5);
  EXPECT_EQ(digest.emergent, 1);
  EXPECT_EQ(digest.blast_radius_requests, 0.25);
  EXPECT_EQ(digest.blast_radius_types, 1.0 / 3);
  EXPECT_EQ(digest.trigger_start, 1.0);
  EXPECT_EQ(digest.trigger_end, 2.0);

  const testing::CheckerResult check = run_checker(path, "--require-finished");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("analysis: 2 unhealthy service(s)"), std::string::npos) << check.output;
  const testing::CheckerResult json = run_checker(path, "--json", false);
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_NE(json.output.find("\"mechanism\": \"shared_host\""), std::string::npos) << json.output;
  EXPECT_NE(json.output.find("\"title\": \"checkout survives db\""), std::string::npos) << json.output;
}

/// make_report() judged `kind` at 12 s, db saturated.
CascadeReport judged(RecoveryKind kind) {
  CascadeReport r = make_report();
  r.recovered = false;
  r.recovery_time = kNaN;
  r.metastable = kind == RecoveryKind::Sustained ? 1 : 0;
  r.verdict.kind = kind;
  r.verdict.judged_at = 12;
  r.verdict.saturated = {1};
  r.verdict.backlog = 840;
  r.verdict.backlog_slope = kind == RecoveryKind::Recovering ? -42 : 0.5;
  r.verdict.offered_load = kind == RecoveryKind::Recovering ? 0.86 : 2.4;
  if (kind == RecoveryKind::Recovering) r.verdict.drain_eta = 20;
  if (kind == RecoveryKind::Sustained) {
    r.verdict.sustained_by = SustainingEffect::Retries;
    r.verdict.evidence = 1.8;
    r.verdict.evidence_baseline = 0;
    r.verdict.evidence_place = "frontend -> db";
  }
  r.verdict.note = verdict_headline(r.verdict);
  return r;
}

TEST(AnalysisRecord, TheVerdictRoundTripsWithItsEvidence) {
  for (const RecoveryKind kind : {RecoveryKind::Recovering, RecoveryKind::Sustained}) {
    TempDir dir;
    const fs::path path = dir.path() / "judged.h5";
    const CascadeReport report = judged(kind);
    write_file(path, 0, [&](ResultsFile& file) { write_analysis(file, 0, report); });
    const Handle file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
    const Handle g{H5Gopen2(file.id, "runs/0/analysis", H5P_DEFAULT), H5Gclose};
    ASSERT_GE(g.id, 0);
    EXPECT_EQ(text_attribute(g.id, "verdict"), to_string(kind));
    EXPECT_EQ(text_attribute(g.id, "sustained_by"), to_string(report.verdict.sustained_by));
    EXPECT_EQ(text_attribute(g.id, "verdict_note"), report.verdict.note);
    EXPECT_EQ(attribute<double>(g.id, "verdict_time", H5T_NATIVE_DOUBLE), 12.0);
    EXPECT_EQ(attribute<double>(g.id, "backlog", H5T_NATIVE_DOUBLE), 840.0);
    EXPECT_EQ(attribute<double>(g.id, "offered_load", H5T_NATIVE_DOUBLE), report.verdict.offered_load);
    const Handle saturated{H5Dopen2(g.id, "saturated", H5P_DEFAULT), H5Dclose};
    EXPECT_EQ(texts(saturated.id), (std::vector<std::string>{"db"}));

    const RunDigest digest = read_run_digest(path.string());
    EXPECT_EQ(digest.verdict, kind);
    EXPECT_EQ(digest.sustained_by, report.verdict.sustained_by);
    EXPECT_EQ(digest.metastable, report.metastable);
    if (kind == RecoveryKind::Recovering) {
      EXPECT_EQ(digest.drain_eta, 20.0);
    } else {
      EXPECT_TRUE(std::isnan(digest.drain_eta));
    }
    const testing::CheckerResult check = run_checker(path, "--require-finished");
    EXPECT_EQ(check.exit_code, 0) << check.output;
  }
}

TEST(AnalysisRecord, TheCheckerRefusesAMetastableFlagTheVerdictDoesNotGive) {
  TempDir dir;
  const fs::path path = dir.path() / "contradiction.h5";
  CascadeReport report = judged(RecoveryKind::Recovering);
  report.metastable = 1;  // the old flag: not recovered within metastable_after
  write_file(path, 0, [&](ResultsFile& file) { write_analysis(file, 0, report); });
  const testing::CheckerResult check = run_checker(path, "--require-finished");
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find("metastable is 1 but the verdict is 'recovering'"), std::string::npos) << check.output;
}

TEST(AnalysisRecord, EmptyTablesAreStillThere) {
  TempDir dir;
  const fs::path path = dir.path() / "calm.h5";
  CascadeReport calm;
  calm.bins = kBins;
  calm.bin_width = 0.5;
  calm.service_health.assign(kBins * 2, 0);
  calm.request_health.assign(kBins * 3, 0);
  const HypothesisResult no_probes{"nothing to check", {}};
  write_file(path, 0, [&](ResultsFile& file) { write_analysis(file, 0, calm, &no_probes); });

  const Handle file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  for (const char* name : {"runs/0/analysis/propagation", "runs/0/analysis/journal", "runs/0/analysis/touched",
                           "runs/0/analysis/hypothesis/probes"}) {
    const Handle dset{H5Dopen2(file.id, name, H5P_DEFAULT), H5Dclose};
    ASSERT_GE(dset.id, 0) << name;
    EXPECT_EQ(shape(dset.id), std::vector<hsize_t>{0}) << name;
  }
  const Handle hypothesis{H5Gopen2(file.id, "runs/0/analysis/hypothesis", H5P_DEFAULT), H5Gclose};
  EXPECT_EQ(attribute<int32_t>(hypothesis.id, "met", H5T_NATIVE_INT32), 1) << "no probe, none failed";
  EXPECT_TRUE(read_propagation(path.string()).empty());
  const RunDigest digest = read_run_digest(path.string());
  EXPECT_TRUE(digest.has_analysis);
  EXPECT_TRUE(std::isnan(digest.trigger_start));
  EXPECT_EQ(digest.metastable, -1);
  EXPECT_EQ(digest.verdict, RecoveryKind::None);
  EXPECT_EQ(digest.recovered, 0);
  EXPECT_EQ(digest.emergent, 0);

  const testing::CheckerResult check = run_checker(path, "--require-finished");
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST(AnalysisRecord, RunWithoutAnalysisHasDefaults) {
  TempDir dir;
  const fs::path path = dir.path() / "plain.h5";
  write_file(path, 0, [](ResultsFile&) {});
  const RunDigest digest = read_run_digest(path.string());
  EXPECT_FALSE(digest.has_analysis);
  EXPECT_TRUE(std::isnan(digest.peak_unhealthy_share));
  EXPECT_TRUE(std::isnan(digest.recovery_time));
  EXPECT_EQ(digest.metastable, -1);
  EXPECT_EQ(digest.recovered, -1);
  EXPECT_EQ(digest.emergent, -1);
  EXPECT_TRUE(digest == read_run_digest(path.string())) << "NaN fields compare equal";
  EXPECT_TRUE(read_propagation(path.string()).empty());
}

TEST(AnalysisRecord, AReportThatDoesNotFitTheRunIsRefusedAndLeavesNothing) {
  TempDir dir;
  const fs::path path = dir.path() / "misfit.h5";
  write_file(path, 0, [](ResultsFile& file) {
    CascadeReport report = make_report();
    report.bins = kBins - 1;
    EXPECT_THROW(write_analysis(file, 0, report, nullptr), std::invalid_argument);
    report = make_report();
    report.service_health[3] = 3;
    EXPECT_THROW(write_analysis(file, 0, report, nullptr), std::invalid_argument);
    report = make_report();
    report.propagation[1].parent = 2;
    EXPECT_THROW(write_analysis(file, 0, report, nullptr), std::invalid_argument);
    report = make_report();
    report.touched = {5};
    EXPECT_THROW(write_analysis(file, 0, report, nullptr), std::invalid_argument);
  });
  EXPECT_FALSE(read_run_digest(path.string()).has_analysis);
  const testing::CheckerResult check = run_checker(path, "--require-finished");
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST(AnalysisRecord, MissingUnfinishedOrAnalysedRunIsAnOutputErrorNamingTheFile) {
  TempDir dir;
  const fs::path path = dir.path() / "errors.h5";
  ResultsFile file(path.string());
  const RunInfo info = make_info(0);
  auto writer = file.begin_run(info);
  const CascadeReport report = make_report();

  std::string message = output_error([&] { write_analysis(file, 0, report, nullptr); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("finish()"), std::string::npos) << message;
  write_quiet_run(*writer, info);

  message = output_error([&] { write_analysis(file, 4, report, nullptr); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("no run"), std::string::npos) << message;

  write_analysis(file, 0, report, nullptr);
  message = output_error([&] { write_analysis(file, 0, report, nullptr); });
  EXPECT_NE(message.find("already has an analysis"), std::string::npos) << message;

  file.commit();
  message = output_error([&] { write_analysis(file, 0, report, nullptr); });
  EXPECT_NE(message.find("committed"), std::string::npos) << message;
}

TEST(AnalysisRecord, CheckerCatchesABrokenAnalysis) {
  TempDir dir;
  const fs::path path = dir.path() / "broken.h5";
  write_file(path, 0, [](ResultsFile& file) { write_analysis(file, 0, make_report(), nullptr); });
  {
    const Handle file{H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose};
    const Handle dset{H5Dopen2(file.id, "runs/0/analysis/service_health", H5P_DEFAULT), H5Dclose};
    std::vector<int8_t> values(kBins * 2, 7);
    ASSERT_GE(H5Dwrite(dset.id, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
    const Handle group{H5Gopen2(file.id, "runs/0/analysis", H5P_DEFAULT), H5Gclose};
    const Handle attr{H5Aopen(group.id, "emergent", H5P_DEFAULT), H5Aclose};
    const int64_t emergent = 5;
    ASSERT_GE(H5Awrite(attr.id, H5T_NATIVE_INT64, &emergent), 0);
  }
  const testing::CheckerResult check = run_checker(path, "--require-finished");
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find("'service_health' holds values other than"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("emergent is 5"), std::string::npos) << check.output;
}

}  // namespace
}  // namespace rapture
