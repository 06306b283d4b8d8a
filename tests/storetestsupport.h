// SPDX-License-Identifier: MIT
#pragma once

// Driving a LogStore from a test: append and read, waiting for `done` on the event loop (a
// store on disk answers later), and a file-size limit that makes a commit fail as a full disk.

#include "clientsupport.h"
#include "logstore.h"

#include <QTest>

#include <csignal>
#include <sys/resource.h>

namespace storetest {

inline rtlab::AppendRequest chat(const QString &text, qint64 appendedMs = 1000)
{
    rtlab::AppendRequest r;
    r.message.type = rtlab::MessageType::Chat;
    r.message.from = QStringLiteral("ann");
    r.message.text = text;
    r.message.ts = 1700000000000000;
    r.appendedMs = appendedMs;
    return r;
}

inline std::vector<rtlab::AppendRequest> chats(int n, qint64 appendedMs = 1000)
{
    std::vector<rtlab::AppendRequest> batch;
    for (int i = 0; i < n; ++i)
        batch.push_back(chat(QString::number(i), appendedMs));
    return batch;
}

// Appends and waits for `done`; a default result (status -1) if it never came. On a shared store
// it waits for the entries to arrive from the log's tail too: head() counts them then.
inline rtlab::AppendResult append(rtlab::LogStore &store, std::vector<rtlab::AppendRequest> batch)
{
    rtlab::AppendResult out;
    out.status = -1;
    bool got = false;
    store.append(std::move(batch), [&](rtlab::AppendResult r) {
        out = std::move(r);
        got = true;
    });
    // A missing answer shows as the default result: the caller's comparison fails.
    (void)QTest::qWaitFor([&] { return got; }, rtlab::test::WaitMs);
    if (store.isShared() && out.ok() && !out.entries.empty()) {
        const quint64 last = out.entries.back()->message.id;
        (void)QTest::qWaitFor([&] { return store.head().lastId >= last; }, rtlab::test::WaitMs);
    }
    return out;
}

inline rtlab::ReadResult read(rtlab::LogStore &store, quint64 after, int limit = 1 << 20)
{
    rtlab::ReadResult out;
    out.error = QStringLiteral("no answer");
    bool got = false;
    store.read(after, limit, [&](rtlab::ReadResult r) {
        out = std::move(r);
        got = true;
    });
    // A missing answer shows as the default result: the caller's comparison fails.
    (void)QTest::qWaitFor([&] { return got; }, rtlab::test::WaitMs);
    return out;
}

inline QList<quint64> ids(const std::vector<rtlab::LogEntryPtr> &entries)
{
    QList<quint64> out;
    for (const auto &e : entries)
        out.append(e->message.id);
    return out;
}

using rtlab::test::range;

// While it lives, a write that would make any file of this process larger than `bytes` fails
// with EFBIG (SIGXFSZ ignored): a full disk for whatever the store writes next.
class FileSizeLimit
{
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        m_oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        getrlimit(RLIMIT_FSIZE, &m_old);
        rlimit limit = m_old;
        limit.rlim_cur = bytes;
        m_ok = setrlimit(RLIMIT_FSIZE, &limit) == 0;
    }
    ~FileSizeLimit()
    {
        setrlimit(RLIMIT_FSIZE, &m_old);
        std::signal(SIGXFSZ, m_oldHandler);
    }
    FileSizeLimit(const FileSizeLimit &) = delete;
    FileSizeLimit &operator=(const FileSizeLimit &) = delete;
    bool ok() const { return m_ok; }

private:
    rlimit m_old {};
    void (*m_oldHandler)(int) = nullptr;
    bool m_ok = false;
};

} // namespace storetest
