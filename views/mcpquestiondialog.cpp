#include "mcpquestiondialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QUrl>
#include <QVBoxLayout>

namespace Spool {

namespace {

// The choices of an enum field as (value, label): enum (+ legacy enumNames), oneOf/anyOf of
// {const, title}; for arrays, the same inside "items".
QList<std::pair<QString, QString>> choices(const QJsonObject &schema)
{
    QList<std::pair<QString, QString>> out;
    const QJsonArray values = schema.value(QStringLiteral("enum")).toArray();
    const QJsonArray names = schema.value(QStringLiteral("enumNames")).toArray();
    for (int i = 0; i < values.size(); ++i) {
        const QString v = values.at(i).toString();
        out.append({v, names.at(i).toString(v)});
    }
    for (const char *key : {"oneOf", "anyOf"}) {
        for (const QJsonValue &option : schema.value(QLatin1String(key)).toArray()) {
            const QJsonObject o = option.toObject();
            const QString v = o.value(QStringLiteral("const")).toString();
            out.append({v, o.value(QStringLiteral("title")).toString(v)});
        }
    }
    return out;
}

} // namespace

McpQuestionDialog::McpQuestionDialog(const McpUserQuestion &question, QWidget *parent)
    : QDialog(parent), m_question(question)
{
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(tr("%1 asks — Spool").arg(question.server));
    setAccessibleName(tr("Question from an MCP server"));

    auto *layout = new QVBoxLayout(this);
    auto *who = new QLabel(tr("<b>The MCP server “%1” asks you</b>%2")
                                   .arg(question.server.toHtmlEscaped(),
                                        question.tool.isEmpty() ? QString()
                                                                : tr(" (during the call of %1)").arg(question.tool.toHtmlEscaped())),
                           this);
    who->setWordWrap(true);
    layout->addWidget(who);
    auto *message = new QLabel(question.message, this);
    message->setWordWrap(true);
    message->setTextFormat(Qt::PlainText);
    message->setAccessibleName(tr("The server's question"));
    layout->addWidget(message);
    auto *note = new QLabel(tr("Only answer what you would tell this server; it gets what you send."), this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(note);

    if (question.mode == QLatin1String("url")) {
        auto *url = new QLabel(question.url.toHtmlEscaped(), this);
        url->setTextInteractionFlags(Qt::TextSelectableByMouse);
        url->setWordWrap(true);
        layout->addWidget(url);
        auto *open = new QPushButton(tr("&Open in the browser"), this);
        connect(open, &QPushButton::clicked, this, [this] { QDesktopServices::openUrl(QUrl(m_question.url)); });
        layout->addWidget(open);
    } else {
        auto *form = new QFormLayout;
        const QJsonObject properties = question.schema.value(QStringLiteral("properties")).toObject();
        const QJsonArray required = question.schema.value(QStringLiteral("required")).toArray();
        for (auto it = properties.begin(); it != properties.end(); ++it) {
            const QString name = it.key();
            const QJsonObject p = it.value().toObject();
            const QString type = p.value(QStringLiteral("type")).toString();
            const QJsonValue def = p.value(QStringLiteral("default"));
            QWidget *editor = nullptr;
            if (type == QLatin1String("boolean")) {
                auto *box = new QCheckBox(this);
                box->setChecked(def.toBool());
                editor = box;
            } else if (type == QLatin1String("integer")) {
                auto *spin = new QSpinBox(this);
                spin->setRange(p.contains(QStringLiteral("minimum")) ? p.value(QStringLiteral("minimum")).toInt() : INT_MIN,
                               p.contains(QStringLiteral("maximum")) ? p.value(QStringLiteral("maximum")).toInt() : INT_MAX);
                spin->setValue(def.toInt(spin->minimum() > 0 ? spin->minimum() : 0));
                editor = spin;
            } else if (type == QLatin1String("number")) {
                auto *spin = new QDoubleSpinBox(this);
                spin->setDecimals(4);
                spin->setRange(p.contains(QStringLiteral("minimum")) ? p.value(QStringLiteral("minimum")).toDouble() : -1e12,
                               p.contains(QStringLiteral("maximum")) ? p.value(QStringLiteral("maximum")).toDouble() : 1e12);
                spin->setValue(def.toDouble(0));
                editor = spin;
            } else if (type == QLatin1String("array")) {
                auto *list = new QListWidget(this);
                const QStringList selected = def.toVariant().toStringList();
                for (const auto &[value, label] : choices(p.value(QStringLiteral("items")).toObject())) {
                    auto *item = new QListWidgetItem(label, list);
                    item->setData(Qt::UserRole, value);
                    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
                    item->setCheckState(selected.contains(value) ? Qt::Checked : Qt::Unchecked);
                }
                list->setMaximumHeight(110);
                editor = list;
            } else if (const auto options = choices(p); !options.isEmpty()) {
                auto *combo = new QComboBox(this);
                if (!required.contains(name))
                    combo->addItem(tr("(none)"), QString());
                for (const auto &[value, label] : options)
                    combo->addItem(label, value);
                const int index = combo->findData(def.toString());
                if (index >= 0)
                    combo->setCurrentIndex(index);
                editor = combo;
            } else {
                auto *line = new QLineEdit(this);
                line->setText(def.toString());
                const QString format = p.value(QStringLiteral("format")).toString();
                if (!format.isEmpty())
                    line->setPlaceholderText(format == QLatin1String("date") ? tr("YYYY-MM-DD") : format);
                editor = line;
            }
            editor->setObjectName(name);
            const QString title = p.value(QStringLiteral("title")).toString(name);
            editor->setAccessibleName(title);
            editor->setToolTip(p.value(QStringLiteral("description")).toString());
            QString label = title;
            if (required.contains(name))
                label += QStringLiteral(" *");
            form->addRow(label + QLatin1Char(':'), editor);
            const QString description = p.value(QStringLiteral("description")).toString();
            if (!description.isEmpty()) {
                auto *hint = new QLabel(description, this);
                hint->setWordWrap(true);
                hint->setForegroundRole(QPalette::PlaceholderText);
                form->addRow(QString(), hint);
            }
            m_fields.insert(name, editor);
        }
        layout->addLayout(form);
    }

    m_problem = new QLabel(this);
    m_problem->setStyleSheet(QStringLiteral("QLabel { color: #c5221f; }"));
    m_problem->hide();
    layout->addWidget(m_problem);

    auto *buttons = new QDialogButtonBox(this);
    m_send = buttons->addButton(question.mode == QLatin1String("url") ? tr("&Done") : tr("&Send"),
                                QDialogButtonBox::AcceptRole);
    m_decline = buttons->addButton(tr("&Decline"), QDialogButtonBox::DestructiveRole);
    auto *cancel = buttons->addButton(QDialogButtonBox::Cancel);
    m_send->setDefault(true);
    connect(m_send, &QPushButton::clicked, this, [this] { answer(QStringLiteral("accept")); });
    connect(m_decline, &QPushButton::clicked, this, [this] { answer(QStringLiteral("decline")); });
    connect(cancel, &QPushButton::clicked, this, [this] { answer(QStringLiteral("cancel")); });
    layout->addWidget(buttons);
}

QJsonObject McpQuestionDialog::content() const
{
    QJsonObject out;
    const QJsonObject properties = m_question.schema.value(QStringLiteral("properties")).toObject();
    for (auto it = m_fields.cbegin(); it != m_fields.cend(); ++it) {
        const QJsonObject p = properties.value(it.key()).toObject();
        QWidget *w = it.value();
        if (auto *box = qobject_cast<QCheckBox *>(w)) {
            out.insert(it.key(), box->isChecked());
        } else if (auto *spin = qobject_cast<QSpinBox *>(w)) {
            out.insert(it.key(), spin->value());
        } else if (auto *dspin = qobject_cast<QDoubleSpinBox *>(w)) {
            out.insert(it.key(), dspin->value());
        } else if (auto *list = qobject_cast<QListWidget *>(w)) {
            QJsonArray values;
            for (int i = 0; i < list->count(); ++i) {
                if (list->item(i)->checkState() == Qt::Checked)
                    values.append(list->item(i)->data(Qt::UserRole).toString());
            }
            out.insert(it.key(), values);
        } else if (auto *combo = qobject_cast<QComboBox *>(w)) {
            if (!combo->currentData().toString().isEmpty())
                out.insert(it.key(), combo->currentData().toString());
        } else if (auto *line = qobject_cast<QLineEdit *>(w)) {
            // An empty text field is left out, so the server's default (if any) applies.
            if (!line->text().isEmpty())
                out.insert(it.key(), line->text());
        }
        Q_UNUSED(p);
    }
    return out;
}

bool McpQuestionDialog::validate(QString *problem) const
{
    const QJsonObject c = content();
    const QJsonObject properties = m_question.schema.value(QStringLiteral("properties")).toObject();
    for (const QJsonValue &r : m_question.schema.value(QStringLiteral("required")).toArray()) {
        const QString name = r.toString();
        if (!c.contains(name) && !properties.value(name).toObject().contains(QStringLiteral("default"))) {
            *problem = tr("%1 is required.").arg(properties.value(name).toObject().value(QStringLiteral("title")).toString(name));
            return false;
        }
    }
    for (auto it = properties.begin(); it != properties.end(); ++it) {
        const QJsonObject p = it.value().toObject();
        if (p.value(QStringLiteral("type")).toString() != QLatin1String("array") || !c.contains(it.key()))
            continue;
        const qsizetype n = c.value(it.key()).toArray().size();
        const int minItems = p.value(QStringLiteral("minItems")).toInt(0);
        const int maxItems = p.value(QStringLiteral("maxItems")).toInt(INT_MAX);
        if (n < minItems || n > maxItems) {
            *problem = tr("Choose between %1 and %2 for %3.").arg(minItems).arg(maxItems == INT_MAX ? n : maxItems)
                               .arg(p.value(QStringLiteral("title")).toString(it.key()));
            return false;
        }
    }
    return true;
}

void McpQuestionDialog::answer(const QString &action)
{
    if (m_answered)
        return;
    if (action == QLatin1String("accept") && m_question.mode != QLatin1String("url")) {
        QString problem;
        if (!validate(&problem)) {
            m_problem->setText(problem);
            m_problem->show();
            return;
        }
    }
    m_answered = true;
    emit answered(m_question.id, action, action == QLatin1String("accept") ? content() : QJsonObject());
    QDialog::accept();
}

void McpQuestionDialog::reject()
{
    // Esc and the window's close button cancel: the server is told, the call goes on.
    if (!m_answered)
        answer(QStringLiteral("cancel"));
    else
        QDialog::reject();
}

void McpQuestionDialog::closedElsewhere()
{
    m_answered = true;
    QDialog::reject();
}

} // namespace Spool
