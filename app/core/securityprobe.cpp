// SPDX-License-Identifier: MIT
#include "securityprobe.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QUrl>

#ifdef Q_OS_LINUX
#include <csignal>
#include <sys/prctl.h>
#endif

namespace rtlab {

namespace {
constexpr int DeadlineMs = 15000;      // the whole probe; each step is a loopback request
constexpr qsizetype MaxAnswer = 65536; // an answer is a few hundred bytes; never more than this
constexpr qsizetype MaxLog = 65536;    // the server's stderr kept for the log check
constexpr QLatin1String Marker { "rtlab lab: who am I?" };

int statusOf(const QByteArray &head)
{
    // "HTTP/1.1 403 Forbidden"
    const QList<QByteArray> parts = head.left(head.indexOf('\r')).split(' ');
    return parts.size() >= 2 ? parts.at(1).toInt() : 0;
}

QByteArray headerOf(const QByteArray &head, const QByteArray &name)
{
    for (const QByteArray &line : head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
            return line.mid(colon + 1).trimmed();
    }
    return {};
}
} // namespace

SecurityProbe::SecurityProbe(QObject *parent) : QObject(parent)
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this,
            [this] { fail(tr("the token server did not answer within %1 s").arg(DeadlineMs / 1000)); });
}

SecurityProbe::~SecurityProbe()
{
    if (m_server) {
        m_server->disconnect(this);
        m_server->terminate();
        if (!m_server->waitForFinished(2000))
            m_server->kill();
    }
}

void SecurityProbe::start(const QString &serverProgram)
{
    m_program = serverProgram;
    m_deadline.start(DeadlineMs);
    m_dir = std::make_unique<QTemporaryDir>();
    QFile key(m_dir->filePath(QStringLiteral("auth.key")));
    // The HS256 secret: 32 random bytes, the least the server accepts.
    QByteArray secret(32, Qt::Uninitialized);
    for (char &c : secret)
        c = char(QRandomGenerator::system()->bounded(256));
    if (!m_dir->isValid() || !key.open(QIODevice::WriteOnly) || key.write(secret) != secret.size()) {
        fail(tr("cannot write a key file into a temporary directory"));
        return;
    }
    key.close();
    mintToken();
}

void SecurityProbe::mintToken()
{
    auto *p = new QProcess(this);
    connect(p, &QProcess::finished, this, [this, p](int code) {
        p->deleteLater();
        m_token = p->readAllStandardOutput().trimmed();
        if (code != 0 || m_token.isEmpty()) {
            fail(tr("rtlab-server token failed: %1").arg(QString::fromUtf8(p->readAllStandardError().trimmed())));
            return;
        }
        startServer();
    });
    connect(p, &QProcess::errorOccurred, this, [this, p](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            fail(tr("cannot start %1: %2").arg(m_program, p->errorString()));
    });
    p->start(m_program,
             { QStringLiteral("token"), QStringLiteral("--auth-key"), m_dir->filePath(QStringLiteral("auth.key")),
               QStringLiteral("--sub"), QStringLiteral("ann"), QStringLiteral("--exp"), QStringLiteral("15m") });
}

void SecurityProbe::startServer()
{
    m_server = new QProcess(this);
    // The auth category's debug lines are where the server logs a refused request's target.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("rtlab.server.auth.debug=true"));
    m_server->setProcessEnvironment(env);
#ifdef Q_OS_LINUX
    m_server->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
#endif
    connect(m_server, &QProcess::readyReadStandardError, this, [this] {
        const QByteArray more = m_server->readAllStandardError();
        if (m_serverLog.size() < MaxLog)
            m_serverLog += more.left(MaxLog - m_serverLog.size());
    });
    connect(m_server, &QProcess::readyReadStandardOutput, this, [this] {
        if (!m_hostPort.isEmpty())
            return;
        static const QRegularExpression listening(QStringLiteral("rtlab-server listening on (http://\\S+)"));
        const QRegularExpressionMatch match = listening.match(QString::fromUtf8(m_server->readAllStandardOutput()));
        if (!match.hasMatch())
            return;
        const QUrl url(match.captured(1));
        m_hostPort = QStringLiteral("%1:%2").arg(url.host()).arg(url.port()).toUtf8();
        runSteps();
    });
    connect(m_server, &QProcess::finished, this, [this](int code) {
        if (!m_done)
            fail(tr("the token server exited (%1): %2").arg(code).arg(QString::fromUtf8(m_serverLog.right(200))));
    });
    m_server->start(m_program,
                    { QStringLiteral("--host"), QStringLiteral("127.0.0.1"), QStringLiteral("--port"),
                      QStringLiteral("0"), QStringLiteral("--tick-rate"), QStringLiteral("0"),
                      QStringLiteral("--auth-key"), m_dir->filePath(QStringLiteral("auth.key")),
                      QStringLiteral("--allow-query-token") });
}

QByteArray SecurityProbe::request(const QByteArray &method, const QByteArray &target, const QByteArray &extraHeaders,
                                  const QByteArray &body) const
{
    QByteArray r = method + ' ' + target + " HTTP/1.1\r\nHost: " + m_hostPort + "\r\nConnection: close\r\n";
    r += extraHeaders;
    if (!body.isEmpty() || method == "POST")
        r += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    return r + "\r\n" + body;
}

