#pragma once
/// The record of a design comparison (`rapture compare`) stored beside its runs: group /compare
/// of a results file, every design's runs over the same seeds and the statistics drawn from them.

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/design_comparison.hpp"

namespace rapture {

struct ComparisonRecord {
  std::string scenario;                                   ///< the scenario every design transforms
  std::vector<std::string> designs, design_descriptions;  ///< by design
  std::vector<std::string> design_dot;                    ///< the transformed topology of each design, Graphviz DOT
  ComparisonInput input;                                  ///< the metrics and every run's values
  DesignComparison comparison;                            ///< what compare_designs drew from input
  std::vector<std::vector<int>> runs;                     ///< [d][r]: index of the run in /runs
  std::vector<uint64_t> seeds;                            ///< by replication
  std::string verdict;                                    ///< a sentence for the user
};

/// Adds /compare to an existing results file. Throws std::invalid_argument, before touching the
/// file, when the record's parts disagree on the number of designs, replications or metrics, and
/// OutputError naming the file when HDF5 fails.
void write_comparison_record(const std::string& path, const ComparisonRecord& record);

}  // namespace rapture
