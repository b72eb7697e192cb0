#pragma once
/// The cascade analysis of a run (and its steady-state hypothesis) stored beside the run, in
/// group /runs/<i>/analysis of its results file. The layout is documented in
/// docs/results-format.md and checked by analysis/check_results.py; change all three together.

#include "analysis/cascade_report.hpp"
#include "analysis/decay_report.hpp"
#include "analysis/hypothesis.hpp"
#include "io/results_file.hpp"

namespace rapture {

/// Writes `report` (and `hypothesis` when not null) as /runs/<run_index>/analysis of `file`,
/// after that run's RunWriter::finish() and before ResultsFile::commit(). Throws
/// std::invalid_argument when the report does not fit the run (bins, services, request types,
/// indices) and OutputError naming the file when HDF5 fails, the run is missing, unfinished or
/// already analysed; on a failure the run is left without an analysis group.
/// `decay`, when given and not empty, goes to analysis/decay (one group per legacy path).
void write_analysis(ResultsFile& file, int run_index, const CascadeReport& report,
                    const HypothesisResult* hypothesis = nullptr, const DecayReport* decay = nullptr);

}  // namespace rapture
