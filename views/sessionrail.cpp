#include "sessionrail.h"

#include "sessionlistmodel.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace Spool {

namespace {

// Draws a section header (Today, Yesterday, ...) above the first session of each group.
class GroupedSessionDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    static bool startsGroup(const QModelIndex &index)
    {
        if (index.row() == 0)
            return true;
        const QModelIndex previous = index.siblingAtRow(index.row() - 1);
        return previous.data(SessionListModel::GroupRole) != index.data(SessionListModel::GroupRole);
    }

    int headerHeight(const QStyleOptionViewItem &option) const
    {
        return option.fontMetrics.height() + 14;
    }

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QSize size = QStyledItemDelegate::sizeHint(option, index);
        size.setHeight(qMax(size.height(), option.fontMetrics.height() + 14));
        if (startsGroup(index))
            size.rheight() += headerHeight(option);
        return size;
    }

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        QStyleOptionViewItem item = option;
        if (startsGroup(index)) {
            const int h = headerHeight(option);
            QRect header = option.rect;
            header.setHeight(h);
            painter->save();
            QFont font = option.font;
            font.setPointSizeF(font.pointSizeF() * 0.85);
            font.setBold(true);
            painter->setFont(font);
            painter->setPen(option.palette.color(QPalette::PlaceholderText));
            painter->drawText(header.adjusted(8, 6, -4, 0), Qt::AlignLeft | Qt::AlignVCenter,
                              index.data(SessionListModel::GroupRole).toString().toUpper());
            painter->restore();
            item.rect.setTop(option.rect.top() + h);
        }
        item.rect.adjust(4, 1, -4, -1);
        QStyledItemDelegate::paint(painter, item, index);
    }
};

} // namespace

SessionRail::SessionRail(SessionListModel *model, QWidget *parent)
    : QWidget(parent), m_model(model)
{
    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search sessions (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    m_search->setAccessibleName(tr("Search sessions"));
    auto *debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(200);
    connect(m_search, &QLineEdit::textChanged, debounce, qOverload<>(&QTimer::start));
    connect(debounce, &QTimer::timeout, this, [this] { emit searchChanged(m_search->text()); });

    m_new = new QToolButton(this);
    m_new->setText(tr("New"));
    m_new->setToolTip(tr("New session (Ctrl+N)"));
    m_new->setAccessibleName(tr("New session"));
    m_new->setToolButtonStyle(Qt::ToolButtonTextOnly);
    connect(m_new, &QToolButton::clicked, this, &SessionRail::newSessionRequested);

    m_archived = new QCheckBox(tr("Show archived"), this);
    m_archived->setAccessibleName(tr("Show archived sessions"));
    connect(m_archived, &QCheckBox::toggled, this, &SessionRail::showArchivedChanged);

    m_list = new QListView(this);
    m_list->setModel(model);
    m_list->setItemDelegate(new GroupedSessionDelegate(m_list));
    m_list->setAccessibleName(tr("Sessions"));
    m_list->setUniformItemSizes(false);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    m_list->setFrameShape(QFrame::NoFrame);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setTextElideMode(Qt::ElideRight);
    connect(m_list, &QListView::customContextMenuRequested, this, &SessionRail::showContextMenu);
    connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid())
                    emit sessionActivated(current.data(SessionListModel::IdRole).toString());
            });

    auto *top = new QHBoxLayout;
    top->addWidget(m_search, 1);
    top->addWidget(m_new);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 0, 6);
    layout->addLayout(top);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_archived);
    setMinimumWidth(200);
}

QString SessionRail::currentSessionId() const
{
    return m_list->currentIndex().data(SessionListModel::IdRole).toString();
}

void SessionRail::selectSession(const QString &id)
{
    const int row = m_model->rowOf(id);
    if (row < 0)
        return;
    const QModelIndex index = m_model->index(row, 0);
    if (m_list->currentIndex() != index)
        m_list->setCurrentIndex(index);
    m_list->scrollTo(index);
}

void SessionRail::focusSearch()
{
    m_search->setFocus(Qt::ShortcutFocusReason);
    m_search->selectAll();
}

QString SessionRail::searchText() const
{
    return m_search->text();
}

bool SessionRail::showArchived() const
{
    return m_archived->isChecked();
}

void SessionRail::showContextMenu(const QPoint &pos)
{
    const QModelIndex index = m_list->indexAt(pos);
    if (!index.isValid())
        return;
    const QString id = index.data(SessionListModel::IdRole).toString();
    const bool archived = index.data(SessionListModel::ArchivedRole).toBool();
    // popup(), not exec(): no nested event loop, and the menu goes with the rail.
    auto *menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addAction(tr("Rename\u2026"), this, [this, id] { emit renameRequested(id); });
    menu->addAction(tr("Reset context"), this, [this, id] { emit resetRequested(id); });
    menu->addAction(archived ? tr("Restore") : tr("Archive"), this,
                    [this, id, archived] { emit archiveRequested(id, !archived); });
    menu->addSeparator();
    menu->addAction(tr("Delete\u2026"), this, [this, id] { emit deleteRequested(id); });
    menu->popup(m_list->viewport()->mapToGlobal(pos));
}

} // namespace Spool
