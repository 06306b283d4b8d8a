// SPDX-License-Identifier: MIT
#include "promtext.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <vector>

namespace rtlab::bench::promtext {

namespace {

struct Bucket
{
    double le;
    std::string leText;
    double cumulative;
};

struct Histogram
{
    std::vector<Bucket> buckets;
    std::optional<double> sum; // a histogram may leave _sum out (rtlab's store histograms do)
    double count = 0;
};

// Splits "name{a="x",le="5"}" into the name, the le value (empty if none) and the other labels.
void split(const std::string &key, std::string *name, std::string *le, std::string *rest)
{
    const size_t brace = key.find('{');
    *name = key.substr(0, brace);
    le->clear();
    rest->clear();
    if (brace == std::string::npos)
        return;
    const std::string labels = key.substr(brace + 1, key.size() - brace - 2);
    size_t pos = 0;
    while (pos < labels.size()) {
        const size_t eq = labels.find('=', pos);
        if (eq == std::string::npos || eq + 1 >= labels.size() || labels[eq + 1] != '"')
            break;
        size_t end = eq + 2;
        while (end < labels.size() && labels[end] != '"')
            end += labels[end] == '\\' ? 2 : 1;
        const std::string label = labels.substr(pos, eq - pos);
        const std::string pair = labels.substr(pos, end + 1 - pos);
        if (label == "le")
            *le = labels.substr(eq + 2, end - eq - 2);
        else
            *rest += (rest->empty() ? "" : ",") + pair;
        pos = end + 2; // past the closing quote and the comma
    }
}

} // namespace

Series parse(std::string_view text, std::string_view prefix)
{
    Series out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty() || line.front() == '#' || !line.starts_with(prefix))
            continue;
        // The series runs to the first space outside the label braces' quoted values.
        size_t i = 0;
        bool inBraces = false, inQuotes = false;
        for (; i < line.size(); ++i) {
            const char c = line[i];
            if (inQuotes) {
                if (c == '\\')
                    ++i;
                else if (c == '"')
                    inQuotes = false;
            } else if (c == '"' && inBraces) {
                inQuotes = true;
            } else if (c == '{') {
                inBraces = true;
            } else if (c == '}') {
                inBraces = false;
            } else if (c == ' ' && !inBraces) {
                break;
            }
        }
        if (i >= line.size())
            continue;
        const std::string value(line.substr(i + 1, line.find(' ', i + 1) - i - 1));
        char *stop = nullptr;
        const double v = std::strtod(value.c_str(), &stop);
        if (stop == value.c_str())
            continue;
        out[std::string(line.substr(0, i))] = v;
    }
    return out;
}

QJsonObject delta(const Series &before, const Series &after)
{
    const auto change = [&](const std::string &key, double now) {
        const auto it = before.find(key);
        return now - (it == before.end() ? 0.0 : it->second);
    };
    // Histograms first: a family is one with _bucket series carrying le.
    std::map<std::string, Histogram> histograms;
    std::string name, le, rest;
    for (const auto &[key, value] : after) {
        split(key, &name, &le, &rest);
        if (le.empty() || !name.ends_with("_bucket"))
            continue;
        const std::string family = name.substr(0, name.size() - 7) + (rest.empty() ? "" : "{" + rest + "}");
        histograms[family].buckets.push_back({ std::strtod(le.c_str(), nullptr), le, change(key, value) });
    }
    QJsonObject out;
    for (const auto &[key, value] : after) {
        split(key, &name, &le, &rest);
        if (!le.empty() && name.ends_with("_bucket"))
            continue;
        const auto family = [&](size_t suffix) {
            return name.substr(0, name.size() - suffix) + (rest.empty() ? "" : "{" + rest + "}");
        };
        if (name.ends_with("_sum") && histograms.count(family(4)))
            histograms[family(4)].sum = change(key, value);
        else if (name.ends_with("_count") && histograms.count(family(6)))
            histograms[family(6)].count = change(key, value);
        else
            out.insert(QString::fromStdString(key), change(key, value));
    }
    for (auto &[family, h] : histograms) {
        std::sort(h.buckets.begin(), h.buckets.end(), [](const Bucket &a, const Bucket &b) { return a.le < b.le; });
        QJsonArray buckets;
        double below = 0;
        for (const Bucket &b : h.buckets) {
            buckets.append(QJsonObject { { QStringLiteral("le"), QString::fromStdString(b.leText) },
                                         { QStringLiteral("count"), b.cumulative - below } });
            below = b.cumulative;
        }
        QJsonObject o { { QStringLiteral("buckets"), buckets }, { QStringLiteral("count"), h.count } };
        if (h.sum) {
            o.insert(QStringLiteral("sum"), *h.sum);
            o.insert(QStringLiteral("mean"), h.count > 0 ? *h.sum / h.count : 0.0);
        }
        out.insert(QString::fromStdString(family), o);
    }
    return out;
}

} // namespace rtlab::bench::promtext
