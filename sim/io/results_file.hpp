#pragma once
/// The HDF5 results file: one group /runs/<index> per run, time series streamed bin by bin,
/// totals at the end. The layout is documented in docs/results-format.md and checked by
/// analysis/check_results.py; change all three together.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "model/run_result.hpp"

namespace rapture {

/// Version of the layout written to the root attribute `format_version`.
inline constexpr int kResultsFormatVersion = 1;

class RunWriter;

/// OutputError "cannot write results file '<path>': <reason>" when `final_path` cannot be written
/// or holds anything but an earlier rapture results file (an input, another file, a device, a
/// FIFO, a directory): every command checks its results file so before any run starts.
void require_writable_results(const std::string& final_path);

/// One results file. Written under a temporary name beside the final path (final + ".tmp-<pid>")
/// and renamed to the final path by commit(); destroyed without commit() it removes the temporary
/// file, so an interrupted run never leaves a half file under the final name.
///
/// HDF5 calls of all files and writers are serialised by one process-wide lock
/// (hdf5::library_mutex, shared with the reader and the records), so different RunWriters may be
/// fed from different threads; a single object is used by one thread at a time.
class ResultsFile {
 public:
  /// Creates the temporary file; throws OutputError when the directory is missing or not writable.
  explicit ResultsFile(std::string final_path);
  ~ResultsFile();
  ResultsFile(const ResultsFile&) = delete;
  ResultsFile& operator=(const ResultsFile&) = delete;

  /// Starts group /runs/<info.index> and returns a writer that streams its bins and totals.
  std::unique_ptr<RunWriter> begin_run(const RunInfo& info);
  /// Calls `write` with the open group /runs/<index> (an HDF5 hid_t) of a run whose writer has
  /// finished, holding the lock of every HDF5 call: how records kept beside a run are added before
  /// commit() (io/analysis_record.hpp). OutputError naming the file when there is no such run, its
  /// writer is still open, or the file is committed.
  void with_finished_run(int index, const std::function<void(int64_t group)>& write);
  /// Flushes writers still open, closes the file and renames it to the final path.
  void commit();
  /// The final path.
  [[nodiscard]] const std::string& path() const;
  /// The temporary path written until commit() (what an interrupt must remove).
  [[nodiscard]] const std::string& temp_path() const;

  struct State;  ///< shared with the writers, so either may be destroyed first

 private:
  std::shared_ptr<State> state_;
};

/// Streams one run into its group: write_edge_bin() (when the run has edges) and write_bin() for
/// every bin, write_circuit_events() whenever breakers changed state, then finish() once.
class RunWriter : public BinSink {
 public:
  ~RunWriter() override;
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  /// Appends one row to each time-series dataset; indices are consecutive from 0.
  void write_bin(int64_t index, std::span<const ServiceBinRow> services,
                 std::span<const RequestBinRow> requests) override;
  /// Buffers the edges' row of bin `index`, which must be the next bin (`bins()`); required before
  /// write_bin() of that bin when the run has edges.
  void write_edge_bin(int64_t index, std::span<const EdgeBinRow> edges) override;
  /// Buffers the stateful caches' row of bin `index` (the next bin), required before write_bin()
  /// of that bin when RunInfo::caches is not empty (group `caches`, [time, cache]).
  void write_cache_bin(int64_t index, std::span<const CacheBinRow> caches) override;
  /// Appends breaker transitions to the run's event table (buffered a chunk at a time).
  void write_circuit_events(std::span<const CircuitEvent> events) override;
  /// Writes totals and summary and closes the run; the writer accepts nothing after this.
  void finish(const RunTotals& totals);
  /// Bins written so far.
  [[nodiscard]] int64_t bins() const;

  struct Impl;  ///< HDF5 handles and the bounded row buffer, kept out of this header

 private:
  friend class ResultsFile;
  explicit RunWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rapture
