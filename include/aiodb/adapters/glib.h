/* aiodb on a GLib main context (and so in GTK programs): a GSource watches
 * the cq's fd and dispatches its callbacks on the thread that runs the
 * context, the GUI thread for GTK's default context.
 *
 *   GSource *s = aiodb_glib_attach(aiodb_db_cq(db), NULL);  // NULL: default context
 *   ...                                                      // callbacks in the main loop
 *   aiodb_glib_detach(s);                                    // destroys and unrefs it
 *
 * The source has G_PRIORITY_DEFAULT; change it with g_source_set_priority
 * before much work arrives. Header-only: link glib-2.0 and aiodb. */
#ifndef AIODB_ADAPTERS_GLIB_H
#define AIODB_ADAPTERS_GLIB_H

#include <glib.h>

#include "aiodb.h"

typedef struct aiodb_glib_source {
  GSource source; /* first: GLib allocates the whole struct */
  aiodb_cq *cq;
  gpointer tag;
} aiodb_glib_source;

static gboolean aiodb_glib__dispatch(GSource *s, GSourceFunc cb, gpointer ud) {
  aiodb_glib_source *a = (aiodb_glib_source *)s;
  (void)cb;
  (void)ud;
  aiodb_cq_dispatch(a->cq, 0);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs aiodb_glib__funcs = {NULL, NULL, aiodb_glib__dispatch, NULL, NULL, NULL};

/* Attaches a source for cq to context (NULL: the default context) and
 * returns it (the context holds a reference; so does the caller), or NULL
 * for a NULL cq or one without an fd. */
static inline GSource *aiodb_glib_attach(aiodb_cq *cq, GMainContext *context) {
  aiodb_glib_source *a;
  if (cq == NULL || aiodb_cq_fd(cq) < 0) return NULL;
  a = (aiodb_glib_source *)g_source_new(&aiodb_glib__funcs, sizeof *a);
  a->cq = cq;
  a->tag = g_source_add_unix_fd(&a->source, aiodb_cq_fd(cq), G_IO_IN);
  g_source_set_name(&a->source, "aiodb");
  g_source_attach(&a->source, context);
  return &a->source;
}

/* Removes the source from its context and drops the caller's reference.
 * Completions that arrive later wait in the cq. NULL is a no-op. */
static inline void aiodb_glib_detach(GSource *s) {
  if (s == NULL) return;
  g_source_destroy(s);
  g_source_unref(s);
}

#endif
