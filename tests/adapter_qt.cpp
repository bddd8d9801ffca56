// The Qt adapter in a real QCoreApplication event loop (no display): 3,000
// queries, every callback on the loop's thread; the loop is quit after the
// notifier is detached, and exec() returns.
#include <QCoreApplication>
#include <QTimer>

#include "aiodb/adapters/qt.h"

extern "C" {
#include "adapter_common.h"
}

static AiodbQtNotifier *watch;

static void detach(void *ud) {
  (void)ud;
  watch->detach();
  QCoreApplication::quit();
}

int main(int argc, char **argv) {
  QCoreApplication app(argc, argv);
  adapter_run run;
  adapter_start(&run, detach, nullptr);
  watch = new AiodbQtNotifier(aiodb_db_cq(run.db));
  if (!watch->attached()) return 1;
  // a stuck loop fails instead of hanging
  QTimer::singleShot(60000, [] { QCoreApplication::exit(2); });
  int rc = app.exec();
  bool detached = !watch->attached();
  delete watch;
  if (rc != 0 || !detached) {
    fprintf(stderr, "the loop did not end cleanly (exec %d)\n", rc);
    return 1;
  }
  return adapter_finish(&run, "qt");
}
