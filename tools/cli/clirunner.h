// SPDX-License-Identifier: MIT
#pragma once

#include "realtimeclient.h"

#include <QElapsedTimer>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <cstdio>

namespace rtlab {

// rtlab-cli's whole behaviour: what to connect to, what to print, when to stop.
class CliRunner : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QUrl url;         // the first of urls
        QList<QUrl> urls; // --url, repeatable: the servers of one log (a cluster), tried in this order
        RealtimeClient::Mode mode = RealtimeClient::Mode::Auto;
        StreamPosition after;
        qint64 count = -1;     // stop after this many printed messages
        double durationS = -1; // stop after this long
        double connectTimeoutS = 10;
        QString send;
        QString from = QStringLiteral("rtlab-cli");
        QList<RealtimeClient::Mode> cycle;
        int cycleEveryMs = 1000;
        bool raw = false;
        bool stats = false;
        QSet<QString> onlyTypes; // empty: every type
        ReconnectPolicy policy;
        qint64 heartbeatMs = 15000;
        QString harPath;              // --har: record the wire and write it there as HAR 1.2 when the run ends
        qint64 pollIntervalMs = 1000; // short polling
        QByteArray token;             // --token / --token-file: sent as Authorization: Bearer
    };

    explicit CliRunner(const Options &options, QObject *parent = nullptr);
    void start();
    // Ends the run as --count or --duration would (SIGINT, SIGTERM): the HAR and --stats are written.
    void stop();

    // Parses the command line; on error returns false with the message.
    static bool parse(const QStringList &arguments, Options *options, QString *error, bool *exitNow);

signals:
    void finished(int exitCode);

private:
    void startRaw();
    void onMessage(const Message &message, TransportKind via);
    void onEvent(const ConnectionEvent &event);
    void printLine(FILE *stream, const QJsonObject &object);
    void finish(int code, const QString &why = {});
    QString notAStreamHint(const QString &answered) const;
    QString urlsText() const; // "http://a" or "http://a, http://b" for the messages

    Options m_options;
    std::shared_ptr<WireCapture> m_capture; // --har
    RealtimeClient m_client;
    ClientTransport *m_raw = nullptr;
    QTimer m_durationTimer;
    QTimer m_connectTimer;
    QTimer m_cycleTimer;
    QElapsedTimer m_elapsed;
    qint64 m_printed = 0;
    int m_cycleIndex = 0;
    bool m_everOpened = false;
    bool m_sent = false;
    bool m_done = false;
    qint64 m_sentStamp = 0;
    QString m_lastFailure; // why the last attempt of a connection that never opened failed
};

} // namespace rtlab