void SecurityProbe::send(const QByteArray &request, Step then)
{
    auto *socket = new QTcpSocket(this);
    auto buffer = std::make_shared<QByteArray>();
    auto answered = std::make_shared<bool>(false);
    const auto answer = [socket, buffer, answered, then] {
        if (*answered)
            return;
        *answered = true;
        Answer a;
        const qsizetype end = buffer->indexOf("\r\n\r\n");
        a.head = end < 0 ? *buffer : buffer->left(end);
        a.body = end < 0 ? QByteArray() : buffer->mid(end + 4);
        a.status = statusOf(a.head);
        socket->disconnect();
        socket->abort();
        socket->deleteLater();
        then(a);
    };
    connect(socket, &QTcpSocket::connected, socket, [socket, request] { socket->write(request); });
    connect(socket, &QTcpSocket::readyRead, socket, [socket, buffer, answer] {
        *buffer += socket->read(MaxAnswer - buffer->size());
        // A 101 keeps the connection open: its head is the whole answer the probe needs.
        const qsizetype end = buffer->indexOf("\r\n\r\n");
        if (buffer->size() >= MaxAnswer || (end > 0 && statusOf(*buffer) == 101))
            answer();
    });
    connect(socket, &QTcpSocket::disconnected, socket, answer);
    connect(socket, &QTcpSocket::errorOccurred, socket, [answer](QAbstractSocket::SocketError e) {
        if (e != QAbstractSocket::RemoteHostClosedError)
            answer();
    });
    const qsizetype colon = m_hostPort.lastIndexOf(':');
    socket->connectToHost(QString::fromUtf8(m_hostPort.left(colon)), quint16(m_hostPort.mid(colon + 1).toUInt()));
}

void SecurityProbe::runSteps()
{
    const QByteArray bearer = "Authorization: Bearer " + m_token + "\r\n";
    const QByteArray ownOrigin = "Origin: http://" + m_hostPort + "\r\n";
    const QByteArray upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    // QByteArray's + builds the request; a WebSocket handshake must not say "Connection: close" too.
    const auto handshake = [this, bearer, upgrade](const QByteArray &origin) {
        return "GET /ws HTTP/1.1\r\nHost: " + m_hostPort + "\r\n" + upgrade + origin + bearer + "\r\n";
    };
    const QByteArray publish = QJsonDocument(QJsonObject { { QStringLiteral("from"), QStringLiteral("mallory") },
                                                           { QStringLiteral("text"), Marker } })
                                       .toJson(QJsonDocument::Compact);
    send(handshake("Origin: http://evil.example\r\n"), [=, this](const Answer &a) {
        m_findings.foreignOriginStatus = a.status;
        send(handshake(ownOrigin), [=, this](const Answer &a) {
            m_findings.sameOriginStatus = a.status;
            send(request("POST", "/send", bearer + ownOrigin, publish), [=, this](const Answer &a) {
                m_findings.publishStatus = a.status;
                send(request("GET", "/poll?after=0&timeout=0", bearer), [=, this](const Answer &a) {
                    const QJsonArray messages =
                            QJsonDocument::fromJson(a.body).object().value(QLatin1String("messages")).toArray();
                    for (const QJsonValue &m : messages) {
                        if (m.toObject().value(QLatin1String("text")).toString() == Marker)
                            m_findings.forgedFromArrivedAs = m.toObject().value(QLatin1String("from")).toString();
                    }
                    // ann may subscribe and publish, not read the figures: a refusal, which the server logs.
                    send(request("GET", "/stats?access_token=" + m_token, {}), [=, this](const Answer &a) {
                        m_findings.queryTokenStatus = a.status;
                        send(request("POST", "/auth", bearer + ownOrigin), [this](const Answer &a) {
                            m_findings.authStatus = a.status;
                            m_findings.setCookie = QString::fromUtf8(headerOf(a.head, "Set-Cookie"))
                                                           .replace(QString::fromUtf8(m_token), QStringLiteral("…"));
                            finish();
                        });
                    });
                });
            });
        });
    });
}

void SecurityProbe::fail(const QString &why)
{
    if (m_done)
        return;
    m_error = why;
    finish();
}

void SecurityProbe::finish()
{
    if (m_done)
        return;
    m_done = true;
    m_deadline.stop();
    if (m_server) {
        // What the server logged: its stderr up to now (the refusal was logged before it answered).
        m_serverLog += m_server->readAllStandardError().left(qMax<qsizetype>(0, MaxLog - m_serverLog.size()));
        m_server->disconnect(this);
        m_server->terminate();
        if (!m_server->waitForFinished(2000))
            m_server->kill();
        m_server->deleteLater();
    }
    for (const QByteArray &line : m_serverLog.split('\n')) {
        if (line.contains("access_token="))
            m_findings.queryTokenLogLine = QString::fromUtf8(line.trimmed());
    }
    m_findings.rawTokenInLog = !m_token.isEmpty() && m_serverLog.contains(m_token);
    emit finished();
}

} // namespace rtlab
