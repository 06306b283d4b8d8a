// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>

#include <utility>

namespace rtlab {

// The headers of one head as http_parser hands them over: a name, then its value, each in as many
// pieces as the reads cut them into. Every reader on http_parser (the client's response parser,
// the server's request parser, the relay's request tracker) gathers them this one way: a name
// piece after a value starts the next header; the name lower-cased, the value trimmed.
class HttpHeaderLines
{
public:
    using Header = std::pair<QByteArray, QByteArray>;

    // An http_parser_settings with the header callbacks added (a template, so that this header
    // does not need http_parser's): they gather into (Owner *)parser->data->*lines.
    template<typename Owner, HttpHeaderLines Owner::*lines, typename Settings>
    static Settings gathering(Settings settings)
    {
        settings.on_header_field = [](auto *parser, const char *at, size_t n) {
            (static_cast<Owner *>(parser->data)->*lines).addName(at, n);
            return 0;
        };
        settings.on_header_value = [](auto *parser, const char *at, size_t n) {
            (static_cast<Owner *>(parser->data)->*lines).addValue(at, n);
            return 0;
        };
        return settings;
    }

    // At the end of the head: the headers in the order they came, the last one completed; empty
    // again for the next head.
    QList<Header> take()
    {
        if (m_inValue || !m_name.isEmpty())
            complete();
        return std::exchange(m_headers, {});
    }
    void clear()
    {
        m_headers.clear();
        m_name.clear();
        m_value.clear();
        m_inValue = false;
    }

private:
    void addName(const char *at, size_t n)
    {
        if (m_inValue)
            complete();
        m_name.append(at, qsizetype(n));
    }
    void addValue(const char *at, size_t n)
    {
        m_inValue = true;
        m_value.append(at, qsizetype(n));
    }
    void complete()
    {
        m_headers.append({ m_name.toLower(), m_value.trimmed() });
        m_name.clear();
        m_value.clear();
        m_inValue = false;
    }

    QList<Header> m_headers;
    QByteArray m_name;
    QByteArray m_value;
    bool m_inValue = false;
};

} // namespace rtlab
