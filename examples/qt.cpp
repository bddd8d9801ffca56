/* example_qt: aiodb inside a Qt event loop.
 *
 *   example_qt [URL]   (a SQLite URL; default "sqlite://", in memory)
 *
 * AiodbQtNotifier (aiodb/adapters/qt.h) is a QObject holding a
 * QSocketNotifier on the cq's fd; the callbacks run in the event loop of
 * the thread it lives in, the GUI thread when created there, so they may
 * touch widgets. This program asks for the server's version and counts to
 * five in SQL, two queries in flight at once, then detaches and quits.
 * Works the same in a QApplication. Exits 0 when both answers came back.
 *
 * Build: c++ -std=c++17 qt.cpp -laiodb $(pkg-config --cflags --libs Qt6Core)
 * (Qt wants -fPIC for code linked against it.) */
#include <QCoreApplication>
#include <cstdio>

#include "aiodb/adapters/qt.h"

namespace {

struct State {
  AiodbQtNotifier *watch;
  int answers;
  int right;
};

void finish_one(State *s) {
  if (++s->answers == 2) {
    s->watch->detach(); // no more callbacks from this loop
    QCoreApplication::quit();
  }
}

void on_version(aiodb_future *f, void *ud) {
  State *s = static_cast<State *>(ud);
  if (aiodb_future_error(f) == 0) {
    aiodb_result *r = aiodb_future_result(f);
    std::printf("%s %s\n", aiodb_result_text(r, 0, 0), aiodb_result_text(r, 0, 1));
    s->right++;
  } else {
    std::fprintf(stderr, "server_info: %s\n", aiodb_future_errmsg(f));
  }
  aiodb_future_free(f);
  finish_one(s);
}

void on_count(aiodb_future *f, void *ud) {
  State *s = static_cast<State *>(ud);
  aiodb_result *r = aiodb_future_result(f);
  if (aiodb_future_error(f) == 0 && aiodb_result_rows(r) == 5) {
    for (size_t i = 0; i < aiodb_result_rows(r); i++)
      std::printf("%lld\n", static_cast<long long>(aiodb_result_int(r, i, 0)));
    s->right++;
  }
  aiodb_future_free(f);
  finish_one(s);
}

} // namespace

int main(int argc, char **argv) {
  QCoreApplication app(argc, argv);
  aiodb_error err;
  aiodb_db *db = aiodb_open(argc > 1 ? argv[1] : "sqlite://", nullptr, &err);
  if (db == nullptr) {
    std::fprintf(stderr, "aiodb_open: %s\n", err.message);
    return 1;
  }
  int rc;
  {
    AiodbQtNotifier watch(aiodb_db_cq(db));
    State s = {&watch, 0, 0};
    aiodb_future *v = aiodb_server_info(db);
    aiodb_future *c = aiodb_query(db,
                                  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
                                  "SELECT i + 1 FROM c WHERE i < 5) SELECT i FROM c",
                                  nullptr, 0);
    if (v == nullptr || c == nullptr) return 1;
    aiodb_future_on_done(v, on_version, &s);
    aiodb_future_on_done(c, on_count, &s);
    app.exec();
    rc = s.right == 2 ? 0 : 1;
  }
  aiodb_db_free(db);
  return rc;
}
