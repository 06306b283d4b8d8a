// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QString>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

class QTemporaryDir;

namespace rtlab {

// The ws-security lesson's token row: starts an rtlab-server of its own with a key file it writes
// into a temp dir (the lab's bundled server has none) and --allow-query-token, mints a token for
// "ann" with `rtlab-server token`, and records what that server actually answers, with raw HTTP
// so every status and header is the server's own: a WebSocket handshake from a foreign Origin and
// from its own, a publish claiming to be "mallory", a token in a URL (what the server's log line
// shows of it) and the cookie POST /auth sets. Everything it reports was observed, never assumed.
class SecurityProbe : public QObject
{
    Q_OBJECT
public:
    struct Findings
    {
        int foreignOriginStatus = 0;                // the /ws handshake from http://evil.example, with ann's token
        int sameOriginStatus = 0;                   // the same handshake from the server's own origin
        int publishStatus = 0;                      // POST /send claiming "mallory" with ann's token
        std::optional<QString> forgedFromArrivedAs; // that message's `from`, as a poll received it
        int queryTokenStatus = 0;                   // GET /stats?access_token=… (ann may not read them)
        QString queryTokenLogLine;                  // the server's log line for it ("" when none)
        bool rawTokenInLog = false;                 // the token itself appears in what the server logged
        int authStatus = 0;                         // POST /auth with ann's token
        QString setCookie;                          // its Set-Cookie, the token value elided
    };

    explicit SecurityProbe(QObject *parent = nullptr);
    ~SecurityProbe() override;

    // Runs every step once against a fresh server started from `serverProgram`; finished() when all
    // are done or when something failed (error() says what; the findings so far are kept).
    void start(const QString &serverProgram);
    bool isDone() const { return m_done; }
    QString error() const { return m_error; }
    const Findings &findings() const { return m_findings; }

signals:
    void finished();

private:
    struct Answer
    {
        int status = 0;
        QByteArray head; // the status line and headers
        QByteArray body;
    };
    using Step = std::function<void(const Answer &)>;
    void mintToken();
    void startServer();
    // One request on a connection of its own; `then` gets the answer (status 0: no answer).
    void send(const QByteArray &request, Step then);
    QByteArray request(const QByteArray &method, const QByteArray &target, const QByteArray &extraHeaders,
                       const QByteArray &body = {}) const;
    void runSteps();
    void fail(const QString &why);
    void finish();

    QString m_program;
    std::unique_ptr<QTemporaryDir> m_dir;
    QPointer<QProcess> m_server;
    QByteArray m_serverLog; // the server's stderr, bounded
    QByteArray m_token;
    QByteArray m_hostPort;
    QTimer m_deadline;
    Findings m_findings;
    QString m_error;
    bool m_done = false;
};

} // namespace rtlab
