#include "io/comparison_record.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "support/hdf5_reading.hpp"
#include "support/temp_dir.hpp"

namespace rapture {
namespace {

using testing::attribute;
using testing::Handle;
using testing::shape;
using testing::TempDir;
using testing::text_attribute;
using testing::texts;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Two designs over three seeds, two metrics; the reference never recovers in replication 1.
ComparisonRecord make_record() {
  ComparisonRecord r;
  r.scenario = "styleflow-checkout";
  r.designs = {"baseline", "cells"};
  r.design_descriptions = {"the topology as written", "two cells of every service"};
  r.design_dot = {"digraph { a -> b }", "digraph { a0 -> b0; a1 -> b1 }"};
  r.input.designs = r.designs;
  r.input.metrics = {{"error_rate_during", "error rate during fault", ComparedMetric::Unit::Ratio, -1},
                     {"recovery_time", "recovery time", ComparedMetric::Unit::Seconds, -1}};
  r.input.values = {{{0.12, 10}, {0.13, kNaN}, {0.11, 12}}, {{0.02, 4}, {0.03, 5}, {0.01, 6}}};
  r.comparison = compare_designs(r.input);
  r.runs = {{0, 1, 2}, {3, 4, 5}};
  r.seeds = {11, 12, 13};
  r.verdict = "cells contains the fault: 10 points fewer errors";
  return r;
}

/// An empty HDF5 file, standing for a results file whose runs are already copied.
std::string empty_file(const TempDir& dir) {
  const std::string path = (dir.path() / "compare.h5").string();
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  EXPECT_GE(file, 0);
  H5Fclose(file);
  return path;
}

// ---- reading back with the HDF5 C API ----------------------------------------------------------

/// A numeric dataset, whole, converted to `mem_type`; checks that it is stored as `file_type`.
template <class T>
std::vector<T> numbers(hid_t group, const char* name, hid_t mem_type, hid_t file_type) {
  const Handle dset{H5Dopen2(group, name, H5P_DEFAULT), H5Dclose};
  EXPECT_GE(dset.id, 0) << name;
  const Handle type{H5Dget_type(dset.id), H5Tclose};
  EXPECT_GT(H5Tequal(type.id, file_type), 0) << name;
  const Handle space{H5Dget_space(dset.id), H5Sclose};
  std::vector<T> values(static_cast<size_t>(H5Sget_simple_extent_npoints(space.id)));
  EXPECT_GE(H5Dread(dset.id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0) << name;
  return values;
}

std::vector<std::string> texts(hid_t group, const char* name) {
  const Handle dset{H5Dopen2(group, name, H5P_DEFAULT), H5Dclose};
  EXPECT_GE(dset.id, 0) << name;
  return texts(dset.id);
}

bool has_compare(const std::string& path) {
  const Handle file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  return H5Lexists(file.id, "compare", H5P_DEFAULT) > 0;
}

// ---- the tests ----------------------------------------------------------------------------------

TEST(ComparisonRecord, WritesEveryPartReadableWithTheCApi) {
  const TempDir dir;
  const std::string path = empty_file(dir);
  const ComparisonRecord record = make_record();
  write_comparison_record(path, record);

  const Handle file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  ASSERT_GE(file.id, 0);
  const Handle group{H5Gopen2(file.id, "compare", H5P_DEFAULT), H5Gclose};
  ASSERT_GE(group.id, 0);
  const hid_t g = group.id;

  EXPECT_EQ(text_attribute(g, "scenario"), "styleflow-checkout");
  EXPECT_EQ(text_attribute(g, "verdict"), record.verdict);
  uint64_t replications = 0;
  const Handle attr{H5Aopen(g, "replications", H5P_DEFAULT), H5Aclose};
  ASSERT_GE(H5Aread(attr.id, H5T_NATIVE_UINT64, &replications), 0);
  EXPECT_EQ(replications, 3U);

  EXPECT_EQ(texts(g, "designs"), record.designs);
  EXPECT_EQ(texts(g, "descriptions"), record.design_descriptions);
  EXPECT_EQ(texts(g, "dot"), record.design_dot);
  EXPECT_EQ(texts(g, "metrics"), (std::vector<std::string>{"error_rate_during", "recovery_time"}));
  EXPECT_EQ(texts(g, "labels"), (std::vector<std::string>{"error rate during fault", "recovery time"}));
  EXPECT_EQ(texts(g, "units"), (std::vector<std::string>{"ratio", "seconds"}));
  EXPECT_EQ(numbers<int32_t>(g, "better", H5T_NATIVE_INT32, H5T_STD_I32LE), (std::vector<int32_t>{-1, -1}));
  EXPECT_EQ(numbers<uint64_t>(g, "seeds", H5T_NATIVE_UINT64, H5T_STD_U64LE), record.seeds);

  // values [design][replication][metric], NaN kept where a run measured nothing.
  const Handle values_set{H5Dopen2(g, "values", H5P_DEFAULT), H5Dclose};
  EXPECT_EQ(shape(values_set.id), (std::vector<hsize_t>{2, 3, 2}));
  const std::vector<double> values = numbers<double>(g, "values", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE);
  ASSERT_EQ(values.size(), 12U);
  EXPECT_DOUBLE_EQ(values[0], 0.12);                   // baseline, seed 11, error rate
  EXPECT_TRUE(std::isnan(values[3]));                  // baseline, seed 12, recovery time
  EXPECT_DOUBLE_EQ(values[1 * 3 * 2 + 2 * 2 + 1], 6);  // cells, seed 13, recovery time

  const Handle runs_set{H5Dopen2(g, "runs", H5P_DEFAULT), H5Dclose};
  EXPECT_EQ(shape(runs_set.id), (std::vector<hsize_t>{2, 3}));
  EXPECT_EQ(numbers<int32_t>(g, "runs", H5T_NATIVE_INT32, H5T_STD_I32LE), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));

  // The statistics [design][metric], as compare_designs found them.
  const auto& c = record.comparison;
  const auto mean = numbers<double>(g, "mean", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE);
  const auto half_width = numbers<double>(g, "half_width", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE);
  const auto n = numbers<uint64_t>(g, "n", H5T_NATIVE_UINT64, H5T_STD_U64LE);
  const auto difference = numbers<double>(g, "difference", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE);
  const auto difference_hw = numbers<double>(g, "difference_half_width", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE);
  const auto pairs = numbers<uint64_t>(g, "difference_n", H5T_NATIVE_UINT64, H5T_STD_U64LE);
  const auto verdict = numbers<int8_t>(g, "verdict", H5T_NATIVE_INT8, H5T_STD_I8LE);
  ASSERT_EQ(mean.size(), 4U);
  for (size_t d = 0; d < 2; ++d) {
    for (size_t m = 0; m < 2; ++m) {
      const size_t i = d * 2 + m;
      EXPECT_DOUBLE_EQ(mean[i], c.estimates[d][m].mean);
      EXPECT_DOUBLE_EQ(half_width[i], c.estimates[d][m].half_width);
      EXPECT_EQ(n[i], c.estimates[d][m].n);
      EXPECT_DOUBLE_EQ(difference[i], c.differences[d][m].mean);
      EXPECT_DOUBLE_EQ(difference_hw[i], c.differences[d][m].half_width);
      EXPECT_EQ(pairs[i], c.differences[d][m].n);
      EXPECT_EQ(verdict[i], c.verdict[d][m]);
    }
  }
  EXPECT_EQ(n[1], 2U);       // baseline's recovery time: measured in 2 of 3 runs
  EXPECT_EQ(verdict[2], 1);  // cells: fewer errors, better
  EXPECT_NEAR(mean[0], 0.12, 1e-12);

  // The axes are dimension scales, attached and labelled.
  const Handle designs_set{H5Dopen2(g, "designs", H5P_DEFAULT), H5Dclose};
  const Handle seeds_set{H5Dopen2(g, "seeds", H5P_DEFAULT), H5Dclose};
  const Handle metrics_set{H5Dopen2(g, "metrics", H5P_DEFAULT), H5Dclose};
  EXPECT_GT(H5DSis_attached(values_set.id, designs_set.id, 0), 0);
  EXPECT_GT(H5DSis_attached(values_set.id, seeds_set.id, 1), 0);
  EXPECT_GT(H5DSis_attached(values_set.id, metrics_set.id, 2), 0);
  char label[32] = {};
  H5DSget_label(values_set.id, 1, label, sizeof label);
  EXPECT_STREQ(label, "replication");
  const Handle verdict_set{H5Dopen2(g, "verdict", H5P_DEFAULT), H5Dclose};
  EXPECT_GT(H5DSis_attached(verdict_set.id, metrics_set.id, 1), 0);
}

TEST(ComparisonRecord, RejectsARecordThatDoesNotFitBeforeTouchingTheFile) {
  const TempDir dir;
  const std::string path = empty_file(dir);
  ComparisonRecord record = make_record();
  record.runs[1].pop_back();
  EXPECT_THROW(write_comparison_record(path, record), std::invalid_argument);
  record = make_record();
  record.design_dot.pop_back();
  EXPECT_THROW(write_comparison_record(path, record), std::invalid_argument);
  record = make_record();
  record.seeds.push_back(14);  // a fourth replication nobody ran
  EXPECT_THROW(write_comparison_record(path, record), std::invalid_argument);
  record = make_record();
  record.comparison.verdict[0].pop_back();
  EXPECT_THROW(write_comparison_record(path, record), std::invalid_argument);
  EXPECT_FALSE(has_compare(path));
}

TEST(ComparisonRecord, FailuresNameTheFile) {
  const TempDir dir;
  const std::string missing = (dir.path() / "missing.h5").string();
  try {
    write_comparison_record(missing, make_record());
    FAIL() << "no error";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.h5"), std::string::npos) << e.what();
  }
  // A second record in the same file: the group exists.
  const std::string path = empty_file(dir);
  write_comparison_record(path, make_record());
  EXPECT_THROW(write_comparison_record(path, make_record()), OutputError);
}

TEST(ComparisonRecord, EmptyComparisonIsWritable) {
  // No metric measured (a comparison of designs alone): the datasets exist with a zero axis.
  const TempDir dir;
  const std::string path = empty_file(dir);
  ComparisonRecord record = make_record();
  record.input.metrics.clear();
  for (auto& design : record.input.values) {
    for (auto& replication : design) replication.clear();
  }
  record.comparison = compare_designs(record.input);
  write_comparison_record(path, record);
  const Handle file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  const Handle values_set{H5Dopen2(file.id, "compare/values", H5P_DEFAULT), H5Dclose};
  EXPECT_EQ(shape(values_set.id), (std::vector<hsize_t>{2, 3, 0}));
}

}  // namespace
}  // namespace rapture
