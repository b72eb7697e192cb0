#pragma once
/// The record of a parameter search (`rapture amplify`) stored beside its runs: group
/// /amplify of a results file, one entry per run in the order of /runs.

#include <string>
#include <vector>

namespace rapture {

struct SearchRecord {
  std::string scenario, param, criterion, unit;
  std::vector<double> values;   ///< the magnitude of each run, by run index
  std::vector<int> cascades;    ///< 1 when the criterion found a cascade in that run
  std::vector<double> measure;  ///< what the criterion measured in that run
  bool found = false;           ///< a tipping point lies in the range
  double threshold = 0, uncertainty = 0;  ///< the tipping point: threshold ± uncertainty
  std::string verdict;          ///< a sentence for the user
};

/// Adds /amplify to an existing results file; throws OutputError naming the file.
void write_search_record(const std::string& path, const SearchRecord& record);

}  // namespace rapture
