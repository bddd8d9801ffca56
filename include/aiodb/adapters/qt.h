/* aiodb in a Qt event loop (Qt 5 or 6): a QSocketNotifier watches the cq's
 * fd and dispatches its callbacks on the thread the notifier lives in, the
 * GUI thread when created there.
 *
 *   AiodbQtNotifier watch(aiodb_db_cq(db));   // or new AiodbQtNotifier(cq, parent)
 *   app.exec();                              // callbacks run in the event loop
 *   watch.detach();                          // or destroy it
 *
 * Create, detach and destroy it on the thread whose event loop should run
 * the callbacks. Header-only C++ (no moc needed): link Qt Core and aiodb. */
#ifndef AIODB_ADAPTERS_QT_H
#define AIODB_ADAPTERS_QT_H

#include <QObject>
#include <QSocketNotifier>

#include "aiodb.h"

class AiodbQtNotifier : public QObject {
 public:
  explicit AiodbQtNotifier(aiodb_cq *cq, QObject *parent = nullptr)
      : QObject(parent), cq_(cq), notifier_(nullptr) {
    if (cq_ == nullptr || aiodb_cq_fd(cq_) < 0) return;
    notifier_ = new QSocketNotifier(aiodb_cq_fd(cq_), QSocketNotifier::Read, this);
    QObject::connect(notifier_, &QSocketNotifier::activated, this,
                     [this]() { aiodb_cq_dispatch(cq_, 0); });
  }
  ~AiodbQtNotifier() override { detach(); }

  AiodbQtNotifier(const AiodbQtNotifier &) = delete;
  AiodbQtNotifier &operator=(const AiodbQtNotifier &) = delete;

  /* False when constructed with a NULL cq, or after detach(). */
  bool attached() const { return notifier_ != nullptr; }

  /* Stops watching. Completions that arrive later wait in the cq. */
  void detach() {
    if (notifier_ == nullptr) return;
    notifier_->setEnabled(false);
    delete notifier_;
    notifier_ = nullptr;
  }

 private:
  aiodb_cq *cq_;
  QSocketNotifier *notifier_;
};

#endif
