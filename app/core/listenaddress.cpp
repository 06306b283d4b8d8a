// SPDX-License-Identifier: MIT
#include "listenaddress.h"

#include <QCoreApplication>

namespace rtlab {

static QString expected()
{
    return QCoreApplication::translate("ListenAddress",
                                       "expected HOST:PORT, e.g. 0.0.0.0:8080, [::]:8080 or 127.0.0.1:8080");
}

ListenAddress ListenAddress::parse(const QString &input, QString *error)
{
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return ListenAddress();
    };
    const QString text = input.trimmed();
    if (text.isEmpty())
        return fail(QCoreApplication::translate("ListenAddress", "empty address: %1").arg(expected()));
    if (text.contains(u"://"))
        return fail(QCoreApplication::translate("ListenAddress",
                                                "“%1”: write HOST:PORT without a scheme, e.g. "
                                                "0.0.0.0:8080")
                            .arg(text));
    QString hostText;
    QString portText;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0 || close + 1 >= text.size() || text.at(close + 1) != u':')
            return fail(QCoreApplication::translate("ListenAddress",
                                                    "“%1”: an IPv6 address needs brackets and a "
                                                    "port, e.g. [::]:8080")
                                .arg(text));
        hostText = text.mid(1, close - 1);
        portText = text.mid(close + 2);
    } else {
        const qsizetype colon = text.lastIndexOf(u':');
        if (colon < 0)
            return fail(QCoreApplication::translate("ListenAddress", "“%1” has no port: %2").arg(text, expected()));
        hostText = text.left(colon);
        portText = text.mid(colon + 1);
        if (hostText.contains(u':'))
            return fail(QCoreApplication::translate("ListenAddress",
                                                    "“%1”: write an IPv6 address in brackets, "
                                                    "e.g. [::]:8080")
                                .arg(text));
    }
    QHostAddress host;
    if (hostText.compare(u"localhost", Qt::CaseInsensitive) == 0)
        host = QHostAddress(QHostAddress::LocalHost);
    else if (!hostText.isEmpty())
        host = QHostAddress(hostText);
    // Brackets for IPv6 and only for IPv6, as in a URL.
    if (host.isNull() || text.startsWith(u'[') != (host.protocol() == QAbstractSocket::IPv6Protocol))
        return fail(QCoreApplication::translate("ListenAddress", "“%1” is not an IP address: %2")
                            .arg(hostText, expected()));
    bool ok = false;
    const uint port = portText.toUInt(&ok);
    if (!ok || port < 1 || port > 65535)
        return fail(QCoreApplication::translate("ListenAddress", "port “%1”: expected a number from 1 to 65535")
                            .arg(portText));
    if (error)
        error->clear();
    return ListenAddress(host, quint16(port));
}

bool ListenAddress::isAny() const
{
    return m_host == QHostAddress(QHostAddress::AnyIPv4) || m_host == QHostAddress(QHostAddress::AnyIPv6)
            || m_host == QHostAddress(QHostAddress::Any);
}

QString ListenAddress::toString() const
{
    if (!isValid())
        return {};
    const QString host = m_host.toString();
    return m_host.protocol() == QAbstractSocket::IPv6Protocol ? QStringLiteral("[%1]:%2").arg(host).arg(m_port)
                                                              : QStringLiteral("%1:%2").arg(host).arg(m_port);
}

QString ListenAddress::localHost() const
{
    if (!isAny())
        return m_host.toString();
    return m_host.protocol() == QAbstractSocket::IPv6Protocol ? QStringLiteral("::1") : QStringLiteral("127.0.0.1");
}

} // namespace rtlab
