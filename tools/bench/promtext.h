// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>

#include <map>
#include <string>
#include <string_view>

namespace rtlab::bench::promtext {

// A server's figures in the Prometheus text format (rtlab's /metrics), read at a run's start and
// end: the store's commit histograms say how many rows each commit carried and how long it took.

// "name{labels}" → value, for the series whose name starts with prefix. Comments, blank lines and
// lines that are not a sample are skipped (the bench reads figures, it does not check the format).
using Series = std::map<std::string, double>;
Series parse(std::string_view text, std::string_view prefix);

// after − before, per series. A histogram (name_bucket{le="…"}, name_sum, name_count) becomes one
// object under its name (plus its other labels, if any): {"buckets":[{"le":"1","count":n},…]
// with the count in each bucket (not cumulative, so it reads as a distribution), "count", and
// "sum" and "mean" when the histogram has a _sum}. Any other series is a number under its full
// "name{labels}".
QJsonObject delta(const Series &before, const Series &after);

} // namespace rtlab::bench::promtext
