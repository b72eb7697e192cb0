#pragma once
/// Designs written back as scenario YAML (docs/scenario-format.md, `designs:`): what
/// `rapture suggest --write-designs` writes for a person to paste, and the `--set designs=[...]`
/// its runs are given. The reader (io/scenario/designs.cpp) reads both back to the same designs.

#include <string>
#include <vector>

#include "model/design/design_spec.hpp"

namespace rapture {

/// `designs` as a `designs:` section in block style, ready to paste into a scenario; each design
/// may be preceded by comment lines (`comments[i]`, without the `#`; empty or shorter: none).
std::string designs_yaml(const std::vector<DesignSpec>& designs, const std::vector<std::string>& comments = {});

/// `designs` as one flow-style YAML list, for `--set designs=...`.
std::string designs_flow(const std::vector<DesignSpec>& designs);

/// `text` as a YAML double-quoted scalar.
std::string yaml_quote(const std::string& text);

}  // namespace rapture
