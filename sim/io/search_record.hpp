#pragma once
/// The record of a parameter search (`rapture amplify`) stored beside its runs: group
/// /amplify of a results file, one entry per run in the order of /runs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/tipping_fit.hpp"

namespace rapture {

struct SearchRecord {
  std::string scenario, param, criterion, unit;
  std::vector<double> values;          ///< the magnitude of each run, by run index
  std::vector<int> cascades;           ///< 1 when the criterion found a cascade in that run
  std::vector<double> measure;         ///< what the criterion measured in that run
  std::vector<double> peak_unhealthy;  ///< the run's largest share of services unhealthy at once
  std::vector<int64_t> emergent;       ///< the run's emergent failures
  std::vector<int> metastable;         ///< the run's metastable flag (1, 0, -1 cannot tell)
  int first_cascade = -1;              ///< the run (index in /runs) of the lowest cascading value; -1 none
  /// Map mode (two magnitudes): the second one's path, unit and value by run, and each run's
  /// region (0 recovered, 1 degraded: cascaded and came back, 2 metastable); empty otherwise.
  std::string param2, unit2;
  std::vector<double> values2;
  std::vector<int> region;
  bool found = false;                     ///< a tipping point lies in the range
  double threshold = 0, uncertainty = 0;  ///< the tipping point: threshold ± uncertainty
  std::string verdict;                    ///< a sentence for the user
  /// With replications (R >= 2; with 1 none of the following is written): runs of each
  /// magnitude on paired seeds, the seed of each run, and the logistic fit of the cascade
  /// probability over every run when the search bracketed a tipping point.
  int replications = 1;
  std::vector<uint64_t> seeds;
  std::optional<TippingFit> fit;
};

/// Adds /amplify to an existing results file; throws OutputError naming the file.
void write_search_record(const std::string& path, const SearchRecord& record);

}  // namespace rapture

namespace rapture {

/// The record of a pre-mortem (`rapture premortem`): group /premortem, one entry per run in the
/// order of /runs, each run the crash of one service.
struct PremortemRecord {
  std::string scenario;
  double start = 0, duration = 0;     ///< the crash's window (seconds)
  std::vector<std::string> services;  ///< the crashed service of each run
  std::vector<double> blast_radius_requests, blast_radius_types, peak_unhealthy, recovery_time;
  std::vector<int64_t> emergent;
  std::vector<int> metastable;
  std::vector<int> rank;  ///< 1 = where a failure hurts most
};

/// Adds /premortem to an existing results file; throws OutputError naming the file.
void write_premortem_record(const std::string& path, const PremortemRecord& record);

}  // namespace rapture
